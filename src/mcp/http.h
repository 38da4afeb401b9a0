/*
 * MCP's Streamable HTTP transport at /mcp, both eras on one endpoint:
 * - 2025-11-25 and before: sessions named by Mcp-Session-Id, each POST answered
 *   with JSON or an SSE stream, a GET stream for what belongs to no request, and
 *   DELETE to end a session;
 * - 2026-07-28: stateless POSTs whose MCP-Protocol-Version, Mcp-Method and
 *   Mcp-Name headers must match the body, each served by a session of its own
 *   that lives as long as its request.
 * It checks Origin and Host, asks the authenticator about every request, and
 * bounds what each client may hold.
 */
#ifndef CODEX_MCP_HTTP_H
#define CODEX_MCP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "http/auth.h"
#include "http/listen.h"
#include "http/server.h"
#include "mcp/session.h"
#include "util/log.h"

struct mcp_http;

/*
 * Who may call: the authenticator (http/auth.h), reached through these so that a
 * server without authentication never loads its libraries. auth NULL: anyone.
 */
struct mcp_http_auth {
	struct http_auth *auth;
	enum http_auth_verdict (*check)(struct http_auth *a, const char *authorization,
	                                char *subject, size_t subject_size, char *challenge,
	                                size_t challenge_size, char *why, size_t why_size);
	json_t *(*metadata)(const struct http_auth *a);
};

/*
 * Other pages the same server serves (NULL handle: none). Called for any path
 * but /mcp's once Host and Origin are checked; authenticating is its own
 * business. Returns false when the path is not its own (404).
 */
struct mcp_http_routes {
	bool (*handle)(void *ctx, struct http_exchange *x);
	void *ctx;
};

struct mcp_http_config {
	uv_loop_t *loop;
	int listen_fd; /* from http_listen(); the transport closes it; -1: see mcp_http_adopt() */
	struct http_address address;
	struct mcp_http_auth auth; /* auth.auth NULL: no authentication (loopback only) */
	const struct mcp_server_info *info;
	struct mcp_tool_provider tools;
	struct mcp_task_provider tasks; /* ignored when has_tasks is false */
	bool has_tasks;
	struct mcp_method_provider methods; /* ignored when has_methods is false */
	bool has_methods;
	struct mcp_sealer sealer;
	char **allow_origins; /* more origins allowed, NULL-terminated; may be NULL */
	char **allow_hosts;   /* more Host names allowed, NULL-terminated; may be NULL */
	size_t max_body;
	unsigned max_connections;
	unsigned max_sessions;
	unsigned timeout_s;      /* idle connections, headers included */
	unsigned session_idle_s; /* a legacy session unused this long ends */
	size_t max_backlog;      /* unread bytes a client may hold on one stream */
	unsigned keepalive_s;    /* a quiet SSE stream gets a comment this often */
	struct mcp_http_routes routes;
};

int mcp_http_new(const struct mcp_http_config *cfg, struct mcp_http **out, char *err,
                 size_t err_size);
/* Serves a connected socket, as if accepted (tests and fuzzing). */
int mcp_http_adopt(struct mcp_http *h, int fd);
/* The server is stopping: no new connection, requests to clients end unanswered. */
void mcp_http_stop(struct mcp_http *h);
/*
 * Ends every session and connection, letting answers already given reach their
 * clients for up to a second; done runs once all is closed, and h is freed.
 */
void mcp_http_close(struct mcp_http *h, void (*done)(void *data), void *data);
/* The server's log, to the legacy sessions that asked with logging/setLevel. */
void mcp_http_log(struct mcp_http *h, enum log_level level, const char *message);

#endif
