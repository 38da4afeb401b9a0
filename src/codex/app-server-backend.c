/*
 * The `codex app-server` backend: every turn is a turn on a thread of one
 * long-lived app-server. A turn starts a thread (or resumes a saved one), then
 * the turn itself; the app-server's notifications for that thread are its
 * events, and its approval requests are asked through the ask hook.
 *
 * A turn's end is told on the next loop turn, never inside the call or the
 * message that ended it, so the runner may start the next turn from done.
 *
 * What app-server cannot express goes to `codex exec` instead: a Codex profile
 * (app-server reads none), so that every option means what it means with exec.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codex/app-server.h"
#include "codex/backend.h"
#include "codex/fold.h"
#include "codex/launch.h"
#include "proc/procfs.h"
#include "util/log.h"

enum { MAX_PROCS = 128, MAX_LOADED = 256 };

enum turn_state {
	TURN_OPENING,  /* thread/start or thread/resume sent (a new turn's state: zero) */
	TURN_WARM,     /* its thread is loaded: turn/start goes on the next loop turn */
	TURN_STARTING, /* turn/start sent */
	TURN_RUNNING,
	TURN_ENDED, /* waiting to be told */
};

struct question {
	uint64_t id;
	json_t *rpc_id; /* the app-server's id for its request */
	struct question *next;
};

struct as_backend {
	uv_loop_t *loop;
	struct codex_launch launch;
	size_t max_line;
	struct app_server *server; /* once Codex is found */
	struct codex_backend exec; /* for the turns app-server cannot run */
	struct codex_turn *turns;  /* not yet told that they ended */
	uv_timer_t timer;          /* tells ended turns; cuts off cancels past their grace */
	bool freeing;
	void (*free_done)(void *data);
	void *free_data;
	/* Threads this app-server has open: a reply to one needs no thread/resume. */
	char loaded[MAX_LOADED][64];
	size_t n_loaded, next_loaded;
};

struct codex_turn {
	struct as_backend *b;
	struct codex_turn *next;
	struct codex_turn_hooks hooks;
	struct codex_turn *inner; /* an exec turn this one stands for */
	enum turn_state state;
	char *prompt;
	char *effort;
	char *turn_id;
	struct codex_fold fold; /* fold.thread_id routes the app-server's messages */
	int64_t pending;        /* the request in flight, while opening or starting */
	bool cancelled;
	uint64_t cancel_deadline; /* loop time; 0: none */
	char *failure;            /* why it ended, when it did not end by turn/completed */
	json_t *changes;          /* itemId -> the file changes it proposed */
	struct question *questions;
	uint64_t next_question;
	unsigned commands; /* running now */
};

static void arm(struct as_backend *b, uint64_t in_ms);
static void open_warm(struct codex_turn *t);

static int loaded_slot(const struct as_backend *b, const char *thread_id)
{
	for (size_t i = 0; i < b->n_loaded; i++)
		if (strcmp(b->loaded[i], thread_id) == 0)
			return (int)i;
	return -1;
}

static void remember_loaded(struct as_backend *b, const char *thread_id)
{
	if (strlen(thread_id) >= sizeof b->loaded[0] || loaded_slot(b, thread_id) >= 0)
		return;
	/* The oldest makes room: forgetting one costs only a thread/resume. */
	snprintf(b->loaded[b->next_loaded], sizeof b->loaded[0], "%s", thread_id);
	b->next_loaded = (b->next_loaded + 1) % MAX_LOADED;
	if (b->n_loaded < MAX_LOADED)
		b->n_loaded++;
}

static void forget_loaded(struct as_backend *b, const char *thread_id)
{
	int i = thread_id ? loaded_slot(b, thread_id) : -1;

	if (i >= 0)
		b->loaded[i][0] = '\0';
}

/* ---- ending a turn ---- */

static void decline_open_questions(struct codex_turn *t)
{
	struct question *q;

	/* Left open, they would wait in the app-server for good. */
	while ((q = t->questions)) {
		t->questions = q->next;
		if (t->b->server)
			app_server_reply(t->b->server, q->rpc_id,
			                 json_pack("{s:s}", "decision", "decline"));
		json_decref(q->rpc_id);
		free(q);
	}
}

