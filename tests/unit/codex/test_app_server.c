/*
 * The app-server child, against the real `codex app-server` of the pinned Codex (its
 * path in CODEX_REAL_BIN, set by ctest). Nothing here needs a model: initialize and
 * thread/list are answered offline.
 */
#include "unit.h"

#include <errno.h>
#include <signal.h>

#include "codex/app-server.h"
#include "codex/locate.h"
#include "proc/child.h"

struct fixture {
	uv_loop_t loop;
	uv_timer_t deadline;
	char *home;
	char *env[4];
	char *codex;
	struct app_server *as;
	int notifications, exits;
	char why[512];
	bool freed;
};

struct answer {
	int calls;
	json_t *result, *error;
};

static void on_notification(void *data, const char *method, json_t *params)
{
	(void)method;
	(void)params;
	((struct fixture *)data)->notifications++;
}

static void on_request(void *data, json_t *id, const char *method, json_t *params)
{
	(void)data;
	(void)id;
	(void)params;
	fail_msg("app-server asked %s of a test that starts no turn", method);
}

static void on_exited(void *data, const char *why)
{
	struct fixture *f = data;

	f->exits++;
	snprintf(f->why, sizeof f->why, "%s", why);
}

static void on_answer(void *data, json_t *result, json_t *error)
{
	struct answer *a = data;

	a->calls++;
	a->result = result ? json_deep_copy(result) : NULL;
	a->error = error ? json_deep_copy(error) : NULL;
}

static void too_long(uv_timer_t *t)
{
	(void)t;
	fail_msg("the app-server did not answer within 60 s");
}

/* Under valgrind the keeper cannot start (see test_child.c). */
static bool under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload");
}

static void need_keeper(void)
{
	if (under_valgrind())
		skip();
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	const char *wanted = getenv("CODEX_REAL_BIN");
	char err[256];
	bool via_npm;

	if (!f)
		return -1;
	*state = f;
	f->freed = true; /* nothing to free until there is an app-server */
	if (under_valgrind())
		return 0;
	if (!wanted) {
		fprintf(stderr, "CODEX_REAL_BIN is not set: run this test through ctest\n");
		return -1;
	}
	/* An empty home: no login, no config, nothing of the machine's. */
	if (!(f->codex = codex_locate(wanted, &via_npm, err, sizeof err)) ||
	    !(f->home = unit_mkdtemp()))
		return -1;
	if (asprintf(&f->env[0], "HOME=%s", f->home) < 0 ||
	    asprintf(&f->env[1], "CODEX_HOME=%s", f->home) < 0 ||
	    asprintf(&f->env[2], "PATH=%s", getenv("PATH")) < 0)
		return -1;
	if (uv_loop_init(&f->loop) != 0)
		return -1;
	uv_timer_init(&f->loop, &f->deadline);
	uv_timer_start(&f->deadline, too_long, 60000, 0);
	uv_unref((uv_handle_t *)&f->deadline);
	struct app_server_config cfg = {
	    .loop = &f->loop,
	    .codex_path = f->codex,
	    .env = f->env,
	    .client_version = "test",
	    .max_line = 1 << 20,
	    .notification = on_notification,
	    .request = on_request,
	    .exited = on_exited,
	    .data = f,
	};
	f->freed = false;
	return app_server_new(&cfg, &f->as);
}

static void on_freed(void *data)
{
	((struct fixture *)data)->freed = true;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->as && !f->freed)
		app_server_free(f->as, 0, on_freed, f);
	if (f->codex) {
		while (!f->freed)
			uv_run(&f->loop, UV_RUN_ONCE);
		uv_close((uv_handle_t *)&f->deadline, NULL);
		uv_run(&f->loop, UV_RUN_DEFAULT);
		assert_int_equal(uv_loop_close(&f->loop), 0);
		unit_rm_rf(f->home);
	}
	for (int i = 0; i < 3; i++)
		free(f->env[i]);
	free(f->home);
	free(f->codex);
	free(f);
	return 0;
}

static void wait_answer(struct fixture *f, struct answer *a)
{
	while (a->calls == 0)
		uv_run(&f->loop, UV_RUN_ONCE);
}

static void list_threads(struct fixture *f, struct answer *a)
{
	char err[256] = "";

	memset(a, 0, sizeof *a);
	if (app_server_request(f->as, "thread/list", json_object(), on_answer, a, NULL, err,
	                       sizeof err) != 0)
		fail_msg("thread/list: %s", err);
	wait_answer(f, a);
}

static void answer_free(struct answer *a)
{
	json_decref(a->result);
	json_decref(a->error);
}

/* The first request starts it and initializes it; it answers, and says things of its own. */
static void test_started_on_first_use(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	need_keeper();
	assert_int_equal(app_server_pid(f->as), 0);
	list_threads(f, &a);
	assert_null(a.error);
	assert_true(json_is_array(json_object_get(a.result, "data")));
	assert_true(app_server_pid(f->as) > 0);
	answer_free(&a);
	/* A method it does not know is its error, not ours. */
	char err[256];
	struct answer b = {0};
	assert_int_equal(
	    app_server_request(f->as, "no/such", NULL, on_answer, &b, NULL, err, sizeof err), 0);
	wait_answer(f, &b);
	assert_non_null(b.error);
	assert_int_equal(json_integer_value(json_object_get(b.error, "code")), -32600);
	answer_free(&b);
	assert_int_equal(f->exits, 0);
}

/* Killed, it says why, answers what it held, and the next request starts it again. */
static void test_started_again_after_a_crash(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	pid_t first;

	need_keeper();
	list_threads(f, &a);
	answer_free(&a);
	first = app_server_pid(f->as);
	assert_int_equal(kill(-first, SIGKILL), 0);
	while (f->exits == 0)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_non_null(strstr(f->why, "codex app-server"));
	assert_int_equal(app_server_pid(f->as), 0);
	list_threads(f, &a);
	assert_null(a.error);
	assert_true(app_server_pid(f->as) > 0);
	assert_true(app_server_pid(f->as) != first);
	answer_free(&a);
}

/* Freed while it runs: it is stopped, and what waited is answered. */
static void test_freed_while_running(void **state)
{
	struct fixture *f = *state;
	struct answer a;
	struct answer late = {0};
	char err[256];
	pid_t pid;

	need_keeper();
	list_threads(f, &a);
	answer_free(&a);
	pid = app_server_pid(f->as);
	assert_int_equal(app_server_request(f->as, "thread/list", json_object(), on_answer, &late,
	                                    NULL, err, sizeof err),
	                 0);
	app_server_free(f->as, 2000, on_freed, f);
	while (!f->freed)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(late.calls, 1);
	answer_free(&late);
	assert_true(kill(pid, 0) != 0 && errno == ESRCH);
	assert_int_equal(f->exits, 0); /* freeing is no crash */
}

int main(int argc, char **argv)
{
	/* child_spawn starts this very binary as the keeper, as it starts the server. */
	if (argc > 1 && strcmp(argv[1], CHILD_EXEC_ARG) == 0)
		return child_exec_main(argc, argv);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_started_on_first_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_started_again_after_a_crash, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_freed_while_running, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
