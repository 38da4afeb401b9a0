/*
 * What the agent tools and the dashboard share, so both list and stop agents the
 * same way: the listing of list_agent_tasks, and the stop of kill_agent.
 */
#ifndef CODEX_MCP_AGENTS_H
#define CODEX_MCP_AGENTS_H

#include <jansson.h>

#include "store/store.h"
#include "tasks/runner.h"

struct app;

/*
 * The subject's tasks, newest first, read on the store's thread: done gets the
 * listing list_agent_tasks answers with (agent_listing(), a new reference), or
 * NULL and why. status is NULL or one of agent_statuses. 0, or -ENOMEM (done is
 * then not called).
 */
int agents_list(struct app *app, const char *subject, const char *status, int limit,
                void (*done)(void *data, json_t *list, const char *error), void *data);

/* What stopping a task found (visible_task_async()) comes to. */
enum agent_stop {
	AGENT_STOPPING,  /* it runs here: it is being stopped */
	AGENT_ELSEWHERE, /* another replica runs it: agent_ask_stop() asks that one */
	AGENT_WAS_OVER,  /* it had already ended */
};

/*
 * kill_agent's way with the subject's task rec, live when it runs here: when it
 * runs here, obs (may be NULL) is attached and the task killed, SIGTERM to its
 * process group then SIGKILL after grace_ms (0: at once); a queued task ends
 * inside this call, and obs hears it then. Otherwise nothing is done.
 */
enum agent_stop agent_stop(struct app *app, const struct task_record *rec, struct task *live,
                           unsigned grace_ms, struct task_observer *obs);

/*
 * Asks replica owner, through the store and off the loop, to stop task id; done
 * follows with 0, or -1 and why. 0, or -ENOMEM (done is then not called).
 */
int agent_ask_stop(struct app *app, const char *owner, const char *id,
                   void (*done)(void *data, int rc, const char *error), void *data);

#endif
