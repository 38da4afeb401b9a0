/*
 * What a caller may see of the server's records: only those of its own subject
 * (store.h says whose a record is). Every tool and the MCP task provider find
 * tasks, threads and agent logs through here, so that all of them agree; another
 * subject's record is answered exactly as one that does not exist.
 */
#ifndef CODEX_MCP_VISIBLE_H
#define CODEX_MCP_VISIBLE_H

#include <stdbool.h>

#include "app/call.h"
#include "store/store.h"
#include "tasks/agent-logs.h"
#include "tasks/runner.h"

struct app;

/* Who makes the call: its session's subject, or NULL for no one (no authentication). */
const char *call_subject(const struct tool_call *call);

/*
 * The task as it is now, when it is the subject's: the live run's record, else
 * the state the store has not taken yet, else the store's. 1 with *out filled
 * (a copy, for task_record_clear()) and *live the run when it runs here (else
 * NULL); 0 when there is no such task or it is another subject's; -1 when the
 * records cannot be read.
 */
int visible_task(struct app *app, const char *subject, const char *id, struct task_record *out,
                 struct task **live);

/*
 * visible_task() for a tool's call, which is answered when it finds nothing: "no
 * task", or that the records cannot be read. true with *out filled when found.
 */
bool call_find_task(const struct tool_call *call, const char *id, struct task_record *out,
                    struct task **live);

/*
 * call_find_task(), with the store's read made off the loop: fn runs with the
 * task once found (rec valid during the call only); otherwise the call is
 * answered. data (malloc'd, or NULL) is freed after fn, or when fn is not called.
 */
typedef void (*call_task_fn)(const struct tool_call *call, const struct task_record *rec,
                             struct task *live, void *data);
void call_find_task_async(const struct tool_call *call, const char *id, call_task_fn fn,
                          void *data);

/*
 * visible_task(), with a read of the store made on the store's thread, so the
 * loop never waits on the database: fn gets what visible_task() gives (rec
 * valid during the call only), and the store's word when found is -1. fn may run before this
 * returns, when the task is in memory or the store has no thread.
 */
/* The error a call gets for a task not found (0) or not readable (-1, error: why). */
json_t *visible_missing(const char *id, int found, const char *error);

typedef void (*visible_task_fn)(void *data, int found, const struct task_record *rec,
                                struct task *live, const char *error);
void visible_task_async(struct app *app, const char *subject, const char *id, visible_task_fn fn,
                        void *data);

/*
 * visible_task_async(), which, when judge is set, also says whether the task,
 * not ended, is run by another server that is alive (its process on this host,
 * or its lease on a shared store): judged on the store's thread too. Without
 * judge, elsewhere is false: a read that only shows the task asks no more.
 */
typedef void (*visible_owner_fn)(void *data, int found, const struct task_record *rec,
                                 struct task *live, bool elsewhere, const char *error);
void visible_task_owner_async(struct app *app, const char *subject, const char *id, bool judge,
                              visible_owner_fn fn, void *data);

/* The thread, when it is the subject's: 1 with *out filled, 0 when not (or none), -1 on error. */
int visible_thread(struct app *app, const char *subject, const char *id, struct thread_record *out);

/*
 * visible_thread(), read off the loop: fn gets found (1, 0 not
 * the subject's or none, -1 unreadable, error saying why), and owner_alive: for a
 * thread another server holds on a shared store, whether that server lives (1, 0,
 * or -1 cannot tell), else 0. fn may run before this returns.
 */
typedef void (*visible_thread_fn)(void *data, int found, const struct thread_record *rec,
                                  int owner_alive, const char *error);
void visible_thread_async(struct app *app, const char *subject, const char *id,
                          visible_thread_fn fn, void *data);

/* Calls fn for each of the subject's runs that are running or queued here. */
void visible_each_live(struct app *app, const char *subject, void (*fn)(void *data, struct task *t),
                       void *data);

/*
 * Keeps, of the n agent logs in the log directory (rotated ".1" too), those that
 * are the subject's, in order, asking the store off the loop; then fn(data,
 * entries, how many kept). entries stay the caller's.
 */
typedef void (*visible_logs_fn)(void *data, struct log_entry *entries, int n);
void visible_logs_async(struct app *app, const char *subject, struct log_entry *entries, int n,
                        visible_logs_fn fn, void *data);

#endif
