/* Tool `message_agent`: add a message to a running agent's turn. */
#include <stdio.h>

#include "app/args.h"
#include "app/steer.h"
#include "app/visible.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"task_id\": {\"type\": \"string\"},"
    "\"prompt\": {\"type\": \"string\", \"description\": \"What to tell the agent.\"}"
    "}, \"required\": [\"task_id\", \"prompt\"], \"additionalProperties\": false}";

static const char annotations[] =
    "{\"title\": \"Message agent\", \"readOnlyHint\": false, \"destructiveHint\": false, "
    "\"idempotentHint\": false, \"openWorldHint\": false}";

static const char *const known[] = {"task_id", "prompt", NULL};

static void call_message_agent(const struct tool_call *call, json_t *args)
{
	const char *id, *prompt;
	struct arg_error e;
	struct task_record rec;
	struct task *t = NULL;
	char why[300];

	if (args_only(args, known, &e) || arg_string(args, "task_id", true, &id, &e) ||
	    arg_string(args, "prompt", true, &prompt, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	if (!call_find_task(call, id, &rec, &t))
		return;
	snprintf(why, sizeof why, "agent %.100s is %s", rec.id, rec.status);
	task_record_clear(&rec);
	tool_steer(call, t, prompt, why);
}

const struct tool_entry tool_message_agent = {
    .name = "message_agent",
    .title = "Message agent",
    .description = "Add a message to a running agent's turn, as a person typing while it "
                   "works. Says whether the agent took it. Needs the app-server backend.",
    .input_schema = input_schema,
    .output_schema = STEER_OUTPUT_SCHEMA,
    .annotations = annotations,
    .call = call_message_agent,
};
