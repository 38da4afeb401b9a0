#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "mcp/stdio.h"
#include "tools/tool.h"
#include "tools/turn.h"

static void on_line(void *data, char *line, size_t len)
{
	struct server *srv = data;
	mcp_session_receive(srv->session, line, len);
}

static void on_overflow(void *data, size_t max_line)
{
	struct server *srv = data;
	mcp_session_receive_overflow(srv->session, max_line);
}

static void log_to_client(void *data, enum log_level level, const char *message)
{
	struct server *srv = data;
	mcp_session_log(srv->session, level, message);
}

static void close_if_done(struct server *srv)
{
	if (!srv->stopping || srv->runs)
		return;
	/* Every run is reaped; closing the last handles ends uv_run. */
	if (srv->stdio) {
		stdio_transport_close(srv->stdio);
		srv->stdio = NULL;
	}
	if (!uv_is_closing((uv_handle_t *)&srv->sigterm)) {
		uv_close((uv_handle_t *)&srv->sigterm, NULL);
		uv_close((uv_handle_t *)&srv->sigint, NULL);
	}
}

static void stop(struct server *srv, const char *why)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	log_info("%s: stopping%s", why, srv->runs ? " every run" : "");
	/* Each run reports back through server_run_finished() once reaped. */
	turn_stop_all(srv);
	close_if_done(srv);
}

void server_run_finished(struct server *srv)
{
	close_if_done(srv);
}

static void on_eof(void *data)
{
	stop(data, "stdin closed");
}

static void on_signal(uv_signal_t *h, int signum)
{
	stop(h->data, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static json_t *list_tools(void *ctx)
{
	(void)ctx;
	return tools_list();
}

static int call_tool(void *ctx, struct mcp_request *req, const char *name, json_t *args)
{
	const struct tool_entry *tool = tools_find(name);

	if (!tool)
		return -1;
	tool->call(ctx, req, args);
	return 0;
}

int server_run(const struct options *opts)
{
	struct server srv = {.opts = opts};
	uv_loop_t loop;
	char err[1024], db_path[4096];
	int status = 0;

	log_set_stderr_level(opts->log_level);
	if (!opts->state_dir) {
		log_error("no state directory: set --state-dir or HOME");
		return 1;
	}
	snprintf(db_path, sizeof db_path, "%s/codex-mcp.db", opts->state_dir);
	if (store_open(db_path, &srv.store, err, sizeof err) != 0) {
		log_error("%s", err);
		return 1;
	}
	int recovered = store_recover(srv.store, store_now_ms());
	if (recovered > 0)
		log_info("%d run(s) were cut off when the last server stopped", recovered);
	if (tools_init() != 0) {
		log_error("the tool table does not parse");
		store_close(srv.store);
		return 1;
	}

	uv_loop_init(&loop);
	srv.loop = &loop;
	srv.cwd = getcwd(NULL, 0);

	struct codex_exec_config exec_cfg = {
	    .loop = &loop,
	    .codex_path = opts->codex_bin,
	    .max_event_line = opts->max_event_bytes,
	};
	codex_exec_backend_new(&exec_cfg, &srv.backend);

	struct line_sink sink = {on_line, on_overflow, &srv};
	srv.stdio = stdio_transport_new(&loop, opts->max_message_bytes, &sink, on_eof, &srv);
	if (!srv.stdio) {
		log_error("cannot use stdout");
		status = 1;
		goto out;
	}
	struct mcp_server_info info = {
	    .name = "codex-mcp",
	    .title = "Codex",
	    .version = CODEX_MCP_VERSION,
	};
	struct mcp_tool_provider provider = {list_tools, call_tool, &srv};
	struct mcp_transport transport = stdio_transport_as_mcp(srv.stdio);
	srv.session = mcp_session_new(&info, &provider, &transport);
	log_set_sink(log_to_client, &srv);

	uv_signal_init(&loop, &srv.sigterm);
	uv_signal_init(&loop, &srv.sigint);
	srv.sigterm.data = srv.sigint.data = &srv;
	uv_signal_start(&srv.sigterm, on_signal, SIGTERM);
	uv_signal_start(&srv.sigint, on_signal, SIGINT);

	if (stdio_transport_start(srv.stdio) != 0) {
		log_error("cannot read stdin");
		stop(&srv, "stdin unusable");
		status = 1;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	log_set_sink(NULL, NULL);
	mcp_session_free(srv.session);
out:
	srv.backend.ops->free(srv.backend.impl);
	uv_loop_close(&loop);
	tools_free();
	store_close(srv.store);
	free(srv.cwd);
	return status;
}
