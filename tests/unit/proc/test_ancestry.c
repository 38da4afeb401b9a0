#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "proc/child.h"
#include "proc/procfs.h"

/*
 * A directory laid out like /proc: <pid>/stat, <pid>/cmdline and <pid>/exe,
 * a symlink to a file under bin/ (which need not exist: a binary deleted
 * since it started).
 */
struct fake {
	char *root;
};

static void fake_file(const struct fake *f, pid_t pid, const char *name, const char *data,
                      size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%d/%s", f->root, (int)pid, name);
	assert_int_equal(unit_write_file(path, data, len), 0);
}

/* A process: argv is NUL-separated in one string, ending with an extra "\0". */
static void fake_proc(const struct fake *f, pid_t pid, pid_t ppid, const char *exe,
                      const char *argv, size_t argv_len)
{
	char path[PATH_MAX], target[PATH_MAX], line[256];

	snprintf(path, sizeof path, "%s/%d", f->root, (int)pid);
	assert_int_equal(mkdir(path, 0700), 0);
	/* A name with a space and a parenthesis, as a process may call itself. */
	int n = snprintf(line, sizeof line,
	                 "%d (a (b) c) S %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0\n", (int)pid,
	                 (int)ppid, (int)pid, (int)pid);
	fake_file(f, pid, "stat", line, (size_t)n);
	fake_file(f, pid, "cmdline", argv, argv_len);
	snprintf(path, sizeof path, "%s/%d/exe", f->root, (int)pid);
	snprintf(target, sizeof target, "%s/bin/%s", f->root, exe);
	assert_int_equal(symlink(target, path), 0);
}

#define PROC(f, pid, ppid, exe, argv) fake_proc(f, pid, ppid, exe, argv, sizeof argv - 1)

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof *f);
	char path[PATH_MAX];

	assert_non_null(f);
	f->root = unit_mkdtemp();
	assert_non_null(f->root);
	snprintf(path, sizeof path, "%s/bin", f->root);
	assert_int_equal(mkdir(path, 0700), 0);
	/* codex-mcp, a hard link to it elsewhere, another build of it, and other programs. */
	snprintf(path, sizeof path, "%s/bin/codex-mcp", f->root);
	assert_int_equal(unit_write_file(path, "server", 6), 0);
	char alias[PATH_MAX];
	snprintf(alias, sizeof alias, "%s/bin/linked-codex-mcp", f->root);
	assert_int_equal(link(path, alias), 0);
	const char *others[] = {"other-codex-mcp", "codex", "sh", "init"};
	for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
		snprintf(path, sizeof path, "%s/bin/%s", f->root, others[i]);
		assert_int_equal(unit_write_file(path, others[i], strlen(others[i])), 0);
	}
	PROC(f, 1, 0, "init", "init\0");
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;

	unit_rm_rf(f->root);
	free(f->root);
	free(f);
	return 0;
}

static unsigned above(const struct fake *f, pid_t pid)
{
	unsigned n = 12345;

	assert_int_equal(proc_servers_above(f->root, pid, &n), 0);
	return n;
}

static void test_top_level_server(void **state)
{
	struct fake *f = *state;

	PROC(f, 10, 1, "sh", "sh\0");
	PROC(f, 11, 10, "codex-mcp", "codex-mcp\0--state-dir\0/x\0");
	assert_int_equal(above(f, 11), 0);
}

/* server -> keeper -> codex -> server, then on through a shell, as real runs nest. */
static void test_keepers_count_their_servers(void **state)
{
	struct fake *f = *state;

	PROC(f, 100, 1, "codex-mcp", "codex-mcp\0");
	PROC(f, 101, 100, "codex-mcp",
	     "codex\0" CHILD_EXEC_ARG "\0"
	     "100\0-\0/bin/codex\0exec\0");
	PROC(f, 102, 101, "codex", "codex\0exec\0--json\0");
	PROC(f, 103, 102, "codex-mcp", "codex-mcp\0");
	assert_int_equal(above(f, 103), 1);
	assert_int_equal(above(f, 102), 1);
	assert_int_equal(above(f, 101), 1); /* the keeper itself: its server is above it */

	PROC(f, 104, 103, "codex-mcp",
	     "codex\0" CHILD_EXEC_ARG "\0"
	     "103\0"
	     "1024\0/c\0");
	PROC(f, 105, 104, "codex", "codex\0");
	PROC(f, 106, 105, "sh", "/bin/sh\0-c\0codex-mcp\0");
	PROC(f, 107, 106, "codex-mcp", "codex-mcp\0--tools\0compat\0");
	assert_int_equal(above(f, 107), 2);
}

