/* Tool `spawn_agents_parallel`: run several agents at once and wait for all of them. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fleet.h"
#include "app/visible.h"
#include "tools/fleet-schemas.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"agents\": {\"type\": \"array\", \"minItems\": 1, \"items\": {\"type\": \"object\", "
    "\"properties\": {" AGENT_PROPERTIES "}, \"required\": [\"prompt\"], "
    "\"additionalProperties\": false}},"
    "\"max_parallel\": {\"type\": \"integer\", \"minimum\": 1, \"description\": \"At most this "
    "many at once (default: the server's limit).\"}"
    "}, \"required\": [\"agents\"], \"additionalProperties\": false}";

static const char output_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"results\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {"
    "\"index\": {\"type\": \"integer\"},"
    "\"task_id\": {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}], \"description\": "
    "\"Null when it could "
    "not start.\"},"
    "\"status\": " AGENT_STATUS_TYPE ","
    "\"log_file\": " AGENT_STRING_OR_NULL_TYPE ","
    "\"output\": {\"type\": \"string\", \"description\": \"When it completed.\"},"
    "\"error\": {\"type\": \"string\", \"description\": \"When it did not.\"},"
    "\"worktree\": " AGENT_WORKTREE_TYPE "}, \"required\": [\"index\", \"task_id\", \"status\"]}}"
    "}, \"required\": [\"results\"]}";

/* It runs an agent that may change and delete files, run commands and reach the network. */
static const char annotations[] =
    "{\"title\": \"Spawn agents in parallel\", \"readOnlyHint\": false, \"destructiveHint\": true, "
    "\"idempotentHint\": false, \"openWorldHint\": true}";

static const char *const known[] = {"agents", "max_parallel", NULL};

struct parallel_call;

struct member {
	struct parallel_call *call;
	size_t index;
	struct task *task; /* while it lives */
	bool done;
	struct task_observer observer;
};

struct parallel_call {
	struct app *app;
	struct mcp_request *req;
	struct task_group group;
	size_t remaining;
	json_t *results;
	struct member *members;
	size_t n;
	bool submitting; /* a task that cannot start ends inside runner_submit */
	bool cancelling; /* a queued task killed in on_cancel ends inside task_kill */
};

static void finish_call(struct parallel_call *c)
{
	json_t *results = c->results;

	mcp_request_on_cancel(c->req, NULL, NULL);
	c->results = NULL;
	char *text = json_dumps(results, JSON_COMPACT);
	mcp_request_reply(
	    c->req, tool_text_result(text ? text : "[]", json_pack("{s:o}", "results", results)));
	free(text);
	free(c->members);
	free(c);
}

static void on_progress(void *data, struct task *t, const struct codex_event *ev,
                        const char *message)
{
	struct member *m = data;
	char line[600];

	(void)t;
	(void)ev;
	if (!message)
		return;
	snprintf(line, sizeof line, "[%zu] %s", m->index, message);
	mcp_request_progress(m->call->req, line);
}

static size_t on_backlog(void *data)
{
	struct member *m = data;

	return m->call->req ? mcp_request_backlog(m->call->req) : 0;
}

static void on_finished(void *data, struct task *t)
{
	struct member *m = data;
	struct parallel_call *c = m->call;
	const struct task_record *rec = task_record(t);
	bool ok = strcmp(rec->status, "completed") == 0;
	json_t *entry = json_pack("{s:I, s:s, s:s, s:s?}", "index", (json_int_t)m->index, "task_id",
	                          rec->id, "status", rec->status, "log_file", rec->log_file);

	json_object_set_new(entry, ok ? "output" : "error",
	                    json_string(ok ? (rec->output ? rec->output : "")
	                                   : (rec->error ? rec->error : rec->status)));
	if (rec->worktree)
		json_object_set(entry, "worktree", rec->worktree);
	json_array_set_new(c->results, m->index, entry);
	m->task = NULL;
	m->done = true;
	if (--c->remaining == 0 && !c->submitting && !c->cancelling)
		finish_call(c);
}

