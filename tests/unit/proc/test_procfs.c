#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "proc/procfs.h"

/* One process of the tree the test builds: who it is and its pid. */
struct born {
	char who;
	pid_t pid;
};

/* Every process the test forks dies with its parent, so a failed assertion leaves none behind. */
static pid_t fork_tied(void)
{
	pid_t pid = fork();

	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

static void announce(int fd, char who)
{
	struct born b;

	memset(&b, 0, sizeof b); /* padding too: all of it goes down the pipe */
	b.who = who;
	b.pid = getpid();

	if (write(fd, &b, sizeof b) != sizeof b)
		_exit(1);
}

/*
 * keeper -> program -> child -> grandchild, as a run looks: the keeper waits
 * in waitpid, the program spins (so it reads "running"), the others pause.
 * Returns the keeper's pid; pids[] gets program, child and grandchild.
 */
static pid_t build_tree(pid_t pids[3])
{
	int fds[2];
	pid_t keeper;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	keeper = fork_tied();
	assert_true(keeper >= 0);
	if (keeper == 0) {
		setpgid(0, 0);
		pid_t program = fork_tied();
		if (program == 0) {
			pid_t child = fork_tied();
			if (child == 0) {
				if (fork_tied() == 0) {
					announce(fds[1], 'g');
					for (;;)
						pause();
				}
				announce(fds[1], 'c');
				for (;;)
					pause();
			}
			announce(fds[1], 'p');
			for (volatile unsigned long spin = 0;; spin++)
				;
		}
		waitpid(program, NULL, 0);
		_exit(0);
	}
	close(fds[1]);
	for (int i = 0; i < 3; i++) {
		struct born b;
		assert_int_equal(read(fds[0], &b, sizeof b), sizeof b);
		pids[b.who == 'p' ? 0 : b.who == 'c' ? 1 : 2] = b.pid;
	}
	close(fds[0]);
	return keeper;
}

static void end_tree(pid_t keeper)
{
	kill(-keeper, SIGKILL);
	waitpid(keeper, NULL, 0);
}

/* Start time of pid in clock ticks, from its instance id "<pid>:<start>". */
static unsigned long long start_of(pid_t pid)
{
	char *id = proc_instance_id(pid);
	unsigned long long start;

	assert_non_null(id);
	start = strtoull(strchr(id, ':') + 1, NULL, 10);
	free(id);
	return start;
}

/* Polls until pid reads state (a process that just announced itself may not have paused yet). */
static void wait_state(pid_t pid, const char *want)
{
	struct timespec pause_1ms = {0, 1000000};

	for (int waited = 0; waited < 10000; waited++) {
		const char *now = proc_state(pid);
		if (now && strcmp(now, want) == 0)
			return;
		nanosleep(&pause_1ms, NULL);
	}
	fail_msg("process %d never read %s", (int)pid, want);
}

static void test_reports_the_program_not_the_keeper(void **state)
{
	(void)state;
	pid_t pids[3], keeper = build_tree(pids);
	/* Not in the tree, and newer than all of it: must not be picked. */
	pid_t stranger = fork_tied();
	if (stranger == 0) {
		for (;;)
			pause();
	}

	wait_state(keeper, "sleeping");
	wait_state(pids[1], "sleeping");
	wait_state(pids[2], "sleeping");
	json_t *report = proc_tree_report(keeper);
	assert_non_null(report);
	assert_int_equal(json_integer_value(json_object_get(report, "pid")), pids[0]);
	assert_string_equal(json_string_value(json_object_get(report, "state")), "running");

	/* The newest descendant: of child and grandchild, the later start (then the higher pid). */
	pid_t want = pids[2];
	if (start_of(pids[1]) > start_of(pids[2]) ||
	    (start_of(pids[1]) == start_of(pids[2]) && pids[1] > pids[2]))
		want = pids[1];
	json_t *busiest = json_object_get(report, "busiest");
	assert_non_null(busiest);
	assert_int_equal(json_integer_value(json_object_get(busiest, "pid")), want);
	assert_string_equal(json_string_value(json_object_get(busiest, "state")), "sleeping");
	/* A forked copy of this test: it has this test's name. */
	char comm[64] = "";
	FILE *f = fopen("/proc/self/comm", "re");
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof comm, f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	assert_string_equal(json_string_value(json_object_get(busiest, "name")), comm);

	json_decref(report);
	kill(stranger, SIGKILL);
	waitpid(stranger, NULL, 0);
	end_tree(keeper);
}

static void test_gone(void **state)
{
	(void)state;
	/* A keeper with no program (it has ended, or not started yet). */
	pid_t lone = fork_tied();
	if (lone == 0) {
		for (;;)
			pause();
	}
	json_t *report = proc_tree_report(lone);
	assert_string_equal(json_string_value(json_object_get(report, "state")), "gone");
	assert_null(json_object_get(report, "pid"));
	json_decref(report);
	kill(lone, SIGKILL);
	waitpid(lone, NULL, 0);

	/* A keeper that is gone itself. */
	report = proc_tree_report(lone);
	assert_string_equal(json_string_value(json_object_get(report, "state")), "gone");
	json_decref(report);
}

static void test_instance_id(void **state)
{
	(void)state;
	char *id = proc_instance_id(getpid());

	assert_non_null(id);
	assert_true(proc_instance_alive(id));
	free(id);
	assert_false(proc_instance_alive("0:0"));
	assert_string_equal(proc_state(getpid()), "running");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reports_the_program_not_the_keeper),
	    cmocka_unit_test(test_gone),
	    cmocka_unit_test(test_instance_id),
	};
	return cmocka_run_group_tests_name("proc/procfs", tests, NULL, NULL);
}
