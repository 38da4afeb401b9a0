/*
 * One Codex turn run for one tools/call: progress while it runs, the thread
 * recorded in the store, cancellation, and the CallToolResult at the end.
 * `codex` and `codex-reply` both answer through here.
 */
#ifndef CODEX_MCP_TURN_H
#define CODEX_MCP_TURN_H

#include <stdbool.h>

#include "codex/backend.h"
#include "mcp/session.h"

struct server;

/*
 * Starts the turn and answers req when it ends. Takes ownership of opts.
 * resume_thread is NULL for a new thread.
 */
void turn_run(struct server *srv, struct mcp_request *req, struct codex_options *opts,
              const char *prompt, size_t prompt_len, const char *resume_thread);

/* Whether a turn of this thread is running now. */
bool turn_thread_busy(struct server *srv, const char *thread_id);

/* Stops every run; each still reports its end. */
void turn_stop_all(struct server *srv);

#endif
