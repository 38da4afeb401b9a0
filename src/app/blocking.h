/*
 * A tools/call that waits for its task: progress while it runs, the call's
 * cancellation kills the task, and the answer is built when it ends. Every
 * tool that runs Codex and waits answers through here.
 */
#ifndef CODEX_MCP_BLOCKING_H
#define CODEX_MCP_BLOCKING_H

#include <jansson.h>

#include "mcp/session.h"
#include "tasks/runner.h"

struct app;

/* Submits the task and answers req, when it ends, with what result made of it. */
void tool_run_blocking(struct app *srv, struct mcp_request *req, struct task_spec *spec,
                       task_result_fn result);

/* The `codex` tools' answer: the final message and {threadId, content}. */
json_t *codex_task_result(const struct task *t);

#endif
