/* Tool `codex-steer`: add a message to the turn a thread is running. */
#include <stdio.h>
#include <string.h>

#include "app/args.h"
#include "app/steer.h"
#include "app/visible.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"threadId\": {\"type\": \"string\", \"description\": \"The thread whose running turn "
    "takes the message.\"},"
    "\"prompt\": {\"type\": \"string\", \"description\": \"What to add to the turn.\"}"
    "}, \"required\": [\"threadId\", \"prompt\"], \"additionalProperties\": false}";

static const char annotations[] =
    "{\"title\": \"Steer a running Codex turn\", \"readOnlyHint\": false, "
    "\"destructiveHint\": false, \"idempotentHint\": false, \"openWorldHint\": false}";

static const char *const known[] = {"threadId", "prompt", NULL};

struct finding {
	const char *thread_id;
	struct task *found;
};

static void match(void *data, struct task *t)
{
	struct finding *f = data;
	const char *id = task_record(t)->thread_id;

	if (id && strcmp(id, f->thread_id) == 0 && strcmp(task_record(t)->status, "running") == 0)
		f->found = t;
}

static void call_codex_steer(const struct tool_call *call, json_t *args)
{
	struct finding f = {0};
	const char *prompt;
	struct arg_error e;
	char why[300];

	if (args_only(args, known, &e) || arg_string(args, "threadId", true, &f.thread_id, &e) ||
	    arg_string(args, "prompt", true, &prompt, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	visible_each_live(call->app, call_subject(call), match, &f);
	snprintf(why, sizeof why, "thread %.200s has no running turn", f.thread_id);
	tool_steer(call, f.found, prompt, why);
}

const struct tool_entry tool_codex_steer = {
    .name = "codex-steer",
    .title = "Steer a running Codex turn",
    .description = "Add a message to the turn a thread is running now (one started by codex or "
                   "codex-reply), as a person typing while Codex works. Says whether the turn "
                   "took it. Needs the app-server backend.",
    .input_schema = input_schema,
    .output_schema = STEER_OUTPUT_SCHEMA,
    .annotations = annotations,
    .call = call_codex_steer,
};
