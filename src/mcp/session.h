/*
 * One MCP session: what one client connection speaks, in either era, message by
 * message. Legacy requests (2025-11-25 and before) follow the initialize
 * handshake; modern ones (2026-07-28) carry their version and capabilities in
 * their own envelope and are served statelessly. It tracks requests in flight,
 * cancellation, progress and logging, speaks to a transport and to tool and
 * task providers, and knows nothing about what the tools do.
 */
#ifndef CODEX_MCP_SESSION_H
#define CODEX_MCP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/log.h"

struct mcp_session;
struct mcp_request;
struct seal_key;

struct mcp_transport {
	/*
	 * Sends one serialized message (len bytes, NUL-terminated); the transport adds the
	 * framing. related is the id of the request the message belongs to (its answer,
	 * its progress, its logs), or NULL, so a transport with a stream per request can
	 * route it; answer says the message is that request's answer, its last.
	 */
	void (*send)(void *ctx, const char *data, size_t len, const json_t *related, bool answer);
	/*
	 * Bytes accepted but not yet written (may be NULL): with related NULL, all the
	 * client's; else those on that request's own stream, or 0 when there is none.
	 */
	size_t (*backlog)(void *ctx, const json_t *related);
	void *ctx;
};

struct mcp_tool_provider {
	/*
	 * The "tools" array for tools/list (a new reference, or NULL). The session asks
	 * once per era and keeps the text it makes of it: the tools never change.
	 */
	json_t *(*list)(void *ctx);
	/*
	 * Starts a call. Returns -1 when no tool has that name; otherwise the
	 * provider answers req exactly once, now or later, with
	 * mcp_request_reply() or mcp_request_fail().
	 */
	int (*call)(void *ctx, struct mcp_request *req, const char *name, json_t *arguments);
	/*
	 * Whether calls of this tool are confined to the client's roots, so that a
	 * modern client that declares roots is asked for them first. May be NULL.
	 */
	bool (*wants_roots)(void *ctx, const char *name);
	void *ctx;
};

/*
 * Task-augmented requests (spec 2025-11-25, basic/utilities/tasks). The
 * session speaks the protocol; the provider keeps the tasks. Each read is made
 * for a caller, the session the request came on: the provider shows it only
 * what is its subject's (mcp_session_subject()), and another's task is no more
 * there than one that never was.
 */
/*
 * A task read's end, given back to the session to answer req: rc 1 with out (stolen),
 * 0 for done without a body, or -ENOENT no such task (or not the caller's), -EIO the
 * records cannot be read, or what the method says.
 */
typedef void (*mcp_task_done_fn)(struct mcp_request *req, int rc, json_t *out);

struct mcp_task_provider {
	/* 1 when the tool takes task-augmented calls, 0 when not, -1 when unknown. */
	int (*tool_support)(void *ctx, const char *tool);
	/*
	 * Records a task for the call req (already on its session) is about to start;
	 * fills id. Returns the Task object (2025 shape). ttl is NULL for the default.
	 */
	json_t *(*create)(void *ctx, struct mcp_request *req, const char *tool, json_t *ttl,
	                  char *id, size_t id_size);
	/* The call behind a task answered: result is a CallToolResult (stolen), or NULL with an
	 * error. */
	void (*answered)(void *ctx, const char *id, json_t *result, int code, const char *message);
	/*
	 * The reads below may wait on the records (a database): each gets the request
	 * (in flight on its caller's session, mcp_request_session()) and answers it
	 * once, now or later, through done, or itself where said.
	 */
	/* tasks/get: done(req, 1, the Task object). */
	void (*get)(void *ctx, struct mcp_request *req, const char *id, mcp_task_done_fn done);
	/* tasks/get of the 2026 extension: done(req, 1, the DetailedTask, its result inlined
	 * once it completed). */
	void (*detail)(void *ctx, struct mcp_request *req, const char *id, mcp_task_done_fn done);
	/* tasks/result: answers req itself once the task ends; done() only to refuse. */
	void (*result)(void *ctx, struct mcp_request *req, const char *id, mcp_task_done_fn done);
	/* tasks/list: done(req, 1, {tasks, nextCursor?}); -EINVAL for a cursor not ours. */
	void (*list)(void *ctx, struct mcp_request *req, const char *cursor, mcp_task_done_fn done);
	/*
	 * tasks/cancel: starts stopping the task. With wait, answers req itself once it
	 * stopped; otherwise done(req, 0, NULL) once it is told to. Refusals: -EALREADY it
	 * has ended, -EBUSY another server runs it and cannot be asked.
	 */
	void (*cancel)(void *ctx, struct mcp_request *req, const char *id, bool wait,
	               mcp_task_done_fn done);
	/*
	 * tasks/update of the 2026 extension, for a task that exists: the client's answers
	 * (borrowed, an object) to what its DetailedTask's inputRequests asked; keys the
	 * provider does not know are ignored. May be NULL: a provider that never asks.
	 */
	void (*update)(void *ctx, const char *id, json_t *input_responses);
	void *ctx;
};

