/*
 * The runner against a scripted backend and a real store: what it records
 * when the store refuses writes for a while, how tasks end, and how it stops.
 * The store is refused by a second connection holding an exclusive lock.
 */
#include "unit.h"

#include <errno.h>
#include <time.h>

#include <sqlite3.h>

#include "tasks/runner.h"

/* ---- a backend whose turns the test drives ---- */

struct codex_turn {
	struct codex_turn_hooks hooks;
	int pauses, resumes;
	bool cancelled;
	unsigned grace_ms;
	int answers;
	enum codex_decision last_answer;
};

static struct codex_turn *last_turn;

static int stub_start(void *backend, const struct codex_turn_request *req,
                      const struct codex_turn_hooks *hooks, struct codex_turn **out, char **error)
{
	struct codex_turn *t = calloc(1, sizeof *t);

	(void)backend;
	(void)req;
	*error = NULL;
	if (!t)
		return -1;
	t->hooks = *hooks;
	*out = last_turn = t;
	return 0;
}

static void stub_cancel(struct codex_turn *t, unsigned grace_ms)
{
	t->cancelled = true;
	t->grace_ms = grace_ms;
}

static pid_t stub_pid(const struct codex_turn *t)
{
	(void)t;
	return 4242;
}

static void stub_pause(struct codex_turn *t)
{
	t->pauses++;
}

static void stub_resume(struct codex_turn *t)
{
	t->resumes++;
}

static int stub_answer(struct codex_turn *t, uint64_t id, enum codex_decision d)
{
	(void)id;
	t->answers++;
	t->last_answer = d;
	return 0;
}

static void stub_free(void *backend, void (*done)(void *), void *data)
{
	(void)backend;
	if (done)
		done(data);
}

static const struct codex_backend_ops stub_ops = {
    .start = stub_start,
    .cancel = stub_cancel,
    .pid = stub_pid,
    .pause = stub_pause,
    .resume = stub_resume,
    .answer = stub_answer,
    .free = stub_free,
};

/* The turn ends as Codex would end it; the turn is gone afterwards. */
static void turn_done(struct codex_turn *t, enum codex_turn_status status, const char *message)
{
	struct codex_outcome out = {
	    .status = status,
	    .final_message = message,
	    .error = status == CODEX_TURN_COMPLETED ? NULL : "the run was cancelled",
	};

	if (last_turn == t)
		last_turn = NULL;
	t->hooks.done(t->hooks.data, &out);
	free(t);
}

static void turn_event(struct codex_turn *t, enum codex_event_type type, const char *thread_id)
{
	struct codex_event ev = {.type = type, .thread_id = thread_id};

	if (type == CODEX_EVENT_ITEM_COMPLETED) {
		ev.item_type = CODEX_ITEM_AGENT_MESSAGE;
		ev.text = "some output";
	}
	t->hooks.event(t->hooks.data, &ev);
}

/* ---- fixture ---- */

struct fixture {
	char *dir, *db_path;
	uv_loop_t loop;
	struct store *store;
	struct codex_backend backend;
	struct runner *runner;
	sqlite3 *locker;
	size_t backlog;
	int idle_calls;
};

static size_t fixture_backlog(void *data)
{
	return ((struct fixture *)data)->backlog;
}

static void fixture_idle(void *data)
{
	((struct fixture *)data)->idle_calls++;
}

static struct runner *make_runner(struct fixture *f, unsigned max_running)
{
	struct runner_config cfg = {
	    .loop = &f->loop,
	    .backend = &f->backend,
	    .store = f->store,
	    .log_dir = f->dir,
	    .log_max_bytes = 1 << 20,
	    .max_running = max_running,
	    .heartbeat_ms = 10000,
	    .kill_grace_ms = 5000,
	    .idle = fixture_idle,
	    .idle_data = f,
	    .backlog = fixture_backlog,
	    .backlog_data = f,
	    .owner = "unit-test",
	};
	return runner_new(&cfg);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[512];

