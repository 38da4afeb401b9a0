/*
 * The call context: who asked, as a tmux command gets its cmdq_item. A tool runs
 * with the application, the session the request came on, and the request itself,
 * which it answers exactly once; never with the whole server.
 */
#ifndef CODEX_MCP_CALL_H
#define CODEX_MCP_CALL_H

#include "mcp/session.h"

struct app;

struct tool_call {
	struct app *app;
	struct mcp_session *session;
	struct mcp_request *req;
};

#endif
