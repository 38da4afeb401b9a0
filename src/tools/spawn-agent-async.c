/* Tool `spawn_agent_async`: start a Codex agent in the background. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fleet.h"
#include "app/visible.h"
#include "tools/fleet-schemas.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {" AGENT_RUN_PROPERTIES
    "}, \"required\": [\"prompt\"], \"additionalProperties\": false}";

static const char output_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"task_id\": {\"type\": \"string\"},"
    "\"status\": " AGENT_STATUS_TYPE ","
    "\"log_file\": " AGENT_STRING_OR_NULL_TYPE ","
    "\"started_at\": " AGENT_TIME_TYPE
    "}, \"required\": [\"task_id\", \"status\", \"log_file\", \"started_at\"]}";

/* It runs an agent that may change and delete files, run commands and reach the network. */
static const char annotations[] =
    "{\"title\": \"Spawn agent in the background\", \"readOnlyHint\": false, \"destructiveHint\": "
    "true, \"idempotentHint\": false, \"openWorldHint\": true}";

/* The call, answered once the store has taken the task's record (or refused it). */
struct spawning {
	struct mcp_request *req;
	struct task *task;
	struct task_observer observer;
	bool submitting; /* the store may answer inside runner_submit() */
	bool answered;
};

/* Answered: freed now, or once runner_submit() has returned. */
static void spawning_done(struct spawning *sp)
{
	sp->answered = true;
	if (!sp->submitting)
		free(sp);
}

static void recorded(void *data, struct task *t)
{
	struct spawning *sp = data;
	const struct task_record *rec = task_record(t);

	task_unobserve(t, &sp->observer);
	mcp_request_on_cancel(sp->req, NULL, NULL);
	mcp_request_reply(
	    sp->req, json_tool_result(
	                 json_pack("{s:s, s:s, s:s?, s:o}", "task_id", rec->id, "status",
	                           rec->status, "log_file", rec->log_file, "started_at",
	                           iso_time(rec->started_at ? rec->started_at : rec->created_at))));
	spawning_done(sp);
}

/* Ended before it was recorded: refused by the store, or stopped. */
static void ended(void *data, struct task *t)
{
	struct spawning *sp = data;
	const struct task_record *rec = task_record(t);

	mcp_request_on_cancel(sp->req, NULL, NULL);
	mcp_request_reply(sp->req, tool_error_result(rec->error ? rec->error : rec->status));
	spawning_done(sp);
}

/* The client gave up waiting; the task goes on, as a background task does. */
static void given_up(void *data)
{
	struct spawning *sp = data;

	task_unobserve(sp->task, &sp->observer);
	mcp_request_reply(sp->req, json_object());
	free(sp);
}

static void call_spawn_agent_async(const struct tool_call *call, json_t *args)
{
	struct agent_args a;
	struct arg_error e;
	char err[256];
	struct spawning *sp;

	if (agent_args_parse(call, args, true, &a, &e) != 0) {
		codex_options_clear(&a.options);
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	if (!(sp = calloc(1, sizeof *sp))) {
		codex_options_clear(&a.options);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	struct task_spec spec = {.tool = "spawn_agent_async",
	                         .result = agent_task_result,
	                         .options = &a.options,
	                         .prompt = a.prompt,
	                         .prompt_len = strlen(a.prompt),
	                         .timeout_s = a.timeout_s,
	                         .subject = call_subject(call)};
	agent_spec_place(&a, &spec);
	sp->req = call->req;
	sp->observer = (struct task_observer){.recorded = recorded, .finished = ended, .data = sp};
	/* Set before submitting: the task may be recorded, or refused, before it returns. */
	mcp_request_on_cancel(call->req, given_up, sp);
	sp->submitting = true;
	sp->task = runner_submit(call->app->runner, &spec, &sp->observer, err, sizeof err);
	sp->submitting = false;
	if (sp->answered) {
		free(sp);
		return;
	}
	if (!sp->task) {
		mcp_request_on_cancel(call->req, NULL, NULL);
		free(sp);
		codex_options_clear(&a.options);
		mcp_request_reply(call->req, tool_error_result(err));
	}
}

const struct tool_entry tool_spawn_agent_async = {
    .name = "spawn_agent_async",
    .title = "Spawn agent in the background",
    .description =
        "Start an autonomous Codex agent in the background and return at once with "
        "its task_id and log_file. Follow it with get_agent_status; stop it with "
        "kill_agent. Runs beyond the server's limit wait in a queue. With worktree, it works "
        "in a git worktree of its own, on its own branch.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_spawn_agent_async,
    .runs_codex = true,
};
