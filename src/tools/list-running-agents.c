/* Tool `list_running_agents`: the agents running or queued now. */
#include "app/app.h"
#include "app/fleet.h"
#include "app/visible.h"
#include "tools/fleet-schemas.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {}, \"additionalProperties\": false}";

static const char output_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"count\": {\"type\": \"integer\"},"
    "\"agents\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {"
    "\"task_id\": {\"type\": \"string\"},"
    "\"status\": " AGENT_STATUS_TYPE ","
    "\"tool\": {\"type\": \"string\"},"
    "\"pid\": {\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}], \"description\": \"Null "
    "while queued.\"},"
    "\"elapsed_seconds\": {\"anyOf\": [{\"type\": \"number\"}, {\"type\": \"null\"}]},"
    "\"last_activity\": " AGENT_TIME_TYPE ","
    "\"stalled\": {\"anyOf\": [{\"type\": \"boolean\"}, {\"type\": \"null\"}]},"
    "\"log_file\": " AGENT_STRING_OR_NULL_TYPE
    "}, \"required\": [\"task_id\", \"status\", \"tool\", \"pid\", \"elapsed_seconds\", "
    "\"last_activity\", \"stalled\", \"log_file\"]}}"
    "}, \"required\": [\"count\", \"agents\"]}";

/* It only reads what the server knows of its tasks. */
static const char annotations[] =
    "{\"title\": \"Running agents\", \"readOnlyHint\": true, \"destructiveHint\": false, "
    "\"idempotentHint\": true, \"openWorldHint\": false}";

static void add_agent(void *data, struct task *t)
{
	json_t *agents = data;
	const struct task_record *rec = task_record(t);
	json_t *full = agent_status(rec, t, 0, 0);
	json_t *entry = json_pack(
	    "{s:s, s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?}", "task_id", rec->id, "status",
	    rec->status, "tool", rec->tool, "pid", json_object_get(full, "pid"), "elapsed_seconds",
	    json_object_get(full, "elapsed_seconds"), "last_activity",
	    json_object_get(full, "last_activity"), "stalled", json_object_get(full, "stalled"),
	    "log_file", json_object_get(full, "log_file"));

	json_array_append_new(agents, entry);
	json_decref(full);
}

static void call_list_running_agents(const struct tool_call *call, json_t *args)
{
	static const char *const known[] = {NULL};
	struct arg_error e;
	json_t *agents = json_array();

	if (args_only(args, known, &e)) {
		json_decref(agents);
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	visible_each_live(call->app, call_subject(call), add_agent, agents);
	mcp_request_reply(call->req, json_tool_result(json_pack("{s:I, s:o}", "count",
	                                                        (json_int_t)json_array_size(agents),
	                                                        "agents", agents)));
}

const struct tool_entry tool_list_running_agents = {
    .name = "list_running_agents",
    .title = "Running agents",
    .description = "The agents running now, and those queued behind the server's limit, with "
                   "their pid, elapsed time, last activity and whether they have stalled.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_list_running_agents,
};
