#include "app/app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app/args.h"
#include "app/dashboard.h"
#include "app/http-module.h"
#include "app/remote.h"
#include "app/replica.h"
#include "app/tasks.h"
#include "mcp/stdio.h"
#include "proc/nesting.h"
#include "proc/procfs.h"
#include "tools/tool.h"
#include "util/log.h"
#include "util/paths.h"
#include "util/redact.h"

/* One client connection: its transport and its session. */
struct app_client {
	struct app *app;
	struct stdio_transport *stdio; /* NULL once closed */
	struct mcp_transport out;      /* stdio's, used only while it is open */
	struct mcp_session *session;
	struct app_client *next;
};

static const char instructions[] =
    "Runs OpenAI Codex, a coding agent, on this machine. `codex` starts a Codex session "
    "with a prompt and answers with its final message and threadId; `codex-reply` continues "
    "that thread. The agent tools run agents in the background (spawn_agent_async, "
    "get_agent_status, kill_agent) or several at once (spawn_agents_parallel). Runs are "
    "sandboxed and confined to the client's roots.";

static const struct mcp_server_info server_info = {
    .name = "codex-mcp",
    .title = "Codex",
    .version = CODEX_MCP_VERSION,
    .instructions = instructions,
};

static void on_line(void *data, char *line, size_t len)
{
	struct app_client *c = data;
	mcp_session_receive(c->session, line, len);
}

static void on_overflow(void *data, size_t max_line)
{
	struct app_client *c = data;
	mcp_session_receive_overflow(c->session, max_line);
}

/* The server's log goes to every client that asked for it with logging/setLevel. */
static void log_to_clients(void *data, enum log_level level, const char *message)
{
	struct app *app = data;

	for (struct app_client *c = app->clients; c; c = c->next)
		mcp_session_log(c->session, level, message);
	if (app->http)
		app->httpm->transport_log(app->http, level, message);
}

/* The session's transport: stdio while it is open, nothing once it is closed. */
static void send_to_client(void *data, const char *msg, size_t len, const json_t *related,
                           bool answer)
{
	struct app_client *c = data;

	if (c->stdio)
		c->out.send(c->out.ctx, msg, len, related, answer);
}

static size_t unsent_to_client(void *data, const json_t *related)
{
	struct app_client *c = data;

	return c->stdio && c->out.backlog ? c->out.backlog(c->out.ctx, related) : 0;
}

static void http_closed(void *data)
{
	struct app *app = data;

	app->http = NULL;
	app_dashboard_free(app);
}

static int make_backend(const struct options *opts, const struct codex_exec_config *cfg,
                        struct codex_backend *out)
{
	switch (opts->backend) {
	case BACKEND_EXEC:
		log_info("backend: a codex exec process per turn");
		return codex_exec_backend_new(cfg, out);
	case BACKEND_APP_SERVER:
		log_info("backend: codex app-server");
		return codex_app_server_backend_new(cfg, out);
	default:
		return codex_auto_backend_new(cfg, out);
	}
}

/* A backend with a process of its own (app-server) stops it: the loop ends once it is gone. */
static void free_backend(struct app *app)
{
	if (!app->backend.ops)
		return;
	app->backend.ops->free(app->backend.impl, NULL, NULL);
	app->backend.ops = NULL;
}

static void close_if_done(struct app *app)
{
	if (!app->stopping || runner_live(app->runner) > 0)
		return;
	/* Answers already given still reach their clients, for a moment. */
	if (app->http && !app->http_closing) {
		app->http_closing = true;
		app->httpm->transport_close(app->http, http_closed, app);
	}
	/* Every run is reaped; closing the last handles ends uv_run. */
	/* What is logged from now on (a last failed save) has no client to go to. */
	log_set_sink(NULL, NULL);
	for (struct app_client *c = app->clients; c; c = c->next)
		if (c->stdio) {
			stdio_transport_close(c->stdio);
			c->stdio = NULL;
		}
	free_backend(app);
	if (!uv_is_closing((uv_handle_t *)&app->sigterm)) {
		uv_close((uv_handle_t *)&app->sigterm, NULL);
		uv_close((uv_handle_t *)&app->sigint, NULL);
		uv_close((uv_handle_t *)&app->tick, NULL);
		mcp_tasks_close(app->tasks);
	}
}

