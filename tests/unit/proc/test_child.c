#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "proc/child.h"
#include "tasks/agent-log.h"

/* What one run printed and how it ended. */
struct run {
	char out[8192];
	size_t out_len;
	bool exited;
	int64_t status;
	int signal;
};

static void on_line(void *data, char *line, size_t len)
{
	struct run *r = data;

	if (r->out_len + len + 1 < sizeof r->out) {
		memcpy(r->out + r->out_len, line, len);
		r->out_len += len;
		r->out[r->out_len++] = '\n';
		r->out[r->out_len] = '\0';
	}
}

static void on_exit_cb(void *data, int64_t status, int sig)
{
	struct run *r = data;

	r->exited = true;
	r->status = status;
	r->signal = sig;
}

static void too_long(uv_timer_t *t)
{
	(void)t;
	fail_msg("the run did not end within 30 s");
}

/*
 * Under valgrind, /proc/self/exe is valgrind itself, so the keeper (this
 * binary started again through that name) cannot start: these tests need a
 * plain or sanitizer build.
 */
static void need_keeper(void)
{
	const char *preload = getenv("LD_PRELOAD");

	if (preload && strstr(preload, "vgpreload"))
		skip();
}

/* Runs argv under a keeper, as the server does, and waits until it has ended. */
static void run(char *const *argv, unsigned terminate_after_ms, struct run *r)
{
	uv_loop_t loop;
	uv_timer_t deadline;
	struct child *c = NULL;
	struct child_spec spec = {.file = argv[0], .argv = argv, .max_line = 4096};
	struct child_hooks hooks = {.stdout_line = on_line, .exited = on_exit_cb, .data = r};

	memset(r, 0, sizeof *r);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(child_spawn(&loop, &spec, &hooks, &c), 0);
	uv_timer_init(&loop, &deadline);
	uv_timer_start(&deadline, too_long, 30000, 0);
	uv_unref((uv_handle_t *)&deadline);
	if (terminate_after_ms) {
		/* Wait until the program prints that it is ready, then stop it as a cancel does. */
		while (!r->exited && r->out_len == 0)
			uv_run(&loop, UV_RUN_ONCE);
		if (!r->exited)
			child_terminate(c, terminate_after_ms);
	}
	while (!r->exited)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_exit_status_passes_through(void **state)
{
	(void)state;
	need_keeper();
	struct run r;

	run((char *[]){"/bin/sh", "-c", "echo hi; exit 3", NULL}, 0, &r);
	assert_string_equal(r.out, "hi\n");
	assert_int_equal(r.status, 3);
	assert_int_equal(r.signal, 0);

	run((char *[]){"/bin/sh", "-c", "kill -KILL $$", NULL}, 0, &r);
	assert_int_equal(r.signal, SIGKILL);
}

/* A child kept on its stdin answers line by line, and sees its end once stdin is closed. */
static void test_conversation_over_stdin(void **state)
{
	(void)state;
	need_keeper();
	char *argv[] = {"/bin/cat", NULL};
	struct child_spec spec = {.file = argv[0],
	                          .argv = argv,
	                          .stdin_data = "one\n",
	                          .stdin_len = 4,
	                          .keep_stdin = true,
	                          .max_line = 4096};
	struct run r = {0};
	struct child_hooks hooks = {.stdout_line = on_line, .exited = on_exit_cb, .data = &r};
	struct child *c = NULL;
	uv_loop_t loop;
	uv_timer_t deadline;

	assert_int_equal(uv_loop_init(&loop), 0);
	uv_timer_init(&loop, &deadline);
	uv_timer_start(&deadline, too_long, 30000, 0);
	uv_unref((uv_handle_t *)&deadline);
	assert_int_equal(child_spawn(&loop, &spec, &hooks, &c), 0);
	while (!strstr(r.out, "one\n") && !r.exited)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(child_write(c, "two\n", 4), 0);
	while (!strstr(r.out, "two\n") && !r.exited)
		uv_run(&loop, UV_RUN_ONCE);
	assert_false(r.exited);
	child_close_stdin(c);
	assert_int_equal(child_write(c, "three\n", 6), -EPIPE);
	while (!r.exited)
		uv_run(&loop, UV_RUN_ONCE);
	assert_string_equal(r.out, "one\ntwo\n");
	assert_int_equal(r.status, 0);
	assert_int_equal(r.signal, 0);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A cancel's SIGTERM reaches the program, though the keeper holds SIGTERM blocked. */
static void test_terminate_reaches_the_program(void **state)
{
	(void)state;
	need_keeper();
	struct run r;

	run((char *[]){"/bin/sh", "-c", "echo ready; exec sleep 60", NULL}, 20000, &r);
	assert_int_equal(r.signal, SIGTERM);
}

/* The server's raised descriptor limit stays with the server. */
static void test_program_gets_the_original_fd_limit(void **state)
{
	(void)state;
	need_keeper();
	struct rlimit rl, now;
	struct run r;
	char want[64];

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= 256)
		skip(); /* no room below the hard limit to tell the two apart */
	struct rlimit low = {.rlim_cur = 256, .rlim_max = rl.rlim_max};
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(child_raise_fd_limit(), 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
	assert_true(now.rlim_cur == rl.rlim_max);

	run((char *[]){"/bin/sh", "-c", "ulimit -Sn; ulimit -Hn", NULL}, 0, &r);
	if (rl.rlim_max == RLIM_INFINITY)
		snprintf(want, sizeof want, "256\nunlimited\n");
	else
		snprintf(want, sizeof want, "256\n%llu\n", (unsigned long long)rl.rlim_max);
	assert_string_equal(r.out, want);
	assert_int_equal(r.status, 0);
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* Whether a listing of descriptors shows the pipes (socket pairs, with libuv) of the program's
 * stdio. */
static bool lists_stdio(const char *out)
{
	return strstr(out, "socket:[") || strstr(out, "pipe:[");
}

/* An agent log open in the server is not open in the programs it starts. */
static void test_agent_logs_stay_in_the_server(void **state)
{
	(void)state;
	need_keeper();
	char *dir = unit_mkdtemp(), *path, err[256];
	struct run r;

	assert_non_null(dir);
	assert_true(asprintf(&path, "%s/codex_agent_test.log", dir) > 0);
	struct agent_log *log = agent_log_open(path, 0, err, sizeof err);
	assert_non_null(log);
	/* The shell lists the keeper's descriptors ($PPID) and its own ($$). */
	run((char *[]){"/bin/sh", "-c",
	               "for f in /proc/$PPID/fd/* /proc/$$/fd/*; do readlink $f; done; true", NULL},
	    0, &r);
	assert_int_equal(r.status, 0);
	assert_true(lists_stdio(r.out));
	if (strstr(r.out, path))
		fail_msg("the program holds the agent log %s:\n%s", path, r.out);
	agent_log_close(log);
	unit_rm_rf(dir);
	free(path);
	free(dir);
}

/* A descriptor the server inherited without close-on-exec stops at the keeper. */
static void test_program_gets_only_stdio(void **state)
{
	(void)state;
	need_keeper();
	char *dir = unit_mkdtemp(), *path;
	struct run r;

	assert_non_null(dir);
	assert_true(asprintf(&path, "%s/inherited", dir) > 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600); /* no O_CLOEXEC, on purpose */
	assert_true(fd > 2);
	run((char *[]){"/bin/sh", "-c", "for f in /proc/$$/fd/*; do readlink $f; done; true", NULL},
	    0, &r);
	assert_int_equal(r.status, 0);
	assert_true(lists_stdio(r.out));
	if (strstr(r.out, path))
		fail_msg("the program holds %s:\n%s", path, r.out);
	close(fd);
	unit_rm_rf(dir);
	free(path);
	free(dir);
}

static void busy_wait_us(long us)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - start.tv_sec) * 1000000 + (now.tv_nsec - start.tv_nsec) / 1000 < us);
}