/*
 * Methods besides tools, logging and tasks (resources, prompts, completion...),
 * for a server that has them. The session still classifies, tracks and answers
 * each request; what the provider does not know is answered -32601. Modern
 * requests of the methods 2026-07-28 removed (initialize, ping, logging/setLevel,
 * resources/subscribe, resources/unsubscribe) never reach it. A modern
 * prompts/get or resources/read may ask the client for input with
 * mcp_request_ask(), as a tools/call may.
 */
struct mcp_method_provider {
	/*
	 * The capabilities it serves, merged into initialize's (modern false) and
	 * server/discover's (modern true), e.g. {"prompts": {}}: a new reference, or NULL.
	 */
	json_t *(*capabilities)(void *ctx, bool modern);
	/*
	 * Starts a request. Returns -1 when the method is not the provider's; otherwise
	 * it answers req exactly once, now or later. params is borrowed (an object, or
	 * NULL). A modern complete result of resources/list, resources/templates/list,
	 * resources/read or prompts/list must carry ttlMs and cacheScope.
	 */
	int (*request)(void *ctx, struct mcp_request *req, const char *method, json_t *params);
	void *ctx;
};

struct mcp_server_info {
	const char *name;
	const char *title;
	const char *version;
	const char *instructions; /* may be NULL */
};

/*
 * The key that seals the requestState of modern multi round-trip requests, asked
 * for the first time one is sealed or opened, so that a server no client is ever
 * asked anything by never makes one. NULL with a message when there is none.
 */
struct mcp_sealer {
	const struct seal_key *(*key)(void *ctx, char *err, size_t err_size);
	void *ctx;
};

/* Without a sealer, nothing is asked of modern clients (their roots among it). */
struct mcp_session *mcp_session_new(const struct mcp_server_info *info,
                                    const struct mcp_tool_provider *tools,
                                    const struct mcp_transport *transport,
                                    const struct mcp_sealer *sealer);
void mcp_session_free(struct mcp_session *s);
/*
 * The transport is gone (a stream closed, a session ended): nothing more is sent,
 * requests to the client end unanswered, calls in flight are cancelled when
 * cancel_calls says so, and the session frees itself once the last of them has
 * answered; task-augmented calls run on to their tasks' ends. The caller must not
 * use s afterwards, and must not call this from inside the session's own send.
 */
void mcp_session_close(struct mcp_session *s, bool cancel_calls);

/* Whether a 2025-era protocol version (MCP-Protocol-Version) is one this server speaks. */
bool mcp_legacy_version_supported(const char *version);

/*
 * The tools/list text, made once and shared by every session given it, so that
 * a transport with a session per request does not make it again for each. It
 * must outlive them.
 */
struct mcp_listing *mcp_listing_new(void);
void mcp_listing_free(struct mcp_listing *l);
void mcp_session_share_listing(struct mcp_session *s, struct mcp_listing *l);

/* Who the client is, as its transport authenticated it (a token's subject); NULL: anyone. */
int mcp_session_set_subject(struct mcp_session *s, const char *subject);
const char *mcp_session_subject(const struct mcp_session *s);
/* Declares the tasks capability and serves the tasks methods. */
void mcp_session_set_task_provider(struct mcp_session *s, const struct mcp_task_provider *p);

/* Declares what the provider adds to the capabilities and sends it the methods it serves. */
void mcp_session_set_method_provider(struct mcp_session *s, const struct mcp_method_provider *p);

/* Input from the transport: one framed message, or an over-long one that was dropped. */
void mcp_session_receive(struct mcp_session *s, const char *data, size_t len);
void mcp_session_receive_overflow(struct mcp_session *s, size_t max_len);

/* Sends a notification; steals params (may be NULL). */
void mcp_session_notify(struct mcp_session *s, const char *method, json_t *params);

size_t mcp_session_requests_in_flight(const struct mcp_session *s);
/* Bytes the transport still holds for the client. */
size_t mcp_session_backlog(const struct mcp_session *s);

enum mcp_roots {
	MCP_ROOTS_NONE,    /* the client did not declare roots, or listed none */
	MCP_ROOTS_LISTED,  /* paths holds them */
	MCP_ROOTS_UNKNOWN, /* declared, but roots/list failed or went unanswered */
};

/*
 * The roots that confine a request, as local paths: a modern request's own (asked
 * with an input_required round trip), else its session's. An empty list confines
 * nothing: clients such as the MCP Inspector declare roots and list none. After a
 * failed roots/list the last good list still holds; while an answer is awaited,
 * legacy tools/call requests wait with it.
 */
enum mcp_roots mcp_request_roots(const struct mcp_request *r, char *const **paths, size_t *n);

/*
 * The server is stopping: requests to the client end unanswered, and the calls held
 * for them go on to their answers (the tools refuse to start anything new).
 */
void mcp_session_stop(struct mcp_session *s);

/* Call about once a second: requests the client has not answered in time fail. */
void mcp_session_tick(struct mcp_session *s);

/*
 * Forwards a log line as notifications/message when the legacy client asked for
 * that level with logging/setLevel. Modern requests get only their own logs.
 */
