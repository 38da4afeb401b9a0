#include "tasks/writes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

enum {
	RETRY_MS = 1000,
	/*
	 * A caller waits this long at most to hear whether a state was saved: a database
	 * that hangs must not hold an answer, or a stopping server, for longer.
	 */
	THEN_MS = 1000,
};

struct then {
	void (*fn)(void *data, bool saved);
	void *data;
	struct then *next;
};

/* One record not yet taken by the store: its newest state, and where its write stands. */
struct entry {
	bool is_thread;
	char *id;
	struct task_record rec; /* a task's */
	json_t *options;        /* a thread's; NULL: only its status changes */
	char *status, *subject;
	int64_t at;
	bool in_flight;  /* a write of it is on the store's thread */
	bool newer;      /* its state changed since that write was made */
	bool failed;     /* the store refused its last write */
	char error[256]; /* its word for it */
	struct then *thens;
	uint64_t then_deadline;
	struct entry *next;
};

struct writes {
	uv_loop_t *loop;
	struct store *store;
	struct entry *entries;
	uv_timer_t retry;    /* what the store refused, tried again each second */
	uv_timer_t deadline; /* callers told in time whatever the store does */
};

/* A snapshot of an entry's state, written on the store's thread. */
struct job {
	struct writes *w;
	struct entry *e;
	bool is_thread;
	struct task_record rec;
	char *id, *status, *subject;
	json_t *options;
	int64_t at;
	bool retry; /* the state the store refused, tried again */
};

static void write_out(struct writes *w, struct entry *e, bool retry);
static void on_retry(uv_timer_t *h);

struct writes *writes_new(uv_loop_t *loop, struct store *store)
{
	struct writes *w = calloc(1, sizeof *w);

	if (!w)
		return NULL;
	w->loop = loop;
	w->store = store;
	uv_timer_init(loop, &w->retry);
	uv_timer_init(loop, &w->deadline);
	w->retry.data = w->deadline.data = w;
	/* Neither keeps a stopping server alive: writes_free() makes the last try. */
	uv_unref((uv_handle_t *)&w->retry);
	uv_unref((uv_handle_t *)&w->deadline);
	return w;
}

static void entry_free(struct entry *e)
{
	free(e->id);
	task_record_clear(&e->rec);
	json_decref(e->options);
	free(e->status);
	free(e->subject);
	free(e);
}

static void unlink_entry(struct writes *w, struct entry *e)
{
	for (struct entry **p = &w->entries; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			return;
		}
}

