#include "app/visible.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/args.h"
#include "app/fleet.h"

const char *call_subject(const struct tool_call *call)
{
	return call->session ? mcp_session_subject(call->session) : NULL;
}

int visible_task(struct app *app, const char *subject, const char *id, struct task_record *out,
                 struct task **live)
{
	struct task *t = runner_find(app->runner, id);
	const struct task_record *pending = t ? NULL : runner_unsaved(app->runner, id);
	int found;

	*live = NULL;
	/* The live run is the freshest; what the store has not taken yet is newer than it. */
	if (t || pending)
		found = task_record_copy(out, t ? task_record(t) : pending) == 0 ? 1 : -1;
	else
		found = store_get_task(app->store, id, out);
	if (found != 1)
		return found;
	if (!store_subject_same(out->subject, subject)) {
		task_record_clear(out);
		return 0;
	}
	*live = t;
	return 1;
}

json_t *visible_missing(const char *id, int found, const char *error)
{
	char message[512];

	if (found < 0)
		snprintf(message, sizeof message, "cannot read task %.200s: the database: %s", id,
		         error ? error : "?");
	else
		snprintf(message, sizeof message, "task_id: no task %.200s", id);
	return tool_error_result(message);
}

struct lookup {
	char id[64];
	char *subject;
	char *instance; /* this server's name, to judge the owner by; NULL: not asked */
	struct task_record rec;
	int found;
	bool elsewhere;
	visible_task_fn fn;
	visible_owner_fn owner_fn;
	bool judge; /* owner_fn wants the owner judged */
	void *data;
};

/* Whether a run not ended that another live server owns (on the store's thread). */
static bool owned_elsewhere(struct store *s, const struct task_record *rec, const char *instance)
{
	return instance && !agent_status_terminal(rec->status) && rec->owner &&
	       strcmp(rec->owner, instance) != 0 &&
	       store_owner_alive(s, rec->owner, store_now_ms()) == 1;
}

static int lookup_work(struct store *s, void *data)
{
	struct lookup *l = data;

	l->found = store_get_task(s, l->id, &l->rec);
	if (l->found == 1)
		l->elsewhere = owned_elsewhere(s, &l->rec, l->instance);
	return l->found < 0 ? -1 : 0;
}

static void lookup_done(void *data, int rc, const char *error)
{
	struct lookup *l = data;
	const struct task_record *rec;

	(void)rc;
	if (l->found == 1 && !store_subject_same(l->rec.subject, l->subject))
		l->found = 0;
	rec = l->found == 1 ? &l->rec : NULL;
	if (l->owner_fn)
		l->owner_fn(l->data, l->found, rec, NULL, rec && l->elsewhere, error);
	else
		l->fn(l->data, l->found, rec, NULL, error);
	task_record_clear(&l->rec);
	free(l->subject);
	free(l->instance);
	free(l);
}

/* The runner holds id (running, or a state the store has yet to take): no need to ask. */
static bool in_memory(struct app *app, const char *id)
{
	return runner_find(app->runner, id) || runner_unsaved(app->runner, id);
}

static void lookup_start(struct app *app, const char *subject, const char *id, struct lookup *l)
{
	if (strlen(id) >= sizeof l->id) {
		lookup_done(l, 0, NULL); /* no task has such an id */
		return;
	}
	snprintf(l->id, sizeof l->id, "%s", id);
	if ((subject && !(l->subject = strdup(subject))) ||
	    (l->judge && app->instance && !(l->instance = strdup(app->instance))) ||
	    store_submit_read(app->store, lookup_work, lookup_done, l) != 0) {
		l->found = -1;
		lookup_done(l, -1, "out of memory");
	}
}

void visible_task_async(struct app *app, const char *subject, const char *id, visible_task_fn fn,
                        void *data)
{
	struct task_record rec;
	struct task *live;
	struct lookup *l;

	/* In memory, the answer is at hand. */
	if (in_memory(app, id)) {
		int found = visible_task(app, subject, id, &rec, &live);
		fn(data, found, found == 1 ? &rec : NULL, found == 1 ? live : NULL,
		   found < 0 ? store_error(app->store) : NULL);
		if (found == 1)
			task_record_clear(&rec);
		return;
	}
	if (!(l = calloc(1, sizeof *l))) {
		fn(data, -1, NULL, NULL, "out of memory");
		return;
	}
	l->fn = fn;
	l->data = data;
	lookup_start(app, subject, id, l);
}

void visible_task_owner_async(struct app *app, const char *subject, const char *id, bool judge,
                              visible_owner_fn fn, void *data)
{
	struct task_record rec;
	struct task *live;
	struct lookup *l;

	/* This server's run, or a state it has yet to write: its own, not another's. */
	if (in_memory(app, id)) {
		int found = visible_task(app, subject, id, &rec, &live);
		fn(data, found, found == 1 ? &rec : NULL, found == 1 ? live : NULL, false,
		   found < 0 ? store_error(app->store) : NULL);
		if (found == 1)
			task_record_clear(&rec);
		return;
	}
	if (!(l = calloc(1, sizeof *l))) {
		fn(data, -1, NULL, NULL, false, "out of memory");
		return;
	}
	l->owner_fn = fn;
	l->judge = judge;
	l->data = data;
	lookup_start(app, subject, id, l);
}

bool call_find_task(const struct tool_call *call, const char *id, struct task_record *out,
                    struct task **live)
{
	int found = visible_task(call->app, call_subject(call), id, out, live);

	if (found == 1)
		return true;
	mcp_request_reply(call->req, visible_missing(id, found, store_error(call->app->store)));
	return false;
}

