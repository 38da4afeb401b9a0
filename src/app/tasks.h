/*
 * MCP tasks over the runner and the store: a task-augmented tools/call
 * becomes a task record at once, and its answer is kept in the record, so
 * tasks/get, tasks/result and tasks/list answer for it, also after a
 * restart, until its ttl passes. Fleet tasks are the same records.
 */
#ifndef CODEX_MCP_MCP_TASKS_H
#define CODEX_MCP_MCP_TASKS_H

#include <stdint.h>

#include "mcp/session.h"

struct app;
struct mcp_tasks;

struct mcp_tasks *mcp_tasks_new(struct app *app);
/* The server is stopping: calls waiting on another server's task are answered now. */
void mcp_tasks_stop(struct mcp_tasks *t);
/* Closes its timers; calls still open may still be answered until mcp_tasks_free(). */
void mcp_tasks_close(struct mcp_tasks *t);
/* Once the loop has ended: nothing calls it any more. */
void mcp_tasks_free(struct mcp_tasks *t);
struct mcp_task_provider mcp_tasks_provider(struct mcp_tasks *t);
/* When the task of a call still running was created (ms since the epoch), or 0. */
int64_t mcp_tasks_created_at(struct mcp_tasks *t, const char *id);
/*
 * A task's run waits on question id: tasks/get shows it input_required until it is dropped.
 * 2026: with the elicitation (stolen) in inputRequests, answered by tasks/update. 2025: put
 * to the client on a tasks/result stream of the task, with the related-task _meta.
 */
void mcp_tasks_hold_question(struct mcp_tasks *t, const char *task_id, uint64_t id,
                             json_t *elicitation);
/* Answered or gone (id 0: every question of the task). */
void mcp_tasks_drop_question(struct mcp_tasks *t, const char *task_id, uint64_t id);

#endif
