/*
 * How a Codex turn is run. The tools see only this interface: start a turn,
 * hear its events, answer what it asks, cancel it, receive its outcome. Two
 * backends stand behind it: a `codex exec --json` process per turn, and turns
 * on threads of one long-lived `codex app-server`.
 */
#ifndef CODEX_MCP_BACKEND_H
#define CODEX_MCP_BACKEND_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#include "codex/events.h"

/* What a thread runs with; every field may be NULL. */
struct codex_options {
	char *cwd; /* absolute */
	char *model;
	char *profile;
	char *sandbox;
	char *approval_policy;
	char *base_instructions;
	char *developer_instructions;
	char *compact_prompt;
	char *reasoning_effort;
	json_t *config; /* object of config.toml overrides */
};

void codex_options_clear(struct codex_options *o);
/* The options as a JSON object, to store with the thread (new reference). */
json_t *codex_options_to_json(const struct codex_options *o);
/* Fills o from a stored object; unknown keys are ignored. */
void codex_options_from_json(const json_t *obj, struct codex_options *o);

struct codex_turn_request {
	const struct codex_options *options;
	const char *prompt;
	size_t prompt_len;
	const char *thread_id; /* resume this thread; NULL starts a new one */
};

enum codex_turn_status {
	CODEX_TURN_COMPLETED,
	CODEX_TURN_FAILED,
	CODEX_TURN_CANCELLED,
};

struct codex_usage {
	int64_t input_tokens;
	int64_t cached_input_tokens;
	int64_t output_tokens;
	int64_t reasoning_output_tokens;
};

/* Borrowed for the duration of the done callback. */
struct codex_outcome {
	enum codex_turn_status status;
	const char *thread_id;     /* NULL if Codex never said */
	const char *final_message; /* the last agent message, or "" */
	const char *error;         /* why it failed; NULL on success */
	bool exited;               /* a process of the turn's own ended, as these say */
	int64_t exit_status;
	int term_signal;
	struct codex_usage usage;
};

/* What Codex asks before it goes on (an approval). */
enum codex_question_kind {
	CODEX_ASK_COMMAND,     /* may it run command in cwd? */
	CODEX_ASK_FILE_CHANGE, /* may it write these files? */
};

/* Borrowed for the duration of the ask hook. */
struct codex_question {
	uint64_t id; /* the turn's number for it, to answer with */
	enum codex_question_kind kind;
	const char *command; /* CODEX_ASK_COMMAND */
	const char *cwd;
	const char *reason;     /* Codex's own words; may be NULL */
	const json_t *changes;  /* CODEX_ASK_FILE_CHANGE: [{path, kind}], may be NULL */
	const char *grant_root; /* CODEX_ASK_FILE_CHANGE: writes under it, for the session */
	bool session_wide;      /* "for the rest of this session" can be answered */
};

enum codex_decision {
	CODEX_ACCEPT,
	CODEX_ACCEPT_FOR_SESSION,
	CODEX_DECLINE, /* this step is skipped; the turn goes on */
	CODEX_CANCEL,  /* the turn is interrupted */
};

struct codex_turn_hooks {
	/* Every event Codex reports, parsed. */
	void (*event)(void *data, const struct codex_event *ev);
	/* Each line Codex writes to stderr; may be NULL. */
	void (*stderr_line)(void *data, const char *line, size_t len);
	/* Exactly once; the turn object is gone after this returns. */
	void (*done)(void *data, const struct codex_outcome *outcome);
	/*
	 * Codex waits for an answer: give it with codex_turn_answer(), now or later. NULL,
	 * or a backend that cannot ask: Codex decides by itself (exec never asks).
	 */
	void (*ask)(void *data, const struct codex_question *q);
	void *data;
};

struct codex_turn;