static struct entry *find(const struct writes *w, bool is_thread, const char *id)
{
	for (struct entry *e = w->entries; e; e = e->next)
		if (e->is_thread == is_thread && strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

/* Tells whoever waits on the entry's state; they may write again. */
static void tell(struct then *list, bool saved)
{
	while (list) {
		struct then *t = list;
		list = t->next;
		t->fn(t->data, saved);
		free(t);
	}
}

static struct then *take_thens(struct entry *e)
{
	struct then *list = e->thens;

	e->thens = NULL;
	return list;
}

static int job_work(struct store *s, void *data)
{
	struct job *j = data;

	if (!j->is_thread)
		return store_put_task(s, &j->rec);
	return j->options ? store_put_thread(s, j->id, j->options, j->status, j->subject, j->at)
	                  : store_set_thread_status(s, j->id, j->status, j->at);
}

static void job_free(struct job *j)
{
	task_record_clear(&j->rec);
	free(j->id);
	free(j->status);
	free(j->subject);
	json_decref(j->options);
	free(j);
}

static void retry_soon(struct writes *w)
{
	if (!uv_is_active((uv_handle_t *)&w->retry))
		uv_timer_start(&w->retry, on_retry, RETRY_MS, RETRY_MS);
}

static void job_done(void *data, int rc, const char *error)
{
	struct job *j = data;
	struct writes *w = j->w;
	struct entry *e = j->e;
	bool j_retry = j->retry;

	job_free(j);
	e->in_flight = false;
	if (rc != 0) {
		if (!e->failed)
			log_error("could not record %s %s (%s); will try again",
			          e->is_thread ? "thread" : "task", e->id, error ? error : "?");
		e->failed = true;
		snprintf(e->error, sizeof e->error, "%s", error ? error : "unknown error");
		retry_soon(w);
		tell(take_thens(e), false);
		return;
	}
	/* Said of a refused state only: a newer one written over it needs no word. */
	if (j_retry)
		log_info("%s %s recorded at last", e->is_thread ? "thread" : "task", e->id);
	e->failed = false;
	if (e->newer) {
		write_out(w, e, false);
		return;
	}
	unlink_entry(w, e);
	struct then *thens = take_thens(e);
	entry_free(e);
	tell(thens, true);
}

static void write_out(struct writes *w, struct entry *e, bool retry)
{
	struct job *j = calloc(1, sizeof *j);

	if (j) {
		j->w = w;
		j->e = e;
		j->retry = retry;
		j->is_thread = e->is_thread;
		j->at = e->at;
		j->options = e->options ? json_deep_copy(e->options) : NULL;
		if (!(j->id = strdup(e->id)) || (e->status && !(j->status = strdup(e->status))) ||
		    (e->subject && !(j->subject = strdup(e->subject))) ||
		    (!e->is_thread && task_record_copy(&j->rec, &e->rec) != 0)) {
			job_free(j);
			j = NULL;
		}
	}
	e->in_flight = true;
	e->newer = false;
	if (!j || store_submit(w->store, job_work, job_done, j) != 0) {
		if (j)
			job_free(j);
		e->in_flight = false;
		e->failed = true;
		log_error("could not record %s %s: out of memory; will try again",
		          e->is_thread ? "thread" : "task", e->id);
		retry_soon(w);
		tell(take_thens(e), false);
	}
}

static void on_retry(uv_timer_t *h)
{
	struct writes *w = h->data;
	size_t n = 0, i = 0;

	for (struct entry *e = w->entries; e; e = e->next)
		n += e->failed && !e->in_flight;
	if (n == 0) {
		uv_timer_stop(h);
		return;
	}
	struct entry **todo = calloc(n, sizeof *todo);
	if (!todo)
		return;
	for (struct entry *e = w->entries; e && i < n; e = e->next)
		if (e->failed && !e->in_flight)
			todo[i++] = e;
	/* Each write may end at once (no store thread) and drop its own entry, no other. */
	for (i = 0; i < n; i++)
		write_out(w, todo[i], true);
	free(todo);
}

static void on_deadline(uv_timer_t *h)
{
	struct writes *w = h->data;
	uint64_t now = uv_now(w->loop);
	bool waiting = false;

	for (struct entry *e = w->entries; e; e = e->next) {
		if (!e->thens)
			continue;
		if (now < e->then_deadline) {
			waiting = true;
			continue;
		}
		/* Not saved in time: the caller hears so, and the write goes on. Those told
		 * may write again, changing the entries: the rest wait for the next tick. */
		tell(take_thens(e), false);
		return;
	}
	if (!waiting)
		uv_timer_stop(h);
}

static struct entry *entry_for(struct writes *w, bool is_thread, const char *id)
{
	struct entry *e = find(w, is_thread, id);

	if (e)
		return e;
	e = calloc(1, sizeof *e);
	if (!e || !(e->id = strdup(id))) {
		free(e);
		return NULL;
	}
	e->is_thread = is_thread;
	e->next = w->entries;
	w->entries = e;
	return e;
}

/* The entry's state changed: written now, or after the write in flight. */
static void changed(struct writes *w, struct entry *e)
{
	if (e->in_flight)
		e->newer = true;
	else
		write_out(w, e, false);
}

void writes_task(struct writes *w, const struct task_record *rec,
                 void (*then)(void *data, bool saved), void *data)
{
	struct entry *e = entry_for(w, false, rec->id);
	struct task_record copy;

	if (!e || task_record_copy(&copy, rec) != 0) {
		log_error("could not record task %s: out of memory", rec->id);
		if (then)
			then(data, false);
		return;
	}
	task_record_clear(&e->rec);
	e->rec = copy;
	if (then) {
		struct then *t = calloc(1, sizeof *t);
		if (!t) {
			then(data, false);
		} else {
			*t = (struct then){then, data, e->thens};
			e->thens = t;
			e->then_deadline = uv_now(w->loop) + THEN_MS;
			if (!uv_is_active((uv_handle_t *)&w->deadline))
				uv_timer_start(&w->deadline, on_deadline, THEN_MS / 4, THEN_MS / 4);
		}
	}
	changed(w, e);
}

void writes_thread(struct writes *w, const char *id, const json_t *options, const char *status,
                   const char *subject, int64_t at)
{
	struct entry *e = entry_for(w, true, id);
	char *s = strdup(status);

	if (!e || !s) {
		free(s);
		log_error("thread %s could not be recorded: out of memory", id);
		return;
	}
	/* Merged with a state not yet written: its options (a new thread's) stay until taken. */
	free(e->status);
	e->status = s;
	if (options) {
		json_decref(e->options);
		e->options = json_deep_copy(options);
	}
	if (subject && !e->subject)
		e->subject = strdup(subject);
	e->at = at;
	changed(w, e);
}

const struct task_record *writes_pending(const struct writes *w, const char *id)
{
	const struct entry *e = find(w, false, id);

	return e ? &e->rec : NULL;
}

const char *writes_failed(const struct writes *w, const char *id)
{
	const struct entry *e = find(w, false, id);

	return e && e->failed ? e->error : NULL;
}

static void closed(uv_handle_t *h)
{
	struct writes *w = h->data;

	if (!uv_is_closing((uv_handle_t *)&w->deadline)) {
		uv_close((uv_handle_t *)&w->deadline, closed);
		return;
	}
	free(w);
}

void writes_free(struct writes *w)
{
	if (!w)
		return;
	store_drain(w->store);
	/* One last try, here and now, for what the store would not take. */
	while (w->entries) {
		struct entry *e = w->entries;
		struct job j = {.is_thread = e->is_thread,
		                .id = e->id,
		                .status = e->status,
		                .subject = e->subject,
		                .options = e->options,
		                .at = e->at,
		                .rec = e->rec};
		w->entries = e->next;
		if (job_work(w->store, &j) == 0)
			log_info("%s %s recorded at last", e->is_thread ? "thread" : "task", e->id);
		else
			log_error("%s %s could not be recorded: its last state (%s) is lost",
			          e->is_thread ? "thread" : "task", e->id,
			          e->is_thread    ? e->status
			          : e->rec.status ? e->rec.status
			                          : "?");
		tell(take_thens(e), false);
		entry_free(e);
	}
	uv_close((uv_handle_t *)&w->retry, closed);
}
