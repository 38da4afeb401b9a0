/*
 * The store's thread: calls queued from the loop run in order on a thread of
 * their own, their answers come back on the loop in the same order, and a call
 * that takes long never holds the loop up.
 */
#include "unit.h"

#include <pthread.h>

#include <uv.h>

#include "store/store.h"

struct fixture {
	char *dir;
	struct store *store;
	uv_loop_t loop;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[4096], err[512];

	if (!f || !(f->dir = unit_mkdtemp()))
		return -1;
	snprintf(path, sizeof path, "%s/q.db", f->dir);
	if (store_open(path, &f->store, err, sizeof err) != 0 || uv_loop_init(&f->loop) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_stop_thread(f->store);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	store_close(f->store);
	unit_rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

struct call {
	int n;
	int *order;   /* where done writes n, in the order answered */
	int *done;    /* how many answered */
	pthread_t on; /* the thread work ran on */
	bool loop_thread_done;
};

static int put_one(struct store *s, void *data)
{
	struct call *c = data;
	struct task_record t = {.tool = "codex", .status = "queued", .created_at = 1000 + c->n};

	c->on = pthread_self();
	snprintf(t.id, sizeof t.id, "%032x", c->n);
	return store_put_task(s, &t);
}

static void answered(void *data, int rc, const char *error)
{
	struct call *c = data;

	assert_int_equal(rc, 0);
	assert_null(error);
	c->order[(*c->done)++] = c->n;
	c->loop_thread_done = true;
}

static void test_in_order_on_a_thread(void **state)
{
	struct fixture *f = *state;
	struct call calls[50];
	int order[50], done = 0;

	assert_int_equal(store_start_thread(f->store, &f->loop), 0);
	for (int i = 0; i < 50; i++) {
		calls[i] = (struct call){.n = i, .order = order, .done = &done};
		assert_int_equal(store_submit(f->store, put_one, answered, &calls[i]), 0);
	}
	/* Nothing is answered inside store_submit(): the answers come on the loop. */
	assert_true(done < 50 || calls[0].on != pthread_self());
	store_drain(f->store);
	assert_int_equal(done, 50);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(order[i], i);
		assert_false(pthread_equal(calls[i].on, pthread_self()));
	}
	struct task_record t;
	assert_int_equal(store_get_task(f->store, "00000000000000000000000000000031", &t), 1);
	assert_int_equal(t.created_at, 1049);
	task_record_clear(&t);
}

/* A call that waits on the loop: were the loop held up by it, neither would end. */
struct slow {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool loop_ran;
	bool answered;
	uv_timer_t timer;
};

static int wait_for_loop(struct store *s, void *data)
{
	struct slow *w = data;

	(void)s;
	pthread_mutex_lock(&w->mu);
	while (!w->loop_ran)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static void slow_answered(void *data, int rc, const char *error)
{
	struct slow *w = data;

	(void)error;
	assert_int_equal(rc, 0);
	w->answered = true;
	uv_close((uv_handle_t *)&w->timer, NULL);
}

static void loop_runs(uv_timer_t *h)
{
	struct slow *w = h->data;

	pthread_mutex_lock(&w->mu);
	w->loop_ran = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void test_slow_call_leaves_the_loop_free(void **state)
{
	struct fixture *f = *state;
	struct slow w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

	assert_int_equal(store_start_thread(f->store, &f->loop), 0);
	uv_timer_init(&f->loop, &w.timer);
	w.timer.data = &w;
	/* Repeating: it keeps the loop running until the answer closes it. */
	uv_timer_start(&w.timer, loop_runs, 10, 10);
	assert_int_equal(store_submit(f->store, wait_for_loop, slow_answered, &w), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_true(w.loop_ran);
	assert_true(w.answered);
}

/* A failed call's answer carries the store's word for it. */
static int refused(struct store *s, void *data)
{
	(void)data;
	/* A listing of a cursor not ours fails, and says nothing of its own: the error is kept. */
	return store_page_tasks(s, NULL, "not-a-cursor", 1, NULL, NULL, &(char *){NULL});
}

static void refused_answered(void *data, int rc, const char *error)
{
	*(int *)data = rc;
	assert_non_null(error); /* the store's word, "" when it had none */
}

static void test_without_thread_runs_at_once(void **state)
{
	struct fixture *f = *state;
	int done = 0, order[1];
	struct call c = {.n = 7, .order = order, .done = &done};
	int rc = 0;

	assert_int_equal(store_submit(f->store, put_one, answered, &c), 0);
	assert_int_equal(done, 1);
	assert_true(pthread_equal(c.on, pthread_self()));
	assert_int_equal(store_submit(f->store, refused, refused_answered, &rc), 0);
	assert_int_equal(rc, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_in_order_on_a_thread, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_call_leaves_the_loop_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_without_thread_runs_at_once, setup, teardown),
	};
	return cmocka_run_group_tests_name("store/queue", tests, NULL, NULL);
}