/* Another build of codex-mcp above: its keeper still says what it is. */
static void test_other_builds_count_by_their_keeper(void **state)
{
	struct fake *f = *state;

	PROC(f, 200, 1, "other-codex-mcp", "codex-mcp\0");
	PROC(f, 201, 200, "other-codex-mcp",
	     "codex\0" CHILD_EXEC_ARG "\0"
	     "200\0-\0/c\0");
	PROC(f, 202, 201, "codex", "codex\0");
	PROC(f, 203, 202, "codex-mcp", "codex-mcp\0");
	assert_int_equal(above(f, 203), 1);
}

/* Without a keeper in between, the same program above is a server: by file, or by path. */
static void test_same_program_counts_without_a_keeper(void **state)
{
	struct fake *f = *state;

	PROC(f, 300, 1, "linked-codex-mcp", "codex-mcp\0");
	PROC(f, 301, 300, "codex", "codex\0");
	PROC(f, 302, 301, "codex-mcp", "codex-mcp\0");
	assert_int_equal(above(f, 302), 1);

	/* Rebuilt since that server started: the kernel marks its old binary deleted. */
	PROC(f, 400, 1, "codex-mcp (deleted)", "codex-mcp\0");
	PROC(f, 401, 400, "codex", "codex\0");
	PROC(f, 402, 401, "codex-mcp", "codex-mcp\0");
	assert_int_equal(above(f, 402), 1);

	/* Different programs are not servers, nor is the same program marked as a keeper. */
	PROC(f, 500, 1, "other-codex-mcp", "codex-mcp\0");
	PROC(f, 501, 500, "codex-mcp",
	     "x\0" CHILD_EXEC_ARG "\0"
	     "999\0");
	PROC(f, 502, 501, "codex-mcp", "codex-mcp\0");
	assert_int_equal(above(f, 502), 0);
}

static void test_keeper_mark_must_name_the_parent(void **state)
{
	struct fake *f = *state;

	PROC(f, 600, 1, "sh", "sh\0");
	/* Marked, but not as a keeper is: not a keeper, and not a server either. */
	PROC(f, 601, 600, "codex-mcp",
	     "tool\0" CHILD_EXEC_ARG "\0"
	     "7\0");
	PROC(f, 602, 601, "codex-mcp", "tool\0" CHILD_EXEC_ARG "\0");
	PROC(f, 603, 602, "codex-mcp",
	     "tool\0" CHILD_EXEC_ARG "\0"
	     "602x\0");
	PROC(f, 604, 603, "codex-mcp", "codex-mcp\0");
	assert_int_equal(above(f, 604), 0);
}

static void test_broken_chains_end_the_walk(void **state)
{
	struct fake *f = *state;
	unsigned n;

	assert_int_equal(proc_servers_above(f->root, 999, &n), -ESRCH);

	/* A parent that is gone: what was found below it stands. */
	PROC(f, 700, 698, "codex-mcp",
	     "codex\0" CHILD_EXEC_ARG "\0"
	     "698\0-\0/c\0");
	PROC(f, 701, 700, "codex", "codex\0");
	PROC(f, 702, 701, "codex-mcp", "codex-mcp\0");
	assert_int_equal(above(f, 702), 1);

	/* A loop, as reused pids could make one: the walk still ends. */
	PROC(f, 800, 801, "sh", "sh\0");
	PROC(f, 801, 800, "sh", "sh\0");
	PROC(f, 802, 800, "codex-mcp", "codex-mcp\0");
	assert_int_equal(above(f, 802), 0);

	/* A stat line that is not one. */
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/900", f->root);
	assert_int_equal(mkdir(path, 0700), 0);
	fake_file(f, 900, "stat", "garbage", 7);
	assert_int_equal(proc_servers_above(f->root, 900, &n), -ESRCH);
}

