/*
 * The fixture's tasks, kept in memory, and the tools of the tasks extension
 * scenarios: greet (never a task), slow_compute (sleeps, cancellable),
 * failing_job (a tool error), protocol_error_job (a protocol error),
 * confirm_delete and multi_input (wait for the client's answers through
 * tasks/update), test_tool_with_task.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "mcp/era.h"
#include "rpc/jsonrpc.h"

enum status { WORKING, INPUT_REQUIRED, COMPLETED, FAILED, CANCELLED };

static const char *const status_names[] = {"working", "input_required", "completed", "failed",
                                           "cancelled"};

enum { DEFAULT_TTL_MS = 10 * 60 * 1000, POLL_MS = 200 };

struct waiter {
	struct mcp_request *req;
	struct waiter *next;
};

struct task {
	char id[40];
	char *tool;
	enum status status;
	char created[48], updated[48];
	int64_t ttl_ms;
	json_t *result; /* completed: the CallToolResult */
	int code;       /* failed: the error */
	char *message;
	json_t *asks;             /* input_required: what is still asked, {key: {method, params}} */
	json_t *answers;          /* what the client answered so far */
	struct mcp_request *call; /* the call behind it, until it answers */
	uv_timer_t *timer;
	struct waiter *waiters; /* tasks/result requests (2025) */
	struct task *next;
};

static uv_loop_t *loop;
static struct task *tasks;
static unsigned next_id;

static void now_iso(char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;

	char head[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, size, "%s.%03dZ", head, (int)(ts.tv_nsec / 1000000));
}

static struct task *find(const char *id)
{
	for (struct task *t = tasks; t; t = t->next)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

static bool terminal(const struct task *t)
{
	return t->status == COMPLETED || t->status == FAILED || t->status == CANCELLED;
}

static void stop_timer(struct task *t)
{
	if (!t->timer)
		return;
	uv_timer_stop(t->timer);
	uv_close((uv_handle_t *)t->timer, (uv_close_cb)free);
	t->timer = NULL;
}

/* The 2025 Task object. */
static json_t *task_object(const struct task *t)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}", "taskId", t->id, "status",
	                 status_names[t->status], "createdAt", t->created, "lastUpdatedAt",
	                 t->updated, "ttl", (json_int_t)t->ttl_ms, "pollInterval", POLL_MS);
}

static void wake_waiters(struct task *t)
{
	while (t->waiters) {
		struct waiter *w = t->waiters;
		t->waiters = w->next;
		if (t->status == COMPLETED)
			mcp_request_reply(w->req, json_deep_copy(t->result));
		else if (t->status == FAILED)
			mcp_request_fail(w->req, t->code, t->message ? t->message : "failed");
		else
			mcp_request_fail(w->req, RPC_INVALID_PARAMS, "the task was cancelled");
		free(w);
	}
}

static void set_status(struct task *t, enum status s)
{
	t->status = s;
	now_iso(t->updated, sizeof t->updated);
	if (terminal(t))
		wake_waiters(t);
}

/* ---- the provider ---- */

static int tool_support(void *ctx, const char *tool)
{
	(void)ctx;
	return fixture_task_tool(tool);
}

static json_t *create(void *ctx, struct mcp_request *req, const char *tool, json_t *ttl, char *id,
                      size_t id_size)
{
	struct task *t = calloc(1, sizeof *t);

	(void)ctx;
	(void)req;
	if (!t)
		return NULL;
	snprintf(t->id, sizeof t->id, "fixture-task-%u", ++next_id);
	t->tool = strdup(tool);
	t->status = WORKING;
	now_iso(t->created, sizeof t->created);
	memcpy(t->updated, t->created, sizeof t->updated);
	t->ttl_ms = json_is_integer(ttl) ? json_integer_value(ttl) : DEFAULT_TTL_MS;
	t->next = tasks;
	tasks = t;
	snprintf(id, id_size, "%s", t->id);
	return task_object(t);
}

static void answered(void *ctx, const char *id, json_t *result, int code, const char *message)
{
	struct task *t = find(id);

	(void)ctx;
	if (!t) {
		json_decref(result);
		return;
	}
	t->call = NULL;
	if (terminal(t)) { /* cancelled first */
		json_decref(result);
		return;
	}
	if (result) {
		t->result = result;
		set_status(t, COMPLETED);
	} else {
		t->code = code;
		t->message = strdup(message ? message : "failed");
		set_status(t, FAILED);
	}
}

/* The fixture has no authentication, and its tasks are in memory: answered at once. */
static void get(void *ctx, struct mcp_request *req, const char *id, mcp_task_done_fn done)
{
	struct task *t = find(id);

	(void)ctx;
	done(req, t ? 1 : -ENOENT, t ? task_object(t) : NULL);
}

