/* Tool `get_agent_status`: where a task is, and its output, paged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/app.h"
#include "app/fleet.h"
#include "app/visible.h"
#include "tools/fleet-schemas.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"task_id\": {\"type\": \"string\"},"
    "\"offset\": {\"type\": \"integer\", \"minimum\": 0, \"description\": \"First character of "
    "the output to return (default 0).\"},"
    "\"limit\": {\"type\": \"integer\", \"minimum\": 1, \"description\": \"Characters of output "
    "to return (default 20000); next_offset says where the rest starts.\"}"
    "}, \"required\": [\"task_id\"], \"additionalProperties\": false}";

static const char output_schema[] = AGENT_TASK_TYPE;

/* It only reads what the server knows of its tasks. */
static const char annotations[] =
    "{\"title\": \"Agent status\", \"readOnlyHint\": true, \"destructiveHint\": false, "
    "\"idempotentHint\": true, \"openWorldHint\": false}";

static const char *const known[] = {"task_id", "offset", "limit", NULL};

/* A status asked: the record is read on the store's thread, and the call answered from it. */
struct asking {
	struct mcp_request *req;
	size_t offset, limit;
	char id[256];
};

static void found(void *data, int found, const struct task_record *rec, struct task *live,
                  const char *error)
{
	struct asking *a = data;

	mcp_request_reply(
	    a->req, found == 1 ? json_tool_result(agent_status(rec, live, a->offset, a->limit))
	                       : visible_missing(a->id, found, error));
	free(a);
}

static void call_get_agent_status(const struct tool_call *call, json_t *args)
{
	const char *id;
	json_int_t offset, limit;
	struct arg_error e;
	struct asking *a;

	if (args_only(args, known, &e) || arg_string(args, "task_id", true, &id, &e) ||
	    arg_integer(args, "offset", 0, INT64_MAX / 2, 0, &offset, &e) ||
	    arg_integer(args, "limit", 1, INT64_MAX / 2, 20000, &limit, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	if (!(a = calloc(1, sizeof *a))) {
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	*a = (struct asking){call->req, (size_t)offset, (size_t)limit, ""};
	snprintf(a->id, sizeof a->id, "%.255s", id);
	visible_task_async(call->app, call_subject(call), id, found, a);
}

const struct tool_entry tool_get_agent_status = {
    .name = "get_agent_status",
    .title = "Agent status",
    .description = "The status of an agent task (queued, running, completed, failed, killed, "
                   "timed_out), with its output paged by offset and limit, its log file, and, "
                   "while it runs, its pid, last activity and whether it has stalled.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_get_agent_status,
};