/* This test runs under no codex-mcp. */
static void test_live_process_is_top_level(void **state)
{
	(void)state;
	unsigned n = 12345;

	assert_int_equal(proc_servers_above("/proc", getpid(), &n), 0);
	assert_int_equal(n, 0);
}

/*
 * The real keeper: this binary starts itself through child_spawn, as the
 * server starts Codex, and that copy starts one more. Each reports what it
 * counts above itself.
 */
#define REPORT_ARG "--report-servers-above"

struct report {
	char line[256];
	bool exited;
	int64_t status;
};

static void report_line(void *data, char *line, size_t len)
{
	struct report *r = data;

	snprintf(r->line, sizeof r->line, "%.*s", (int)len, line);
}

static void report_exited(void *data, int64_t status, int sig)
{
	struct report *r = data;

	r->exited = true;
	r->status = sig ? -sig : status;
}

/* Runs this binary through a keeper with REPORT_ARG and levels; returns what it printed. */
static int run_nested(unsigned levels, char *out, size_t out_size)
{
	char self[PATH_MAX], levels_arg[16];
	struct report r = {0};
	struct child *c;
	uv_loop_t loop;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(levels_arg, sizeof levels_arg, "%u", levels);
	char *argv[] = {self, REPORT_ARG, levels_arg, NULL};
	struct child_spec spec = {.file = self, .argv = argv, .max_line = 1024};
	struct child_hooks hooks = {
	    .stdout_line = report_line, .exited = report_exited, .data = &r};
	uv_loop_init(&loop);
	if (child_spawn(&loop, &spec, &hooks, &c) != 0) {
		uv_loop_close(&loop);
		return -1;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	snprintf(out, out_size, "%s", r.line);
	return r.exited && r.status == 0 ? 0 : -1;
}

/* In the copies: "<servers above me>" then, after a space, what the next one down said. */
static int report_main(unsigned levels)
{
	unsigned mine;
	char inner[256] = "";

	if (proc_servers_above("/proc", getpid(), &mine) != 0)
		return 1;
	if (levels > 1 && run_nested(levels - 1, inner, sizeof inner) != 0)
		return 1;
	printf("%u%s%s\n", mine, *inner ? " " : "", inner);
	return 0;
}

static void test_live_keeper_chain(void **state)
{
	(void)state;
	char out[256];
	const char *preload = getenv("LD_PRELOAD");

	/* Under valgrind, /proc/self/exe is valgrind, and no keeper can start. */
	if (preload && strstr(preload, "vgpreload"))
		skip();
	assert_int_equal(run_nested(2, out, sizeof out), 0);
	assert_string_equal(out, "1 2");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], CHILD_EXEC_ARG) == 0)
		return child_exec_main(argc, argv);
	if (argc > 2 && strcmp(argv[1], REPORT_ARG) == 0)
		return report_main((unsigned)strtoul(argv[2], NULL, 10));

	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_top_level_server, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_keepers_count_their_servers, fake_setup,
	                                    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_other_builds_count_by_their_keeper, fake_setup,
	                                    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_same_program_counts_without_a_keeper, fake_setup,
	                                    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_keeper_mark_must_name_the_parent, fake_setup,
	                                    fake_teardown),
	    cmocka_unit_test_setup_teardown(test_broken_chains_end_the_walk, fake_setup,
	                                    fake_teardown),
	    cmocka_unit_test(test_live_process_is_top_level),
	    cmocka_unit_test(test_live_keeper_chain),
	};
	return cmocka_run_group_tests_name("proc/ancestry", tests, NULL, NULL);
}