static void detail(void *ctx, struct mcp_request *req, const char *id, mcp_task_done_fn done)
{
	struct task *t = find(id);
	json_t *d;

	(void)ctx;
	if (!t) {
		done(req, -ENOENT, NULL);
		return;
	}
	d = json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}", "taskId", t->id, "status",
	              status_names[t->status], "createdAt", t->created, "lastUpdatedAt", t->updated,
	              "ttlMs", (json_int_t)t->ttl_ms, "pollIntervalMs", POLL_MS);
	if (t->status == COMPLETED)
		json_object_set(d, "result", t->result);
	else if (t->status == FAILED)
		json_object_set_new(
		    d, "error", json_pack("{s:i, s:s}", "code", t->code, "message", t->message));
	else if (t->status == INPUT_REQUIRED)
		json_object_set(d, "inputRequests", t->asks);
	done(req, 1, d);
}

static void result(void *ctx, struct mcp_request *req, const char *id, mcp_task_done_fn done)
{
	struct task *t = find(id);
	struct waiter *w;

	(void)ctx;
	if (!t) {
		done(req, -ENOENT, NULL);
		return;
	}
	w = calloc(1, sizeof *w);
	w->req = req;
	w->next = t->waiters;
	t->waiters = w;
	if (terminal(t))
		wake_waiters(t);
}

static void list(void *ctx, struct mcp_request *req, const char *cursor, mcp_task_done_fn done)
{
	json_t *out;

	(void)ctx;
	if (cursor) {
		done(req, -EINVAL, NULL);
		return;
	}
	out = json_array();
	for (struct task *t = tasks; t; t = t->next)
		json_array_append_new(out, task_object(t));
	done(req, 1, json_pack("{s:o}", "tasks", out));
}

static void cancel(void *ctx, struct mcp_request *req, const char *id, bool wait,
                   mcp_task_done_fn done)
{
	struct task *t = find(id);

	(void)ctx;
	if (!t || terminal(t)) {
		done(req, t ? -EALREADY : -ENOENT, NULL);
		return;
	}
	stop_timer(t);
	set_status(t, CANCELLED);
	if (t->call) {
		struct mcp_request *call = t->call;
		t->call = NULL;
		mcp_request_cancel(call);
		mcp_request_fail(call, RPC_INTERNAL_ERROR, "cancelled");
	}
	if (wait)
		mcp_request_reply(req, task_object(t));
	else
		done(req, 0, NULL);
}

/* Answers the call behind the task once nothing more is asked. */
static void finish_asked(struct task *t)
{
	char text[512];
	const char *a, *b;

	if (json_object_size(t->asks) > 0 || !t->call)
		return;
	a = json_string_value(json_object_get(
	    json_object_get(json_object_get(t->answers, "confirm-1"), "content"), "confirm"));
	b = json_string_value(json_object_get(
	    json_object_get(json_object_get(t->answers, "first-1"), "content"), "value"));
	if (strcmp(t->tool, "confirm_delete") == 0)
		snprintf(text, sizeof text, "Deletion %s",
		         json_is_object(json_object_get(t->answers, "confirm-1")) ? "confirmed"
		                                                                  : "refused");
	else
		snprintf(text, sizeof text, "Received %zu answers%s%s",
		         json_object_size(t->answers), b ? ": " : "", b ? b : "");
	(void)a;
	struct mcp_request *call = t->call;
	t->call = NULL;
	set_status(t, WORKING);
	mcp_request_reply(call, fixture_text_result(text, false));
}

static void update(void *ctx, const char *id, json_t *responses)
{
	struct task *t = find(id);
	const char *key;
	json_t *value;

	(void)ctx;
	if (!t || t->status != INPUT_REQUIRED)
		return;
	json_object_foreach(responses, key, value)
	{
		if (!json_object_get(t->asks, key))
			continue; /* not asked, or answered already */
		json_object_set(t->answers, key, value);
		json_object_del(t->asks, key);
	}
	now_iso(t->updated, sizeof t->updated);
	finish_asked(t);
}

/* ---- the tools ---- */

static void slow_done(uv_timer_t *timer)
{
	struct task *t = timer->data;
	struct mcp_request *call = t->call;
	char text[256];

	stop_timer(t);
	t->call = NULL;
	if (strcmp(t->tool, "slow_compute") == 0)
		snprintf(text, sizeof text, "Computed %s", t->message ? t->message : "the answer");
	else
		snprintf(text, sizeof text, "%s", t->message ? t->message : "done");
	if (call)
		mcp_request_reply(call, fixture_text_result(text, false));
}

static void failing_done(uv_timer_t *timer)
{
	struct task *t = timer->data;
	struct mcp_request *call = t->call;

	stop_timer(t);
	t->call = NULL;
	if (!call)
		return;
	if (strcmp(t->tool, "failing_job") == 0)
		mcp_request_reply(call, fixture_text_result("The job failed", true));
	else
		mcp_request_fail(call, RPC_INTERNAL_ERROR, "the job broke the protocol");
}

