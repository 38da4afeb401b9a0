/*
 * One `codex app-server` for the whole server: a child started on first use, in
 * its own process group and dying with the server, spoken to in JSON-RPC over its
 * stdin and stdout. It is initialized before anything else it is sent, and
 * started again by the first request after it exits.
 */
#ifndef CODEX_MCP_APP_SERVER_H
#define CODEX_MCP_APP_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#include "rpc/peer.h"

struct app_server_config {
	uv_loop_t *loop;
	const char *codex_path; /* absolute */
	char *const *env;       /* NULL inherits the server's environment */
	const char *client_version;
	size_t max_line; /* longest line it may write */
	/* What it says, and what it asks: answer a request with app_server_reply(). */
	void (*notification)(void *data, const char *method, json_t *params);
	void (*request)(void *data, json_t *id, const char *method, json_t *params);
	/* It exited; why says how. What it had not answered was answered with RPC_PEER_GONE. */
	void (*exited)(void *data, const char *why);
	void *data;
};

struct app_server;

int app_server_new(const struct app_server_config *cfg, struct app_server **out);
/*
 * Stops it, SIGTERM first and SIGKILL after grace_ms, and frees it once it is gone:
 * then done runs (may be NULL).
 */
void app_server_free(struct app_server *as, unsigned grace_ms, void (*done)(void *data),
                     void *data);

/*
 * Sends a request, starting the app-server first if it is not running; params is
 * stolen. Returns 0, or -errno with err when it could not be sent (fn is then not called).
 */
int app_server_request(struct app_server *as, const char *method, json_t *params, rpc_answer_fn fn,
                       void *data, int64_t *id_out, char *err, size_t err_size);
/* The answer to id is no longer wanted. */
void app_server_forget(struct app_server *as, int64_t id);
/* Answers one of its requests; result is stolen. */
int app_server_reply(struct app_server *as, const json_t *id, json_t *result);
int app_server_reply_error(struct app_server *as, const json_t *id, int code, const char *message);

/* Its process group, or 0 when it is not running. */
pid_t app_server_pid(const struct app_server *as);

#endif
