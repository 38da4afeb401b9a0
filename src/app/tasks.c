#include "app/tasks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/approval.h"
#include "app/args.h"
#include "app/fleet.h"
#include "app/visible.h"
#include "rpc/jsonrpc.h"
#include "tools/tool.h"
#include "util/log.h"

enum {
	POLL_INTERVAL_MS = 2000,
	PAGE_SIZE = 50,
	EXPIRY_SWEEP_MS = 60 * 1000,
	OTHER_SERVER_POLL_MS = 1000,
};

#define RELATED_TASK "io.modelcontextprotocol/related-task"

struct waiter {
	struct mcp_tasks *owner;
	struct mcp_request *req;
	char id[64];
	char *subject;     /* the caller's, who alone may read the task */
	bool cancel;       /* answers tasks/cancel with the task; otherwise tasks/result */
	struct task *task; /* when watching a run that no MCP call stands behind */
	bool polled;       /* a task another server runs: read again until it ends */
	bool reading;      /* a read of it is out: freed when that read ends */
	bool dropped;
	struct task_observer observer;
	struct waiter *next;
};

/*
 * Tasks whose tools/call is still running, and whether tasks/cancel was asked;
 * with what the record was created with, should the store not give it back.
 */
struct open_call {
	char id[64];
	struct mcp_request *req; /* the call, until it is answered */
	bool cancel_asked;
	char *tool;
	char *subject;
	int64_t created_at;
	int64_t ttl_ms;
	struct open_call *next;
};

/* A question a task's run waits on, shown by tasks/get until tasks/update answers it. */
struct held_question {
	char task_id[64];
	uint64_t id;
	json_t *elicitation;
	/* 2025: put to the client on a tasks/result stream, until answered or withdrawn */
	struct mcp_session *session;
	unsigned handle;
	struct held_question *next;
};

static void ask_waiters(struct mcp_tasks *p, struct held_question *q);

struct mcp_tasks {
	struct app *app;
	struct waiter *waiters;
	struct open_call *open;
	struct held_question *questions;
	uv_timer_t expiry;
	uv_timer_t poll; /* for polled waiters */
	int open_handles;
	bool stopping; /* no new waits on other servers' runs */
	bool closing;  /* reads that end now answer "server is stopping" */
};

static bool result_is_error(const json_t *result)
{
	return json_is_true(json_object_get(result, "isError")) ||
	       json_object_get(result, "_rpcError") != NULL;
}

/* Our statuses, in the words of the spec. */
static const char *mcp_status(const struct task_record *rec)
{
	if (!agent_status_terminal(rec->status))
		return "working";
	if (strcmp(rec->status, "cancelled") == 0)
		return "cancelled";
	if (strcmp(rec->status, "completed") == 0 && !result_is_error(rec->result))
		return "completed";
	return "failed";
}

/* The fields both wires share, under the names each gives them. */
static json_t *task_fields(const struct task_record *rec, const char *ttl_key, const char *poll_key)
{
	int64_t updated = rec->completed_at ? rec->completed_at
	                  : rec->started_at ? rec->started_at
	                                    : rec->created_at;
	json_t *task = json_pack("{s:s, s:o, s:o, s:i}", "taskId", rec->id, "createdAt",
	                         iso_time(rec->created_at), "lastUpdatedAt", iso_time(updated),
	                         poll_key, POLL_INTERVAL_MS);

	if (!task)
		return NULL;
	json_object_set_new(task, ttl_key, rec->ttl_ms ? json_integer(rec->ttl_ms) : json_null());
	if (rec->error)
		json_object_set_new(task, "statusMessage", json_string(rec->error));
	return task;
}

static json_t *task_json(const struct task_record *rec)
{
	json_t *task = task_fields(rec, "ttl", "pollInterval");

	json_object_set_new(task, "status", json_string(mcp_status(rec)));
	return task;
}

/*
 * The extension's DetailedTask. A tool result, even an isError one, is
 * "completed" with the result inlined; "failed" is for a protocol error, or a
 * run cut off before it had an answer.
 */
