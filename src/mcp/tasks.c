/*
 * The two task wires over one provider: the 2025-11-25 core tasks (a "task"
 * param on tools/call, tasks/get, result, list, cancel) on legacy requests, and
 * the io.modelcontextprotocol/tasks extension (SEP-2663) on modern ones: the
 * server decides to answer a call with a task, tasks/get inlines its result, and
 * tasks/update and tasks/cancel are acknowledged with empty results.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/session-int.h"

/* The 2025 Task as the extension spells it: flat, with ttlMs and pollIntervalMs. */
static json_t *created_task_result(json_t *task)
{
	json_t *ttl = json_object_get(task, "ttl");
	json_t *poll = json_object_get(task, "pollInterval");

	json_object_set(task, "ttlMs", ttl ? ttl : json_null());
	if (poll)
		json_object_set(task, "pollIntervalMs", poll);
	json_object_del(task, "ttl");
	json_object_del(task, "pollInterval");
	json_object_set_new(task, "resultType", json_string("task"));
	return task;
}

static int check_support(struct mcp_session *s, json_t *id, const char *name)
{
	char message[512];
	int support = s->has_tasks ? s->tasks.tool_support(s->tasks.ctx, name) : 0;

	if (support < 0) {
		snprintf(message, sizeof message, "tools/call: unknown tool \"%.400s\"", name);
		session_reply_error(s, id, RPC_INVALID_PARAMS, message, NULL);
		return -1;
	}
	if (support == 0) {
		snprintf(message, sizeof message,
		         "tools/call: tool \"%.400s\" does not support task-augmented calls", name);
		session_reply_error(s, id, RPC_METHOD_NOT_FOUND, message, NULL);
		return -1;
	}
	return 0;
}

