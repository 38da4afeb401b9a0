#include "app/remote.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/blocking.h"
#include "app/confine.h"
#include "app/fleet.h"
#include "app/tasks.h"
#include "app/visible.h"
#include "tools/tool.h"
#include "util/log.h"

/* How often a run elsewhere is looked at: its record is all there is to see of it here. */
enum { POLL_MS = 200 };

struct waiting {
	struct app *app;
	struct mcp_request *req;
	uv_timer_t poll;
	char id[33];
	char *subject, *owner, *cancel_how;
	remote_answer_fn answer;
	int64_t seen_activity;
	bool reading;         /* a read of the record is on the store's thread */
	bool over;            /* answered: a read that comes back does nothing more */
	bool closed;          /* its handle is closed: the last of it to end frees it */
	struct waiting *next; /* in the list of waits, for a server that stops */
};

/* Every wait, so a stopping server answers them (one app per process). */
static struct waiting *waits;

static void unlink_wait(struct waiting *w)
{
	for (struct waiting **p = &waits; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			return;
		}
}

static void waiting_free(struct waiting *w)
{
	free(w->subject);
	free(w->owner);
	free(w->cancel_how);
	free(w);
}

static void waiting_closed(uv_handle_t *h)
{
	struct waiting *w = h->data;

	w->closed = true;
	if (!w->reading)
		waiting_free(w);
}

/* The wait ends, and its call is answered (result NULL: the call was cancelled). */
static void done(struct waiting *w, json_t *result)
{
	w->over = true;
	unlink_wait(w);
	uv_timer_stop(&w->poll);
	mcp_request_on_cancel(w->req, NULL, NULL);
	mcp_request_reply(w->req, result ? result : json_object());
	uv_close((uv_handle_t *)&w->poll, waiting_closed);
}

static void looked(void *data, int found, const struct task_record *rec, struct task *live,
                   const char *error)
{
	struct waiting *w = data;
	char message[300];

	(void)live;
	w->reading = false;
	if (w->over) {
		if (w->closed)
			waiting_free(w);
		return;
	}
	/* The records cannot be read for now: the wait goes on, and looks again. */
	if (found < 0) {
		log_debug("task %s: cannot read its record for now: %s", w->id,
		          error ? error : "?");
		return;
	}
	if (found == 0) {
		snprintf(message, sizeof message, "task %s: its record is gone", w->id);
		done(w, tool_error_result(message));
	} else if (agent_status_terminal(rec->status)) {
		done(w, w->answer(rec));
	} else if (rec->last_activity != w->seen_activity) {
		/* Its replica records activity every second: that is progress here. */
		w->seen_activity = rec->last_activity;
		snprintf(message, sizeof message, "%s on replica %s", rec->status, w->owner);
		mcp_request_progress(w->req, message);
	}
}

static void look(uv_timer_t *h)
{
	struct waiting *w = h->data;

	/* One read at a time: a slow database slows the looking, no more. */
	if (w->reading)
		return;
	w->reading = true;
	visible_task_async(w->app, w->subject, w->id, looked, w);
}

static void cancelled(void *data)
{
	struct waiting *w = data;

	/* The wait has ended: the owner stops the run, and its record tells the rest. */
	if (w->cancel_how)
		store_ask_cancel_later(w->app->store, w->owner, w->id, w->cancel_how);
	done(w, NULL);
}

void remote_stop(struct app *app)
{
	char message[400];

	(void)app;
	/* The runs go on where they are: only the waits here end, and no cancel is asked. */
	while (waits) {
		struct waiting *w = waits;
		snprintf(
		    message, sizeof message,
		    "server is stopping; task %s goes on on replica %s, where any replica reads it",
		    w->id, w->owner);
		done(w, tool_error_result(message));
	}
}