static json_t *detailed_task_json(const struct task_record *rec)
{
	json_t *task = task_fields(rec, "ttlMs", "pollIntervalMs");
	json_t *error = json_object_get(rec->result, "_rpcError");
	const char *status;

	if (!task)
		return NULL;
	if (!agent_status_terminal(rec->status)) {
		status = "working";
	} else if (strcmp(rec->status, "cancelled") == 0) {
		status = "cancelled";
	} else if (error) {
		status = "failed";
		json_object_set(task, "error", error);
	} else if (rec->result || strcmp(rec->status, "completed") == 0) {
		json_t *result = rec->result
		                     ? json_deep_copy(rec->result)
		                     : tool_text_result(rec->output ? rec->output : "", NULL);
		/* The inlined CallToolResult is a 2026 result too; clients check its resultType. */
		json_object_set_new(result, "resultType", json_string("complete"));
		status = "completed";
		json_object_set_new(task, "result", result);
	} else {
		char message[600];
		snprintf(message, sizeof message, "the task %s: %.400s", rec->status,
		         rec->error ? rec->error : rec->status);
		status = "failed";
		json_object_set_new(
		    task, "error",
		    json_pack("{s:i, s:s}", "code", RPC_INTERNAL_ERROR, "message", message));
	}
	json_object_set_new(task, "status", json_string(status));
	return task;
}

static struct open_call *find_open(struct mcp_tasks *p, const char *id)
{
	for (struct open_call *o = p->open; o; o = o->next)
		if (strcmp(o->id, id) == 0)
			return o;
	return NULL;
}

/* Past its ttl a task is gone, even before the sweep deletes it. */
static bool expired(const struct task_record *rec)
{
	return rec->ttl_ms && agent_status_terminal(rec->status) &&
	       rec->created_at + rec->ttl_ms < store_now_ms();
}

struct read;
/* What a read found: found 1 with rec (valid during the call), 0 none, -1 unreadable. */
typedef void (*read_fn)(struct read *r, int found, const struct task_record *rec, struct task *live,
                        bool elsewhere);

/* A read of a task, for a request or a waiter, made where the store makes its reads. */
struct read {
	struct mcp_tasks *p;
	struct mcp_request *req;
	mcp_task_done_fn done;
	struct waiter *w;
	bool wait;
	bool judge; /* whether another live server runs it matters: showing it needs no word */
	read_fn then;
	char id[64];
};

static void read_loaded(void *data, int found, const struct task_record *rec, struct task *live,
                        bool elsewhere, const char *error)
{
	struct read *r = data;

	struct mcp_tasks *p = r->p;

	(void)error;
	if (found == 1 && expired(rec))
		found = 0;
	/* A waiter's read only answers; a request's may wait on, which a closed provider
	 * cannot. */
	if (p->closing && !r->w)
		r->done(r->req, -ESHUTDOWN, NULL);
	else
		r->then(r, found, found == 1 ? rec : NULL, found == 1 ? live : NULL,
		        found == 1 && elsewhere);
	free(r);
}

/* Reads id as subject may see it, then calls then; r is the caller's, freed after. */
static void read_task(struct mcp_tasks *p, const char *subject, const char *id, struct read r)
{
	struct read *copy = malloc(sizeof *copy);

	r.p = p;
	snprintf(r.id, sizeof r.id, "%s", id);
	if (!copy) {
		r.then(&r, -1, NULL, NULL, false);
		return;
	}
	*copy = r;
	visible_task_owner_async(p->app, subject, id, r.judge, read_loaded, copy);
}

static const char *req_subject(struct mcp_request *req)
{
	return mcp_session_subject(mcp_request_session(req));
}

static void answer_result(struct mcp_request *req, const struct task_record *rec)
{
	json_t *error = json_object_get(rec->result, "_rpcError");
	json_t *result;

	if (!agent_status_terminal(rec->status)) {
		/* No answer is made up for a task that has not ended. */
		char message[300];
		snprintf(message, sizeof message,
		         "tasks/result: task %s is %s, but no run of this server stands behind it "
		         "and no end of it was recorded",
		         rec->id, rec->status);
		mcp_request_fail(req, RPC_INTERNAL_ERROR, message);
		return;
	}
	if (error) {
		mcp_request_fail(req, (int)json_integer_value(json_object_get(error, "code")),
		                 json_string_value(json_object_get(error, "message")));
		return;
	}
	if (rec->result) {
		result = json_deep_copy(rec->result);
	} else if (strcmp(rec->status, "completed") == 0) {
		/* A run recorded before results were kept: its output is the answer. */
		result = tool_text_result(rec->output ? rec->output : "", NULL);
	} else {
		/* Ended without an answer of its own: the server stopped under it. */
		char message[600];
		snprintf(message, sizeof message, "the task %s: %.400s", mcp_status(rec),
		         rec->error ? rec->error : rec->status);
		result = tool_error_result(message);
	}
	json_t *meta = json_object_get(result, "_meta");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(result, "_meta", meta);
	}
	json_object_set_new(meta, RELATED_TASK, json_pack("{s:s}", "taskId", rec->id));
	mcp_request_reply(req, result);
}

