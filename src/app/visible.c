#include "app/visible.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/args.h"

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
	struct task_record rec;
	int found;
	visible_task_fn fn;
	void *data;
};

static int lookup_work(struct store *s, void *data)
{
	struct lookup *l = data;

	l->found = store_get_task(s, l->id, &l->rec);
	return l->found < 0 ? -1 : 0;
}

static void lookup_done(void *data, int rc, const char *error)
{
	struct lookup *l = data;

	(void)rc;
	if (l->found == 1 && !store_subject_same(l->rec.subject, l->subject))
		l->found = 0;
	l->fn(l->data, l->found, l->found == 1 ? &l->rec : NULL, NULL, error);
	task_record_clear(&l->rec);
	free(l->subject);
	free(l);
}

void visible_task_async(struct app *app, const char *subject, const char *id, visible_task_fn fn,
                        void *data)
{
	struct task_record rec;
	struct task *live;
	struct lookup *l;

	/* In memory, the answer is at hand. */
	if (runner_find(app->runner, id) || runner_unsaved(app->runner, id)) {
		int found = visible_task(app, subject, id, &rec, &live);
		fn(data, found, found == 1 ? &rec : NULL, found == 1 ? live : NULL,
		   found < 0 ? store_error(app->store) : NULL);
		if (found == 1)
			task_record_clear(&rec);
		return;
	}
	l = calloc(1, sizeof *l);
	if (!l || strlen(id) >= sizeof l->id || (subject && !(l->subject = strdup(subject)))) {
		bool long_id = l && strlen(id) >= sizeof l->id;
		free(l);
		fn(data, long_id ? 0 : -1, NULL, NULL,
		   "out of memory"); /* no task has such an id */
		return;
	}
	snprintf(l->id, sizeof l->id, "%s", id);
	l->fn = fn;
	l->data = data;
	if (store_submit_read(app->store, lookup_work, lookup_done, l) != 0) {
		free(l->subject);
		free(l);
		fn(data, -1, NULL, NULL, "out of memory");
	}
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

int visible_thread(struct app *app, const char *subject, const char *id, struct thread_record *out)
{
	int found = store_get_thread(app->store, id, out);

	if (found == 1 && !store_subject_same(out->subject, subject)) {
		thread_record_clear(out);
		return 0;
	}
	return found;
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

bool visible_log(struct app *app, const char *subject, const char *name)
{
	char path[PATH_MAX];
	size_t len = strlen(name);

	/* A rotated log is its task's as much as the live one: the record names the live one. */
	if (len > 2 && strcmp(name + len - 2, ".1") == 0)
		len -= 2;
	if (snprintf(path, sizeof path, "%s/%.*s", app->log_dir, (int)len, name) >=
	    (int)sizeof path)
		return false;
	return store_log_visible(app->store, subject, path) == 1;
}
