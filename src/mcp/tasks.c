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

/* Why tasks/cancel cannot, in the provider's words; the code to answer with. */
static int cancel_refusal(int rc, const char *task_id, char *message, size_t size)
{
	switch (rc) {
	case -ENOENT:
		snprintf(message, size, "tasks/cancel: no task %.100s", task_id);
		return RPC_INVALID_PARAMS;
	case -EALREADY:
		snprintf(message, size, "tasks/cancel: task %.100s has already ended", task_id);
		return RPC_INVALID_PARAMS;
	case -EBUSY:
		snprintf(message, size,
		         "tasks/cancel: task %.100s runs in another codex-mcp server on this state "
		         "directory, which alone can stop it",
		         task_id);
		return RPC_INVALID_PARAMS;
	default:
		snprintf(message, size, "tasks/cancel: the task records cannot be read");
		return RPC_INTERNAL_ERROR;
	}
}

/* Calls that may answer later (result, cancel) become requests in flight. */
static void start_waiting(struct mcp_session *s, json_t *id, const char *what, const char *task_id)
{
	struct mcp_request *r = session_new_request(s, id);
	char message[256];
	int rc, code;

	if (!r) {
		session_reply_error(s, id, RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	if (strcmp(what, "result") == 0) {
		if (s->tasks.result(s->tasks.ctx, s, task_id, r) < 0) {
			snprintf(message, sizeof message, "tasks/result: no task %.100s", task_id);
			mcp_request_fail(r, RPC_INVALID_PARAMS, message);
		}
		return;
	}
	rc = s->tasks.cancel(s->tasks.ctx, s, task_id, r);
	if (rc < 0) {
		code = cancel_refusal(rc, task_id, message, sizeof message);
		mcp_request_fail(r, code, message);
	}
}

/*
 * The extension's tasks/cancel is cooperative: acknowledged as soon as the run is
 * told to stop, and again for a task that has ended.
 */
static void cancel_modern(struct mcp_session *s, json_t *id, const char *task_id)
{
	char message[256];
	int rc = s->tasks.cancel(s->tasks.ctx, s, task_id, NULL);

	if (rc == 0 || rc == -EALREADY) {
		session_reply_result(s, id, json_object(), true);
		return;
	}
	int code = cancel_refusal(rc, task_id, message, sizeof message);
	session_reply_error(s, id, code, message, NULL);
}

void session_handle_tasks(struct mcp_session *s, json_t *id, const char *what, json_t *params)
{
	const char *task_id = json_string_value(json_object_get(params, "taskId"));
	char message[256];

	if (strcmp(what, "list") == 0) {
		json_t *cursor = json_object_get(params, "cursor");
		json_t *page = NULL;
		if (!cursor || json_is_string(cursor))
			page = s->tasks.list(s->tasks.ctx, s, json_string_value(cursor));
		if (!page)
			session_reply_error(s, id, RPC_INVALID_PARAMS, "tasks/list: invalid cursor",
			                    NULL);
		else
			session_reply_result(s, id, page, false);
		return;
	}
	if (strcmp(what, "get") != 0 && strcmp(what, "result") != 0 &&
	    strcmp(what, "cancel") != 0) {
		snprintf(message, sizeof message, "method not found: tasks/%.200s", what);
		session_reply_error(s, id, RPC_METHOD_NOT_FOUND, message, NULL);
		return;
	}
	if (!task_id) {
		snprintf(message, sizeof message, "tasks/%s: \"taskId\" must be a string", what);
		session_reply_error(s, id, RPC_INVALID_PARAMS, message, NULL);
		return;
	}
	if (strcmp(what, "get") == 0) {
		json_t *task = s->tasks.get(s->tasks.ctx, s, task_id);
		snprintf(message, sizeof message, "tasks/get: no task %.100s", task_id);
		if (task)
			session_reply_result(s, id, task, false);
		else
			session_reply_error(s, id, RPC_INVALID_PARAMS, message, NULL);
		return;
	}
	start_waiting(s, id, what, task_id);
}

void session_handle_modern_tasks(struct mcp_session *s, json_t *id, const char *what,
                                 json_t *params, const struct mcp_envelope *env)
{
	const char *task_id = json_string_value(json_object_get(params, "taskId"));
	char message[256];
	json_t *task;
	int found;

	/* tasks/result and tasks/list are gone from the extension's wire. */
	if (!s->has_tasks || (strcmp(what, "get") != 0 && strcmp(what, "update") != 0 &&
	                      strcmp(what, "cancel") != 0)) {
		snprintf(message, sizeof message, "method not found: tasks/%.200s", what);
		session_reply_error(s, id, RPC_METHOD_NOT_FOUND, message, NULL);
		return;
	}
	if (!mcp_envelope_has_extension(env, MCP_TASKS_EXTENSION)) {
		snprintf(message, sizeof message,
		         "tasks/%s: the request does not declare the " MCP_TASKS_EXTENSION
		         " extension",
		         what);
		session_reply_error(s, id, MCP_ERR_MISSING_CAPABILITY, message,
		                    json_pack("{s:{s:{s:{}}}}", "requiredCapabilities",
		                              "extensions", MCP_TASKS_EXTENSION));
		return;
	}
	if (!task_id) {
		snprintf(message, sizeof message, "tasks/%s: \"taskId\" must be a string", what);
		session_reply_error(s, id, RPC_INVALID_PARAMS, message, NULL);
		return;
	}
	if (strcmp(what, "cancel") == 0) {
		cancel_modern(s, id, task_id);
		return;
	}
	if (strcmp(what, "update") == 0 &&
	    !json_is_object(json_object_get(params, "inputResponses"))) {
		session_reply_error(s, id, RPC_INVALID_PARAMS,
		                    "tasks/update: \"inputResponses\" must be an object", NULL);
		return;
	}
	found = s->tasks.detail(s->tasks.ctx, s, task_id, &task);
	if (found != 1) {
		if (found == 0)
			snprintf(message, sizeof message, "tasks/%s: no task %.100s", what,
			         task_id);
		else
			snprintf(message, sizeof message,
			         "tasks/%s: the task records cannot be read", what);
		session_reply_error(s, id, found == 0 ? RPC_INVALID_PARAMS : RPC_INTERNAL_ERROR,
		                    message, NULL);
		return;
	}
	/* Answers go to the provider that asked; one that never asks ignores them. */
	if (strcmp(what, "update") == 0) {
		json_decref(task);
		if (s->tasks.update)
			s->tasks.update(s->tasks.ctx, task_id,
			                json_object_get(params, "inputResponses"));
		task = json_object();
	}
	session_reply_result(s, id, task, true);
}
