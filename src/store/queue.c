/*
 * The store's own thread: calls queued from the loop run there, one after the
 * other in the order queued, so a slow database never holds the loop up; each
 * answer comes back to the loop, in the same order. Calls the loop still makes
 * itself wait on the store's lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"
#include "util/log.h"

struct store_job {
	store_work_fn work;
	store_done_fn done;
	void *data;
	int rc;
	char error[256]; /* the store's word when work failed, taken on the thread */
	struct store_job *next;
};

struct store_queue {
	struct store *s;
	uv_thread_t thread;
	uv_mutex_t mu;
	uv_cond_t more;         /* work queued, or stopping */
	uv_cond_t idle;         /* the thread has nothing left */
	struct store_job *todo; /* oldest first */
	struct store_job **todo_tail;
	struct store_job *done; /* answers for the loop, oldest first */
	struct store_job **done_tail;
	bool busy, stopping;
	uv_async_t wake;
	size_t outstanding; /* queued and not yet answered: on the loop's side only */
};

static void thread_main(void *arg)
{
	struct store_queue *q = arg;

	uv_mutex_lock(&q->mu);
	for (;;) {
		while (!q->todo && !q->stopping) {
			q->busy = false;
			uv_cond_broadcast(&q->idle);
			uv_cond_wait(&q->more, &q->mu);
		}
		if (!q->todo)
			break;
		struct store_job *j = q->todo;
		q->todo = j->next;
		if (!q->todo)
			q->todo_tail = &q->todo;
		q->busy = true;
		uv_mutex_unlock(&q->mu);

		store_lock(q->s);
		j->rc = j->work(q->s, j->data);
		if (j->rc != 0)
			snprintf(j->error, sizeof j->error, "%s", store_error(q->s));
		store_unlock(q->s);

		uv_mutex_lock(&q->mu);
		j->next = NULL;
		*q->done_tail = j;
		q->done_tail = &j->next;
		uv_async_send(&q->wake);
	}
	q->busy = false;
	uv_cond_broadcast(&q->idle);
	uv_mutex_unlock(&q->mu);
}

/* On the loop: the answers that came back, in order. */
static void answer(struct store_queue *q)
{
	struct store_job *list;

	uv_mutex_lock(&q->mu);
	list = q->done;
	q->done = NULL;
	q->done_tail = &q->done;
	uv_mutex_unlock(&q->mu);
	while (list) {
		struct store_job *j = list;
		list = j->next;
		/* The last answer lets the loop end again. */
		if (--q->outstanding == 0)
			uv_unref((uv_handle_t *)&q->wake);
		if (j->done)
			j->done(j->data, j->rc, j->rc ? j->error : NULL);
		free(j);
	}
}

static void on_wake(uv_async_t *h)
{
	answer(h->data);
}

int store_start_thread(struct store *s, uv_loop_t *loop)
{
	struct store_queue *q = calloc(1, sizeof *q);
	int rc;

	if (!q)
		return -ENOMEM;
	q->s = s;
	q->todo_tail = &q->todo;
	q->done_tail = &q->done;
	if ((rc = uv_mutex_init(&q->mu)) != 0) {
		free(q);
		return rc;
	}
	uv_cond_init(&q->more);
	uv_cond_init(&q->idle);
	uv_async_init(loop, &q->wake, on_wake);
	q->wake.data = q;
	/* It keeps the loop alive only while answers are owed (as uv_queue_work does). */
	uv_unref((uv_handle_t *)&q->wake);
	if ((rc = uv_thread_create(&q->thread, thread_main, q)) != 0) {
		uv_close((uv_handle_t *)&q->wake, NULL);
		return rc; /* q is freed with the handle's loop: leaked once, at a failed start */
	}
	s->queue = q;
	return 0;
}

static int store_run(struct store *s, struct store_queue *q, store_work_fn work, store_done_fn done,
                     void *data);

int store_submit_read(struct store *s, store_work_fn work, store_done_fn done, void *data)
{
	return store_run(s, s->ops->reads_inline ? NULL : s->queue, work, done, data);
}

int store_submit(struct store *s, store_work_fn work, store_done_fn done, void *data)
{
	return store_run(s, s->queue, work, done, data);
}

static int store_run(struct store *s, struct store_queue *q, store_work_fn work, store_done_fn done,
                     void *data)
{
	struct store_job *j;

	if (!q) {
		/* No thread (tests, tools), or a quick read: the call runs now, and done with it.
		 */
		store_lock(s);
		int rc = work(s, data);
		char error[256] = "";
		if (rc != 0)
			snprintf(error, sizeof error, "%s", store_error(s));
		store_unlock(s);
		if (done)
			done(data, rc, rc ? error : NULL);
		return 0;
	}
	if (!(j = calloc(1, sizeof *j)))
		return -ENOMEM;
	j->work = work;
	j->done = done;
	j->data = data;
	if (q->outstanding++ == 0)
		uv_ref((uv_handle_t *)&q->wake);
	uv_mutex_lock(&q->mu);
	*q->todo_tail = j;
	q->todo_tail = &j->next;
	q->busy = true;
	uv_cond_signal(&q->more);
	uv_mutex_unlock(&q->mu);
	return 0;
}

void store_drain(struct store *s)
{
	struct store_queue *q = s->queue;

	if (!q)
		return;
	/* An answer may queue more (a newer state of a record): drained too. */
	while (q->outstanding > 0) {
		uv_mutex_lock(&q->mu);
		while (q->busy || q->todo)
			uv_cond_wait(&q->idle, &q->mu);
		uv_mutex_unlock(&q->mu);
		answer(q);
	}
}

static void queue_closed(uv_handle_t *h)
{
	struct store_queue *q = h->data;

	uv_mutex_destroy(&q->mu);
	uv_cond_destroy(&q->more);
	uv_cond_destroy(&q->idle);
	free(q);
}

void store_stop_thread(struct store *s)
{
	struct store_queue *q = s->queue;

	if (!q)
		return;
	store_drain(s);
	uv_mutex_lock(&q->mu);
	q->stopping = true;
	uv_cond_signal(&q->more);
	uv_mutex_unlock(&q->mu);
	uv_thread_join(&q->thread);
	answer(q);
	s->queue = NULL;
	uv_close((uv_handle_t *)&q->wake, queue_closed);
}

/* A cancel asked of another server, on the store's thread; what fails is only logged. */
struct cancel_ask {
	char *owner, *id, *how;
};

static int cancel_work(struct store *s, void *data)
{
	struct cancel_ask *a = data;

	return store_ask_cancel(s, a->owner, a->id, a->how);
}

static void cancel_free(struct cancel_ask *a)
{
	free(a->owner);
	free(a->id);
	free(a->how);
	free(a);
}

static void cancel_asked(void *data, int rc, const char *error)
{
	struct cancel_ask *a = data;

	if (rc != 0)
		log_warn("task %s: cannot ask replica %s to stop it: %s", a->id, a->owner,
		         error ? error : "?");
	cancel_free(a);
}

void store_ask_cancel_later(struct store *s, const char *owner, const char *id, const char *how)
{
	struct cancel_ask *a = calloc(1, sizeof *a);

	if (a && (a->owner = strdup(owner)) && (a->id = strdup(id)) && (a->how = strdup(how)) &&
	    store_submit(s, cancel_work, cancel_asked, a) == 0)
		return;
	log_warn("task %s: cannot ask replica %s to stop it: out of memory", id, owner);
	if (a)
		cancel_free(a);
}
