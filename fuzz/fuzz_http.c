/*
 * The Streamable HTTP request path: the input is what one client sends on one
 * connection (any number of pipelined requests), served by the real transport
 * (libmicrohttpd on the libuv loop, src/http/server.c, src/mcp/http.c) and the real
 * session, behind two tools: "echo" answers at once, "later" answers on the next
 * turn of the loop with a progress notification first, so answers are JSON and SSE.
 * Each input gets a fresh transport, served until the connection ends, then closed:
 * LeakSanitizer sees whatever an input left behind. Checked: every answer the client
 * reads is an HTTP/1.1 status line, and the transport always closes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "fuzz_util.h"
#include "mcp/http.h"

static uv_loop_t loop;

static json_t *list_tools(void *ctx)
{
	(void)ctx;
	return json_pack("[{s:s, s:{s:s}}, {s:s, s:{s:s}}]", "name", "echo", "inputSchema", "type",
	                 "object", "name", "later", "inputSchema", "type", "object");
}

static void answer_later(uv_timer_t *t)
{
	struct mcp_request *req = t->data;

	mcp_request_reply(
	    req, json_pack("{s:[{s:s, s:s}]}", "content", "type", "text", "text", "later"));
	uv_close((uv_handle_t *)t, (uv_close_cb)free);
}

static int call_tool(void *ctx, struct mcp_request *req, const char *name, json_t *args)
{
	(void)ctx;
	if (strcmp(name, "echo") == 0) {
		char *text = json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY);
		mcp_request_reply(req, json_pack("{s:[{s:s, s:s}]}", "content", "type", "text",
		                                 "text", text ? text : ""));
		free(text);
		return 0;
	}
	if (strcmp(name, "later") != 0)
		return -1;
	uv_timer_t *t = malloc(sizeof *t);
	FUZZ_CHECK(t, "out of memory");
	uv_timer_init(&loop, t);
	t->data = req;
	mcp_request_progress(req, "soon");
	uv_timer_start(t, answer_later, 0, 0);
	return 0;
}

static volatile bool transport_closed;

static void closed(void *data)
{
	(void)data;
	transport_closed = true;
}

static const struct mcp_server_info info = {"fuzz", "Fuzz", "0", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct mcp_http *h;
	char err[256], buf[65536];
	int sv[2];
	bool eof = false;
	size_t sent = 0;

	if (!ready) {
		uv_loop_init(&loop);
		ready = true;
	}
	struct mcp_http_config cfg = {
	    .loop = &loop,
	    .listen_fd = -1,
	    .address = {"127.0.0.1", 8080, true, false, false},
	    .info = &info,
	    .tools = {list_tools, call_tool, NULL, NULL},
	    .max_body = 16384,
	    .max_connections = 4,
	    .max_sessions = 4,
	    .timeout_s = 5,
	    .session_idle_s = 60,
	    .max_backlog = 65536,
	    .keepalive_s = 60,
	};
	FUZZ_CHECK(mcp_http_new(&cfg, &h, err, sizeof err) == 0, "%s", err);
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0,
	           "socketpair: %s", strerror(errno));
	FUZZ_CHECK(mcp_http_adopt(h, sv[0]) == 0, "adopt");
	/* Feed the bytes as the socket takes them, reading the answers, until the server hangs up.
	 */
	for (int turns = 0; !eof && turns < 20000; turns++) {
		if (sent < size) {
			ssize_t n = write(sv[1], data + sent, size - sent);
			if (n > 0)
				sent += (size_t)n;
			if (sent == size)
				shutdown(sv[1], SHUT_WR);
		} else if (size == 0 && turns == 0) {
			shutdown(sv[1], SHUT_WR);
		}
		uv_run(&loop, UV_RUN_NOWAIT);
		ssize_t n = read(sv[1], buf, sizeof buf);
		if (n == 0)
			eof = true;
		else if (n > 0 && memcmp(buf, "HTTP/1.", 7) != 0 && turns == 0)
			FUZZ_CHECK(false, "not an HTTP answer");
	}
	close(sv[1]);
	transport_closed = false;
	mcp_http_close(h, closed, NULL);
	for (int turns = 0; !transport_closed; turns++) {
		FUZZ_CHECK(turns < 100000, "the transport does not close");
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	uv_run(&loop, UV_RUN_NOWAIT); /* close callbacks */
	return 0;
}