void mcp_session_log(struct mcp_session *s, enum log_level level, const char *message);

/* Requests in flight. */
json_t *mcp_request_id(const struct mcp_request *r);
/* Bytes the transport holds for the request's own stream, when it has one. */
size_t mcp_request_backlog(const struct mcp_request *r);
struct mcp_session *mcp_request_session(const struct mcp_request *r);
bool mcp_request_cancelled(const struct mcp_request *r);
/* Whether the request came in the 2026-07-28 era. */
bool mcp_request_modern(const struct mcp_request *r);
/* Cancels the request as a notifications/cancelled would (tasks/cancel on its task). */
void mcp_request_cancel(struct mcp_request *r);
/* Sends a notification that belongs to the request; steals params. */
void mcp_request_notify(struct mcp_request *r, const char *method, json_t *params);
/*
 * A log line about this request: sent to a modern request that asked for logs at
 * this level; legacy clients hear the server's log through mcp_session_log().
 */
void mcp_request_log(struct mcp_request *r, enum log_level level, const char *message);
/*
 * A modern tools/call that has gathered what it needed (input_required rounds) goes on
 * as a task of the tasks extension (SEP-2663: MRTR, then task creation): the task
 * provider records it for tool, the client gets its CreateTaskResult now, and r stands
 * for the task from then on (its answer goes to the provider). Returns 0; -1, r
 * unchanged and still to be answered, when the request did not declare the extension,
 * is not modern, is a task already, or the task cannot be recorded.
 */
int mcp_request_become_task(struct mcp_request *r, const char *tool);
/* For a task-augmented call: the task's id and the ttl asked for (NULL, 0 otherwise). */
const char *mcp_request_task_id(const struct mcp_request *r);
int64_t mcp_request_task_ttl(const struct mcp_request *r);
/* Sends notifications/progress when the call carried a progress token. */
void mcp_request_progress(struct mcp_request *r, const char *message);
/*
 * A capability the client declared ("sampling", "elicitation", "roots"...): a modern
 * request's own envelope says, else its session's initialize. Borrowed; NULL when
 * not declared.
 */
json_t *mcp_request_client_capability(const struct mcp_request *r, const char *key);
/*
 * Sends notifications/progress with these values when the request carried a
 * progress token; total <= 0 leaves it out, message may be NULL.
 */
void mcp_request_progress_at(struct mcp_request *r, double progress, double total,
                             const char *message);
/*
 * Legacy requests only: sends the client a request of the server's own (sampling/
 * createMessage, elicitation/create...) on this request's stream. done runs exactly
 * once: with the client's result or error, or both NULL when it did not answer in
 * time or the session ended. Returns 0; -1 (done never runs, params freed) for a
 * modern request, which asks with mcp_request_ask() instead.
 */
int mcp_request_send(struct mcp_request *r, const char *method, json_t *params,
                     void (*done)(void *data, json_t *result, json_t *error), void *data);
/*
 * The same, for what a person answers: the session puts no time limit on it. done runs
 * with the answer, or with both NULL when the session ends or it is withdrawn; *handle
 * names it for mcp_session_withdraw() (0 when done has run already).
 */
int mcp_request_send_open(struct mcp_request *r, const char *method, json_t *params,
                          void (*done)(void *data, json_t *result, json_t *error), void *data,
                          unsigned *handle);
/* Takes back an open question: the client is told, and its done runs now with NULLs. */
void mcp_session_withdraw(struct mcp_session *s, unsigned handle, const char *reason);
/*
 * Multi round-trip requests (2026-07-28, basic/patterns/mrtr), for modern tools/call,
 * prompts/get and resources/read. A first call has neither; a retry brings the client's
 * answers, keyed as they were asked (borrowed, each an object; NULL when none), and the
 * state the last round sealed (borrowed; NULL when none, or when it expired and the
 * client must be asked again). A requestState that was tampered with, or sealed for
 * another request, never reaches the provider: the session answers -32602 itself.
 */
json_t *mcp_request_input_responses(const struct mcp_request *r);
json_t *mcp_request_state(const struct mcp_request *r);
/*
 * Answers r with an input_required result asking the client for input_requests
 * ({key: {method, params}}, stolen) and sealing state (a JSON object, stolen, may be
 * NULL) into its requestState, bound to this method and params: the client can read
 * it but not alter it. Each embedded method needs its capability in this request's
 * envelope (elicitation/create, sampling/createMessage, roots/list); when one is
 * missing the answer is -32021 naming it. Like a reply, it ends r.
 */
void mcp_request_ask(struct mcp_request *r, json_t *input_requests, json_t *state);
/* Called once if the client cancels the request; the provider still replies. */
void mcp_request_on_cancel(struct mcp_request *r, void (*fn)(void *data), void *data);
/* Answer the request and free it; a cancelled request's answer is not sent. */
void mcp_request_reply(struct mcp_request *r, json_t *result); /* steals result */
void mcp_request_fail(struct mcp_request *r, int code, const char *message);
/* A failure with error.data (stolen, may be NULL). */
void mcp_request_fail_data(struct mcp_request *r, int code, const char *message, json_t *data);

#endif
