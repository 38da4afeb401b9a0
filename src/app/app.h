/*
 * The application: one event loop, the options, the store, the runner, the Codex
 * backend and the task records, shared by any number of client sessions.
 */
#ifndef CODEX_MCP_APP_H
#define CODEX_MCP_APP_H

#include <stdbool.h>

#include <uv.h>

#include "app/options.h"
#include "codex/backend.h"
#include "mcp/seal.h"
#include "mcp/session.h"
#include "store/store.h"
#include "tasks/runner.h"

struct app_client;
struct app_dashboard;

struct app {
	uv_loop_t *loop;
	const struct options *opts;
	struct store *store;
	struct codex_backend backend;
	struct runner *runner;
	struct mcp_tasks *tasks;
	struct app_client *clients;      /* one per connection: its transport and session */
	const struct http_module *httpm; /* the HTTP transport, loaded for --http */
	const struct auth_module *authm; /* its authenticator, loaded for a token or issuer */
	struct mcp_http *http;           /* --http: every client over HTTP */
	struct http_auth *auth;          /* who may use it */
	struct app_dashboard *dashboard; /* its page at /: app/dashboard.h */
	bool http_closing;
	struct seal_key seal; /* signs the requestState of input_required rounds */
	bool seal_loaded;     /* read or made on first use: see app_seal_key() */
	char *cwd;            /* the default cwd of runs: --agent-cwd, else the server's own */
	bool stopping;
	uv_signal_t sigterm, sigint;
	uv_timer_t tick;         /* unanswered requests to the client time out */
	char **allow_dirs;       /* --allow-dir, resolved */
	char *instance;          /* this server's name in task records: see store_owner() */
	struct replica *replica; /* one of several sharing the store: app/replica.c */
	char *log_dir;           /* where agent logs go, resolved once made */
	unsigned depth;          /* how deep under other codex-mcp servers this one runs */
};

/* The sealing key, read from (or made in) the state dir the first time it is needed. */
const struct seal_key *app_seal_key(void *app, char *err, size_t err_size);

/* Serves stdio until stdin ends, or HTTP, until a SIGTERM/SIGINT; returns the exit status. */
int app_run(const struct options *opts);

#endif
