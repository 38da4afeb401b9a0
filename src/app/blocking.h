/*
 * A tools/call that waits for its task: progress while it runs, the call's
 * cancellation kills the task, and the answer is built when it ends. Every
 * tool that runs Codex and waits answers through here.
 */
#ifndef CODEX_MCP_BLOCKING_H
#define CODEX_MCP_BLOCKING_H

#include <stdbool.h>

#include <jansson.h>

#include "app/call.h"
#include "tasks/runner.h"

/* Submits the task and answers the call, when it ends, with what result made of it. */
void tool_run_blocking(const struct tool_call *call, struct task_spec *spec, task_result_fn result);

/*
 * A 2026 retry of a call whose run asked a question (see the input_required answer):
 * answers it with the client's input and waits on the run again. Returns false when the
 * call is no such retry, and the tool goes on as usual.
 */
bool tool_resume_blocking(const struct tool_call *call, task_result_fn result);

/* The `codex` tools' answer: the final message and {threadId, content}. */
json_t *codex_task_result(const struct task *t);

#endif
