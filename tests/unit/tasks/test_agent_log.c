#include "unit.h"

#include <regex.h>

#include "tasks/agent-log.h"
#include "util/redact.h"

struct fixture {
	char *dir;
	char path[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	f->dir = unit_mkdtemp();
	snprintf(f->path, sizeof f->path, "%s/agent.log", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	redact_clear();
	unit_rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* The file's lines, less their "2025-01-02T03:04:05.678Z " stamps, which are checked. */
static char *read_lines(const char *path)
{
	FILE *in = fopen(path, "r");
	char line[8192];
	size_t cap = 1 << 16, len = 0;
	char *out = calloc(1, cap);
	regex_t stamp;

	assert_non_null(in);
	assert_int_equal(
	    regcomp(&stamp, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z ",
	            REG_EXTENDED | REG_NOSUB),
	    0);
	while (fgets(line, sizeof line, in)) {
		assert_int_equal(regexec(&stamp, line, 0, NULL, 0), 0);
		len += (size_t)snprintf(out + len, cap - len, "%s", line + 25);
	}
	regfree(&stamp);
	fclose(in);
	return out;
}

static void test_lines_as_written(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct agent_log *log = agent_log_open(f->path, 0, err, sizeof err);

	assert_non_null(log);
	agent_log_printf(log, "task %s (%d)", "abc", 7);
	/* Only len bytes: the rest is not the line's. */
	agent_log_line(log, "ran: echo hi (exit 0) and more", 21);
	agent_log_line(log, "", 0);
	agent_log_close(log);
	char *got = read_lines(f->path);
	assert_string_equal(got, "task abc (7)\nran: echo hi (exit 0)\n\n");
	free(got);
}

static void test_long_lines_cut(void **state)
{
	struct fixture *f = *state;
	char err[256], *big = malloc(6000);
	struct agent_log *log = agent_log_open(f->path, 0, err, sizeof err);

	memset(big, 'x', 6000);
	agent_log_line(log, big, 6000);
	agent_log_printf(log, "%.*s", 6000, big);
	agent_log_close(log);
	char *got = read_lines(f->path);
	assert_int_equal(strlen(got), 2 * (4095 + 1));
	assert_int_equal(strspn(got, "x"), 4095);
	free(got);
	free(big);
}

static void test_secrets_masked(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct agent_log *log = agent_log_open(f->path, 0, err, sizeof err);

	redact_add("s3cr3t-value");
	agent_log_printf(log, "env KEY=%s", "s3cr3t-value");
	agent_log_line(log, "a s3cr3t-value b", 16);
	agent_log_close(log);
	char *got = read_lines(f->path);
	assert_string_equal(got, "env KEY=[redacted]\na [redacted] b\n");
	free(got);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_lines_as_written),
	    T(test_long_lines_cut),
	    T(test_secrets_masked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
