/*
 * One end of a JSON-RPC 2.0 connection to a program we talk to, such as Codex's
 * app-server: it numbers the requests it sends and hands each answer to the
 * callback given with its request, and hands the other side's requests and
 * notifications to its owner. It does no I/O: lines come in through
 * rpc_peer_receive(), and go out through the owner's write function, so any
 * transport (a child's pipes, a test's buffer) can carry it.
 *
 * Messages from the other side may leave out "jsonrpc": "2.0"; ours carry it.
 */
#ifndef CODEX_MCP_RPC_PEER_H
#define CODEX_MCP_RPC_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The error code a request is answered with when the peer closes before its answer. */
#define RPC_PEER_GONE (-32099)

/*
 * The answer to one of our requests: result, or error (an object with "code" and
 * "message"); both borrowed for the call. Called exactly once per request sent,
 * unless the request is forgotten first: also when the peer closes.
 */
typedef void (*rpc_answer_fn)(void *data, json_t *result, json_t *error);

struct rpc_peer_handler {
	/* Writes one message, without its newline (the owner adds it). 0 or -errno. */
	int (*write)(void *ctx, const char *text, size_t len);
	/* The other side asks; answer with rpc_peer_reply() or rpc_peer_reply_error(). */
	void (*request)(void *ctx, json_t *id, const char *method, json_t *params);
	void (*notification)(void *ctx, const char *method, json_t *params);
	/* A line that is no message, or an answer to nothing asked; may be NULL. */
	void (*garbage)(void *ctx, const char *why, const char *line, size_t len);
	void *ctx;
};

struct rpc_peer;

int rpc_peer_new(const struct rpc_peer_handler *h, struct rpc_peer **out);
/*
 * Answers every request still waiting with RPC_PEER_GONE and why, then frees the
 * peer. May be called from one of its own callbacks: it is then freed on return.
 */
void rpc_peer_close(struct rpc_peer *p, const char *why);

/*
 * Sends a request; params is stolen (may be NULL), and fn may be NULL when the answer
 * does not matter. Returns 0, or -errno when it
 * could not be sent: fn is then never called. id_out, if given, gets its id.
 */
int rpc_peer_request(struct rpc_peer *p, const char *method, json_t *params, rpc_answer_fn fn,
                     void *data, int64_t *id_out);
/* The answer to id is no longer wanted: its callback will not be called. */
void rpc_peer_forget(struct rpc_peer *p, int64_t id);
/* Requests sent and not answered yet. */
size_t rpc_peer_pending(const struct rpc_peer *p);

/* params is stolen (may be NULL). */
int rpc_peer_notify(struct rpc_peer *p, const char *method, json_t *params);
/* Answers a request of the other side's; result is stolen. */
int rpc_peer_reply(struct rpc_peer *p, const json_t *id, json_t *result);
int rpc_peer_reply_error(struct rpc_peer *p, const json_t *id, int code, const char *message);

/* One line the other side wrote, without its newline. */
void rpc_peer_receive(struct rpc_peer *p, const char *line, size_t len);

#endif
