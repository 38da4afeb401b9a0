/*
 * Runs that live on another replica sharing the store: a call here waits on
 * one there, and a reply on a thread another replica holds is handed to it
 * (Codex lets one process write a thread at a time, and app-server keeps a
 * thread it ran open).
 */
#ifndef CODEX_MCP_REMOTE_H
#define CODEX_MCP_REMOTE_H

#include <jansson.h>

#include "app/call.h"
#include "store/store.h"
#include "tasks/runner.h"

struct app;

/* What a call answers once the run it waits on elsewhere has ended; rec is its record. */
typedef json_t *(*remote_answer_fn)(const struct task_record *rec);

/*
 * Answers call with answer(rec) once the task id, which replica owner runs,
 * has ended, with progress while it runs. When the call is cancelled, owner
 * is asked to stop the run as cancel_how says ("cancelled"), or (NULL) only
 * the wait ends.
 */
void remote_wait(const struct tool_call *call, const char *id, const char *owner,
                 const char *cancel_how, remote_answer_fn answer);

/*
 * Hands a codex-reply to owner, which holds spec's thread, and answers the
 * call with the result it records. spec's options are not used: the owner
 * reads the thread's own.
 */
void tool_run_elsewhere(const struct tool_call *call, const char *owner,
                        const struct task_spec *spec);

/*
 * Whether Codex here can see the thread's session: a thread another replica ran
 * can be continued only from a sessions directory the replicas share.
 */
bool remote_session_here(const struct app *app, const char *thread_id);

/* A server stopping: the calls waiting on runs elsewhere are answered; the runs go on. */
void remote_stop(struct app *app);

/*
 * On the owner: a stop asked of a handed-over run whose thread is still being
 * looked up; true when id was one (it will end so, without running).
 */
bool remote_stop_taking(const char *id, const char *how);
/* On the owner: runs what another replica handed over (the store's request text). */
void remote_run_taken(struct app *app, const char *id, const char *request);

/*
 * Fleet mode: whether a run another replica offered can run here (the store's
 * can_run; data: the app), and, once taken, running it.
 */
bool remote_can_run(void *data, const char *request);
void remote_run_offered(struct app *app, const char *id, const char *request);

#endif