static void waiter_free(struct waiter *w)
{
	free(w->subject);
	free(w);
}

/* The waiter's answer, from the record as it is now; frees w. */
static void waiter_answer(struct waiter *w, int found, const struct task_record *rec)
{
	if (found != 1)
		mcp_request_fail(w->req, RPC_INVALID_PARAMS, "the task is gone");
	else if (w->cancel)
		mcp_request_reply(w->req, task_json(rec));
	else
		answer_result(w->req, rec);
	waiter_free(w);
}

static void waiter_read(struct read *r, int found, const struct task_record *rec, struct task *live,
                        bool elsewhere)
{
	(void)live;
	(void)elsewhere;
	waiter_answer(r->w, found, rec);
}

/* w, unlinked, is answered once its task's record is read; w is freed then. */
static void answer_waiter(struct mcp_tasks *p, struct waiter *w)
{
	mcp_request_on_cancel(w->req, NULL, NULL);
	read_task(p, w->subject, w->id, (struct read){.w = w, .judge = true, .then = waiter_read});
}

/* Gone from the list: freed now, or by the read still out for it. */
static void waiter_drop(struct waiter *w)
{
	if (w->reading)
		w->dropped = true;
	else
		waiter_free(w);
}

static void unlink_waiter(struct mcp_tasks *p, struct waiter *w)
{
	for (struct waiter **q = &p->waiters; *q; q = &(*q)->next)
		if (*q == w) {
			*q = w->next;
			return;
		}
}

static void waiter_finished(void *data, struct task *t)
{
	struct waiter *w = data;

	(void)t;
	unlink_waiter(w->owner, w);
	/* The run's record is saved before observers hear of its end. */
	answer_waiter(w->owner, w);
}

static void waiter_cancelled(void *data)
{
	struct waiter *w = data;

	unlink_waiter(w->owner, w);
	if (w->task)
		task_unobserve(w->task, &w->observer);
	mcp_request_reply(w->req, json_object());
	waiter_drop(w);
}

/* A polled waiter's read: still running elsewhere, or answered now. */
static void polled_read(struct read *r, int found, const struct task_record *rec, struct task *live,
                        bool elsewhere)
{
	struct waiter *w = r->w;

	(void)live;
	w->reading = false;
	if (w->dropped) {
		waiter_free(w);
		return;
	}
	if (found == 1 && elsewhere)
		return;
	unlink_waiter(r->p, w);
	mcp_request_on_cancel(w->req, NULL, NULL);
	waiter_answer(w, found, rec); /* ended, gone, or cut off: never a made-up answer */
}

static void poll_others(uv_timer_t *h)
{
	struct mcp_tasks *p = h->data;
	bool any = false;

	/* A read may end at once (SQLite) and answer and free its own waiter, no other. */
	for (struct waiter *w = p->waiters, *next; w; w = next) {
		next = w->next;
		if (!w->polled)
			continue;
		any = true;
		if (w->reading)
			continue;
		w->reading = true;
		read_task(p, w->subject, w->id,
		          (struct read){.w = w, .judge = true, .then = polled_read});
	}
	if (!any)
		uv_timer_stop(h);
}

static void add_waiter(struct mcp_tasks *p, const char *subject, const char *id,
                       struct mcp_request *req, bool cancel, struct task *live)
{
	struct waiter *w;