static void start_timer(struct task *t, uint64_t ms, uv_timer_cb cb)
{
	t->timer = malloc(sizeof *t->timer);
	uv_timer_init(loop, t->timer);
	t->timer->data = t;
	uv_timer_start(t->timer, cb, ms, 0);
}

static json_t *confirm_schema(const char *property, const char *type)
{
	return json_pack("{s:s, s:{s:{s:s}}, s:[s]}", "type", "object", "properties", property,
	                 "type", type, "required", property);
}

int fixture_task_call(struct mcp_request *req, const char *name, json_t *args)
{
	const char *id = mcp_request_task_id(req);
	struct task *t = id ? find(id) : NULL;
	char text[512];

	if (fixture_task_tool(name) < 0)
		return -1;
	if (strcmp(name, "greet") == 0) {
		const char *who = json_string_value(json_object_get(args, "name"));
		snprintf(text, sizeof text, "Hello, %.400s!", who ? who : "World");
		mcp_request_reply(req, fixture_text_result(text, false));
		return 0;
	}
	if (!t) {
		/* Called without a task: the optional ones run at once, the others cannot. */
		if (strcmp(name, "slow_compute") == 0) {
			mcp_request_reply(req, fixture_text_result("Computed at once", false));
		} else if (strcmp(name, "test_tool_with_task") == 0) {
			json_t *a = json_object_get(mcp_request_input_responses(req), "user_name");
			if (!mcp_request_modern(req) || a) {
				const char *who = json_string_value(
				    json_object_get(json_object_get(a, "content"), "name"));
				snprintf(text, sizeof text, "Hello, %.400s!",
				         who ? who : "stranger");
				/* Answered: it goes on as a task when the client takes tasks. */
				if (mcp_request_become_task(req, name) == 0 &&
				    (t = find(mcp_request_task_id(req)))) {
					t->message = strdup(text);
					t->call = req;
					start_timer(t, 100, slow_done);
				} else {
					mcp_request_reply(req, fixture_text_result(text, false));
				}
			} else {
				mcp_request_ask(
				    req,
				    json_pack("{s:{s:s, s:o}}", "user_name", "method",
				              "elicitation/create", "params",
				              fixture_elicit("What is your name?",
				                             confirm_schema("name", "string"))),
				    NULL);
			}
		} else {
			snprintf(text, sizeof text,
			         "tools/call: \"%.200s\" runs only as a task: declare "
			         "the " MCP_TASKS_EXTENSION " extension",
			         name);
			mcp_request_fail_data(req, MCP_ERR_MISSING_CAPABILITY, text,
			                      json_pack("{s:{s:{s:{}}}}", "requiredCapabilities",
			                                "extensions", MCP_TASKS_EXTENSION));
		}
		return 0;
	}
	t->call = req;
	if (strcmp(name, "slow_compute") == 0) {
		double seconds = json_number_value(json_object_get(args, "seconds"));
		const char *label = json_string_value(json_object_get(args, "label"));
		if (seconds < 0 || seconds > 600)
			seconds = 0;
		t->message = label ? strdup(label) : NULL;
		start_timer(t, (uint64_t)(seconds * 1000), slow_done);
	} else if (strcmp(name, "failing_job") == 0 || strcmp(name, "protocol_error_job") == 0) {
		start_timer(t, 1000, failing_done);
	} else if (strcmp(name, "test_tool_with_task") == 0) {
		snprintf(text, sizeof text, "Hello from a task!");
		t->call = NULL;
		mcp_request_reply(req, fixture_text_result(text, false));
	} else { /* confirm_delete, multi_input: wait for tasks/update */
		const char *file = json_string_value(json_object_get(args, "filename"));
		snprintf(text, sizeof text, "Delete %.400s?", file ? file : "the file");
		t->answers = json_object();
		if (strcmp(name, "confirm_delete") == 0)
			t->asks = json_pack(
			    "{s:{s:s, s:o}}", "confirm-1", "method", "elicitation/create", "params",
			    fixture_elicit(text, confirm_schema("confirm", "boolean")));
		else
			t->asks = json_pack(
			    "{s:{s:s, s:o}, s:{s:s, s:o}}", "first-1", "method",
			    "elicitation/create", "params",
			    fixture_elicit("First value?", confirm_schema("value", "string")),
			    "second-1", "method", "elicitation/create", "params",
			    fixture_elicit("Second value?", confirm_schema("value", "string")));
		set_status(t, INPUT_REQUIRED);
	}
	return 0;
}

void fixture_tasks_init(uv_loop_t *l)
{
	loop = l;
}

void fixture_tasks_close(void)
{
	while (tasks) {
		struct task *t = tasks;
		tasks = t->next;
		stop_timer(t);
		while (t->waiters) {
			struct waiter *w = t->waiters;
			t->waiters = w->next;
			free(w);
		}
		json_decref(t->result);
		json_decref(t->asks);
		json_decref(t->answers);
		free(t->message);
		free(t->tool);
		free(t);
	}
}

struct mcp_task_provider fixture_task_provider(void)
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
	};
}