struct codex_backend_ops {
	int (*start)(void *backend, const struct codex_turn_request *req,
	             const struct codex_turn_hooks *hooks, struct codex_turn **out, char **error);
	/* Stops the turn: SIGTERM-like first, forcefully after grace_ms. done still follows. */
	void (*cancel)(struct codex_turn *turn, unsigned grace_ms);
	/* The process that runs the turn, or 0 when none is its own (may be NULL). */
	pid_t (*pid)(const struct codex_turn *turn);
	/*
	 * The process whose tree shows what the turn does, shared with other turns maybe,
	 * for stall reports (may be NULL: pid).
	 */
	pid_t (*host)(const struct codex_turn *turn);
	/*
	 * Stop and restart reading the turn's output, so a slow client holds Codex back
	 * (may be NULL: the backend holds its own output back).
	 */
	void (*pause)(struct codex_turn *turn);
	void (*resume)(struct codex_turn *turn);
	/*
	 * Adds a message to the running turn (may be NULL: -ENOTSUP). 0, and done follows
	 * once with NULL or why it was not taken; or -errno, and done is never called.
	 */
	int (*steer)(struct codex_turn *turn, const char *text,
	             void (*done)(void *data, const char *error), void *data);
	/* Answers question id of the turn's (may be NULL). 0, or -ENOENT when not asked. */
	int (*answer)(struct codex_turn *turn, uint64_t id, enum codex_decision d);
	/*
	 * Stops every turn and frees the backend once they are gone; done (may be NULL)
	 * follows then. A backend with no process of its own frees at once.
	 */
	void (*free)(void *backend, void (*done)(void *data), void *data);
};

struct codex_backend {
	const struct codex_backend_ops *ops;
	void *impl;
};

struct codex_exec_config {
	uv_loop_t *loop;
	const char *codex_path; /* --codex-bin; NULL looks at $CODEX_BIN, then PATH */
	char **extra_env;       /* KEY=VALUE added to Codex's environment; may be NULL */
	size_t max_event_line;
};

/* The `codex exec --json` backend. */
int codex_exec_backend_new(const struct codex_exec_config *cfg, struct codex_backend *out);
/* The `codex app-server` backend: one child, started on first use, for every turn. */
int codex_app_server_backend_new(const struct codex_exec_config *cfg, struct codex_backend *out);
/*
 * Either, chosen when the first turn starts (app-server when the Codex found has it). It
 * then replaces *out with the chosen backend: out must stay where it is, and its cfg's
 * strings alive.
 */
int codex_auto_backend_new(const struct codex_exec_config *cfg, struct codex_backend *out);

static inline int codex_turn_start(struct codex_backend *b, const struct codex_turn_request *req,
                                   const struct codex_turn_hooks *hooks, struct codex_turn **out,
                                   char **error)
{
	return b->ops->start(b->impl, req, hooks, out, error);
}

static inline pid_t codex_turn_pid(struct codex_backend *b, const struct codex_turn *t)
{
	return b->ops->pid ? b->ops->pid(t) : 0;
}

static inline pid_t codex_turn_host(struct codex_backend *b, const struct codex_turn *t)
{
	return b->ops->host ? b->ops->host(t) : codex_turn_pid(b, t);
}

static inline void codex_turn_pause(struct codex_backend *b, struct codex_turn *t)
{
	if (b->ops->pause)
		b->ops->pause(t);
}

static inline void codex_turn_resume(struct codex_backend *b, struct codex_turn *t)
{
	if (b->ops->resume)
		b->ops->resume(t);
}

static inline int codex_turn_steer(struct codex_backend *b, struct codex_turn *t, const char *text,
                                   void (*done)(void *data, const char *error), void *data)
{
	return b->ops->steer ? b->ops->steer(t, text, done, data) : -ENOTSUP;
}

static inline int codex_turn_answer(struct codex_backend *b, struct codex_turn *t, uint64_t id,
                                    enum codex_decision d)
{
	return b->ops->answer ? b->ops->answer(t, id, d) : -ENOENT;
}

static inline void codex_turn_cancel(struct codex_backend *b, struct codex_turn *t,
                                     unsigned grace_ms)
{
	b->ops->cancel(t, grace_ms);
}

#endif