	/* A stopping server waits on its own runs' ends, not on other servers'. */
	if (p->closing || (p->stopping && !live && !find_open(p, id))) {
		mcp_request_fail(req, RPC_INTERNAL_ERROR,
		                 "server is stopping; the task runs on in another server");
		return;
	}
	w = calloc(1, sizeof *w);
	if (!w || (subject && !(w->subject = strdup(subject)))) {
		free(w);
		mcp_request_fail(req, RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	w->owner = p;
	w->req = req;
	w->cancel = cancel;
	snprintf(w->id, sizeof w->id, "%s", id);
	w->next = p->waiters;
	p->waiters = w;
	mcp_request_on_cancel(req, waiter_cancelled, w);
	/* What the run waits on is asked on this stream (2025: tasks/result is where). */
	if (!cancel)
		for (struct held_question *q = p->questions; q; q = q->next)
			if (strcmp(q->task_id, id) == 0)
				ask_waiters(p, q);
	/* A run no MCP call stands behind (spawn_agent_async) is watched directly. */
	if (live && !find_open(p, id)) {
		w->task = live;
		w->observer = (struct task_observer){.finished = waiter_finished, .data = w};
		task_observe(live, &w->observer);
	} else if (!live && !find_open(p, id)) {
		w->polled = true;
		if (!uv_is_active((uv_handle_t *)&p->poll))
			uv_timer_start(&p->poll, poll_others, OTHER_SERVER_POLL_MS,
			               OTHER_SERVER_POLL_MS);
	}
}

static int tool_support(void *ctx, const char *name)
{
	const struct tool_entry *tool = tools_find(name);

	(void)ctx;
	return tool ? tool->task_support : -1;
}

static json_t *create(void *ctx, struct mcp_request *req, const char *tool, json_t *ttl, char *id,
                      size_t id_size)
{
	struct mcp_tasks *p = ctx;
	int64_t max = (int64_t)p->app->opts->task_ttl_max_s * 1000;
	int64_t want = json_is_integer(ttl) ? json_integer_value(ttl) : 24 * 3600 * 1000;
	struct task_record rec = {0};
	struct open_call *open = calloc(1, sizeof *open);
	const char *subject = mcp_session_subject(mcp_request_session(req));
	json_t *task;

	if (!open || task_new_id(rec.id) != 0 ||
	    (subject && *subject && !(open->subject = strdup(subject)))) {
		free(open);
		return NULL;
	}
	rec.tool = (char *)tool;
	rec.status = "queued";
	rec.created_at = store_now_ms();
	rec.owner = p->app->instance;
	rec.subject = open->subject; /* the caller's: only it will see the task */
	rec.ttl_ms = want > max ? max : want;
	if (rec.ttl_ms == 0)
		rec.ttl_ms = 1; /* 0 would mean "keep"; the client asked for the shortest */
	/* Written on the store's thread, and kept until it is taken. */
	runner_save(p->app->runner, &rec);
	snprintf(id, id_size, "%s", rec.id);
	snprintf(open->id, sizeof open->id, "%s", rec.id);
	open->req = req;
	open->tool = strdup(tool);
	open->created_at = rec.created_at;
	open->ttl_ms = rec.ttl_ms;
	open->next = p->open;
	p->open = open;
	task = task_json(&rec);
	return task;
}

static void answer_waiters(struct mcp_tasks *p, const char *id);

/* The 2025 wire tells the call's client; the extension has tasks/get for that. */
static void notify_status(struct mcp_request *call, const struct task_record *rec)
{
	if (call && !mcp_request_modern(call))
		mcp_request_notify(call, "notifications/tasks/status", task_json(rec));
}

static void open_call_free(struct open_call *o)
{
	free(o->tool);
	free(o->subject);
	free(o);
}

/* The record of an open call as it stands: kept, stored, or as it was created. */
static int load_answered(struct mcp_tasks *p, const char *id, const struct open_call *open,
                         struct task_record *rec)
{
	const struct task_record *pending = runner_unsaved(p->app->runner, id);
	int found;

	/* A run's own end is at hand as its callers are told: the store need not be asked. */
	if (!pending)
		pending = runner_ended(p->app->runner, id);
	if (pending)
		return task_record_copy(rec, pending) == 0 ? 1 : -1;
	found = store_get_task(p->app->store, id, rec);
	if (found == 1 || !open)
		return found;
	/* The store cannot say (or lost it): the answer must still be recorded. */
	log_warn("task %s: its record cannot be read; recording its answer anew", id);
	memset(rec, 0, sizeof *rec);
	snprintf(rec->id, sizeof rec->id, "%s", id);
	rec->tool = strdup(open->tool ? open->tool : "");
	rec->status = strdup("queued");
	rec->owner = p->app->instance ? strdup(p->app->instance) : NULL;
	rec->subject = open->subject ? strdup(open->subject) : NULL;
	rec->created_at = open->created_at;
	rec->ttl_ms = open->ttl_ms;
	if (!rec->tool || !rec->status || (open->subject && !rec->subject)) {
		task_record_clear(rec);
		return -1;
	}
	return 1;
}

static void answered(void *ctx, const char *id, json_t *result, int code, const char *message)
{
	struct mcp_tasks *p = ctx;
	struct open_call *open = find_open(p, id);
	bool cancel_asked = open && open->cancel_asked;
	struct mcp_request *call = open ? open->req : NULL;
	struct task_record rec;
	int found;

	for (struct open_call **q = &p->open; *q; q = &(*q)->next)
		if (*q == open) {
			*q = open->next;
			break;
		}
	found = load_answered(p, id, open, &rec);
	if (open)
		open_call_free(open);
	if (found != 1) {
		json_decref(result);
		log_error("task %s: its answer cannot be recorded", id);
		answer_waiters(p, id);
		return;
	}
	/* A run records its own end; a call that ran none (a bad argument, a batch) is recorded
	 * here. */
	if (!agent_status_terminal(rec.status)) {
		json_decref(rec.result);
		rec.result = result ? result
		                    : json_pack("{s:{s:i, s:s}}", "_rpcError", "code", code,
		                                "message", message ? message : "error");
		result = NULL;
		free(rec.status);
		rec.status = strdup(cancel_asked                  ? "cancelled"
		                    : result_is_error(rec.result) ? "failed"
		                                                  : "completed");
		if (result_is_error(rec.result) && !rec.error) {
			json_t *text = json_object_get(
			    json_array_get(json_object_get(rec.result, "content"), 0), "text");
			rec.error = json_is_string(text) ? strdup(json_string_value(text)) : NULL;
		}
		rec.completed_at = store_now_ms();
		/* What the store refuses now, the runner keeps, serves and writes later. */
		runner_save(p->app->runner, &rec);
	}
	json_decref(result);
	notify_status(call, &rec);
	task_record_clear(&rec);
	answer_waiters(p, id);
}

/* Everyone waiting on the call behind a task hears now. */
static void answer_waiters(struct mcp_tasks *p, const char *id)
{
	for (struct waiter **q = &p->waiters; *q;) {
		struct waiter *w = *q;
		if (strcmp(w->id, id) != 0 || w->task || w->polled) {
			q = &w->next;
			continue;
		}
		*q = w->next;
		answer_waiter(p, w);
	}
}

static bool asks(const struct mcp_tasks *p, const char *id)
{
	for (const struct held_question *q = p->questions; q; q = q->next)
		if (strcmp(q->task_id, id) == 0)
			return true;
	return false;
}

static void got(struct read *r, int found, const struct task_record *rec, struct task *live,
                bool elsewhere)
{
	json_t *task;

	(void)live;
	(void)elsewhere;
	if (found != 1) {
		r->done(r->req, found < 0 ? -EIO : -ENOENT, NULL);
		return;
	}
	if (!(task = task_json(rec))) {
		r->done(r->req, -ENOMEM, NULL);
		return;
	}
	if (asks(r->p, r->id) &&
	    strcmp(json_string_value(json_object_get(task, "status")), "working") == 0)
		json_object_set_new(task, "status", json_string("input_required"));
	r->done(r->req, 1, task);
}

static void get(void *ctx, struct mcp_request *req, const char *id, mcp_task_done_fn done)
{
	read_task(ctx, req_subject(req), id, (struct read){.req = req, .done = done, .then = got});
}

#define QUESTION_KEY "approval-"

/* What the run waits on, as the DetailedTask's inputRequests, or NULL. */
static json_t *input_requests(struct mcp_tasks *p, const char *id)
{
	json_t *asks = NULL;
	char key[48];

	/* Keys are never reused: the question's number is the run's own, and only grows. */
	for (struct held_question *q = p->questions; q; q = q->next) {
		if (strcmp(q->task_id, id) != 0 || (!asks && !(asks = json_object())))
			continue;
		snprintf(key, sizeof key, QUESTION_KEY "%llu", (unsigned long long)q->id);
		json_object_set_new(asks, key,
		                    json_pack("{s:s, s:O}", "method", "elicitation/create",
		                              "params", q->elicitation));
	}
	return asks;
}

static void detailed(struct read *r, int found, const struct task_record *rec, struct task *live,
                     bool elsewhere)
{
	json_t *task, *asks;

	(void)live;
	(void)elsewhere;
	if (found != 1) {
		r->done(r->req, found < 0 ? -EIO : -ENOENT, NULL);
		return;
	}
	if (!(task = detailed_task_json(rec))) {
		r->done(r->req, -ENOMEM, NULL);
		return;
	}
	if (strcmp(json_string_value(json_object_get(task, "status")), "working") == 0 &&
	    (asks = input_requests(r->p, r->id))) {
		json_object_set_new(task, "status", json_string("input_required"));
		json_object_set_new(task, "inputRequests", asks);
	}
	r->done(r->req, 1, task);
}

static void detail(void *ctx, struct mcp_request *req, const char *id, mcp_task_done_fn done)
{
	read_task(ctx, req_subject(req), id,
	          (struct read){.req = req, .done = done, .then = detailed});
}

static void update(void *ctx, const char *id, json_t *responses)
{
	struct mcp_tasks *p = ctx;
	struct task *t = runner_find(p->app->runner, id);
	const char *key;
	json_t *answer;

	json_object_foreach(responses, key, answer)
	{
		char *end;
		unsigned long long q;
		if (strncmp(key, QUESTION_KEY, strlen(QUESTION_KEY)) != 0)
			continue;
		q = strtoull(key + strlen(QUESTION_KEY), &end, 10);
		/* Late, twice, or for a run gone: eventually consistent, so ignored. */
		if (t && !*end && task_answer(t, q, approval_decision(answer)) != 0)
			log_debug("tasks/update answered %s of task %s, which no longer waits", key,
			          id);
	}
}

/* A 2025 question the client answered on a tasks/result stream (or never: NULLs). */
struct asked_by_task {
	struct mcp_tasks *p;
	char task_id[64];
	uint64_t id;
};

static void task_elicited(void *data, json_t *result, json_t *error)
{
	struct asked_by_task *a = data;
	struct task *t = runner_find(a->p->app->runner, a->task_id);

	(void)error;
	for (struct held_question *q = a->p->questions; q; q = q->next)
		if (q->id == a->id && strcmp(q->task_id, a->task_id) == 0)
			q->handle = 0; /* unanswered: the next tasks/result asks again */
	if (t && result && task_answer(t, a->id, approval_decision(result)) != 0)
		log_debug("an approval of task %s came after its run stopped waiting", a->task_id);
	free(a);
}

static void ask_waiters(struct mcp_tasks *p, struct held_question *q)
{
	for (struct waiter *w = p->waiters; w && !q->handle; w = w->next) {
		struct asked_by_task *a;
		json_t *params;
		if (w->cancel || strcmp(w->id, q->task_id) != 0 || mcp_request_modern(w->req) ||
		    !approval_can_ask(w->req) || !(a = calloc(1, sizeof *a)))
			continue;
		*a = (struct asked_by_task){.p = p, .id = q->id};
		snprintf(a->task_id, sizeof a->task_id, "%s", q->task_id);
		params = json_deep_copy(q->elicitation);
		json_object_set_new(params, "_meta",
		                    json_pack("{s:{s:s}}", RELATED_TASK, "taskId", q->task_id));
		q->session = mcp_request_session(w->req);
		mcp_request_send_open(w->req, "elicitation/create", params, task_elicited, a,
		                      &q->handle);
	}
}

void mcp_tasks_hold_question(struct mcp_tasks *p, const char *task_id, uint64_t id,
                             json_t *elicitation)
{
	struct held_question *q = calloc(1, sizeof *q);

	if (!q) {
		json_decref(elicitation);
		return;
	}
	snprintf(q->task_id, sizeof q->task_id, "%s", task_id);
	q->id = id;
	q->elicitation = elicitation;
	q->next = p->questions;
	p->questions = q;
	ask_waiters(p, q);
}

void mcp_tasks_drop_question(struct mcp_tasks *p, const char *task_id, uint64_t id)
{
	for (struct held_question **h = &p->questions; *h;) {
		struct held_question *q = *h;
		if (strcmp(q->task_id, task_id) != 0 || (id && q->id != id)) {
			h = &q->next;
			continue;
		}
		*h = q->next;
		if (q->handle) /* unlinked first: the withdrawal's callback finds it gone */
			mcp_session_withdraw(q->session, q->handle, "no longer needed");
		json_decref(q->elicitation);
		free(q);
	}
}

static void resulted(struct read *r, int found, const struct task_record *rec, struct task *live,
                     bool elsewhere)
{
	if (found != 1) {
		r->done(r->req, found < 0 ? -EIO : -ENOENT, NULL);
		return;
	}
	/* Until it ends, wait: for our run, our call, or the other server that runs it. */
	if (live || find_open(r->p, r->id) || elsewhere)
		add_waiter(r->p, req_subject(r->req), r->id, r->req, false, live);
	else
		answer_result(r->req, rec);
}

static void result(void *ctx, struct mcp_request *req, const char *id, mcp_task_done_fn done)
{
	read_task(ctx, req_subject(req), id,
	          (struct read){.req = req, .done = done, .judge = true, .then = resulted});
}

/* Asking the replica that runs a task to stop it, through the store. */
struct asking {
	struct mcp_tasks *p;
	struct mcp_request *req;
	mcp_task_done_fn done;
	bool wait;
	char *owner;
	char id[64];
};

static int ask_work(struct store *s, void *data)
{
	struct asking *a = data;

	return store_ask_cancel(s, a->owner, a->id, "cancelled");
}

static void asked(void *data, int rc, const char *error)
{
	struct asking *a = data;
	struct mcp_tasks *p = a->p;

	(void)error;
	if (p->closing)
		a->done(a->req, -ESHUTDOWN, NULL);
	else if (rc != 0)
		a->done(a->req, -EIO, NULL);
	else if (a->wait)
		add_waiter(a->p, req_subject(a->req), a->id, a->req, true, NULL);
	else
		a->done(a->req, 0, NULL);
	free(a->owner);
	free(a);
}

static void ask_owner(struct read *r, const char *owner)
{
	struct asking *a = calloc(1, sizeof *a);

	if (!a || !(a->owner = strdup(owner))) {
		free(a);
		r->done(r->req, -ENOMEM, NULL);
		return;
	}
	*a = (struct asking){
	    .p = r->p, .req = r->req, .done = r->done, .wait = r->wait, .owner = a->owner};
	snprintf(a->id, sizeof a->id, "%s", r->id);
	if (store_submit(r->p->app->store, ask_work, asked, a) != 0) {
		free(a->owner);
		free(a);
		r->done(r->req, -ENOMEM, NULL);
	}
}

static void cancelling(struct read *r, int found, const struct task_record *rec, struct task *live,
                       bool elsewhere)
{
	struct mcp_tasks *p = r->p;
	struct open_call *open = find_open(p, r->id);

	if (found != 1) {
		r->done(r->req, found < 0 ? -EIO : -ENOENT, NULL);
		return;
	}
	/* A replica sharing the store runs it: it is asked to, and answered once it ended. */
	if (!live && !open && elsewhere && store_shared(p->app->store)) {
		ask_owner(r, rec->owner);
		return;
	}
	if (!live && !open) {
		r->done(r->req, elsewhere ? -EBUSY : -EALREADY, NULL);
		return;
	}
	if (r->wait)
		add_waiter(p, req_subject(r->req), r->id, r->req, true, live);
	if (open) {
		open->cancel_asked = true;
		mcp_request_cancel(open->req);
	} else {
		task_kill(live, TASK_CANCELLED, p->app->opts->kill_grace_ms);
	}
	if (!r->wait)
		r->done(r->req, 0, NULL);
}

static void cancel(void *ctx, struct mcp_request *req, const char *id, bool wait,
                   mcp_task_done_fn done)
{
	read_task(ctx, req_subject(req), id,
	          (struct read){
	              .req = req, .done = done, .wait = wait, .judge = true, .then = cancelling});
}

/* A page of tasks/list, read where the store makes its reads. */
struct page {
	struct mcp_request *req;
	mcp_task_done_fn done;
	char *subject;
	char *cursor;
	json_t *tasks;
	char *next;
};

static void add_to_page(void *data, const struct task_record *rec)
{
	struct page *pg = data;

	if (!expired(rec))
		json_array_append_new(pg->tasks, task_json(rec));
}

static int page_work(struct store *s, void *data)
{
	struct page *pg = data;

	return store_page_tasks(s, pg->subject, pg->cursor, PAGE_SIZE, add_to_page, pg, &pg->next);
}

static void page_read(void *data, int rc, const char *error)
{
	struct page *pg = data;
	json_t *page = NULL;

	(void)error;
	if (rc == 0 && (page = json_pack("{s:O}", "tasks", pg->tasks)) && pg->next)
		json_object_set_new(page, "nextCursor", json_string(pg->next));
	/* The store refuses a cursor that is not one of ours. */
	pg->done(pg->req, page ? 1 : rc != 0 && rc != -ENOMEM ? -EINVAL : -ENOMEM, page);
	json_decref(pg->tasks);
	free(pg->subject);
	free(pg->cursor);
	free(pg->next);
	free(pg);
}

static void list(void *ctx, struct mcp_request *req, const char *cursor, mcp_task_done_fn done)
{
	struct mcp_tasks *p = ctx;
	const char *subject = req_subject(req);
	struct page *pg = calloc(1, sizeof *pg);

	if (!pg || !(pg->tasks = json_array()) || (subject && !(pg->subject = strdup(subject))) ||
	    (cursor && !(pg->cursor = strdup(cursor)))) {
		if (pg) {
			json_decref(pg->tasks);
			free(pg->subject);
			free(pg);
		}
		done(req, -ENOMEM, NULL);
		return;
	}
	pg->req = req;
	pg->done = done;
	if (store_submit_read(p->app->store, page_work, page_read, pg) != 0)
		page_read(pg, -ENOMEM, NULL);
}

static int sweep_work(struct store *s, void *data)
{
	int n = store_expire_tasks(s, store_now_ms());

	(void)data;
	if (n > 0)
		log_info("%d expired task(s) removed", n);
	return n < 0 ? n : 0;
}

static void swept(void *data, int rc, const char *error)
{
	(void)data;
	(void)rc;
	(void)error;
}

/* On the store's thread: a database that deletes slowly holds no one up. */
static void sweep(uv_timer_t *h)
{
	struct mcp_tasks *p = h->data;

	if (store_submit(p->app->store, sweep_work, swept, NULL) != 0)
		log_warn("cannot sweep the expired tasks: out of memory");
}

struct mcp_tasks *mcp_tasks_new(struct app *app)
{
	struct mcp_tasks *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->app = app;
	uv_timer_init(app->loop, &p->expiry);
	p->expiry.data = p;
	uv_timer_start(&p->expiry, sweep, 0, EXPIRY_SWEEP_MS);
	/* The sweep must not keep the loop alive on its own, nor the polls. */
	uv_unref((uv_handle_t *)&p->expiry);
	uv_timer_init(app->loop, &p->poll);
	p->poll.data = p;
	uv_unref((uv_handle_t *)&p->poll);
	p->open_handles = 2;
	return p;
}

static void closed(uv_handle_t *h)
{
	struct mcp_tasks *p = h->data;

	if (--p->open_handles > 0)
		return;
	while (p->questions)
		mcp_tasks_drop_question(p, p->questions->task_id, 0);
	/* Their requests go with the session. */
	while (p->waiters) {
		struct waiter *w = p->waiters;
		p->waiters = w->next;
		mcp_request_on_cancel(w->req, NULL, NULL);
		waiter_drop(w);
	}
}

void mcp_tasks_free(struct mcp_tasks *p)
{
	if (!p)
		return;
	while (p->open) {
		struct open_call *o = p->open;
		p->open = o->next;
		open_call_free(o);
	}
	free(p);
}

void mcp_tasks_stop(struct mcp_tasks *p)
{
	p->stopping = true;
	/* A task another server runs would keep its waiter past this server's end. */
	for (struct waiter **q = &p->waiters; *q;) {
		struct waiter *w = *q;
		if (!w->polled) {
			q = &w->next;
			continue;
		}
		*q = w->next;
		mcp_request_on_cancel(w->req, NULL, NULL);
		mcp_request_fail(w->req, RPC_INTERNAL_ERROR,
		                 "server is stopping; the task runs on in another server");
		waiter_drop(w);
	}
	uv_timer_stop(&p->poll);
}

void mcp_tasks_close(struct mcp_tasks *p)
{
	p->closing = true;
	uv_close((uv_handle_t *)&p->expiry, closed);
	uv_close((uv_handle_t *)&p->poll, closed);
}

int64_t mcp_tasks_created_at(struct mcp_tasks *p, const char *id)
{
	struct open_call *open = find_open(p, id);

	return open ? open->created_at : 0;
}

struct mcp_task_provider mcp_tasks_provider(struct mcp_tasks *p)
{
	return (struct mcp_task_provider){
	    .tool_support = tool_support,
	    .create = create,
	    .answered = answered,
	    .get = get,
	    .detail = detail,
	    .result = result,
	    .list = list,
	    .cancel = cancel,
	    .update = update,
	    .ctx = p,
	};
}
