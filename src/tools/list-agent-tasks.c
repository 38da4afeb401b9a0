/* Tool `list_agent_tasks`: every task the server knows, newest first, from the store. */
#include <string.h>

#include "app/app.h"
#include "app/fleet.h"
#include "app/visible.h"
#include "tools/fleet-schemas.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"status\": {\"type\": \"string\", \"enum\": [\"queued\", \"running\", \"completed\", "
    "\"failed\", \"killed\", \"timed_out\", \"cancelled\"]},"
    "\"limit\": {\"type\": \"integer\", \"minimum\": 1, \"description\": \"At most this many "
    "tasks (default 50).\"}"
    "}, \"additionalProperties\": false}";

static const char output_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"total\": {\"type\": \"integer\"},"
    "\"queued\": {\"type\": \"integer\"},"
    "\"running\": {\"type\": \"integer\"},"
    "\"completed\": {\"type\": \"integer\"},"
    "\"failed\": {\"type\": \"integer\"},"
    "\"killed\": {\"type\": \"integer\"},"
    "\"timed_out\": {\"type\": \"integer\"},"
    "\"cancelled\": {\"type\": \"integer\"},"
    "\"tasks\": {\"type\": \"array\", \"items\": " AGENT_TASK_TYPE "}"
    "}, \"required\": [\"total\", \"queued\", \"running\", \"completed\", \"failed\", "
    "\"killed\", \"timed_out\", \"cancelled\", \"tasks\"]}";

/* It only reads what the server knows of its tasks. */
static const char annotations[] =
    "{\"title\": \"Agent tasks\", \"readOnlyHint\": true, \"destructiveHint\": false, "
    "\"idempotentHint\": true, \"openWorldHint\": false}";

static const char *const known[] = {"status", "limit", NULL};
static const char *const statuses[] = {"queued", "running",   "completed", "failed",
                                       "killed", "timed_out", "cancelled", NULL};

struct listing {
	struct app *app;
	json_t *tasks;
};

static void add_task(void *data, const struct task_record *rec)
{
	struct listing *l = data;
	/* A live task's record in memory is fresher than the stored one. */
	struct task *live = runner_find(l->app->runner, rec->id);
	json_t *st = agent_status(live ? task_record(live) : rec, live, 0, 200);

	json_object_del(st, "report");
	json_array_append_new(l->tasks, st);
}

static void call_list_agent_tasks(const struct tool_call *call, json_t *args)
{
	const char *status;
	json_int_t limit;
	struct arg_error e;
	struct listing l = {call->app, json_array()};
	json_t *counts, *result;

	if (args_only(args, known, &e) || arg_enum(args, "status", statuses, &status, &e) ||
	    arg_integer(args, "limit", 1, 100000, 50, &limit, &e)) {
		json_decref(l.tasks);
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	/* The caller's own tasks: another subject's are neither listed nor counted. */
	counts = store_count_tasks(call->app->store, call_subject(call));
	store_each_task(call->app->store, call_subject(call), status, (int)limit, add_task, &l);
	result = json_pack("{s:I}", "total", (json_int_t)0);
	json_int_t total = 0;
	for (const char *const *s = statuses; *s; s++) {
		json_int_t n = json_integer_value(json_object_get(counts, *s));
		json_object_set_new(result, *s, json_integer(n));
		total += n;
	}
	json_object_set_new(result, "total", json_integer(total));
	json_object_set_new(result, "tasks", l.tasks);
	json_decref(counts);
	mcp_request_reply(call->req, json_tool_result(result));
}

const struct tool_entry tool_list_agent_tasks = {
    .name = "list_agent_tasks",
    .title = "Agent tasks",
    .description = "Every agent task the server has run, newest first, also those from before "
                   "a restart, with counts by status. Output is cut to 200 characters here; "
                   "get_agent_status pages through the rest.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_list_agent_tasks,
};
