/*
 * The conformance suite's test server: the fixed tools, resources and prompts
 * that @modelcontextprotocol/conformance calls by name (test_simple_text,
 * test://static-text, test_simple_prompt, ...), served over the very session and
 * Streamable HTTP code codex-mcp uses (mcp_http_new with providers of its own).
 * A test helper only: it is neither installed nor part of codex-mcp.
 *
 *   fixture-server [--http HOST:PORT]   (default 127.0.0.1:0)
 *
 * prints "fixture-server: listening on http://HOST:PORT/mcp" on stderr and serves
 * until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <uv.h>

#include "fixture.h"
#include "http/listen.h"
#include "mcp/http.h"
#include "mcp/seal.h"
#include "util/log.h"

struct fixture {
	uv_loop_t *loop;
	struct mcp_http *http;
	struct seal_key key;
	uv_signal_t sigterm, sigint;
	bool stopping;
};

static const struct mcp_server_info info = {
    .name = "codex-mcp-conformance-fixture",
    .title = "codex-mcp conformance fixture",
    .version = CODEX_MCP_VERSION,
    .instructions = "Test fixtures for the MCP conformance suite; not a real server.",
};

static const struct seal_key *fixture_key(void *ctx, char *err, size_t err_size)
{
	struct fixture *f = ctx;

	(void)err;
	(void)err_size;
	return &f->key;
}

static void closed(void *data)
{
	struct fixture *f = data;

	f->http = NULL;
	fixture_tasks_close();
	uv_close((uv_handle_t *)&f->sigterm, NULL);
	uv_close((uv_handle_t *)&f->sigint, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct fixture *f = h->data;

	(void)signum;
	if (f->stopping)
		return;
	f->stopping = true;
	mcp_http_stop(f->http);
	mcp_http_close(f->http, closed, f);
}

int main(int argc, char **argv)
{
	const char *listen = "127.0.0.1:0";
	struct fixture f = {0};
	struct http_address addr;
	char err[1024], hostport[300];
	uv_loop_t loop;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--http") == 0 && i + 1 < argc) {
			listen = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--http HOST:PORT]\n", argv[0]);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	log_set_stderr_level(LOG_WARNING);
	if (seal_key_random(&f.key) != 0) {
		fprintf(stderr, "fixture-server: no random key\n");
		return 1;
	}
	uv_loop_init(&loop);
	f.loop = &loop;
	fixture_tasks_init(&loop);
	fd = http_listen(listen, &addr, err, sizeof err);
	if (fd < 0) {
		fprintf(stderr, "fixture-server: %s\n", err);
		return 1;
	}
	struct mcp_http_config cfg = {
	    .loop = &loop,
	    .listen_fd = fd,
	    .address = addr,
	    .info = &info,
	    .tools = fixture_tool_provider(&loop),
	    .tasks = fixture_task_provider(),
	    .has_tasks = true,
	    .methods = fixture_method_provider(),
	    .has_methods = true,
	    .sealer = {fixture_key, &f},
	    .max_body = 4u << 20,
	    .max_connections = 256,
	    .max_sessions = 256,
	    .timeout_s = 30,
	    .session_idle_s = 600,
	    .max_backlog = 4u << 20,
	    .keepalive_s = 15,
	};
	if (mcp_http_new(&cfg, &f.http, err, sizeof err) != 0) {
		fprintf(stderr, "fixture-server: %s\n", err);
		return 1;
	}
	http_address_format(&addr, hostport, sizeof hostport);
	fprintf(stderr, "fixture-server: listening on http://%s/mcp\n", hostport);
	uv_signal_init(&loop, &f.sigterm);
	uv_signal_init(&loop, &f.sigint);
	f.sigterm.data = f.sigint.data = &f;
	uv_signal_start(&f.sigterm, on_signal, SIGTERM);
	uv_signal_start(&f.sigint, on_signal, SIGINT);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return 0;
}
