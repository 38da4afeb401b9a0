/* Tool `list_agent_tasks`: every task the server knows, newest first, from the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/agents.h"
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

static void answer_listing(void *data, json_t *list, const char *error)
{
	struct mcp_request *req = data;
	char message[400];

	if (!list) {
		snprintf(message, sizeof message, "cannot read the tasks: the database: %s", error);
		mcp_request_reply(req, tool_error_result(message));
		return;
	}
	mcp_request_reply(req, json_tool_result(list));
}

static void call_list_agent_tasks(const struct tool_call *call, json_t *args)
{
	const char *status;
	json_int_t limit;
	struct arg_error e;

	if (args_only(args, known, &e) || arg_enum(args, "status", agent_statuses, &status, &e) ||
	    arg_integer(args, "limit", 1, 100000, 50, &limit, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	if (agents_list(call->app, call_subject(call), status, (int)limit, answer_listing,
	                call->req) != 0)
		mcp_request_reply(call->req, tool_error_result("out of memory"));
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