/* From the first call no new run starts; a second signal kills what still runs at once. */
static void stop(struct app *app, const char *why, bool again_kills)
{
	if (app->stopping) {
		if (!again_kills || runner_live(app->runner) == 0)
			return;
		log_info("%s again: killing every run now", why);
		runner_stop_all(app->runner);
		return;
	}
	app->stopping = true;
	log_info("%s: stopping%s", why, runner_live(app->runner) ? " every run" : "");
	/* Calls waiting on the client or on another server get their answers now, while
	 * stdout is open: the last run reaped may close it (see on_idle()). */
	mcp_tasks_stop(app->tasks);
	remote_stop(app);
	for (struct app_client *c = app->clients; c; c = c->next)
		mcp_session_stop(c->session);
	if (app->http) {
		app->httpm->transport_stop(app->http);
		app_dashboard_stop(app);
	}
	runner_stop_all(app->runner);
	close_if_done(app);
}

/* The runner slows down for the slowest reader. */
static size_t client_backlog(void *data)
{
	struct app *app = data;
	size_t most = 0;

	for (struct app_client *c = app->clients; c; c = c->next) {
		size_t n = mcp_session_backlog(c->session);
		most = n > most ? n : most;
	}
	return most;
}

static void on_idle(void *data)
{
	close_if_done(data);
}

/* In stdio mode the one client is the reason to run: its end is the server's. */
static void on_eof(void *data)
{
	struct app_client *c = data;
	stop(c->app, "stdin closed", false);
}

static void on_tick(uv_timer_t *h)
{
	struct app *app = h->data;

	for (struct app_client *c = app->clients; c; c = c->next)
		mcp_session_tick(c->session);
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
	struct tool_call call = {ctx, mcp_request_session(req), req};

	if (!tool)
		return -1;
	/* Calls held for the client's roots reach here as the server stops. */
	if (call.app->stopping) {
		mcp_request_reply(req, tool_error_result("server is stopping"));
		return 0;
	}
	/* Agents that call agents through us stop at --max-depth. */
	if (tool->runs_codex) {
		char err[512];
		if (nesting_check(call.app->depth, call.app->opts->max_depth, err, sizeof err) !=
		    0) {
			mcp_request_reply(req, tool_error_result(err));
			return 0;
		}
	}
	tool->call(&call, args);
	return 0;
}

static bool tool_wants_roots(void *ctx, const char *name)
{
	const struct tool_entry *tool = tools_find(name);

	(void)ctx;
	return tool && tool->runs_codex;
}

const struct seal_key *app_seal_key(void *data, char *err, size_t err_size)
{
	struct app *app = data;
	char path[4096];

	/* Made on first use: most servers never ask a client for anything. */
	if (!app->seal_loaded) {
		snprintf(path, sizeof path, "%s/seal.key", app->opts->state_dir);
		if (seal_key_load(path, &app->seal, err, err_size) != 0)
			return NULL;
		app->seal_loaded = true;
	}
	return &app->seal;
}

/* A client on stdin and stdout. */
static struct app_client *add_stdio_client(struct app *app)
{
	struct app_client *c = calloc(1, sizeof *c);
	struct line_sink sink = {on_line, on_overflow, c};
	struct mcp_tool_provider provider = {list_tools, call_tool, tool_wants_roots, app};
	struct mcp_transport transport = {send_to_client, unsent_to_client, c};

