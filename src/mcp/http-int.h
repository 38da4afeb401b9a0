/*
 * What the two halves of the HTTP transport share: http.c (the endpoint, the
 * exchanges and the 2026-07-28 requests) and http-legacy.c (the 2025 sessions).
 */
#ifndef CODEX_MCP_HTTP_INT_H
#define CODEX_MCP_HTTP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "http/server.h"
#include "mcp/http.h"
#include "rpc/jsonrpc.h"

struct held_msg {
	char *text;
	size_t len;
	struct held_msg *next;
};

struct hsession;

/* One POST or GET on /mcp, from the moment it is read until its answer is delivered. */
struct exch {
	struct mcp_http *h;
	struct http_exchange *x; /* while its handler runs */
	struct hsession *hs;     /* a legacy session's, or NULL */
	struct mcp_session *own; /* a modern request's session of its own */
	json_t *id;              /* the request it answers; NULL for a GET stream */
	struct http_stream *st;  /* once it streams */
	bool in_handler;         /* messages gather in `first` until the handler decides */
	struct held_msg *first, **first_tail;
	int first_code; /* the code of an error answer gathered, for its status */
	bool answered;  /* its request's answer went out */
	bool overflowed;
	char subject[256];
	struct exch *next; /* its session's exchanges, or the transport's modern ones */
};

/* A 2025-era session. */
struct hsession {
	struct mcp_http *h;
	char id[33];
	char *subject;
	struct mcp_session *s;
	struct exch *exchanges; /* POST streams, and GET streams */
	struct held_msg *standalone, **standalone_tail;
	size_t standalone_bytes;
	uint64_t last_ms;
	struct hsession *next;
};

struct mcp_http {
	struct mcp_http_config cfg;
	struct http_server *server;
	struct mcp_listing *listing;
	struct hsession *sessions;
	unsigned n_sessions;
	struct exch *modern; /* modern requests that stream */
	unsigned open_streams;
	json_t *mirrored; /* arguments tools mirror into headers, read from the listing once */
	uv_timer_t *tick;
	bool stopping;
	void (*closed)(void *data);
	void *closed_data;
	uint64_t close_deadline;
	char metadata_url[512];
};

extern const char *const mcp_http_sse_headers[];

struct post {
	struct mcp_http *h;
	struct http_exchange *x;
	const char *body;
	size_t len;
	json_t *msg;
	struct rpc_message m;
	const char *subject;
};

/* Seen by the two halves only: not exported from the module. */
#pragma GCC visibility push(hidden)

/* http.c: answers, messages and exchanges. */
void mcp_http_json(struct http_exchange *x, unsigned status, const char *text,
                   const char *const *headers);
/* A JSON-RPC error as the whole answer; data is stolen. */
void mcp_http_error(struct http_exchange *x, unsigned status, json_t *id, int code,
                    const char *message, json_t *data, const char *const *headers);
struct held_msg *mcp_http_held_new(const char *data, size_t len);
void mcp_http_held_free(struct held_msg *m);
/* One SSE event; the client is cut off when it holds too much unread. */
void exch_stream_msg(struct exch *e, const char *data, size_t len);
void exch_send(struct exch *e, const char *data, size_t len, bool answer);
size_t exch_backlog(const struct exch *e);
struct exch *exch_new(struct mcp_http *h, struct http_exchange *x, const char *subject);
void exch_link(struct exch *e);
void exch_unlink(struct exch *e);
void exch_free(struct exch *e, bool client_left);
void exch_stream_closed(void *data, bool done);
void exch_feed(struct exch *e, struct mcp_session *s, const struct post *p);
void exch_finish(struct exch *e, const char *session_id);
void exch_keep_alive(struct mcp_http *h, struct exch *list);
struct mcp_session *mcp_http_session_new(struct mcp_http *h, const struct mcp_transport *t,
                                         const char *subject);

/* http-legacy.c: the 2025 sessions. */
void legacy_post(struct post *p);
void legacy_get(struct mcp_http *h, struct http_exchange *x, const char *subject);
void legacy_delete(struct mcp_http *h, struct http_exchange *x, const char *subject);
/* Expires idle sessions, and keeps their quiet streams alive. */
void legacy_tick(struct mcp_http *h, uint64_t now);
void legacy_stop(struct mcp_http *h);
void legacy_end_all(struct mcp_http *h);

#pragma GCC visibility pop

#endif