/*
 * app-server keeps a command's process after the turn that ran it is interrupted (a
 * `sleep` outlives turn/interrupt and thread/unsubscribe). Codex marks what a thread's
 * commands run with CODEX_THREAD_ID: those end with the turn, as an exec run's do.
 */
static void end_processes(struct codex_turn *t)
{
	struct proc_id under[MAX_PROCS];
	char mark[160];
	size_t n;

	/* A cancelled turn is searched even with no command heard of: app-server may have
	 * started one whose item/started is still on its way. */
	if ((!t->commands && !t->cancelled) || !t->fold.thread_id || !t->b->server)
		return;
	snprintf(mark, sizeof mark, "CODEX_THREAD_ID=%s", t->fold.thread_id);
	pid_t keeper = app_server_pid(t->b->server); /* the app-server's own group */
	n = proc_program_descendants(keeper, under, MAX_PROCS);
	for (size_t i = 0; i < n; i++)
		if (proc_env_has(under[i].pid, mark) && proc_id_alive(&under[i])) {
			pid_t group = getpgid(under[i].pid);
			log_debug("app-server: ending process %d of thread %s", (int)under[i].pid,
			          t->fold.thread_id);
			/* Its group too: the sandbox wrapper around a command need not carry the
			 * mark. */
			if (group > 0 && group != keeper)
				kill(-group, SIGKILL);
			kill(under[i].pid, SIGKILL);
		}
	t->commands = 0;
}

static void end_turn(struct codex_turn *t, const char *failure)
{
	if (t->state == TURN_ENDED)
		return;
	end_processes(t);
	if ((t->state == TURN_OPENING || t->state == TURN_STARTING) && t->b->server)
		app_server_forget(t->b->server, t->pending);
	t->state = TURN_ENDED;
	if (failure && !t->failure)
		t->failure = strdup(failure);
	decline_open_questions(t);
	arm(t->b, 0);
}

static void free_turn(struct codex_turn *t)
{
	codex_fold_clear(&t->fold);
	json_decref(t->changes);
	free(t->prompt);
	free(t->effort);
	free(t->turn_id);
	free(t->failure);
	free(t);
}

static void tell_ended(struct codex_turn *t)
{
	struct codex_outcome out;

	codex_fold_outcome(&t->fold, t->cancelled, t->failure, &out);
	if (!t->cancelled && t->failure && !t->fold.completed)
		out.error = t->failure; /* the app-server's own failure says most */
	t->hooks.done(t->hooks.data, &out);
	free_turn(t);
}

static void maybe_freed(struct as_backend *b);

static void on_timer(uv_timer_t *h)
{
	struct as_backend *b = h->data;
	uint64_t now = uv_now(b->loop), next = 0;
	struct codex_turn **p = &b->turns, *ended = NULL;

	while (*p) {
		struct codex_turn *t = *p;
		if (t->state != TURN_ENDED && t->cancel_deadline && now >= t->cancel_deadline) {
			log_warn("codex app-server did not stop a cancelled turn in time; it is "
			         "given up");
			forget_loaded(b, t->fold.thread_id); /* its thread's state is unknown */
			end_turn(t, NULL);
		}
		if (t->state == TURN_WARM)
			open_warm(t);
		if (t->state == TURN_ENDED) {
			*p = t->next;
			t->next = ended;
			ended = t;
			continue;
		}
		if (t->cancel_deadline && (!next || t->cancel_deadline - now < next))
			next = t->cancel_deadline - now;
		p = &t->next;
	}
	if (next)
		arm(b, next);
	/* Unlinked first: done may start other turns. */
	while (ended) {
		struct codex_turn *t = ended;
		ended = t->next;
		tell_ended(t);
	}
	maybe_freed(b);
}

static void arm(struct as_backend *b, uint64_t in_ms)
{
	uint64_t due = uv_now(b->loop) + in_ms;

	if (uv_is_active((uv_handle_t *)&b->timer) &&
	    uv_now(b->loop) + uv_timer_get_due_in(&b->timer) <= due)
		return;
	uv_timer_start(&b->timer, on_timer, in_ms, 0);
}