static void reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Whether the process group is gone within timeout_ms, reaping what we inherit meanwhile. */
static bool group_gone(pid_t pgid, int timeout_ms)
{
	struct timespec pause = {0, 1000000};

	for (int waited = 0; waited < timeout_ms; waited++) {
		reap_all();
		if (kill(-pgid, 0) != 0 && errno == ESRCH)
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

/*
 * A server that dies at any moment of its keeper's start takes the run with
 * it. Each round the server dies a little later, so the death falls before,
 * during and after the keeper's check on it and its fork of the program.
 */
static void test_keeper_never_misses_the_server_dying(void **state)
{
	(void)state;
	need_keeper();
	enum { ROUNDS = 300 };
	int missed = 0;

	/* The keepers and programs left orphaned come to us, to be reaped and counted. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	for (int round = 0; round < ROUNDS; round++) {
		int fds[2];
		pid_t keeper = 0, server;

		assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
		server = fork();
		assert_true(server >= 0);
		if (server == 0) {
			uv_loop_t loop;
			struct child *c;
			struct run r;
			char *argv[] = {"/bin/sleep", "60", NULL};
			struct child_spec spec = {.file = argv[0], .argv = argv, .max_line = 4096};
			struct child_hooks hooks = {
			    .stdout_line = on_line, .exited = on_exit_cb, .data = &r};

			close(fds[0]);
			if (uv_loop_init(&loop) != 0 || child_spawn(&loop, &spec, &hooks, &c) != 0)
				_exit(1);
			keeper = child_pid(c);
			if (write(fds[1], &keeper, sizeof keeper) != sizeof keeper)
				_exit(1);
			busy_wait_us((round * 7) % 1500);
			_exit(0);
		}
		close(fds[1]);
		ssize_t n = read(fds[0], &keeper, sizeof keeper);
		close(fds[0]);
		assert_int_equal(waitpid(server, NULL, 0), server);
		assert_int_equal(n, sizeof keeper);
		if (!group_gone(keeper, 10000)) {
			missed++;
			kill(-keeper, SIGKILL);
			group_gone(keeper, 10000);
		}
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	if (missed)
		fail_msg("%d of %d runs outlived their server", missed, ROUNDS);
}

int main(int argc, char **argv)
{
	/* child_spawn starts this very binary as the keeper, as it starts the server. */
	if (argc > 1 && strcmp(argv[1], CHILD_EXEC_ARG) == 0)
		return child_exec_main(argc, argv);

	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conversation_over_stdin),
	    cmocka_unit_test(test_exit_status_passes_through),
	    cmocka_unit_test(test_terminate_reaches_the_program),
	    cmocka_unit_test(test_program_gets_the_original_fd_limit),
	    cmocka_unit_test(test_agent_logs_stay_in_the_server),
	    cmocka_unit_test(test_program_gets_only_stdio),
	    cmocka_unit_test(test_keeper_never_misses_the_server_dying),
	};
	return cmocka_run_group_tests_name("proc/child", tests, NULL, NULL);
}
