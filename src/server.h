/* The server: one event loop, one MCP session, the store and the Codex backend. */
#ifndef CODEX_MCP_SERVER_H
#define CODEX_MCP_SERVER_H

#include <stdbool.h>

#include <uv.h>

#include "codex/backend.h"
#include "mcp/session.h"
#include "options.h"
#include "store/store.h"

struct turn_call;

struct server {
	uv_loop_t *loop;
	const struct options *opts;
	struct store *store;
	struct codex_backend backend;
	struct mcp_session *session;
	struct stdio_transport *stdio;
	struct turn_call *runs; /* turns in flight */
	char *cwd;              /* the server's own, the default for runs */
	bool stopping;
	uv_signal_t sigterm, sigint;
};

/* Runs until stdin ends or a SIGTERM/SIGINT; returns the exit status. */
int server_run(const struct options *opts);

/* A run ended; during shutdown the last one lets the loop finish. */
void server_run_finished(struct server *srv);

#endif
