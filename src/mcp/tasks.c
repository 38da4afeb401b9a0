/*
 * The two task wires over one provider: the 2025-11-25 core tasks (a "task"
 * param on tools/call, tasks/get, result, list, cancel) on legacy requests, and
 * the io.modelcontextprotocol/tasks extension (SEP-2663) on modern ones: the
 * server decides to answer a call with a task, tasks/get inlines its result, and
 * tasks/update and tasks/cancel are acknowledged with empty results.
 */
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
	created = r ? s->tasks.create(s->tasks.ctx, r, name, ttl, task_id, sizeof task_id) : NULL;
	if (!created) {
		free(r);
		roots_free(roots, n_roots);
		session_reply_error(s, id, RPC_INTERNAL_ERROR, "cannot record the task", NULL);
		return;
	}
	r->session = s;
	r->task_id = strdup(task_id);
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

/* Calls that may answer later (result, cancel) become requests in flight. */
static void start_waiting(struct mcp_session *s, json_t *id, const char *what, const char *task_id,
                          const struct mcp_envelope *env)
{
	struct mcp_request *r = session_new_request(s, id);
	char message[256];
	int rc;

	if (!r) {
		session_reply_error(s, id, RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	if (env) {
		session_apply_envelope(r, env);
		r->ack_only = true;
	}
	rc = strcmp(what, "result") == 0 ? s->tasks.result(s->tasks.ctx, task_id, r)
	                                 : s->tasks.cancel(s->tasks.ctx, task_id, r);
	if (rc == -2 && env) {
		/* Cancelling a task that has ended is acknowledged: the extension makes it
		 * idempotent. */
		mcp_request_reply(r, json_object());
		return;
	}
	if (rc == -2)
		snprintf(message, sizeof message, "tasks/cancel: task %.100s has already ended",
		         task_id);
	else
		snprintf(message, sizeof message, "tasks/%s: no task %.100s", what, task_id);
	if (rc < 0)
		mcp_request_fail(r, RPC_INVALID_PARAMS, message);
}

void session_handle_tasks(struct mcp_session *s, json_t *id, const char *what, json_t *params)
{
	const char *task_id = json_string_value(json_object_get(params, "taskId"));
	char message[256];

	if (strcmp(what, "list") == 0) {
		json_t *cursor = json_object_get(params, "cursor");
		json_t *page = NULL;
		if (!cursor || json_is_string(cursor))
			page = s->tasks.list(s->tasks.ctx, json_string_value(cursor));
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
		json_t *task = s->tasks.get(s->tasks.ctx, task_id);
		snprintf(message, sizeof message, "tasks/get: no task %.100s", task_id);
		if (task)
			session_reply_result(s, id, task, false);
		else
			session_reply_error(s, id, RPC_INVALID_PARAMS, message, NULL);
		return;
	}
	start_waiting(s, id, what, task_id, NULL);
}

void session_handle_modern_tasks(struct mcp_session *s, json_t *id, const char *what,
                                 json_t *params, const struct mcp_envelope *env)
{
	const char *task_id = json_string_value(json_object_get(params, "taskId"));
	char message[256];
	json_t *task;

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
		start_waiting(s, id, what, task_id, env);
		return;
	}
	if (strcmp(what, "update") == 0 &&
	    !json_is_object(json_object_get(params, "inputResponses"))) {
		session_reply_error(s, id, RPC_INVALID_PARAMS,
		                    "tasks/update: \"inputResponses\" must be an object", NULL);
		return;
	}
	task = s->tasks.detail(s->tasks.ctx, task_id);
	if (!task) {
		snprintf(message, sizeof message, "tasks/%s: no task %.100s", what, task_id);
		session_reply_error(s, id, RPC_INVALID_PARAMS, message, NULL);
		return;
	}
	/* No task of ours waits for input yet: answers to questions not asked are ignored. */
	if (strcmp(what, "update") == 0) {
		json_decref(task);
		task = json_object();
	}
	session_reply_result(s, id, task, true);
}