static void on_cancel(void *data)
{
	struct parallel_call *c = data;

	c->cancelling = true;
	for (size_t i = 0; i < c->n; i++)
		if (c->members[i].task)
			task_kill(c->members[i].task, TASK_CANCELLED, c->app->opts->kill_grace_ms);
	c->cancelling = false;
	if (c->remaining == 0)
		finish_call(c);
}

static void call_spawn_agents_parallel(const struct tool_call *call, json_t *args)
{
	json_t *agents = json_object_get(args, "agents");
	json_int_t max_parallel;
	struct arg_error e;
	struct agent_args *parsed;
	size_t n, i;

	if (args_only(args, known, &e) ||
	    arg_integer(args, "max_parallel", 1, 4096, UINT_MAX, &max_parallel, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	if (!json_is_array(agents) || json_array_size(agents) == 0) {
		mcp_request_reply(call->req,
		                  tool_error_result("agents: must be a non-empty array"));
		return;
	}
	n = json_array_size(agents);
	parsed = calloc(n, sizeof *parsed);
	struct parallel_call *c = calloc(1, sizeof *c);
	if (c)
		c->members = calloc(n, sizeof *c->members);
	if (!parsed || !c || !c->members) {
		free(parsed);
		if (c)
			free(c->members);
		free(c);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	/* Check every agent before starting any. */
	for (i = 0; i < n; i++) {
		if (agent_args_parse(call, json_array_get(agents, i), false, &parsed[i], &e) != 0) {
			char message[600];
			snprintf(message, sizeof message, "agents[%zu].%s", i, e.message);
			for (size_t k = 0; k <= i; k++)
				codex_options_clear(&parsed[k].options);
			free(parsed);
			free(c->members);
			free(c);
			mcp_request_reply(call->req, tool_error_result(message));
			return;
		}
	}
	c->app = call->app;
	c->req = call->req;
	c->n = n;
	c->remaining = n;
	c->group.max_running = (unsigned)max_parallel;
	c->results = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(c->results, json_null());
	mcp_request_on_cancel(call->req, on_cancel, c);

	c->submitting = true;
	for (i = 0; i < n; i++) {
		struct member *m = &c->members[i];
		char err[256];
		m->call = c;
		m->index = i;
		m->observer = (struct task_observer){.progress = on_progress,
		                                     .finished = on_finished,
		                                     .backlog = on_backlog,
		                                     .data = m};
		struct task_spec spec = {.tool = "spawn_agents_parallel",
		                         .result = agent_task_result,
		                         .options = &parsed[i].options,
		                         .prompt = parsed[i].prompt,
		                         .prompt_len = strlen(parsed[i].prompt),
		                         .group = &c->group,
		                         .subject = call_subject(call)};
		agent_spec_place(&parsed[i], &spec);
		struct task *t =
		    runner_submit(call->app->runner, &spec, &m->observer, err, sizeof err);
		if (t && !m->done)
			m->task = t;
		if (!t) {
			codex_options_clear(&parsed[i].options);
			json_array_set_new(c->results, i,
			                   json_pack("{s:I, s:n, s:s, s:s}", "index", (json_int_t)i,
			                             "task_id", "status", "failed", "error", err));
			c->remaining--;
		}
	}
	c->submitting = false;
	free(parsed);
	if (c->remaining == 0)
		finish_call(c);
	/* Otherwise the last task to end answers and frees c. */
}

const struct tool_entry tool_spawn_agents_parallel = {
    .name = "spawn_agents_parallel",
    .title = "Spawn agents in parallel",
    .description =
        "Run several Codex agents at once, at most max_parallel at a time, and wait "
        "for all of them. Returns one entry per agent, in order: index, task_id, "
        "status, log_file, output or error, and, for those with worktree, their worktree. "
        "Agents writing the same files should each have worktree: true.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_spawn_agents_parallel,
    .task_support = 1,
    .runs_codex = true,
};
