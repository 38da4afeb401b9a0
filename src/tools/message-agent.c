/* Tool `message_agent`: add a message to a running agent's turn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void found(const struct tool_call *call, const struct task_record *rec, struct task *live,
                  void *data)
{
	char why[300];

	snprintf(why, sizeof why, "agent %.100s is %s", rec->id, rec->status);
	tool_steer(call, live, data, why);
}

static void call_message_agent(const struct tool_call *call, json_t *args)
{
	const char *id, *prompt;
	struct arg_error e;
	char *copy;

	if (args_only(args, known, &e) || arg_string(args, "task_id", true, &id, &e) ||
	    arg_string(args, "prompt", true, &prompt, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	if (!(copy = strdup(prompt))) {
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	call_find_task_async(call, id, found, copy);
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
