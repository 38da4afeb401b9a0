/*
 * MCP tasks over the runner and the store: a task-augmented tools/call
 * becomes a task record at once, and its answer is kept in the record, so
 * tasks/get, tasks/result and tasks/list answer for it, also after a
 * restart, until its ttl passes. Fleet tasks are the same records.
 */
#ifndef CODEX_MCP_MCP_TASKS_H
#define CODEX_MCP_MCP_TASKS_H

#include "mcp/session.h"

struct app;
struct mcp_tasks;

struct mcp_tasks *mcp_tasks_new(struct app *app);
/* The server is stopping: calls waiting on another server's task are answered now. */
void mcp_tasks_stop(struct mcp_tasks *t);
/* Stops the expiry timer; the object is freed once it is closed. */
void mcp_tasks_close(struct mcp_tasks *t);
struct mcp_task_provider mcp_tasks_provider(struct mcp_tasks *t);

#endif
