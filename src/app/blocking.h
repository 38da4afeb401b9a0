/*
 * A tools/call that waits for its task: progress while it runs, the call's
 * cancellation kills the task, and the answer is built when it ends. Every
 * tool that runs Codex and waits answers through here.
 */
#ifndef CODEX_MCP_BLOCKING_H
#define CODEX_MCP_BLOCKING_H

#include <jansson.h>

#include "app/call.h"
#include "tasks/runner.h"

/* Submits the task and answers the call, when it ends, with what result made of it. */
void tool_run_blocking(const struct tool_call *call, struct task_spec *spec, task_result_fn result);

/* The `codex` tools' answer: the final message and {threadId, content}. */
json_t *codex_task_result(const struct task *t);

#endif