	if (!c)
		return NULL;
	c->app = app;
	c->stdio = stdio_transport_new(app->loop, app->opts->max_message_bytes, &sink, on_eof, c);
	if (!c->stdio) {
		free(c);
		return NULL;
	}
	c->out = stdio_transport_as_mcp(c->stdio);
	struct mcp_sealer sealer = {app_seal_key, app};
	c->session = mcp_session_new(&server_info, &provider, &transport, &sealer);
	struct mcp_task_provider task_provider = mcp_tasks_provider(app->tasks);
	mcp_session_set_task_provider(c->session, &task_provider);
	c->next = app->clients;
	app->clients = c;
	return c;
}

/* Enough descriptors for --http-max-connections: the soft limit is often 1024. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int start_auth(struct app *app, const struct http_address *addr, const char *url)
{
	const struct http_options *ho = &app->opts->http;
	char err[1024];

	if (!ho->token_file && !ho->oauth_issuer) {
		if (addr->loopback)
			return 0;
		log_error("--http %s is reachable from other machines: give --http-token-file "
		          "or --oauth-issuer, or bind 127.0.0.1",
		          ho->listen);
		return -EACCES;
	}
	struct http_auth_config cfg = {
	    .token_file = ho->token_file,
	    .issuer = ho->oauth_issuer,
	    .jwks_file = ho->oauth_jwks,
	    .resource = ho->public_url ? ho->public_url : url,
	    .scopes = ho->oauth_scopes,
	    .loop = app->loop,
	};
	if (!(app->authm = module_load(AUTH_MODULE_FILE, AUTH_MODULE_SYMBOL, err, sizeof err))) {
		log_error("%s", err);
		return -ENOENT;
	}
	int rc = app->authm->create(&cfg, &app->auth, err, sizeof err);
	if (rc != 0)
		log_error("%s", err);
	return rc;
}

/* Clients over HTTP at /mcp, as many as come. */
static int start_http(struct app *app)
{
	const struct http_options *ho = &app->opts->http;
	struct http_address addr;
	char err[1024], hostport[300], url[400];
	int fd, rc;

	if (!(app->httpm = module_load(HTTP_MODULE_FILE, HTTP_MODULE_SYMBOL, err, sizeof err))) {
		log_error("%s", err);
		return -ENOENT;
	}
	if ((fd = app->httpm->listen(ho->listen, &addr, err, sizeof err)) < 0) {
		log_error("%s", err);
		return fd;
	}
	app->httpm->address_format(&addr, hostport, sizeof hostport);
	snprintf(url, sizeof url, "http://%s/mcp", hostport);
	if ((rc = start_auth(app, &addr, url)) != 0) {
		close(fd);
		return rc;
	}
	raise_fd_limit();
	struct mcp_http_config cfg = {
	    .loop = app->loop,
	    .listen_fd = fd,
	    .address = addr,
	    .auth = {app->auth, app->authm ? app->authm->check : NULL,
	             app->authm ? app->authm->metadata : NULL},
	    .info = &server_info,
	    .tools = {list_tools, call_tool, tool_wants_roots, app},
	    .tasks = mcp_tasks_provider(app->tasks),
	    .has_tasks = true,
	    .sealer = {app_seal_key, app},
	    .allow_origins = ho->allow_origins,
	    .allow_hosts = ho->allow_hosts,
	    .max_body = app->opts->max_message_bytes,
	    .max_connections = ho->max_connections,
	    .max_sessions = ho->max_sessions,
	    .timeout_s = ho->timeout_s,
	    .session_idle_s = ho->session_idle_s,
	    .max_backlog = ho->max_backlog,
	    .keepalive_s = ho->keepalive_s,
	};
	/* The dashboard, behind the same authentication. */
	if ((rc = app_dashboard_start(app, &cfg.routes)) != 0)
		return rc;
	if ((rc = app->httpm->transport_new(&cfg, &app->http, err, sizeof err)) != 0) {
		log_error("%s", err);
		app_dashboard_free(app);
		return rc;
	}
	/* Always said, whatever the log level: scripts wait for this line. */
	fprintf(stderr, "codex-mcp: listening on %s\n", url);
	return 0;
}

