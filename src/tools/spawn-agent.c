/* Tool `spawn_agent`: run one Codex agent and wait for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/blocking.h"
#include "app/fleet.h"
#include "tools/fleet-schemas.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {" AGENT_RUN_PROPERTIES
    "}, \"required\": [\"prompt\"], \"additionalProperties\": false}";

/* The report agent_task_result() gives; isError unless it completed. */
static const char output_schema[] = AGENT_TASK_TYPE;

/* It runs an agent that may change and delete files, run commands and reach the network. */
static const char annotations[] =
    "{\"title\": \"Spawn agent\", \"readOnlyHint\": false, \"destructiveHint\": true, "
    "\"idempotentHint\": false, \"openWorldHint\": true}";

static void call_spawn_agent(const struct tool_call *call, json_t *args)
{
	struct agent_args a;
	struct arg_error e;

	if (agent_args_parse(call, args, true, &a, &e) != 0) {
		codex_options_clear(&a.options);
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	struct task_spec spec = {.tool = "spawn_agent",
	                         .options = &a.options,
	                         .prompt = a.prompt,
	                         .prompt_len = strlen(a.prompt),
	                         .timeout_s = a.timeout_s};
	agent_spec_place(&a, &spec);
	tool_run_blocking(call, &spec, agent_task_result);
}

const struct tool_entry tool_spawn_agent = {
    .name = "spawn_agent",
    .title = "Spawn agent",
    .description =
        "Run one autonomous Codex agent and wait until it finishes. Returns its final "
        "message, its task_id and log_file, and a report (status, exit code, duration, "
        "token usage, commands run, files changed); with worktree, it works in a git worktree "
        "of its own, and the answer names it, its branch, commits and files. Clients that give up "
        "on long tool "
        "calls should use spawn_agent_async instead.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_spawn_agent,
    .task_support = 1,
    .runs_codex = true,
};