void session_start_task_call(struct mcp_session *s, json_t *id, json_t *params, const char *name,
                             json_t *arguments, json_t *ttl, const struct mcp_envelope *env,
                             char **roots, size_t n_roots)
{
	char task_id[64];
	struct mcp_request *r;
	json_t *created;

	if (check_support(s, id, name) != 0) {
		roots_free(roots, n_roots);
		return;
	}
	r = calloc(1, sizeof *r);
	if (r)
		r->session = s; /* the task is its caller's */
	created = r ? s->tasks.create(s->tasks.ctx, r, name, ttl, task_id, sizeof task_id) : NULL;
	if (!created) {
		free(r);
		roots_free(roots, n_roots);
		session_reply_error(s, id, RPC_INTERNAL_ERROR, "cannot record the task", NULL);
		return;
	}
	r->task_id = strdup(task_id);
	if (!r->task_id) {
		/* Recorded, but no call will stand behind it: say so rather than leave it. */
		s->tasks.answered(s->tasks.ctx, task_id, NULL, RPC_INTERNAL_ERROR, "out of memory");
		json_decref(created);
		free(r);
		roots_free(roots, n_roots);
		session_reply_error(s, id, RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	r->task_ttl = json_integer_value(json_object_get(created, "ttl"));
	if (env) {
		/* The extension has no progress or log notifications for tasks: tasks/get tells. */
		session_apply_envelope(r, env);
		r->wants_logs = false;
		r->has_roots = roots != NULL;
		r->roots = roots;
		r->n_roots = n_roots;
	} else {
		r->progress_token = session_progress_token(params);
	}
	r->next = s->task_calls;
	s->task_calls = r;
	if (env)
		session_reply_result(s, id, created_task_result(created), true);
	else
		session_reply_result(s, id, json_pack("{s:o}", "task", created), false);

	json_t *args = json_is_object(arguments) ? json_incref(arguments) : json_object();
	s->tools.call(s->tools.ctx, r, name, args);
	json_decref(args);
}

int mcp_request_become_task(struct mcp_request *r, const char *tool)
{
	struct mcp_session *s = r->session;
	json_t *ext = json_object_get(r->client_caps, "extensions");
	char task_id[64];
	json_t *created;

	if (!r->modern || r->task_id || r->cancelled || !s->has_tasks ||
	    !json_is_object(json_object_get(ext, MCP_TASKS_EXTENSION)))
		return -1;
	created = s->tasks.create(s->tasks.ctx, r, tool, NULL, task_id, sizeof task_id);
	if (!created)
		return -1;
	if (!(r->task_id = strdup(task_id))) {
		s->tasks.answered(s->tasks.ctx, task_id, NULL, RPC_INTERNAL_ERROR, "out of memory");
		json_decref(created);
		return -1;
	}
	r->task_ttl = json_integer_value(json_object_get(created, "ttl"));
	/* From a request in flight to a task's call, as session_start_task_call() makes. */
	for (struct mcp_request **p = &s->requests; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			s->request_count--;
			break;
		}
	r->next = s->task_calls;
	s->task_calls = r;
	/* The extension has no progress or log notifications for tasks: tasks/get tells. */
	r->wants_logs = false;
	json_decref(r->progress_token);
	r->progress_token = NULL;
	session_reply_result(s, r->id, created_task_result(created), true);
	return 0;
}

/* Why a task request is refused, in the protocol's words; the code to answer with. */
static int refusal(const struct mcp_request *r, int rc, char *message, size_t size)
{
	const char *what = r->tasks_method;
	const char *id = r->tasks_id ? r->tasks_id : "";

	switch (rc) {
	case -ENOENT:
		snprintf(message, size, "tasks/%s: no task %.100s", what, id);
		return RPC_INVALID_PARAMS;
	case -EINVAL:
		snprintf(message, size, "tasks/%s: invalid cursor", what);
		return RPC_INVALID_PARAMS;
	case -EALREADY:
		snprintf(message, size, "tasks/%s: task %.100s has already ended", what, id);
		return RPC_INVALID_PARAMS;
	case -EBUSY:
		snprintf(message, size,
		         "tasks/%s: task %.100s runs in another codex-mcp server on this state "
		         "directory, which alone can stop it",
		         what, id);
		return RPC_INVALID_PARAMS;
	case -ENOMEM:
		snprintf(message, size, "tasks/%s: out of memory", what);
		return RPC_INTERNAL_ERROR;
	case -ESHUTDOWN:
		snprintf(message, size, "tasks/%s: server is stopping", what);
		return RPC_INTERNAL_ERROR;
	default:
		snprintf(message, size, "tasks/%s: the task records cannot be read", what);
		return RPC_INTERNAL_ERROR;
	}
}

/* Where the provider's reads end: the answer, in the request's own era. */
static void task_done(struct mcp_request *r, int rc, json_t *out)
{
	struct mcp_session *s = r->session;
	char message[300];

	/* The extension's tasks/cancel is cooperative: acknowledged once the run is told to
	 * stop, and again for a task that has ended. */
	if (r->modern && strcmp(r->tasks_method, "cancel") == 0 && (rc == 0 || rc == -EALREADY)) {
		json_decref(out);
		mcp_request_reply(r, json_object());
		return;
	}
	if (rc == 1 && strcmp(r->tasks_method, "update") == 0) {
		/* Answers go to the provider that asked, once the task proved the caller's. */
		json_decref(out);
		if (s->tasks.update)
			s->tasks.update(s->tasks.ctx, r->tasks_id, r->tasks_update);
		out = json_object();
	}
	if (rc == 1) {
		mcp_request_reply(r, out);
		return;
	}
	json_decref(out);
	mcp_request_fail(r, refusal(r, rc, message, sizeof message), message);
}

/* The names task requests may have, as static strings the request can keep. */
static const char *const task_methods[] = {"get", "result", "list", "cancel", "update"};

static const char *task_method(const char *what, bool modern)
{
	for (size_t i = 0; i < sizeof task_methods / sizeof *task_methods; i++) {
		const char *m = task_methods[i];
		/* tasks/result and tasks/list are gone from the extension's wire; update is its
		 * own. */
		bool here = modern ? strcmp(m, "result") != 0 && strcmp(m, "list") != 0
		                   : strcmp(m, "update") != 0;
		if (here && strcmp(m, what) == 0)
			return m;
	}
	return NULL;
}

/* A task request becomes a request in flight: its read may wait on the records. */
static struct mcp_request *task_request(struct mcp_session *s, json_t *id, const char *method,
                                        const char *task_id, const struct mcp_envelope *env)
{
	struct mcp_request *r = session_new_request(s, id);

	if (!r) {
		session_reply_error(s, id, RPC_INTERNAL_ERROR, "out of memory", NULL);
		return NULL;
	}
	if (env)
		session_apply_envelope(r, env);
	r->tasks_method = method;
	if (task_id && !(r->tasks_id = strdup(task_id))) {
		mcp_request_fail(r, RPC_INTERNAL_ERROR, "out of memory");
		return NULL;
	}
	return r;
}

void session_handle_tasks(struct mcp_session *s, json_t *id, const char *what, json_t *params)
{
	const char *method = task_method(what, false);
	const char *task_id = json_string_value(json_object_get(params, "taskId"));
	json_t *cursor = json_object_get(params, "cursor");
	struct mcp_request *r;
	char message[256];

	if (!method) {
		snprintf(message, sizeof message, "method not found: tasks/%.200s", what);
		session_reply_error(s, id, RPC_METHOD_NOT_FOUND, message, NULL);
		return;
	}
	if (strcmp(method, "list") == 0 && cursor && !json_is_string(cursor)) {
		session_reply_error(s, id, RPC_INVALID_PARAMS, "tasks/list: invalid cursor", NULL);
		return;
	}
	if (strcmp(method, "list") != 0 && !task_id) {
		snprintf(message, sizeof message, "tasks/%s: \"taskId\" must be a string", method);
		session_reply_error(s, id, RPC_INVALID_PARAMS, message, NULL);
		return;
	}
	if (!(r = task_request(s, id, method, task_id, NULL)))
		return;
	if (strcmp(method, "list") == 0)
		s->tasks.list(s->tasks.ctx, r, json_string_value(cursor), task_done);
	else if (strcmp(method, "get") == 0)
		s->tasks.get(s->tasks.ctx, r, task_id, task_done);
	else if (strcmp(method, "result") == 0)
		s->tasks.result(s->tasks.ctx, r, task_id, task_done);
	else
		s->tasks.cancel(s->tasks.ctx, r, task_id, true, task_done);
}

void session_handle_modern_tasks(struct mcp_session *s, json_t *id, const char *what,
                                 json_t *params, const struct mcp_envelope *env)
{
	const char *method = s->has_tasks ? task_method(what, true) : NULL;
	const char *task_id = json_string_value(json_object_get(params, "taskId"));
	json_t *responses = json_object_get(params, "inputResponses");
	struct mcp_request *r;
	char message[256];

	if (!method) {
		snprintf(message, sizeof message, "method not found: tasks/%.200s", what);
		session_reply_error(s, id, RPC_METHOD_NOT_FOUND, message, NULL);
		return;
	}
	if (!mcp_envelope_has_extension(env, MCP_TASKS_EXTENSION)) {
		snprintf(message, sizeof message,
		         "tasks/%s: the request does not declare the " MCP_TASKS_EXTENSION
		         " extension",
		         method);
		session_reply_error(s, id, MCP_ERR_MISSING_CAPABILITY, message,
		                    json_pack("{s:{s:{s:{}}}}", "requiredCapabilities",
		                              "extensions", MCP_TASKS_EXTENSION));
		return;
	}
	if (!task_id) {
		snprintf(message, sizeof message, "tasks/%s: \"taskId\" must be a string", method);
		session_reply_error(s, id, RPC_INVALID_PARAMS, message, NULL);
		return;
	}
	if (strcmp(method, "update") == 0 && !json_is_object(responses)) {
		session_reply_error(s, id, RPC_INVALID_PARAMS,
		                    "tasks/update: \"inputResponses\" must be an object", NULL);
		return;
	}
	if (!(r = task_request(s, id, method, task_id, env)))
		return;
	if (strcmp(method, "cancel") == 0) {
		s->tasks.cancel(s->tasks.ctx, r, task_id, false, task_done);
		return;
	}
	r->tasks_update = json_incref(responses);
	s->tasks.detail(s->tasks.ctx, r, task_id, task_done);
}