/* ---- the app-server's messages ---- */

static struct codex_turn *turn_of(struct as_backend *b, const json_t *params)
{
	const char *thread = json_string_value(json_object_get(params, "threadId"));
	const char *turn = json_string_value(json_object_get(params, "turnId"));

	if (!turn)
		turn = json_string_value(json_object_get(json_object_get(params, "turn"), "id"));
	if (!thread)
		return NULL;
	for (struct codex_turn *t = b->turns; t; t = t->next) {
		if (t->state == TURN_ENDED || t->state == TURN_OPENING || t->state == TURN_WARM ||
		    !t->fold.thread_id || strcmp(t->fold.thread_id, thread) != 0)
			continue;
		/* A turn given up on may still speak: it is not the thread's next turn. */
		if (turn && t->turn_id && strcmp(turn, t->turn_id) != 0)
			return NULL;
		return t;
	}
	return NULL;
}

/* Told with the JSON exec would have printed; what params said stays readable meanwhile. */
static void tell_event(struct codex_turn *t, struct codex_event *ev)
{
	const struct codex_usage *u = &t->fold.usage;
	int64_t usage[4] = {u->input_tokens, u->cached_input_tokens, u->output_tokens,
	                    u->reasoning_output_tokens};
	json_t *params = ev->json;

	if (!t->hooks.event)
		return;
	ev->json = codex_event_exec_json(ev, usage);
	t->hooks.event(t->hooks.data, ev);
	json_decref(ev->json);
	ev->json = params;
}

static void deliver(struct codex_turn *t, const char *method, json_t *params)
{
	struct codex_event ev;

	codex_event_from_app_server(method, params, &ev);
	if (ev.item_type == CODEX_ITEM_COMMAND && ev.type == CODEX_EVENT_ITEM_STARTED)
		t->commands++;
	else if (ev.item_type == CODEX_ITEM_COMMAND && ev.type == CODEX_EVENT_ITEM_COMPLETED &&
	         t->commands) {
		t->commands--;
	}
	if (ev.type == CODEX_EVENT_ITEM_STARTED && ev.item_type == CODEX_ITEM_FILE_CHANGE &&
	    ev.changes) {
		/* An approval names the item only: what it would change comes from here. */
		const char *item =
		    json_string_value(json_object_get(json_object_get(params, "item"), "id"));
		if (item && (t->changes || (t->changes = json_object())))
			json_object_set(t->changes, item, ev.changes);
	}
	if (codex_fold_event(&t->fold, &ev) != 0)
		log_warn("out of memory: an event of codex was not kept");
	tell_event(t, &ev);
	if (ev.type == CODEX_EVENT_TURN_COMPLETED || ev.type == CODEX_EVENT_TURN_FAILED)
		end_turn(t, NULL);
	codex_event_clear(&ev);
}

static void on_notification(void *data, const char *method, json_t *params)
{
	struct as_backend *b = data;
	struct codex_turn *t;

	/* A thread's start is told from the answer that names it, once, for either way in. */
	if (strcmp(method, "thread/started") == 0 || !(t = turn_of(b, params)))
		return;
	if (t->state == TURN_STARTING && !t->turn_id && strcmp(method, "turn/started") == 0) {
		const char *id =
		    json_string_value(json_object_get(json_object_get(params, "turn"), "id"));
		t->turn_id = id ? strdup(id) : NULL;
	}
	deliver(t, method, params);
}