void remote_wait(const struct tool_call *call, const char *id, const char *owner,
                 const char *cancel_how, remote_answer_fn answer)
{
	struct waiting *w;
	const char *subject = call_subject(call);
	char message[400];

	/* remote_stop() has answered the waits: one starting now is answered the same. */
	if (call->app->stopping) {
		snprintf(
		    message, sizeof message,
		    "server is stopping; task %s goes on on replica %s, where any replica reads "
		    "it",
		    id, owner);
		mcp_request_reply(call->req, tool_error_result(message));
		return;
	}
	w = calloc(1, sizeof *w);
	if (!w || !(w->owner = strdup(owner)) || (subject && !(w->subject = strdup(subject))) ||
	    (cancel_how && !(w->cancel_how = strdup(cancel_how)))) {
		if (w) {
			free(w->owner);
			free(w->subject);
		}
		free(w);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	w->app = call->app;
	w->req = call->req;
	w->answer = answer;
	w->next = waits;
	waits = w;
	snprintf(w->id, sizeof w->id, "%s", id);
	uv_timer_init(call->app->loop, &w->poll);
	w->poll.data = w;
	uv_timer_start(&w->poll, look, POLL_MS, POLL_MS);
	mcp_request_on_cancel(call->req, cancelled, w);
}

/* The answer the owner recorded; an error when it recorded none. */
static json_t *recorded_result(const struct task_record *rec)
{
	if (rec->result)
		return json_incref(rec->result);
	return tool_error_result(rec->error ? rec->error : rec->status);
}

/* A reply handed to the replica that holds its thread: recorded, then asked, off the loop. */
struct handing {
	struct tool_call call;
	struct task_record rec;
	char *request;
	bool recorded;
};

static int hand_work(struct store *s, void *data)
{
	struct handing *h = data;
	int rc = store_put_task(s, &h->rec);

	h->recorded = rc == 0;
	return rc == 0 ? store_hand_over(s, h->rec.owner, h->rec.id, h->request) : rc;
}

static void handed(void *data, int rc, const char *error)
{
	struct handing *h = data;
	const struct tool_call *call = &h->call;
	char message[512];

	if (rc == 0) {
		log_info("task %s: thread %s is open on replica %s; handed to it", h->rec.id,
		         h->rec.thread_id, h->rec.owner);
		remote_wait(call, h->rec.id, h->rec.owner, "cancelled", recorded_result);
	} else {
		snprintf(message, sizeof message,
		         "cannot hand thread %s to replica %s, which holds it: %s",
		         h->rec.thread_id, h->rec.owner, error ? error : "?");
		/* Recorded as the owner's, it must not read queued for ever. */
		if (h->recorded) {
			free(h->rec.status);
			free(h->rec.error);
			free(h->rec.owner);
			h->rec.status = strdup("failed");
			h->rec.error = strdup(message);
			h->rec.owner = call->app->instance ? strdup(call->app->instance) : NULL;
			h->rec.completed_at = store_now_ms();
			runner_save(call->app->runner, &h->rec);
		}
		mcp_request_reply(call->req, tool_error_result(message));
	}
	task_record_clear(&h->rec);
	free(h->request);
	free(h);
}

void tool_run_elsewhere(const struct tool_call *call, const char *owner,
                        const struct task_spec *spec)
{
	const char *task = mcp_request_task_id(call->req);
	struct task_record rec = {0};
	struct handing *h = calloc(1, sizeof *h);

	if (!h) {
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	if (task)
		snprintf(rec.id, sizeof rec.id, "%s", task);
	else if (task_new_id(rec.id) != 0) {
		free(h);
		mcp_request_reply(call->req, tool_error_result("no randomness for a task id"));
		return;
	}
	/* Recorded first, as its owner's: any replica reads it from the moment it is asked. */
	rec.tool = (char *)spec->tool;
	rec.status = "queued";
	rec.thread_id = (char *)spec->resume_thread;
	rec.owner = (char *)owner;
	rec.subject = (char *)call_subject(call);
	rec.ttl_ms = mcp_request_task_ttl(call->req);
	rec.created_at = rec.last_activity =
	    task ? mcp_tasks_created_at(call->app->tasks, task) : store_now_ms();
	if (!rec.created_at)
		rec.created_at = rec.last_activity = store_now_ms();
	json_t *what = json_pack("{s:s, s:s, s:s%, s:s?, s:I, s:I}", "tool", spec->tool, "thread",
	                         spec->resume_thread, "prompt", spec->prompt, spec->prompt_len,
	                         "subject", rec.subject, "ttl_ms", (json_int_t)rec.ttl_ms,
	                         "created_at", (json_int_t)rec.created_at);
	h->call = *call;
	h->request = what ? json_dumps(what, JSON_COMPACT) : NULL;
	json_decref(what);
	if (!h->request || task_record_copy(&h->rec, &rec) != 0 ||
	    store_submit(call->app->store, hand_work, handed, h) != 0) {
		task_record_clear(&h->rec);
		free(h->request);
		free(h);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
	}
}

/* The CODEX_HOME runs get: --env's, the server's own, else ~/.codex. */
static void codex_home(const struct app *app, char *out, size_t size)
{
	const char *home = getenv("CODEX_HOME");

	for (size_t i = 0; i < app->opts->n_env; i++)
		if (strncmp(app->opts->env[i], "CODEX_HOME=", 11) == 0)
			home = app->opts->env[i] + 11;
	if (home && *home)
		snprintf(out, size, "%s", home);
	else
		snprintf(out, size, "%s/.codex", getenv("HOME") ? getenv("HOME") : "");
}

bool remote_session_here(const struct app *app, const char *thread_id)
{
	char home[2048], pattern[4096];
	glob_t g;
	bool found;

	/* Thread ids are UUIDs: nothing in one is a glob's. */
	if (strspn(thread_id, "0123456789abcdefABCDEF-") != strlen(thread_id))
		return false;
	codex_home(app, home, sizeof home);
	snprintf(pattern, sizeof pattern, "%s/sessions/*/*/*/rollout-*-%s.jsonl", home, thread_id);
	found = glob(pattern, GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	return found;
}

/* A handed run that cannot run here ends failed, with why, for the replica waiting on it. */
struct refusal {
	struct app *app;
	char id[33];
	const char *status; /* "failed", or how a stop asked meanwhile ended it */
	char *why;
	int found;
	struct task_record rec;
};

static int refusal_read(struct store *s, void *data)
{
	struct refusal *f = data;

	f->found = store_get_task(s, f->id, &f->rec);
	return f->found < 0 ? -1 : 0;
}

static void refusal_write(void *data, int rc, const char *error)
{
	struct refusal *f = data;

	if (rc != 0 || f->found != 1) {
		log_warn("task %s: cannot record that it was refused: %s", f->id,
		         rc ? (error ? error : "?") : "no record");
	} else {
		free(f->rec.status);
		free(f->rec.error);
		json_decref(f->rec.result);
		f->rec.status = strdup(f->status);
		f->rec.error = strdup(f->why);
		f->rec.result = tool_error_result(f->why);
		f->rec.completed_at = store_now_ms();
		runner_save(f->app->runner, &f->rec); /* kept and tried again, as every write */
	}
	if (f->found == 1)
		task_record_clear(&f->rec);
	free(f->why);
	free(f);
}

static void refuse_as(struct app *app, const char *id, const char *status, const char *why)
{
	struct refusal *f = calloc(1, sizeof *f);

	log_warn("task %s: handed over, but %s", id, why);
	if (!f || !(f->why = strdup(why))) {
		free(f);
		log_error("task %s: cannot record that it was refused: out of memory", id);
		return;
	}
	f->app = app;
	f->status = status;
	snprintf(f->id, sizeof f->id, "%s", id);
	/* Read, then written through the runner's writes, on the store's thread. */
	if (store_submit_read(app->store, refusal_read, refusal_write, f) != 0)
		refusal_write(f, -ENOMEM, "out of memory");
}

static void refuse(struct app *app, const char *id, const char *why)
{
	refuse_as(app, id, "failed", why);
}

/*
 * A handed-over reply, while its thread is looked up off the loop: not in the
 * runner yet, so a stop asked meanwhile is kept here (remote_stop_taking()).
 */
struct taking {
	struct app *app;
	char id[33];
	json_t *req;
	const char *stopped; /* "cancelled" or "killed" once asked to stop */
	struct taking *next;
};

/* Every reply being taken (one app per process). */
static struct taking *takings;

bool remote_stop_taking(const char *id, const char *how)
{
	for (struct taking *k = takings; k; k = k->next)
		if (strcmp(k->id, id) == 0) {
			k->stopped = strcmp(how, "killed") == 0 ? "killed" : "cancelled";
			return true;
		}
	return false;
}

static void thread_found(void *data, int found, const struct thread_record *rec, int owner_alive,
                         const char *error)
{
	struct taking *k = data;
	struct app *app = k->app;
	json_t *req = k->req;
	const char *tool = json_string_value(json_object_get(req, "tool"));
	const char *thread = json_string_value(json_object_get(req, "thread"));
	const char *prompt = json_string_value(json_object_get(req, "prompt"));
	const char *subject = json_string_value(json_object_get(req, "subject"));
	struct codex_options opts;
	char err[400];

	(void)owner_alive;
	for (struct taking **p = &takings; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	if (k->stopped) {
		/* Stopped before it could start: it ends so, and never runs. */
		refuse_as(app, k->id, k->stopped, "stopped before it started, as its caller asked");
	} else if (found != 1) {
		if (found < 0)
			snprintf(err, sizeof err, "its thread %.200s cannot be read: %.80s", thread,
			         error ? error : "?");
		else
			snprintf(err, sizeof err, "no thread %.200s", thread);
		refuse(app, k->id, err);
	} else if (runner_thread_busy(app->runner, thread)) {
		snprintf(err, sizeof err, "thread %.200s is busy", thread);
		refuse(app, k->id, err);
	} else {
		/* The replica that took the call checked the options against its rules, as ours. */
		codex_options_from_json(rec->options, &opts);
		struct task_spec spec = {
		    .id = k->id,
		    .tool = tool,
		    .result = codex_task_result,
		    .ttl_ms = json_integer_value(json_object_get(req, "ttl_ms")),
		    .options = &opts,
		    .prompt = prompt,
		    .prompt_len = json_string_length(json_object_get(req, "prompt")),
		    .resume_thread = thread,
		    .subject = subject,
		    .created_at = json_integer_value(json_object_get(req, "created_at"))};
		if (!runner_submit(app->runner, &spec, NULL, err, sizeof err)) {
			codex_options_clear(&opts);
			refuse(app, k->id, err);
		}
	}
	json_decref(req);
	free(k);
}

void remote_run_taken(struct app *app, const char *id, const char *request)
{
	json_t *req = json_loads(request, 0, NULL);
	const char *tool = NULL, *thread = NULL, *prompt = NULL;
	struct taking *k;

	if (!req ||
	    json_unpack(req, "{s:s, s:s, s:s}", "tool", &tool, "thread", &thread, "prompt",
	                &prompt) != 0 ||
	    strcmp(tool, "codex-reply") != 0) {
		refuse(app, id, "the handed-over request is not one this server knows");
		json_decref(req);
		return;
	}
	if (!(k = calloc(1, sizeof *k))) {
		refuse(app, id, "out of memory");
		json_decref(req);
		return;
	}
	k->app = app;
	k->req = req;
	snprintf(k->id, sizeof k->id, "%s", id);
	k->next = takings;
	takings = k;
	/* subject null: no one. */
	visible_thread_async(app, json_string_value(json_object_get(req, "subject")), thread,
	                     thread_found, k);
}

/* The answer an offered run's tool gives, by its name: only tools that run one new thread. */
static task_result_fn offered_result(const char *tool)
{
	if (strcmp(tool, "codex") == 0)
		return codex_task_result;
	if (strcmp(tool, "spawn_agent") == 0 || strcmp(tool, "spawn_agent_async") == 0)
		return agent_task_result;
	return NULL;
}

/*
 * Whether an offered run can run here, by this server's own rules: a tool it
 * knows, a working directory that exists here and that its --allow-dir allows,
 * and nothing --allow-danger would be needed for. On the store's thread: it
 * reads only the options, which do not change.
 */
bool remote_can_run(void *data, const char *request)
{
	struct app *app = data;
	json_t *req = json_loads(request, 0, NULL);
	json_t *options = json_object_get(req, "options");
	const char *tool = json_string_value(json_object_get(req, "tool"));
	const char *cwd = json_string_value(json_object_get(options, "cwd"));
	const char *sandbox = json_string_value(json_object_get(options, "sandbox"));
	struct tool_call call = {.app = app}; /* no client: only the server's own rules */
	struct arg_error e;
	char real[PATH_MAX];
	bool ok = tool && offered_result(tool) && cwd && realpath(cwd, real) &&
	          strcmp(real, cwd) == 0 && confine_check(&call, "cwd", real, &e) == 0 &&
	          danger_check(app, sandbox, json_object_get(options, "config"), &e) == 0;

	json_decref(req);
	return ok;
}

void remote_run_offered(struct app *app, const char *id, const char *request)
{
	json_t *req = json_loads(request, 0, NULL);
	const char *tool = NULL, *prompt = NULL, *subject = NULL;
	json_t *options = NULL;
	json_int_t timeout_s = 0, ttl = 0, created_at = 0;
	size_t prompt_len = 0;
	struct codex_options opts = {0};
	char err[300];

	if (!req ||
	    json_unpack(req, "{s:s, s:s%, s:o, s?I, s?I, s?I}", "tool", &tool, "prompt", &prompt,
	                &prompt_len, "options", &options, "timeout_s", &timeout_s, "ttl_ms", &ttl,
	                "created_at", &created_at) != 0 ||
	    !offered_result(tool)) {
		refuse(app, id, "the offered request is not one this server knows");
		json_decref(req);
		return;
	}
	subject = json_string_value(json_object_get(req, "subject")); /* null: no one */
	codex_options_from_json(options, &opts);
	log_info("task %s: taken from another replica's queue", id);
	struct task_spec spec = {.id = id,
	                         .tool = tool,
	                         .result = offered_result(tool),
	                         .ttl_ms = ttl,
	                         .options = &opts,
	                         .prompt = prompt,
	                         .prompt_len = prompt_len,
	                         .timeout_s = timeout_s > 0 ? (unsigned)timeout_s : 0,
	                         .subject = subject,
	                         .created_at = created_at,
	                         .taken = true};
	if (!runner_submit(app->runner, &spec, NULL, err, sizeof err)) {
		codex_options_clear(&opts);
		refuse(app, id, err);
	}
	json_decref(req);
}
