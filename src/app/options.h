/* The server's command line. */
#ifndef CODEX_MCP_OPTIONS_H
#define CODEX_MCP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/log.h"

/* --http and what goes with it. */
struct http_options {
	char *listen;       /* HOST:PORT; NULL: serve stdio */
	char *public_url;   /* the endpoint's URL as clients see it (behind a proxy) */
	char *token_file;   /* bearer tokens, one a line */
	char *oauth_issuer; /* JWT access tokens from this issuer */
	char *oauth_jwks;   /* its keys, read from a file instead of fetched */
	char *oauth_scopes; /* scopes every token must carry, space-separated */
	char **allow_origins, **allow_hosts;
	size_t n_allow_origins, n_allow_hosts;
	unsigned max_connections, max_sessions;
	unsigned timeout_s;      /* idle connections, headers included */
	unsigned session_idle_s; /* a 2025 session unused this long ends */
	unsigned keepalive_s;    /* comments on quiet SSE streams */
	size_t max_backlog;      /* unread bytes before a client is cut off */
};

enum backend_choice {
	BACKEND_AUTO, /* app-server when the Codex found has it, else exec */
	BACKEND_APP_SERVER,
	BACKEND_EXEC,
};

struct options {
	char *codex_bin; /* NULL: $CODEX_BIN, then PATH */
	enum backend_choice backend;
	char *state_dir;   /* where the database lives */
	char *store;       /* --store URL; NULL: SQLite in state_dir */
	unsigned lease_s;  /* --lease: a replica not heard of this long is gone */
	bool codex_events; /* forward every Codex event as codex/event */
	bool allow_danger; /* permit danger-full-access and approval bypasses */
	enum log_level log_level;
	unsigned kill_grace_ms;      /* SIGTERM to SIGKILL when a run is cancelled */
	unsigned approval_timeout_s; /* an unanswered approval is declined then; 0: never */
	size_t max_message_bytes;    /* longest JSON-RPC line read from the client */
	size_t max_event_bytes;      /* longest Codex event line kept */
	unsigned heartbeat_ms;       /* progress while a run is quiet */

	char *log_dir;                 /* agent logs; default <state_dir>/logs */
	size_t log_max_bytes;          /* one agent log's cap before it rotates */
	unsigned max_agents;           /* runs at once; default the number of cores */
	unsigned fleet_max_agents;     /* runs at once across replicas; 0: no such limit */
	unsigned timeout_s;            /* default per-run timeout; 0 none */
	unsigned stall_s;              /* quiet this long: stalled */
	unsigned kill_stalled_after_s; /* 0: stalled runs are only reported */
	char *agent_cwd;               /* default cwd of runs */
	char **env;                    /* KEY=VALUE added to Codex's environment */
	size_t n_env;
	char *tools;             /* compat, fleet, all, or a comma list */
	unsigned task_ttl_max_s; /* longest ttl an MCP task may keep */
	char **allow_dirs;       /* --allow-dir: every cwd must be inside one */
	size_t n_allow_dirs;
	char **allow_config; /* --allow-config: more config keys clients may set */
	size_t n_allow_config;
	unsigned max_depth; /* --max-depth: a server nested this deep starts no runs; 0: none */
	struct http_options http;
};

enum options_result {
	OPTIONS_RUN,
	OPTIONS_EXIT_OK,    /* --help or --version was printed */
	OPTIONS_EXIT_USAGE, /* a message went to stderr */
};

enum options_result options_parse(int argc, char **argv, struct options *o);

struct option;

/*
 * A command of the same program (codex-mcp doctor, tasks, ...) reads the server's
 * options, to act on what the server would use, and flags of its own besides.
 */
struct options_extra {
	const char *usage;          /* its --help, and what a mistake prints */
	const char *short_flags;    /* getopt's, e.g. "f"; may be NULL */
	const struct option *flags; /* its long flags, values from 2000 on; may be NULL */
	/* One of its flags: 0 taken, -1 a bad value (said), 1 not one of its. */
	int (*flag)(void *data, int c, const char *arg);
	/* What follows the flags: 0, or -1 (said). NULL: nothing may follow. */
	int (*args)(void *data, char **args, int n);
	void *data;
};

enum options_result options_parse_extra(int argc, char **argv, struct options *o,
                                        const struct options_extra *x);
void options_free(struct options *o);
/* $XDG_STATE_HOME/codex-mcp or ~/.local/state/codex-mcp (malloc'd), or NULL with neither. */
char *options_default_state_dir(void);

#endif