static int ask(struct codex_turn *t, json_t *id, const char *method, json_t *params)
{
	struct codex_question q = {.id = ++t->next_question,
	                           .cwd = json_string_value(json_object_get(params, "cwd")),
	                           .reason = json_string_value(json_object_get(params, "reason"))};
	struct question *held;
	const json_t *offered = json_object_get(params, "availableDecisions");

	if (strcmp(method, "item/commandExecution/requestApproval") == 0) {
		q.kind = CODEX_ASK_COMMAND;
		q.command = json_string_value(json_object_get(params, "command"));
		q.session_wide = !offered;
		for (size_t i = 0; i < json_array_size(offered); i++)
			if (json_is_string(json_array_get(offered, i)) &&
			    strcmp(json_string_value(json_array_get(offered, i)),
			           "acceptForSession") == 0)
				q.session_wide = true;
	} else if (strcmp(method, "item/fileChange/requestApproval") == 0) {
		q.kind = CODEX_ASK_FILE_CHANGE;
		const char *item = json_string_value(json_object_get(params, "itemId"));
		q.changes = item ? json_object_get(t->changes, item) : NULL;
		q.grant_root = json_string_value(json_object_get(params, "grantRoot"));
		q.session_wide = true;
	} else {
		return -ENOTSUP;
	}
	if (!t->hooks.ask)
		return -ENOTSUP;
	if (!(held = calloc(1, sizeof *held)))
		return -ENOMEM;
	held->id = q.id;
	held->rpc_id = json_incref(id);
	held->next = t->questions;
	t->questions = held;
	t->hooks.ask(t->hooks.data, &q);
	return 0;
}

static void on_request(void *data, json_t *id, const char *method, json_t *params)
{
	struct as_backend *b = data;
	struct codex_turn *t = turn_of(b, params);
	int rc = t ? ask(t, id, method, params) : -ENOENT;

	if (rc == 0)
		return;
	if (strstr(method, "requestApproval")) {
		/* Nobody can be asked: the step is skipped, and the turn goes on. */
		log_info("codex asked %s with nobody to answer; declined", method);
		app_server_reply(b->server, id, json_pack("{s:s}", "decision", "decline"));
	} else if (strcmp(method, "mcpServer/elicitation/request") == 0) {
		app_server_reply(b->server, id, json_pack("{s:s}", "action", "decline"));
	} else {
		app_server_reply_error(b->server, id, -32601, "codex-mcp does not answer this");
	}
}

static void on_exited(void *data, const char *why)
{
	struct as_backend *b = data;
	char failure[700];

	snprintf(failure, sizeof failure, "%s; the thread can be continued", why);
	b->n_loaded = b->next_loaded = 0; /* a new app-server has none open */
	for (struct codex_turn *t = b->turns; t; t = t->next)
		end_turn(t, failure);
}

/* ---- starting a turn ---- */

static const char *answer_error(json_t *error, char *buf, size_t size)
{
	const char *message = json_string_value(json_object_get(error, "message"));

	snprintf(buf, size, "codex app-server: %s", message ? message : "an error with no message");
	return buf;
}

static void on_turn_started(void *data, json_t *result, json_t *error)
{
	struct codex_turn *t = data;
	const char *id = json_string_value(json_object_get(json_object_get(result, "turn"), "id"));
	char buf[600];

	if (error || !id) {
		end_turn(t, error ? answer_error(error, buf, sizeof buf)
		                  : "codex app-server started no turn");
		return;
	}
	if (!t->turn_id)
		t->turn_id = strdup(id);
	t->state = TURN_RUNNING;
	if (t->cancelled)
		app_server_request(
		    t->b->server, "turn/interrupt",
		    json_pack("{s:s, s:s}", "threadId", t->fold.thread_id, "turnId", id), NULL,
		    NULL, NULL, buf, sizeof buf);
}

/* The thread is open: its start is told, and the turn starts. */
static void thread_opened(struct codex_turn *t, json_t *result, const char *id)
{
	char buf[600];
	struct codex_event ev;
	json_t *params;

	/* Told as exec tells it, for a new thread and a resumed one alike. */
	codex_event_from_app_server("thread/started", result, &ev);
	codex_fold_event(&t->fold, &ev);
	tell_event(t, &ev);
	codex_event_clear(&ev);
	if (t->state == TURN_ENDED)
		return;
	params = json_pack("{s:s, s:[{s:s, s:s}], s:s?}", "threadId", id, "input", "type", "text",
	                   "text", t->prompt, "effort", t->effort);
	free(t->prompt);
	t->prompt = NULL;
	t->state = TURN_STARTING;
	if (app_server_request(t->b->server, "turn/start", params, on_turn_started, t, &t->pending,
	                       buf, sizeof buf) != 0)
		end_turn(t, buf);
}

