/* The server: one event loop, one MCP session, the store, the runner and the Codex backend. */
#ifndef CODEX_MCP_APP_H
#define CODEX_MCP_APP_H

#include <stdbool.h>

#include <uv.h>

#include "codex/backend.h"
#include "mcp/session.h"
#include "app/options.h"
#include "store/store.h"
#include "tasks/runner.h"

struct app {
	uv_loop_t *loop;
	const struct options *opts;
	struct store *store;
	struct codex_backend backend;
	struct runner *runner;
	struct mcp_tasks *tasks;
	struct mcp_session *session;
	struct stdio_transport *stdio; /* NULL once closed */
	struct mcp_transport out;      /* stdio's, used only while it is open */
	char *cwd; /* the default cwd of runs: --agent-cwd, else the server's own */
	bool stopping;
	uv_signal_t sigterm, sigint;
	uv_timer_t tick;   /* unanswered requests to the client time out */
	char **allow_dirs; /* --allow-dir, resolved */
	char *instance;    /* this server's name in task records: pid and start time */
	char *log_dir;     /* where agent logs go, resolved once made */
};

/* Runs until stdin ends or a SIGTERM/SIGINT; returns the exit status. */
int app_run(const struct options *opts);

#endif