struct call_lookup {
	struct tool_call call;
	char id[64];
	call_task_fn fn;
	void *data;
};

static void call_found(void *data, int found, const struct task_record *rec, struct task *live,
                       const char *error)
{
	struct call_lookup *c = data;

	if (found == 1)
		c->fn(&c->call, rec, live, c->data);
	else
		mcp_request_reply(c->call.req, visible_missing(c->id, found, error));
	free(c->data);
	free(c);
}

void call_find_task_async(const struct tool_call *call, const char *id, call_task_fn fn, void *data)
{
	struct call_lookup *c = calloc(1, sizeof *c);

	if (!c) {
		free(data);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	*c = (struct call_lookup){.call = *call, .fn = fn, .data = data};
	snprintf(c->id, sizeof c->id, "%.63s", id);
	visible_task_async(call->app, call_subject(call), id, call_found, c);
}

int visible_thread(struct app *app, const char *subject, const char *id, struct thread_record *out)
{
	int found = store_get_thread(app->store, id, out);

	if (found == 1 && !store_subject_same(out->subject, subject)) {
		thread_record_clear(out);
		return 0;
	}
	return found;
}

struct thread_lookup {
	char *id;
	char *subject;
	char *instance; /* NULL: the store is not shared, so no other server holds it */
	struct thread_record rec;
	int found;
	int alive;
	visible_thread_fn fn;
	void *data;
};

static int thread_work(struct store *s, void *data)
{
	struct thread_lookup *l = data;

	l->found = store_get_thread(s, l->id, &l->rec);
	if (l->found == 1 && l->instance && l->rec.owner && strcmp(l->rec.owner, l->instance) != 0)
		l->alive = store_owner_alive(s, l->rec.owner, store_now_ms());
	return l->found < 0 || l->alive < 0 ? -1 : 0;
}

static void thread_done(void *data, int rc, const char *error)
{
	struct thread_lookup *l = data;

	(void)rc;
	if (l->found == 1 && !store_subject_same(l->rec.subject, l->subject)) {
		l->found = 0;
		l->alive = 0;
	}
	l->fn(l->data, l->found, l->found == 1 ? &l->rec : NULL, l->alive, error);
	thread_record_clear(&l->rec);
	free(l->id);
	free(l->subject);
	free(l->instance);
	free(l);
}

void visible_thread_async(struct app *app, const char *subject, const char *id,
                          visible_thread_fn fn, void *data)
{
	struct thread_lookup *l = calloc(1, sizeof *l);
	bool shared = store_shared(app->store) && app->instance;

	if (!l || !(l->id = strdup(id)) || (subject && !(l->subject = strdup(subject))) ||
	    (shared && !(l->instance = strdup(app->instance)))) {
		if (l) {
			free(l->id);
			free(l->subject);
			free(l);
		}
		fn(data, -1, NULL, 0, "out of memory");
		return;
	}
	l->fn = fn;
	l->data = data;
	if (store_submit_read(app->store, thread_work, thread_done, l) != 0) {
		l->found = -1;
		thread_done(l, -1, "out of memory");
	}
}

struct live_filter {
	const char *subject;
	void (*fn)(void *data, struct task *t);
	void *data;
};

static void if_visible(void *data, struct task *t)
{
	struct live_filter *f = data;

	if (store_subject_same(task_record(t)->subject, f->subject))
		f->fn(f->data, t);
}

void visible_each_live(struct app *app, const char *subject, void (*fn)(void *data, struct task *t),
                       void *data)
{
	struct live_filter f = {subject, fn, data};

	runner_each(app->runner, if_visible, &f);
}

/* Whether the agent log named name, in log_dir, is the subject's (on the store's thread). */
static bool log_is_subjects(struct store *s, const char *log_dir, const char *subject,
                            const char *name)
{
	char path[PATH_MAX];
	size_t len = strlen(name);

	/* A rotated log is its task's as much as the live one: the record names the live one. */
	if (len > 2 && strcmp(name + len - 2, ".1") == 0)
		len -= 2;
	if (snprintf(path, sizeof path, "%s/%.*s", log_dir, (int)len, name) >= (int)sizeof path)
		return false;
	return store_log_visible(s, subject, path) == 1;
}

struct logs_filter {
	const char *log_dir; /* the app's, which outlives the store's thread */
	char *subject;
	struct log_entry *entries;
	int n, shown;
	visible_logs_fn fn;
	void *data;
};

static int logs_work(struct store *s, void *data)
{
	struct logs_filter *f = data;

	for (int i = 0; i < f->n; i++)
		if (log_is_subjects(s, f->log_dir, f->subject, f->entries[i].name))
			f->entries[f->shown++] = f->entries[i];
	return 0;
}

static void logs_done(void *data, int rc, const char *error)
{
	struct logs_filter *f = data;

	(void)rc;
	(void)error;
	f->fn(f->data, f->entries, f->shown);
	free(f->subject);
	free(f);
}

void visible_logs_async(struct app *app, const char *subject, struct log_entry *entries, int n,
                        visible_logs_fn fn, void *data)
{
	struct logs_filter *f = calloc(1, sizeof *f);

	if (!f || (subject && !(f->subject = strdup(subject)))) {
		free(f);
		fn(data, entries, 0); /* none shown: nothing another's is shown by mistake */
		return;
	}
	*f = (struct logs_filter){.log_dir = app->log_dir,
	                          .subject = f->subject,
	                          .entries = entries,
	                          .n = n,
	                          .fn = fn,
	                          .data = data};
	if (store_submit_read(app->store, logs_work, logs_done, f) != 0) {
		f->n = 0;
		logs_done(f, -ENOMEM, NULL);
	}
}
