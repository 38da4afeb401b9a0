/* What the agent tools (spawn_agent and its kin, after codex-as-mcp) share. */
#ifndef CODEX_MCP_FLEET_H
#define CODEX_MCP_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "app/args.h"
#include "codex/backend.h"
#include "tasks/runner.h"

#include "app/call.h"

/* The JSON Schema properties of one agent, for the tools' input schemas. */
#define AGENT_PROPERTIES                                                                           \
	"\"prompt\": {\"type\": \"string\", \"description\": \"What the agent should do.\"},"      \
	"\"model\": {\"type\": \"string\", \"description\": \"Codex model to use, e.g. "           \
	"gpt-5.2-codex.\"},"                                                                       \
	"\"reasoning_effort\": {\"type\": \"string\", \"enum\": [\"minimal\", \"low\", "           \
	"\"medium\", \"high\", \"xhigh\"], \"description\": \"How hard the model thinks.\"},"      \
	"\"cwd\": {\"type\": \"string\", \"description\": \"Working directory; default: the "      \
	"server's agent cwd.\"},"                                                                  \
	"\"worktree\": {\"type\": \"boolean\", \"description\": \"Work in a new git worktree, "    \
	"on a new branch codex-mcp/<short task id> made from the HEAD of cwd's repository, "       \
	"never in the checkout itself; it stays until cleanup_worktrees removes it.\"}"

#define AGENT_RUN_PROPERTIES                                                                       \
	AGENT_PROPERTIES                                                                           \
	","                                                                                        \
	"\"sandbox\": {\"type\": \"string\", \"enum\": [\"read-only\", \"workspace-write\", "      \
	"\"danger-full-access\"], \"description\": \"Codex sandbox; default "                      \
	"workspace-write.\"},"                                                                     \
	"\"timeout_seconds\": {\"type\": \"integer\", \"minimum\": 1, \"description\": "           \
	"\"Kill "                                                                                  \
	"the run after this long; default: the server's.\"}"

/* One agent's arguments, checked. The options are filled; prompt is borrowed from args. */
struct agent_args {
	struct codex_options options;
	const char *prompt;
	unsigned timeout_s;
	char worktrees[4096]; /* with worktree: where they go; else "" */
};

/* Reads prompt, model, reasoning_effort, cwd and, when full, sandbox and timeout_seconds. */
int agent_args_parse(const struct tool_call *call, const json_t *args, bool full,
                     struct agent_args *out, struct arg_error *e);

/* With worktree, the task works in a worktree of its own (app/worktree.h). */
void agent_spec_place(const struct agent_args *a, struct task_spec *spec);

/* Where the agents' worktrees go: <state dir>/worktrees. */
int agent_worktrees_dir(const struct app *app, char *buf, size_t size);

/* A result whose text is the object as JSON, and whose structuredContent is the object. */
json_t *json_tool_result(json_t *object /* stolen */);

/* Whether a task in this status has ended: anything but queued and running. */
bool agent_status_terminal(const char *status);

/*
 * A task as get_agent_status shows it: {task_id, status, started_at,
 * elapsed_seconds, completed_at?, output?, error?, log_file, pid?,
 * last_activity, stalled?, ...}. live is the running task, if any. The
 * output is paged by offset and limit, counted in characters.
 */
json_t *agent_status(const struct task_record *rec, const struct task *live, size_t offset,
                     size_t limit);

/* Every status a task can be in, NULL-terminated. */
extern const char *const agent_statuses[];

/* A task in a listing (list_agent_tasks, codex-mcp tasks): agent_status() less the report. */
json_t *agent_listing_entry(const struct task_record *rec, const struct task *live);

/*
 * A listing as list_agent_tasks answers it: {total, <count of each status>, tasks};
 * counts is store_count_tasks()'s, tasks (stolen) the entries.
 */
json_t *agent_listing(const json_t *counts, json_t *tasks);

/* What spawn_agent answers: the final message, the task and its log; the report as
 * structuredContent. */
json_t *agent_task_result(const struct task *t);

/* ISO 8601 UTC for ms since the epoch; json null for 0. */
json_t *iso_time(int64_t ms);

/* "1.5 MB" */
void human_size(double bytes, char *buf, size_t size);

#endif
