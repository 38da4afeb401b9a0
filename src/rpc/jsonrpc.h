/* JSON-RPC 2.0 message validation and construction. */
#ifndef CODEX_MCP_JSONRPC_H
#define CODEX_MCP_JSONRPC_H

#include <jansson.h>

enum {
	RPC_PARSE_ERROR = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_INTERNAL_ERROR = -32603,
};

enum rpc_kind {
	RPC_REQUEST,
	RPC_NOTIFICATION,
	RPC_RESPONSE,
	RPC_INVALID,
};

/* Borrowed views into the message it was classified from. */
struct rpc_message {
	enum rpc_kind kind;
	json_t *id;         /* request/response id; for RPC_INVALID, an id worth echoing or NULL */
	const char *method; /* requests and notifications */
	json_t *params;     /* NULL when absent */
	const char *why;    /* RPC_INVALID: what is wrong */
};

void rpc_classify(json_t *msg, struct rpc_message *out);
/*
 * The same, for a peer that leaves out "jsonrpc": "2.0" (Codex's app-server does);
 * a "jsonrpc" member that is there must still say "2.0".
 */
void rpc_classify_lenient(json_t *msg, struct rpc_message *out);

/* New messages. The id is borrowed (NULL means "id": null); result and params are stolen. */
json_t *rpc_make_result(json_t *id, json_t *result);
json_t *rpc_make_error(json_t *id, int code, const char *message);
json_t *rpc_make_notification(const char *method, json_t *params);

#endif