	if (!f || !(f->dir = unit_mkdtemp()) || asprintf(&f->db_path, "%s/test.db", f->dir) < 0)
		return -1;
	if (uv_loop_init(&f->loop) != 0 || store_open(f->db_path, &f->store, err, sizeof err) != 0)
		return -1;
	f->backend = (struct codex_backend){.ops = &stub_ops};
	f->runner = make_runner(f, 1);
	last_turn = NULL;
	*state = f;
	return f->runner ? 0 : -1;
}

static void unlock_store(struct fixture *f)
{
	if (!f->locker)
		return;
	sqlite3_exec(f->locker, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(f->locker);
	f->locker = NULL;
}

static void lock_store(struct fixture *f)
{
	assert_int_equal(sqlite3_open(f->db_path, &f->locker), SQLITE_OK);
	assert_int_equal(sqlite3_exec(f->locker, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
}

static void run_pending(struct fixture *f)
{
	for (int i = 0; i < 5; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void free_runner(struct fixture *f)
{
	if (!f->runner)
		return;
	runner_free(f->runner);
	f->runner = NULL;
	uv_run(&f->loop, UV_RUN_DEFAULT);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlock_store(f);
	free_runner(f);
	uv_loop_close(&f->loop);
	store_close(f->store);
	unit_rm_rf(f->dir);
	free(f->db_path);
	free(f->dir);
	free(f);
	return 0;
}

static struct task *submit(struct fixture *f)
{
	struct codex_options options = {0};
	struct task_spec spec = {
	    .tool = "spawn_agent_async", .options = &options, .prompt = "p", .prompt_len = 1};
	char err[256] = "";
	struct task *t = runner_submit(f->runner, &spec, NULL, err, sizeof err);

	if (!t)
		fail_msg("runner_submit: %s", err);
	return t;
}

/* The task's status and error in the store; "" when it has none. */
static void stored(struct fixture *f, const char *id, char *status, char *error)
{
	struct task_record rec;

	assert_int_equal(store_get_task(f->store, id, &rec), 1);
	snprintf(status, 32, "%s", rec.status ? rec.status : "");
	snprintf(error, 256, "%s", rec.error ? rec.error : "");
	task_record_clear(&rec);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Turns the loop until the thread is in the store, or fails after deadline_ms. */
static void wait_thread_recorded(struct fixture *f, const char *id, struct thread_record *out,
                                 int64_t deadline_ms)
{
	int64_t until = mono_ms() + deadline_ms;

	for (;;) {
		if (store_get_thread(f->store, id, out) == 1)
			return;
		if (mono_ms() > until)
			fail_msg("thread %s not recorded within %lld ms", id,
			         (long long)deadline_ms);
		uv_run(&f->loop, UV_RUN_NOWAIT);
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* ---- tests ---- */

/* A state kept for later must never be written over the end that was written after it. */
static void test_saved_end_drops_older_kept_state(void **state)
{
	struct fixture *f = *state;
	char id[33], status[32], error[256];
	struct task *t = submit(f);
	struct codex_turn *turn = last_turn;
	struct thread_record thread;

	snprintf(id, sizeof id, "%s", task_record(t)->id);
	assert_non_null(turn);
	lock_store(f);
	turn_event(turn, CODEX_EVENT_THREAD_STARTED, "thread-1");
	assert_non_null(runner_unsaved(f->runner, id));
	assert_string_equal(runner_unsaved(f->runner, id)->status, "running");
	unlock_store(f);

	turn_done(turn, CODEX_TURN_COMPLETED, "done");
	assert_null(runner_unsaved(f->runner, id));
	stored(f, id, status, error);
	assert_string_equal(status, "completed");
	assert_int_equal(store_get_thread(f->store, "thread-1", &thread), 1);
	assert_string_equal(thread.status, "completed");
	thread_record_clear(&thread);

	/* The last try at shutdown has nothing older to write. */
	free_runner(f);
	stored(f, id, status, error);
	assert_string_equal(status, "completed");
}

/* A thread the store refused is written by the retries, not only by the run's end. */
static void test_refused_thread_is_retried(void **state)
{
	struct fixture *f = *state;
	char id[33], status[32], error[256];
	struct task *t = submit(f);
	struct codex_turn *turn = last_turn;
	struct thread_record thread;

	snprintf(id, sizeof id, "%s", task_record(t)->id);
	lock_store(f);
	turn_event(turn, CODEX_EVENT_THREAD_STARTED, "thread-2");
	turn_done(turn, CODEX_TURN_COMPLETED, "done");
	assert_non_null(runner_unsaved(f->runner, id));
	unlock_store(f);

	wait_thread_recorded(f, "thread-2", &thread, 5000);
	assert_string_equal(thread.status, "completed");
	assert_non_null(thread.options);
	thread_record_clear(&thread);
	/* The task's end went in with the same retry. */
	assert_null(runner_unsaved(f->runner, id));
	stored(f, id, status, error);
	assert_string_equal(status, "completed");
}

/* Retrying alone must not keep the loop running: a stopping server would never exit. */
static void test_retries_do_not_keep_the_loop_alive(void **state)
{
	struct fixture *f = *state;
	struct task *t = submit(f);
	char id[33];

	snprintf(id, sizeof id, "%s", task_record(t)->id);
	lock_store(f);
	turn_done(last_turn, CODEX_TURN_COMPLETED, "done");
	assert_non_null(runner_unsaved(f->runner, id));
	run_pending(f);
	assert_false(uv_loop_alive(&f->loop));
	/* Still kept, and written once the store takes it. */
	unlock_store(f);
	struct task_record kept;
	assert_int_equal(task_record_copy(&kept, runner_unsaved(f->runner, id)), 0);
	assert_int_equal(runner_save(f->runner, &kept), 0);
	task_record_clear(&kept);
	assert_null(runner_unsaved(f->runner, id));
}

/* A record written for the runner (an answered MCP task) replaces what was kept of it. */
static void test_runner_save_keeps_then_writes(void **state)
{
	struct fixture *f = *state;
	struct task_record rec = {0};
	char status[32], error[256];

	snprintf(rec.id, sizeof rec.id, "%s", "0123456789abcdef0123456789abcdef");
	rec.tool = "spawn_agents_parallel";
	rec.status = "queued";
	rec.created_at = store_now_ms();
	assert_int_equal(runner_save(f->runner, &rec), 0);
	lock_store(f);
	rec.status = "completed";
	assert_int_equal(runner_save(f->runner, &rec), 0);
	/* No store thread here: the write was tried at once, and refused. */
	assert_non_null(runner_save_failed(f->runner, rec.id));
	assert_string_equal(runner_unsaved(f->runner, rec.id)->status, "completed");
	unlock_store(f);
	free_runner(f); /* its last try writes what was kept */
	stored(f, rec.id, status, error);
	assert_string_equal(status, "completed");
}

/* A queued task the client cancels says so: never an empty error. */
static void test_cancelled_in_queue_says_why(void **state)
{
	struct fixture *f = *state;
	struct task *running = submit(f);
	struct codex_turn *turn = last_turn;
	struct task *queued = submit(f);
	char id[33], status[32], error[256];

	(void)running;
	snprintf(id, sizeof id, "%s", task_record(queued)->id);
	assert_string_equal(task_record(queued)->status, "queued");
	task_kill(queued, TASK_CANCELLED, 100);
	stored(f, id, status, error);
	assert_string_equal(status, "cancelled");
	assert_string_equal(error, "cancelled by the client before it started");
	turn_done(turn, CODEX_TURN_COMPLETED, "done");
}

/* Once stopping, nothing new starts; asked again, what runs is killed at once. */
static void test_stopping_refuses_and_kills(void **state)
{
	struct fixture *f = *state;
	struct codex_options options = {0};
	struct task_spec spec = {
	    .tool = "codex", .options = &options, .prompt = "p", .prompt_len = 1};
	char err[256] = "";
	struct codex_turn *turn;

	submit(f);
	turn = last_turn;
	runner_stop_all(f->runner);
	assert_true(turn->cancelled);
	assert_true(turn->grace_ms > 0 && turn->grace_ms <= 800);
	assert_null(runner_submit(f->runner, &spec, NULL, err, sizeof err));
	assert_string_equal(err, "server is stopping");
	runner_stop_all(f->runner);
	assert_int_equal(turn->grace_ms, 0);
	assert_int_equal(f->idle_calls, 0);
	turn_done(turn, CODEX_TURN_CANCELLED, "");
	assert_int_equal(f->idle_calls, 1);
	assert_int_equal(runner_live(f->runner), 0);
}

/* ---- a task's own place, made and looked at on the thread pool ---- */

static bool place_fails;

static int stub_make(const char *root, const char *id, const char *cwd, char **cwd_out,
                     json_t **info, char *err, size_t err_size)
{
	(void)cwd;
	if (place_fails) {
		snprintf(err, err_size, "no repository here");
		return -EIO;
	}
	if (asprintf(cwd_out, "%s/%s", root, id) < 0)
		return -ENOMEM;
	*info = json_pack("{s:s}", "path", *cwd_out);
	return 0;
}

static void stub_look(json_t *info)
{
	json_object_set_new(info, "looked", json_true());
}

static const struct task_place stub_place = {.make = stub_make, .look = stub_look};

static struct task *submit_placed(struct fixture *f)
{
	struct codex_options options = {.cwd = strdup("/repo")};
	struct task_spec spec = {.tool = "spawn_agent",
	                         .options = &options,
	                         .prompt = "p",
	                         .prompt_len = 1,
	                         .place = &stub_place,
	                         .place_root = "/worktrees"};
	char err[256] = "";
	struct task *t = runner_submit(f->runner, &spec, NULL, err, sizeof err);

	if (!t)
		fail_msg("runner_submit: %s", err);
	return t;
}

/* Runs the loop until the task's record in the store has status. */
static void run_until_stored(struct fixture *f, const char *id, const char *status)
{
	char now[32] = "", error[256];

	for (int i = 0; i < 200 && strcmp(now, status) != 0; i++) {
		uv_run(&f->loop, UV_RUN_ONCE);
		stored(f, id, now, error);
	}
	assert_string_equal(now, status);
}

static json_t *stored_place(struct fixture *f, const char *id)
{
	struct task_record rec;
	json_t *place;

	assert_int_equal(store_get_task(f->store, id, &rec), 1);
	place = json_incref(rec.worktree);
	task_record_clear(&rec);
	return place;
}

/* The run starts in its place once made, and ends once what it left there was looked at. */
static void test_a_place_is_made_first_and_looked_at_last(void **state)
{
	struct fixture *f = *state;
	struct task *t = submit_placed(f);
	char id[33], status[32], error[256];

	snprintf(id, sizeof id, "%s", task_record(t)->id);
	assert_null(last_turn); /* not before its place is made */
	for (int i = 0; i < 200 && !last_turn; i++)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_non_null(last_turn);
	stored(f, id, status, error);
	assert_string_equal(status, "running");
	json_t *place = stored_place(f, id);
	assert_string_equal(json_string_value(json_object_get(place, "path")), task_record(t)->cwd);
	assert_null(json_object_get(place, "looked"));
	json_decref(place);
	turn_done(last_turn, CODEX_TURN_COMPLETED, "done");
	run_until_stored(f, id, "completed");
	place = stored_place(f, id);
	assert_true(json_is_true(json_object_get(place, "looked")));
	json_decref(place);
}

/* A place that cannot be made: the task fails with the reason, and no run starts. */
static void test_a_place_not_made_fails_the_task(void **state)
{
	struct fixture *f = *state;
	struct task *t;
	char id[33], status[32], error[256];

	place_fails = true;
	t = submit_placed(f);
	snprintf(id, sizeof id, "%s", task_record(t)->id);
	run_until_stored(f, id, "failed");
	place_fails = false;
	stored(f, id, status, error);
	assert_string_equal(error, "cannot make the agent's worktree: no repository here");
	assert_null(last_turn);
	assert_int_equal(runner_live(f->runner), 0);
}

/* Killed, or the server stopping, while its place is made: it ends once made, never started. */
static void test_killed_while_its_place_is_made(void **state)
{
	struct fixture *f = *state;
	struct task *t = submit_placed(f), *u;
	char id[33], id2[33], status[32], error[256];

	snprintf(id, sizeof id, "%s", task_record(t)->id);
	task_kill(t, TASK_KILLED, 100);
	stored(f, id, status, error);
	assert_string_equal(status, "queued"); /* its place is still being made */
	run_until_stored(f, id, "killed");
	json_t *place = stored_place(f, id);
	assert_true(json_is_true(json_object_get(place, "looked")));
	json_decref(place);

	u = submit_placed(f);
	snprintf(id2, sizeof id2, "%s", task_record(u)->id);
	int idle = f->idle_calls;
	runner_stop_all(f->runner);
	assert_int_equal(f->idle_calls, idle); /* not before it is made and ended */
	run_until_stored(f, id2, "failed");
	stored(f, id2, status, error);
	assert_string_equal(error, "server stopped");
	assert_null(last_turn);
	for (int i = 0; i < 200 && f->idle_calls == idle; i++)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->idle_calls, idle + 1);
}

static int progress_calls;

static void count_progress(void *data, struct task *t, const struct codex_event *ev,
                           const char *message)
{
	(void)data;
	(void)t;
	(void)ev;
	(void)message;
	progress_calls++;
}

/* A run paused for a slow client is read again once killed, or it could never be reaped. */
static void test_kill_resumes_a_paused_run(void **state)
{
	struct fixture *f = *state;
	struct task_observer obs = {.progress = count_progress};
	struct codex_turn *turn;
	struct task *t = submit(f);
	int before;

	turn = last_turn;
	task_observe(t, &obs);
	f->backlog = 8 << 20;
	turn_event(turn, CODEX_EVENT_ITEM_COMPLETED, NULL);
	assert_int_equal(turn->pauses, 1);
	task_kill(t, TASK_KILLED, 100);
	assert_int_equal(turn->resumes, 1);
	/* What it prints meanwhile is read and dropped: the client is behind already. */
	before = progress_calls;
	turn_event(turn, CODEX_EVENT_ITEM_COMPLETED, NULL);
	assert_int_equal(progress_calls, before);
	assert_int_equal(turn->pauses, 1);
	turn_done(turn, CODEX_TURN_CANCELLED, "");
	assert_int_equal(runner_live(f->runner), 0);
}

static size_t observer_backlog(void *data)
{
	return *(size_t *)data;
}

/*
 * A call whose own stream lags pauses its run, and only its run: another call's goes on.
 * The run is read again once the stream drains.
 */
static void test_a_lagging_call_pauses_only_its_run(void **state)
{
	struct fixture *f = *state;
	size_t slow_backlog = 0, fast_backlog = 0;
	struct task_observer slow = {.backlog = observer_backlog, .data = &slow_backlog};
	struct task_observer fast = {.backlog = observer_backlog, .data = &fast_backlog};
	struct codex_turn *ta, *tb;
	struct task *a, *b;

	free_runner(f);
	f->runner = make_runner(f, 2);
	a = submit(f);
	ta = last_turn;
	b = submit(f);
	tb = last_turn;

	task_observe(a, &slow);
	task_observe(b, &fast);
	slow_backlog = 40 << 10; /* past the per-call limit, far below the client's */
	turn_event(ta, CODEX_EVENT_ITEM_COMPLETED, NULL);
	turn_event(tb, CODEX_EVENT_ITEM_COMPLETED, NULL);
	assert_int_equal(ta->pauses, 1);
	assert_int_equal(tb->pauses, 0);

	/* Still behind: the drain poll leaves it paused. */
	uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(ta->resumes, 0);
	slow_backlog = 1 << 10;
	for (int i = 0; i < 10 && ta->resumes == 0; i++)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(ta->resumes, 1);
	assert_int_equal(tb->resumes, 0);

	turn_done(ta, CODEX_TURN_COMPLETED, "done");
	turn_done(tb, CODEX_TURN_COMPLETED, "done");
	assert_int_equal(runner_live(f->runner), 0);
}

/* An observer that takes every question, and hears when one is settled. */
struct asker {
	int asked, settled;
	uint64_t last;
};

static bool asker_ask(void *data, struct task *t, const struct codex_question *q)
{
	struct asker *a = data;

	(void)t;
	a->asked++;
	a->last = q->id;
	return true;
}

static void asker_settled(void *data, struct task *t, uint64_t id)
{
	(void)t;
	(void)id;
	((struct asker *)data)->settled++;
}

static void ask(struct codex_turn *t, uint64_t id)
{
	struct codex_question q = {.id = id, .kind = CODEX_ASK_COMMAND, .command = "touch x"};

	t->hooks.ask(t->hooks.data, &q);
}

static void test_questions_go_to_an_observer_that_asks(void **state)
{
	struct fixture *f = *state;
	struct asker a = {0};
	struct task_observer obs = {.ask = asker_ask, .settled = asker_settled, .data = &a};
	struct task *t = submit(f);
	struct codex_turn *turn = last_turn;

	task_observe(t, &obs);
	ask(turn, 7);
	assert_int_equal(a.asked, 1);
	assert_int_equal(task_waiting(t), 1);
	assert_int_equal(turn->answers, 0);
	assert_int_equal(task_answer(t, 7, CODEX_ACCEPT), 0);
	assert_int_equal(turn->answers, 1);
	assert_int_equal(turn->last_answer, CODEX_ACCEPT);
	assert_int_equal(a.settled, 1);
	assert_int_equal(task_waiting(t), 0);
	/* A late second answer is no answer. */
	assert_int_equal(task_answer(t, 7, CODEX_DECLINE), -ENOENT);
	assert_int_equal(turn->answers, 1);
	task_unobserve(t, &obs);
	turn_done(turn, CODEX_TURN_COMPLETED, "done");
}

static void test_a_question_nobody_can_ask_is_declined_and_said(void **state)
{
	struct fixture *f = *state;
	struct task *t = submit(f);
	struct codex_turn *turn = last_turn;
	char status[32], error[256];
	struct task_record rec;
	const char *id = task_record(t)->id;
	char saved[40];

	snprintf(saved, sizeof saved, "%s", id);
	ask(turn, 1);
	assert_int_equal(turn->answers, 1);
	assert_int_equal(turn->last_answer, CODEX_DECLINE);
	assert_int_equal(task_waiting(t), 0);
	turn_done(turn, CODEX_TURN_COMPLETED, "finished anyway");
	stored(f, saved, status, error);
	assert_string_equal(status, "completed");
	assert_int_equal(store_get_task(f->store, saved, &rec), 1);
	assert_non_null(strstr(rec.output, "finished anyway\n\n[codex-mcp: 1 approval was needed "
	                                   "and declined"));
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(rec.report, "approvals"), "declined_unasked")),
	                 1);
	task_record_clear(&rec);
}

static void test_an_unanswered_question_expires(void **state)
{
	struct fixture *f = *state;
	struct asker a = {0};
	struct task_observer obs = {.ask = asker_ask, .settled = asker_settled, .data = &a};
	struct runner_config cfg;
	struct task *t;
	struct codex_turn *turn;

	free_runner(f);
	cfg = (struct runner_config){.loop = &f->loop,
	                             .backend = &f->backend,
	                             .store = f->store,
	                             .log_dir = f->dir,
	                             .log_max_bytes = 1 << 20,
	                             .max_running = 1,
	                             .heartbeat_ms = 10000,
	                             .kill_grace_ms = 5000,
	                             .approval_timeout_s = 1,
	                             .stall_s = 1,
	                             .owner = "unit-test"};
	f->runner = runner_new(&cfg);
	t = submit(f);
	turn = last_turn;
	task_observe(t, &obs);
	ask(turn, 3);
	for (int i = 0; i < 200 && turn->answers == 0; i++)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(turn->answers, 1);
	assert_int_equal(turn->last_answer, CODEX_DECLINE);
	assert_int_equal(a.settled, 1);
	/* Waiting on a person was no stall. */
	assert_null(task_stall_report(t));
	task_unobserve(t, &obs);
	turn_done(turn, CODEX_TURN_COMPLETED, "done");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_saved_end_drops_older_kept_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_thread_is_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retries_do_not_keep_the_loop_alive, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_runner_save_keeps_then_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancelled_in_queue_says_why, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stopping_refuses_and_kills, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_place_is_made_first_and_looked_at_last, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_a_place_not_made_fails_the_task, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_killed_while_its_place_is_made, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kill_resumes_a_paused_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_questions_go_to_an_observer_that_asks, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_a_question_nobody_can_ask_is_declined_and_said,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_an_unanswered_question_expires, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_lagging_call_pauses_only_its_run, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
