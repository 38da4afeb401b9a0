/*
 * How a Codex turn is run. The tools see only this interface: start a turn,
 * hear its events, cancel it, receive its outcome. `codex exec --json` is the
 * first backend; an app-server backend can stand behind the same calls.
 */
#ifndef CODEX_MCP_BACKEND_H
#define CODEX_MCP_BACKEND_H

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
	int64_t exit_status;
	int term_signal;
	struct codex_usage usage;
};

struct codex_turn_hooks {
	/* Every event Codex reports, parsed. */
	void (*event)(void *data, const struct codex_event *ev);
	/* Each line Codex writes to stderr; may be NULL. */
	void (*stderr_line)(void *data, const char *line, size_t len);
	/* Exactly once; the turn object is gone after this returns. */
	void (*done)(void *data, const struct codex_outcome *outcome);
	void *data;
};

struct codex_turn;

struct codex_backend_ops {
	int (*start)(void *backend, const struct codex_turn_request *req,
	             const struct codex_turn_hooks *hooks, struct codex_turn **out, char **error);
	/* Stops the turn: SIGTERM-like first, forcefully after grace_ms. done still follows. */
	void (*cancel)(struct codex_turn *turn, unsigned grace_ms);
	pid_t (*pid)(const struct codex_turn *turn);
	/* Stop and restart reading the turn's output, so a slow client holds Codex back. */
	void (*pause)(struct codex_turn *turn);
	void (*resume)(struct codex_turn *turn);
	void (*free)(void *backend);
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

static inline int codex_turn_start(struct codex_backend *b, const struct codex_turn_request *req,
                                   const struct codex_turn_hooks *hooks, struct codex_turn **out,
                                   char **error)
{
	return b->ops->start(b->impl, req, hooks, out, error);
}

static inline pid_t codex_turn_pid(struct codex_backend *b, const struct codex_turn *t)
{
	return b->ops->pid(t);
}

static inline void codex_turn_pause(struct codex_backend *b, struct codex_turn *t)
{
	b->ops->pause(t);
}

static inline void codex_turn_resume(struct codex_backend *b, struct codex_turn *t)
{
	b->ops->resume(t);
}

static inline void codex_turn_cancel(struct codex_backend *b, struct codex_turn *t,
                                     unsigned grace_ms)
{
	b->ops->cancel(t, grace_ms);
}

#endif