static void on_thread_open(void *data, json_t *result, json_t *error)
{
	struct codex_turn *t = data;
	const char *id =
	    json_string_value(json_object_get(json_object_get(result, "thread"), "id"));
	char buf[600];

	if (error || !id) {
		end_turn(t, error ? answer_error(error, buf, sizeof buf)
		                  : "codex app-server opened no thread");
		return;
	}
	remember_loaded(t->b, id);
	thread_opened(t, result, id);
}

static void open_warm(struct codex_turn *t)
{
	json_t *result = json_pack("{s:{s:s}}", "thread", "id", t->fold.thread_id);

	t->state = TURN_OPENING;
	/* The result's copy: telling the start replaces the fold's. */
	thread_opened(t, result,
	              json_string_value(json_object_get(json_object_get(result, "thread"), "id")));
	json_decref(result);
}

/*
 * app-server no longer takes "on-failure" (exec does): asking first is the nearest it has.
 * No policy is "never", as it is for exec: a turn asks only when the client said it may.
 */
static const char *app_policy(const char *policy)
{
	if (!policy)
		return "never";
	return strcmp(policy, "on-failure") == 0 ? "on-request" : policy;
}

/* The config overrides, with the options that have no parameter of their own. */
static json_t *config_of(const struct codex_options *o)
{
	json_t *config = o->config ? json_deep_copy(o->config) : json_object();

	if (o->profile)
		json_object_set_new(config, "profile", json_string(o->profile));
	if (o->compact_prompt)
		json_object_set_new(config, "compact_prompt", json_string(o->compact_prompt));
	const char *policy = json_string_value(json_object_get(config, "approval_policy"));
	if (policy && strcmp(policy, app_policy(policy)) != 0)
		json_object_set_new(config, "approval_policy", json_string(app_policy(policy)));
	if (json_object_size(config) == 0) {
		json_decref(config);
		return NULL;
	}
	return config;
}

static json_t *open_params(const struct codex_turn_request *req)
{
	const struct codex_options *o = req->options;
	json_t *p = json_pack("{s:s?, s:s?, s:s?, s:s?, s:o?}", "cwd", o->cwd, "sandbox",
	                      o->sandbox, "approvalPolicy", app_policy(o->approval_policy), "model",
	                      o->model, "config", config_of(o));

	if (!p)
		return NULL;
	if (req->thread_id) {
		/* The saved thread keeps its instructions; sending them again would repeat them. */
		json_object_set_new(p, "threadId", json_string(req->thread_id));
	} else {
		if (o->base_instructions)
			json_object_set_new(p, "baseInstructions",
			                    json_string(o->base_instructions));
		if (o->developer_instructions)
			json_object_set_new(p, "developerInstructions",
			                    json_string(o->developer_instructions));
	}
	return p;
}

