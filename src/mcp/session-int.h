/*
 * What the files of the session share: session.c (framing in, legacy methods,
 * requests in flight), modern.c (the 2026-07-28 era), tasks.c (both task wires),
 * roots.c (the client's roots). Nothing outside src/mcp includes it.
 */
#ifndef CODEX_MCP_SESSION_INT_H
#define CODEX_MCP_SESSION_INT_H

#include "mcp/era.h"
#include "mcp/session.h"
#include "rpc/jsonrpc.h"

struct mcp_listing {
	char *legacy, *modern;
};

struct mcp_request {
	struct mcp_session *session;
	struct mcp_request *next;
	json_t *id;
	json_t *progress_token;
	double progress;
	/* The last progress notification: its first progress_head bytes are the same in all. */
	char *progress_text;
	size_t progress_head, progress_len, progress_cap;
	bool cancelled;
	void (*cancel_fn)(void *data);
	void *cancel_data;
	char *task_id; /* a task-augmented call: answers go to the task provider */
	int64_t task_ttl;

	/* The 2026-07-28 era: what the request's own envelope said. */
	bool modern;
	bool wants_logs;
	enum log_level log_level;
	bool has_roots; /* roots answered in its own input_required round trip */
	char **roots;
	size_t n_roots;
	json_t *client_caps; /* its envelope's clientCapabilities */

	/* Multi round-trip (mrtr.c): what a retry brought, and what a new round seals. */
	const char *mrtr_method; /* NULL: the request cannot ask */
	json_t *mrtr_binding;    /* a digest of its params, less what a retry adds */
	json_t *input_responses;
	json_t *state;

	/* A task request (get, list...) whose read may wait: what it asks, to word the answer. */
	const char *tasks_method; /* "get", "result", "list", "cancel", "update" */
	char *tasks_id;
	json_t *tasks_update; /* tasks/update's inputResponses, given once the task is found */
};

/* A request we sent the client, awaiting its response. */
struct outgoing {
	char id[32];
	unsigned n; /* the number in id */
	int64_t sent_ms;
	bool waits; /* a person answers: no time limit of the session's */
	void (*done)(struct mcp_session *s, json_t *result, json_t *error);
	/* Asked on behalf of a request (mcp_request_send): this instead of done. */
	void (*on_answer)(void *data, json_t *result, json_t *error);
	void *data;
	struct outgoing *next;
};

/* A message held back until the client's roots are known. */
struct held {
	json_t *msg;
	struct held *next;
};

struct mcp_session {
	struct mcp_server_info info;
	struct mcp_tool_provider tools;
	struct mcp_transport transport;
	struct mcp_sealer sealer;
	bool has_sealer;
	bool initialized;
	bool logging_enabled; /* the client called logging/setLevel */
	bool sending_log;     /* guards against logging about sending a log */
	enum log_level log_level;
	char protocol_version[16];
	struct mcp_request *requests;
	size_t request_count;
	struct mcp_task_provider tasks;
	bool has_tasks;
	struct mcp_request *task_calls; /* task-augmented calls still running */
	struct mcp_method_provider methods;
	bool has_methods;
	json_t *client_caps; /* what the legacy client declared in initialize */

	/* tools/list is asked often and never changes: its text is made once per era,
	 * by the session or by all the sessions that share a listing. */
	struct mcp_listing own_listing, *listing;
	bool closed;   /* its transport is gone: it ends once its requests have */
	bool closing;  /* inside mcp_session_close(), which frees it at the end */
	char *subject; /* who the transport says the client is, or NULL */

	bool client_has_roots;
	bool roots_pending;
	bool roots_known;  /* roots holds the client's last good list */
	bool roots_failed; /* declared, but never listed: nothing may run */
	bool roots_heard;  /* it answered roots/list at least once */
	char **roots;
	size_t n_roots;
	struct outgoing *outgoing;
	unsigned next_outgoing;
	struct held *held, **held_tail;
};

/* Sending. Messages of a request name it, so the transport can route them. */
void session_send(struct mcp_session *s, json_t *msg, const json_t *related);
void session_reply_error(struct mcp_session *s, json_t *id, int code, const char *message,
                         json_t *data /* stolen, may be NULL */);
/* Adds resultType and serverInfo to a modern request's result. */
void session_reply_result(struct mcp_session *s, json_t *id, json_t *result, bool modern);
/* Sends a result whose body is already JSON text, as tools/list does. */
void session_reply_text(struct mcp_session *s, json_t *id, const char *body);

struct mcp_request *session_new_request(struct mcp_session *s, json_t *id);
json_t *session_progress_token(json_t *params);
/* Modern: fills what the request's envelope says into r. */
void session_apply_envelope(struct mcp_request *r, const struct mcp_envelope *env);

/* A tools/call with a task behind it: the task answers, the call runs on (tasks.c). */
void session_start_task_call(struct mcp_session *s, json_t *id, json_t *params, const char *name,
                             json_t *arguments, json_t *ttl, const struct mcp_envelope *env,
                             char **roots, size_t n_roots);
void session_handle_tasks(struct mcp_session *s, json_t *id, const char *what, json_t *params);
void session_handle_modern_tasks(struct mcp_session *s, json_t *id, const char *what,
                                 json_t *params, const struct mcp_envelope *env);

/* The 2026-07-28 era (modern.c). */
void session_handle_modern(struct mcp_session *s, const struct rpc_message *m,
                           const struct mcp_envelope *env);

/* Methods of the method provider, in either era (env NULL: legacy) (methods.c). */
void session_provider_request(struct mcp_session *s, const struct rpc_message *m,
                              const struct mcp_envelope *env);
/* The provider's capabilities merged into caps. */
void session_provider_capabilities(const struct mcp_session *s, json_t *caps, bool modern);

/*
 * A modern tools/call, prompts/get or resources/read (mrtr.c): reads what a retry
 * brought into r, which may then ask. Returns 0, or -1 once r has failed (and is gone).
 */
int session_mrtr_take(struct mcp_request *r, const char *method, json_t *params);
void session_mrtr_free(struct mcp_request *r);

/* Roots (roots.c): a ListRootsResult as local paths; -1 when it is not one. */
int roots_parse(const json_t *result, char ***paths, size_t *n, size_t *listed);
void roots_free(char **paths, size_t n);

#endif
