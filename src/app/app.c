#include "app/app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "mcp/stdio.h"
#include "util/paths.h"
#include "proc/procfs.h"
#include "util/redact.h"
#include "app/args.h"
#include "app/tasks.h"
#include "tools/tool.h"

static void on_line(void *data, char *line, size_t len)
{
	struct app *srv = data;
	mcp_session_receive(srv->session, line, len);
}

static void on_overflow(void *data, size_t max_line)
{
	struct app *srv = data;
	mcp_session_receive_overflow(srv->session, max_line);
}

static void log_to_client(void *data, enum log_level level, const char *message)
{
	struct app *srv = data;
	mcp_session_log(srv->session, level, message);
}

/* The session's transport: stdio while it is open, nothing once it is closed. */
static void send_to_client(void *data, const char *msg, size_t len)
{
	struct app *srv = data;

	if (srv->stdio)
		srv->out.send(srv->out.ctx, msg, len);
}

static size_t unsent_to_client(void *data)
{
	struct app *srv = data;

	return srv->stdio && srv->out.backlog ? srv->out.backlog(srv->out.ctx) : 0;
}

static void close_if_done(struct app *srv)
{
	if (!srv->stopping || runner_live(srv->runner) > 0)
		return;
	/* Every run is reaped; closing the last handles ends uv_run. */
	if (srv->stdio) {
		/* What is logged from now on (a last failed save) has no client to go to. */
		log_set_sink(NULL, NULL);
		stdio_transport_close(srv->stdio);
		srv->stdio = NULL;
	}
	if (!uv_is_closing((uv_handle_t *)&srv->sigterm)) {
		uv_close((uv_handle_t *)&srv->sigterm, NULL);
		uv_close((uv_handle_t *)&srv->sigint, NULL);
		uv_close((uv_handle_t *)&srv->tick, NULL);
		mcp_tasks_close(srv->tasks);
	}
}

/* From the first call no new run starts; a second signal kills what still runs at once. */
static void stop(struct app *srv, const char *why, bool again_kills)
{
	if (srv->stopping) {
		if (!again_kills || runner_live(srv->runner) == 0)
			return;
		log_info("%s again: killing every run now", why);
		runner_stop_all(srv->runner);
		return;
	}
	srv->stopping = true;
	log_info("%s: stopping%s", why, runner_live(srv->runner) ? " every run" : "");
	/* Calls waiting on the client or on another server get their answers now, while
	 * stdout is open: the last run reaped may close it (see on_idle()). */
	mcp_tasks_stop(srv->tasks);
	mcp_session_stop(srv->session);
	runner_stop_all(srv->runner);
	close_if_done(srv);
}

static size_t client_backlog(void *data)
{
	struct app *srv = data;
	return srv->session ? mcp_session_backlog(srv->session) : 0;
}

static void on_idle(void *data)
{
	close_if_done(data);
}

static void on_eof(void *data)
{
	stop(data, "stdin closed", false);
}

static void on_tick(uv_timer_t *h)
{
	struct app *srv = h->data;
	mcp_session_tick(srv->session);
}

static void on_signal(uv_signal_t *h, int signum)
{
	stop(h->data, signum == SIGTERM ? "SIGTERM" : "SIGINT", true);
}

static json_t *list_tools(void *ctx)
{
	(void)ctx;
	return tools_list();
}

static void mask_secrets(const struct options *opts)
{
	static const char *const keys[] = {"OPENAI_API_KEY", "CODEX_API_KEY"};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		redact_add(getenv(keys[i]));
	for (size_t i = 0; i < opts->n_env; i++)
		redact_add(strchr(opts->env[i], '=') + 1);
}

static int call_tool(void *ctx, struct mcp_request *req, const char *name, json_t *args)
{
	const struct tool_entry *tool = tools_find(name);

	if (!tool)
		return -1;
	/* Calls held for the client's roots reach here as the server stops. */
	if (((struct app *)ctx)->stopping) {
		mcp_request_reply(req, tool_error_result("server is stopping"));
		return 0;
	}
	tool->call(ctx, req, args);
	return 0;
}