static int make_server(struct as_backend *b, char *err, size_t err_size)
{
	struct app_server_config cfg = {
	    .loop = b->loop,
	    .client_version = CODEX_MCP_VERSION,
	    .max_line = b->max_line,
	    .notification = on_notification,
	    .request = on_request,
	    .exited = on_exited,
	    .data = b,
	};

	if (b->server)
		return 0;
	if (codex_launch_resolve(&b->launch, err, err_size) != 0)
		return -ENOENT;
	cfg.codex_path = b->launch.path;
	cfg.env = b->launch.env;
	if (access(b->launch.path, X_OK) != 0) {
		snprintf(err, err_size, "cannot run Codex at %s: %s", b->launch.path,
		         strerror(errno));
		return -errno;
	}
	if (app_server_new(&cfg, &b->server) != 0) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- turns run by exec ---- */

static void inner_event(void *data, const struct codex_event *ev)
{
	struct codex_turn *t = data;

	if (t->hooks.event)
		t->hooks.event(t->hooks.data, ev);
}

static void inner_stderr(void *data, const char *line, size_t len)
{
	struct codex_turn *t = data;

	if (t->hooks.stderr_line)
		t->hooks.stderr_line(t->hooks.data, line, len);
}

static void inner_done(void *data, const struct codex_outcome *out)
{
	struct codex_turn *t = data;

	t->hooks.done(t->hooks.data, out);
	free_turn(t);
}

static int start_by_exec(struct as_backend *b, const struct codex_turn_request *req,
                         const struct codex_turn_hooks *hooks, struct codex_turn **out,
                         char **error)
{
	struct codex_turn *t = calloc(1, sizeof *t);
	struct codex_turn_hooks inner = {
	    .event = inner_event, .stderr_line = inner_stderr, .done = inner_done, .data = t};

	if (!t) {
		*error = strdup("out of memory");
		return -1;
	}
	t->b = b;
	t->hooks = *hooks;
	log_debug("a turn with a Codex profile runs in codex exec: app-server reads no profile");
	if (codex_turn_start(&b->exec, req, &inner, &t->inner, error) != 0) {
		free(t);
		return -1;
	}
	*out = t;
	return 0;
}

static int as_start(void *impl, const struct codex_turn_request *req,
                    const struct codex_turn_hooks *hooks, struct codex_turn **out, char **error)
{
	struct as_backend *b = impl;
	char message[1024];
	struct codex_turn *t;
	json_t *params;

	*error = NULL;
	if (b->freeing) {
		*error = strdup("the server is stopping");
		return -1;
	}
	if (req->options->profile)
		return start_by_exec(b, req, hooks, out, error);
	if (make_server(b, message, sizeof message) != 0) {
		*error = strdup(message);
		return -1;
	}
	if (!(t = calloc(1, sizeof *t)) || codex_fold_init(&t->fold, req->thread_id) != 0 ||
	    !(t->prompt = strndup(req->prompt, req->prompt_len)) || !(params = open_params(req)) ||
	    (req->options->reasoning_effort &&
	     !(t->effort = strdup(req->options->reasoning_effort)))) {
		if (t)
			free_turn(t);
		*error = strdup("out of memory");
		return -1;
	}
	t->b = b;
	t->hooks = *hooks;
	if (req->thread_id && app_server_pid(b->server) && loaded_slot(b, req->thread_id) >= 0) {
		/* Open already, with the options it was opened with, which a reply keeps. */
		json_decref(params);
		t->state = TURN_WARM;
		t->next = b->turns;
		b->turns = t;
		arm(b, 0);
		*out = t;
		return 0;
	}
	if (app_server_request(b->server, req->thread_id ? "thread/resume" : "thread/start", params,
	                       on_thread_open, t, &t->pending, message, sizeof message) != 0) {
		free_turn(t);
		*error = strdup(message);
		return -1;
	}
	t->next = b->turns;
	b->turns = t;
	*out = t;
	return 0;
}

/* ---- what the runner does to a turn ---- */

static void as_cancel(struct codex_turn *t, unsigned grace_ms)
{
	char err[256];

	if (t->inner) {
		codex_turn_cancel(&t->b->exec, t->inner, grace_ms);
		return;
	}
	if (t->state == TURN_ENDED)
		return;
	t->cancelled = true;
	if (!t->cancel_deadline) {
		t->cancel_deadline = uv_now(t->b->loop) + (grace_ms ? grace_ms : 1);
		arm(t->b, grace_ms);
	}
	/* Interrupted even when not waited for: app-server then stops what the turn runs. */
	if (t->state == TURN_RUNNING &&
	    app_server_request(
	        t->b->server, "turn/interrupt",
	        json_pack("{s:s, s:s}", "threadId", t->fold.thread_id, "turnId", t->turn_id), NULL,
	        NULL, NULL, err, sizeof err) != 0)
		end_turn(t, NULL);
	if (t->state == TURN_OPENING || t->state == TURN_WARM || grace_ms == 0)
		end_turn(t, NULL);
	/* A turn still starting is interrupted once it has an id (on_turn_started). */
}

/* A turn on app-server has no process of its own: the app-server is every turn's. */
static pid_t as_pid(const struct codex_turn *t)
{
	return t->inner ? codex_turn_pid(&t->b->exec, t->inner) : 0;
}

static pid_t as_host(const struct codex_turn *t)
{
	return t->inner       ? codex_turn_pid(&t->b->exec, t->inner)
	       : t->b->server ? app_server_pid(t->b->server)
	                      : 0;
}

static void as_pause(struct codex_turn *t)
{
	if (t->inner)
		codex_turn_pause(&t->b->exec, t->inner);
}

static void as_resume(struct codex_turn *t)
{
	if (t->inner)
		codex_turn_resume(&t->b->exec, t->inner);
}

static int as_answer(struct codex_turn *t, uint64_t id, enum codex_decision d)
{
	static const char *const names[] = {
	    [CODEX_ACCEPT] = "accept",
	    [CODEX_ACCEPT_FOR_SESSION] = "acceptForSession",
	    [CODEX_DECLINE] = "decline",
	    [CODEX_CANCEL] = "cancel",
	};
	struct question **p = &t->questions, *q;
	int rc;

	if (t->inner)
		return -ENOENT;
	while (*p && (*p)->id != id)
		p = &(*p)->next;
	if (!(q = *p))
		return -ENOENT;
	*p = q->next;
	rc = app_server_reply(t->b->server, q->rpc_id, json_pack("{s:s}", "decision", names[d]));
	json_decref(q->rpc_id);
	free(q);
	return rc;
}

struct steering {
	void (*done)(void *data, const char *error);
	void *data;
};

static void on_steered(void *data, json_t *result, json_t *error)
{
	struct steering *st = data;
	const char *why = json_string_value(json_object_get(error, "message"));

	(void)result;
	st->done(st->data, error ? (why ? why : "codex app-server refused it") : NULL);
	free(st);
}

static int as_steer(struct codex_turn *t, const char *text,
                    void (*done)(void *data, const char *error), void *data)
{
	struct steering *st;
	char err[256];

	if (t->inner)
		return -ENOTSUP;
	/* Only a turn app-server has started can take more input. */
	if (t->state != TURN_RUNNING || t->cancelled || !t->turn_id)
		return -EAGAIN;
	if (!(st = malloc(sizeof *st)))
		return -ENOMEM;
	*st = (struct steering){done, data};
	json_t *params =
	    json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "threadId", t->fold.thread_id, "expectedTurnId",
	              t->turn_id, "input", "type", "text", "text", text);
	int rc = app_server_request(t->b->server, "turn/steer", params, on_steered, st, NULL, err,
	                            sizeof err);
	if (rc != 0)
		free(st);
	return rc;
}

