#include "app/agents.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fleet.h"

/* A listing: read on the store's thread, answered on the loop. */
struct listing {
	struct app *app;
	char *subject;
	const char *status; /* an entry of agent_statuses, or NULL */
	int limit;
	json_t *counts;
	struct task_record *recs;
	size_t n;
	void (*done)(void *data, json_t *list, const char *error);
	void *data;
};

static void keep(void *data, const struct task_record *rec)
{
	struct listing *l = data;

	if (task_record_copy(&l->recs[l->n], rec) == 0)
		l->n++;
}

/* On the store's thread: nothing of the loop's is touched. */
static int read_listing(struct store *s, void *data)
{
	struct listing *l = data;

	/* The caller's own tasks: another subject's are neither listed nor counted. */
	l->counts = store_count_tasks(s, l->subject);
	return store_each_task(s, l->subject, l->status, l->limit, keep, l);
}

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		task_record_clear(&l->recs[i]);
	free(l->recs);
	json_decref(l->counts);
	free(l->subject);
	free(l);
}

static void answer_listing(void *data, int rc, const char *error)
{
	struct listing *l = data;
	json_t *tasks;

	if (rc != 0) {
		l->done(l->data, NULL, error ? error : "?");
		listing_free(l);
		return;
	}
	tasks = json_array();
	for (size_t i = 0; i < l->n; i++) {
		/* A live task's record, or one on its way to the store, is fresher than the stored.
		 */
		struct task *live = runner_find(l->app->runner, l->recs[i].id);
		const struct task_record *kept = runner_unsaved(l->app->runner, l->recs[i].id);
		json_array_append_new(tasks, agent_listing_entry(live   ? task_record(live)
		                                                 : kept ? kept
		                                                        : &l->recs[i],
		                                                 live));
	}
	l->done(l->data, agent_listing(l->counts, tasks), NULL);
	listing_free(l);
}

int agents_list(struct app *app, const char *subject, const char *status, int limit,
                void (*done)(void *data, json_t *list, const char *error), void *data)
{
	struct listing *l = calloc(1, sizeof *l);

	if (!l || !(l->recs = calloc((size_t)limit, sizeof *l->recs)) ||
	    (subject && !(l->subject = strdup(subject)))) {
		if (l)
			free(l->recs);
		free(l);
		return -ENOMEM;
	}
	l->app = app;
	l->limit = limit;
	l->done = done;
	l->data = data;
	/* The caller's string may not outlive the call: the table's own is kept. */
	for (const char *const *s = agent_statuses; status && *s; s++)
		if (strcmp(*s, status) == 0)
			l->status = *s;
	if (store_submit_read(app->store, read_listing, answer_listing, l) != 0) {
		listing_free(l);
		return -ENOMEM;
	}
	return 0;
}

enum agent_stop agent_stop(struct app *app, const struct task_record *rec, struct task *live,
                           unsigned grace_ms, struct task_observer *obs)
{
	if (!live && !agent_status_terminal(rec->status) && store_shared(app->store) &&
	    rec->owner && strcmp(rec->owner, app->instance) != 0)
		return AGENT_ELSEWHERE;
	if (!live)
		return AGENT_WAS_OVER;
	if (obs)
		task_observe(live, obs);
	task_kill(live, TASK_KILLED, grace_ms);
	return AGENT_STOPPING;
}

/* Asking another replica to stop a run it owns. */
struct asking {
	char *owner;
	char id[64];
	void (*done)(void *data, int rc, const char *error);
	void *data;
};

static int ask_work(struct store *s, void *data)
{
	struct asking *a = data;

	return store_ask_cancel(s, a->owner, a->id, "killed");
}

static void asked(void *data, int rc, const char *error)
{
	struct asking *a = data;

	a->done(a->data, rc == 0 ? 0 : -1, error ? error : "?");
	free(a->owner);
	free(a);
}

int agent_ask_stop(struct app *app, const char *owner, const char *id,
                   void (*done)(void *data, int rc, const char *error), void *data)
{
	struct asking *a = calloc(1, sizeof *a);

	if (!a || !(a->owner = strdup(owner))) {
		free(a);
		return -ENOMEM;
	}
	snprintf(a->id, sizeof a->id, "%s", id);
	a->done = done;
	a->data = data;
	if (store_submit(app->store, ask_work, asked, a) != 0) {
		free(a->owner);
		free(a);
		return -ENOMEM;
	}
	return 0;
}