int app_run(const struct options *opts)
{
	struct app srv = {.opts = opts};
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
	srv.instance = proc_instance_id(getpid());
	int recovered = store_recover(srv.store, store_now_ms(), proc_instance_alive);
	if (recovered < 0) {
		/* Left as they are, cut-off tasks would read "running" for ever. */
		log_error("cannot mark the tasks a stopped server left: %s",
		          store_error(srv.store));
		store_close(srv.store);
		free(srv.instance);
		return 1;
	}
	if (recovered > 0)
		log_info("%d task(s) were cut off when their server stopped", recovered);
	if (tools_init(opts->tools, err, sizeof err) != 0) {
		log_error("--tools: %s", err);
		store_close(srv.store);
		return 1;
	}
	if (opts->agent_cwd) {
		srv.cwd = realpath(opts->agent_cwd, NULL);
		if (!srv.cwd) {
			log_error("--agent-cwd %s: %s", opts->agent_cwd, strerror(errno));
			tools_free();
			store_close(srv.store);
			return 1;
		}
	} else {
		srv.cwd = getcwd(NULL, 0);
	}
	mask_secrets(opts);
	/*
	 * The log directory is made and resolved once: the runner writes where the log
	 * tools look, and those never follow a symlink from there.
	 */
	if (make_private_dirs(opts->log_dir, err, sizeof err) != 0) {
		log_error("--log-dir: %s", err);
		status = 1;
		goto early_out;
	}
	if (!(srv.log_dir = realpath(opts->log_dir, NULL))) {
		log_error("--log-dir %s: %s", opts->log_dir, strerror(errno));
		status = 1;
		goto early_out;
	}
	srv.allow_dirs = calloc(opts->n_allow_dirs + 1, sizeof *srv.allow_dirs);
	for (size_t i = 0; srv.allow_dirs && i < opts->n_allow_dirs; i++) {
		/* Resolved once, so symlinks and ".." cannot lead a cwd around the rule. */
		srv.allow_dirs[i] = realpath(opts->allow_dirs[i], NULL);
		if (!srv.allow_dirs[i]) {
			log_error("--allow-dir %s: %s", opts->allow_dirs[i], strerror(errno));
			status = 1;
			goto early_out;
		}
	}

	uv_loop_init(&loop);
	srv.loop = &loop;

	struct codex_exec_config exec_cfg = {
	    .loop = &loop,
	    .codex_path = opts->codex_bin,
	    .extra_env = opts->env,
	    .max_event_line = opts->max_event_bytes,
	};
	codex_exec_backend_new(&exec_cfg, &srv.backend);
	struct runner_config runner_cfg = {
	    .loop = &loop,
	    .backend = &srv.backend,
	    .store = srv.store,
	    .log_dir = srv.log_dir,
	    .log_max_bytes = opts->log_max_bytes,
	    .max_running = opts->max_agents,
	    .default_timeout_s = opts->timeout_s,
	    .stall_s = opts->stall_s,
	    .kill_stalled_after_s = opts->kill_stalled_after_s,
	    .heartbeat_ms = opts->heartbeat_ms,
	    .kill_grace_ms = opts->kill_grace_ms,
	    .idle = on_idle,
	    .idle_data = &srv,
	    .backlog = client_backlog,
	    .backlog_data = &srv,
	    .owner = srv.instance,
	};
	srv.runner = runner_new(&runner_cfg);

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
	srv.out = stdio_transport_as_mcp(srv.stdio);
	struct mcp_transport transport = {send_to_client, unsent_to_client, &srv};
	srv.session = mcp_session_new(&info, &provider, &transport);
	srv.tasks = mcp_tasks_new(&srv);
	struct mcp_task_provider task_provider = mcp_tasks_provider(srv.tasks);
	mcp_session_set_task_provider(srv.session, &task_provider);
	log_set_sink(log_to_client, &srv);

	uv_signal_init(&loop, &srv.sigterm);
	uv_signal_init(&loop, &srv.sigint);
	srv.sigterm.data = srv.sigint.data = &srv;
	uv_signal_start(&srv.sigterm, on_signal, SIGTERM);
	uv_signal_start(&srv.sigint, on_signal, SIGINT);
	uv_timer_init(&loop, &srv.tick);
	srv.tick.data = &srv;
	uv_timer_start(&srv.tick, on_tick, 1000, 1000);
	uv_unref((uv_handle_t *)&srv.tick);

	if (stdio_transport_start(srv.stdio) != 0) {
		log_error("cannot read stdin");
		stop(&srv, "stdin unusable", false);
		status = 1;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	log_set_sink(NULL, NULL);
	mcp_session_free(srv.session);
out:
	runner_free(srv.runner);
	uv_run(&loop, UV_RUN_DEFAULT); /* lets the last close callbacks run */
	srv.backend.ops->free(srv.backend.impl);
	uv_loop_close(&loop);
early_out:
	free(srv.log_dir);
	for (size_t i = 0; srv.allow_dirs && srv.allow_dirs[i]; i++)
		free(srv.allow_dirs[i]);
	free(srv.allow_dirs);
	tools_free();
	store_close(srv.store);
	free(srv.cwd);
	free(srv.instance);
	redact_clear();
	return status;
}
