/*
 * The runner's writes to the store: task and thread records, written on the
 * store's thread in the order made, so a slow database never holds the loop
 * up. A record is kept here until the store has taken its newest state: what
 * the store refuses is tried again each second, and is read from here
 * meanwhile, so nothing the server said is lost or goes back in time.
 */
#ifndef CODEX_MCP_WRITES_H
#define CODEX_MCP_WRITES_H

#include <stdbool.h>

#include <uv.h>

#include "store/store.h"

struct writes;

struct writes *writes_new(uv_loop_t *loop, struct store *store);
/*
 * Writes the task's record (copied). then, when given, is called once this
 * state has been tried: saved says whether the store took it. It may be called
 * before writes_task() returns (a store without a thread).
 */
void writes_task(struct writes *w, const struct task_record *rec,
                 void (*then)(void *data, bool saved), void *data);
/* Writes a thread: its options (NULL: only its status changes), status, and subject when new. */
void writes_thread(struct writes *w, const char *id, const json_t *options, const char *status,
                   const char *subject, int64_t at);
/* The newest state of a task the store has not taken yet, or NULL. */
const struct task_record *writes_pending(const struct writes *w, const char *id);
/* The store's word when it refused the task's newest state last tried, else NULL. */
const char *writes_failed(const struct writes *w, const char *id);
/*
 * Waits for the writes in flight, tries what is left once more, says on stderr
 * what is still lost, and frees everything, the timer closing on the loop.
 */
void writes_free(struct writes *w);

#endif