/* ---- the backend ---- */

static void on_server_freed(void *data)
{
	struct as_backend *b = data;

	b->server = NULL;
	maybe_freed(b);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct as_backend *b = h->data;
	void (*done)(void *) = b->free_done;
	void *done_data = b->free_data;

	b->exec.ops->free(b->exec.impl, NULL, NULL);
	codex_launch_clear(&b->launch);
	free(b);
	if (done)
		done(done_data);
}

/* Freed once its server is gone and every turn was told. */
static void maybe_freed(struct as_backend *b)
{
	if (!b->freeing || b->server || b->turns || uv_is_closing((uv_handle_t *)&b->timer))
		return;
	uv_close((uv_handle_t *)&b->timer, on_timer_closed);
}

static void as_free(void *impl, void (*done)(void *data), void *data)
{
	struct as_backend *b = impl;

	b->freeing = true;
	b->free_done = done;
	b->free_data = data;
	if (b->server)
		app_server_free(b->server, 2000, on_server_freed, b);
	else
		maybe_freed(b);
}

static const struct codex_backend_ops as_ops = {
    .start = as_start,
    .cancel = as_cancel,
    .pid = as_pid,
    .host = as_host,
    .pause = as_pause,
    .resume = as_resume,
    .answer = as_answer,
    .steer = as_steer,
    .free = as_free,
};

int codex_app_server_backend_new(const struct codex_exec_config *cfg, struct codex_backend *out)
{
	struct as_backend *b = calloc(1, sizeof *b);

	if (!b)
		return -ENOMEM;
	b->loop = cfg->loop;
	b->max_line = cfg->max_event_line;
	if (codex_launch_init(&b->launch, cfg->codex_path, cfg->extra_env) != 0 ||
	    codex_exec_backend_new(cfg, &b->exec) != 0) {
		codex_launch_clear(&b->launch);
		free(b);
		return -ENOMEM;
	}
	uv_timer_init(b->loop, &b->timer);
	b->timer.data = b;
	out->ops = &as_ops;
	out->impl = b;
	return 0;
}
