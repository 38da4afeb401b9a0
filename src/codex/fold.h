/*
 * What a turn's events add up to, whichever backend reported them: its thread,
 * its last agent message, how it ended, and the tokens it used.
 */
#ifndef CODEX_MCP_FOLD_H
#define CODEX_MCP_FOLD_H

#include <stdbool.h>

#include "codex/backend.h"
#include "codex/events.h"

struct codex_fold {
	char *thread_id;
	char *final_message;
	char *turn_error;  /* the turn said it failed */
	char *other_error; /* a top-level error event */
	bool completed;
	bool failed;
	struct codex_usage usage;
	bool has_base; /* app-server: the thread's totals before this turn are known */
	int64_t base[4];
};

/* Starts a fold for a turn of thread_id (NULL: a new thread). Returns 0 or -ENOMEM. */
int codex_fold_init(struct codex_fold *f, const char *thread_id);
/* Returns -ENOMEM when a string could not be kept. */
int codex_fold_event(struct codex_fold *f, const struct codex_event *ev);
/*
 * The outcome so far, borrowing the fold's strings. cancelled wins; a turn that did not
 * complete and said nothing fails with why (which may be NULL: "codex failed").
 */
void codex_fold_outcome(const struct codex_fold *f, bool cancelled, const char *why,
                        struct codex_outcome *out);
void codex_fold_clear(struct codex_fold *f);

#endif