static void free_clients(struct app *app)
{
	while (app->clients) {
		struct app_client *c = app->clients;
		app->clients = c->next;
		mcp_session_free(c->session);
		free(c);
	}
}

int app_run(const struct options *opts)
{
	struct app app = {.opts = opts};
	uv_loop_t loop;
	char err[1024], db_path[4096];
	int status = 0;

	log_set_stderr_level(opts->log_level);
	if (!opts->state_dir) {
		log_error("no state directory: set --state-dir or HOME");
		return 1;
	}
	snprintf(db_path, sizeof db_path, "%s/codex-mcp.db", opts->state_dir);
	/* A password in the URL is a secret like the API keys: no log shows it. */
	char *password = opts->store ? store_url_password(opts->store) : NULL;
	redact_add(password);
	free(password);
	if (store_open(opts->store ? opts->store : db_path, &app.store, err, sizeof err) != 0) {
		log_error("--store: %s", err);
		redact_clear();
		return 1;
	}
	if (opts->fleet_max_agents && !store_can_claim(app.store)) {
		log_error("--fleet-max-agents: the limit is counted in a store the replicas share "
		          "(--store postgresql://...); this one is %s",
		          opts->store ? opts->store : db_path);
		store_close(app.store);
		redact_clear();
		return 1;
	}
	app.instance = strdup(store_owner(app.store));
	/* Now, while every ancestor is still there to be counted. */
	app.depth = nesting_depth();
	/* A replica holds its lease before it judges others' by theirs. */
	store_set_lease_ms(app.store, (int64_t)opts->lease_s * 1000);
	if (store_lease(app.store, store_now_ms()) != 0) {
		log_error("--store: cannot take this replica's lease: %s", store_error(app.store));
		store_close(app.store);
		free(app.instance);
		redact_clear();
		return 1;
	}
	/* Replicas judge each other's leases later, once this one has held its own (replica.c). */
	int recovered = store_shared(app.store)
	                    ? 0
	                    : store_recover(app.store, store_now_ms(), proc_instance_alive);
	if (recovered < 0) {
		/* Left as they are, cut-off tasks would read "running" for ever. */
		log_error("cannot mark the tasks a stopped server left: %s",
		          store_error(app.store));
		store_close(app.store);
		free(app.instance);
		return 1;
	}
	if (recovered > 0)
		log_info("%d task(s) were cut off when their server stopped", recovered);

	if (tools_init(opts->tools, err, sizeof err) != 0) {
		log_error("--tools: %s", err);
		store_close(app.store);
		return 1;
	}
	if (opts->agent_cwd) {
		app.cwd = realpath(opts->agent_cwd, NULL);
		if (!app.cwd) {
			log_error("--agent-cwd %s: %s", opts->agent_cwd, strerror(errno));
			tools_free();
			store_close(app.store);
			return 1;
		}
	} else {
		app.cwd = getcwd(NULL, 0);
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
	if (!(app.log_dir = realpath(opts->log_dir, NULL))) {
		log_error("--log-dir %s: %s", opts->log_dir, strerror(errno));
		status = 1;
		goto early_out;
	}
	app.allow_dirs = calloc(opts->n_allow_dirs + 1, sizeof *app.allow_dirs);
	for (size_t i = 0; app.allow_dirs && i < opts->n_allow_dirs; i++) {
		/* Resolved once, so symlinks and ".." cannot lead a cwd around the rule. */
		app.allow_dirs[i] = realpath(opts->allow_dirs[i], NULL);
		if (!app.allow_dirs[i]) {
			log_error("--allow-dir %s: %s", opts->allow_dirs[i], strerror(errno));
			status = 1;
			goto early_out;
		}
	}

	uv_loop_init(&loop);
	app.loop = &loop;
	/* The store's calls the loop hands off run on a thread of its own. */
	if (store_start_thread(app.store, &loop) != 0) {
		log_error("cannot start the store's thread");
		status = 1;
		uv_loop_close(&loop);
		goto early_out;
	}

	struct codex_exec_config exec_cfg = {
	    .loop = &loop,
	    .codex_path = opts->codex_bin,
	    .extra_env = opts->env,
	    .max_event_line = opts->max_event_bytes,
	};
	if (make_backend(opts, &exec_cfg, &app.backend) != 0) {
		log_error("out of memory");
		status = 1;
		store_stop_thread(app.store);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		goto early_out;
	}
	struct runner_config runner_cfg = {
	    .loop = &loop,
	    .backend = &app.backend,
	    .store = app.store,
	    .log_dir = app.log_dir,
	    .log_max_bytes = opts->log_max_bytes,
	    .max_running = opts->max_agents,
	    .default_timeout_s = opts->timeout_s,
	    .stall_s = opts->stall_s,
	    .kill_stalled_after_s = opts->kill_stalled_after_s,
	    .heartbeat_ms = opts->heartbeat_ms,
	    .kill_grace_ms = opts->kill_grace_ms,
	    .approval_timeout_s = opts->approval_timeout_s,
	    .idle = on_idle,
	    .idle_data = &app,
	    .backlog = client_backlog,
	    .backlog_data = &app,
	    .owner = app.instance,
	    .admit = opts->fleet_max_agents ? replica_admit : NULL,
	    .admit_data = &app,
	    .offer = opts->fleet_max_agents ? replica_offer : NULL,
	    .withdraw = opts->fleet_max_agents ? replica_withdraw : NULL,
	    .offer_data = &app,
	};
	app.runner = runner_new(&runner_cfg);

	app.tasks = mcp_tasks_new(&app);
	if (replica_start(&app) != 0) {
		status = 1;
		mcp_tasks_close(app.tasks);
		goto out;
	}
	struct app_client *client = NULL;
	if (opts->http.listen ? start_http(&app) != 0 : !(client = add_stdio_client(&app))) {
		if (!opts->http.listen)
			log_error("cannot use stdout");
		status = 1;
		mcp_tasks_close(app.tasks);
		goto out;
	}
	log_set_sink(log_to_clients, &app);

	uv_signal_init(&loop, &app.sigterm);
	uv_signal_init(&loop, &app.sigint);
	app.sigterm.data = app.sigint.data = &app;
	uv_signal_start(&app.sigterm, on_signal, SIGTERM);
	uv_signal_start(&app.sigint, on_signal, SIGINT);
	uv_timer_init(&loop, &app.tick);
	app.tick.data = &app;
	uv_timer_start(&app.tick, on_tick, 1000, 1000);
	uv_unref((uv_handle_t *)&app.tick);

	if (client && stdio_transport_start(client->stdio) != 0) {
		log_error("cannot read stdin");
		stop(&app, "stdin unusable", false);
		status = 1;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	log_set_sink(NULL, NULL);
	free_clients(&app);
out:
	replica_stop(&app);
	runner_free(app.runner);
	uv_run(&loop, UV_RUN_DEFAULT); /* lets the last close callbacks run */
	if (app.auth)
		app.authm->free(app.auth);
	uv_run(&loop, UV_RUN_DEFAULT); /* and a key refresh still in flight end */
	free_backend(&app);
	uv_run(&loop, UV_RUN_DEFAULT); /* an app-server child is reaped */
	store_stop_thread(app.store);
	uv_run(&loop, UV_RUN_DEFAULT);
	/* Last: a call the store answered late may have recorded its task's answer till now. */
	mcp_tasks_free(app.tasks);
	uv_loop_close(&loop);
early_out:
	free(app.log_dir);
	for (size_t i = 0; app.allow_dirs && app.allow_dirs[i]; i++)
		free(app.allow_dirs[i]);
	free(app.allow_dirs);
	tools_free();
	store_close(app.store);
	free(app.cwd);
	free(app.instance);
	redact_clear();
	return status;
}
