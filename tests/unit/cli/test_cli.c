#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* A command's own flags and arguments beside the server's. */
struct seen {
	bool json;
	const char *arg;
	int n_args;
};

static int flag(void *data, int c, const char *arg)
{
	(void)arg;
	if (c != CLI_OPT_JSON)
		return 1;
	((struct seen *)data)->json = true;
	return 0;
}

static int args(void *data, char **list, int n)
{
	struct seen *s = data;

	s->n_args = n;
	s->arg = n > 0 ? list[0] : NULL;
	return n == 1 ? 0 : -1;
}

static const struct option flags[] = {
    {"json", no_argument, NULL, CLI_OPT_JSON},
    {NULL, 0, NULL, 0},
};

static void test_options_with_the_servers(void **state)
{
	(void)state;
	struct seen s = {0};
	struct options_extra x = {"usage\n", NULL, flags, flag, args, &s};
	char *argv[] = {"show",   "--state-dir", "/srv/state", "abc",
	                "--json", "--codex-bin", "/opt/codex", NULL};
	struct options o;
	int status = -1;

	assert_int_equal(cli_options(7, argv, &o, &x, &status), 0);
	assert_string_equal(o.state_dir, "/srv/state");
	assert_string_equal(o.codex_bin, "/opt/codex");
	/* What the server derives from them, the command sees too. */
	assert_string_equal(o.log_dir, "/srv/state/logs");
	assert_true(s.json);
	assert_string_equal(s.arg, "abc");
	options_free(&o);
}

/* stdout and stderr to /dev/null while a usage message is printed, and back. */
static int saved[2];

static void quiet(void)
{
	int null_fd = open("/dev/null", O_WRONLY);

	fflush(stdout);
	fflush(stderr);
	saved[0] = dup(1);
	saved[1] = dup(2);
	dup2(null_fd, 1);
	dup2(null_fd, 2);
	close(null_fd);
}

static void loud(void)
{
	fflush(stdout);
	fflush(stderr);
	dup2(saved[0], 1);
	dup2(saved[1], 2);
	close(saved[0]);
	close(saved[1]);
}

static void test_options_mistakes(void **state)
{
	(void)state;
	struct seen s = {0};
	struct options_extra x = {"usage\n", NULL, flags, flag, args, &s};
	char *none[] = {"show", "--json", NULL};
	char *unknown[] = {"show", "abc", "--no-such-flag", NULL};
	char *help[] = {"show", "--help", NULL};
	struct options o;
	int rc[3], st[3];

	quiet();
	rc[0] = cli_options(2, none, &o, &x, &st[0]);
	rc[1] = cli_options(3, unknown, &o, &x, &st[1]);
	rc[2] = cli_options(2, help, &o, &x, &st[2]);
	loud();
	assert_int_not_equal(rc[0], 0);
	assert_int_equal(st[0], 2);
	assert_int_equal(s.n_args, 0);
	assert_int_not_equal(rc[1], 0);
	assert_int_equal(st[1], 2);
	assert_int_not_equal(rc[2], 0);
	assert_int_equal(st[2], 0);
}

static char *fit(const char *s, int width)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	cli_print_fit(f, s, width);
	fclose(f);
	return buf;
}

static void test_print_fit(void **state)
{
	(void)state;
	char *s;

	assert_string_equal(s = fit("short", 10), "short\n");
	free(s);
	assert_string_equal(s = fit("exactly 10", 10), "exactly 10\n");
	free(s);
	assert_string_equal(s = fit("one more 11", 10), "one more …\n");
	free(s);
	/* Characters, not bytes: ✔ is one column. */
	assert_string_equal(s = fit("✔✔✔✔", 4), "✔✔✔✔\n");
	free(s);
	assert_string_equal(s = fit("✔✔✔✔✔", 4), "✔✔✔…\n");
	free(s);
	/* One line only; what follows is said to be there. */
	assert_string_equal(s = fit("first\nsecond", 80), "first…\n");
	free(s);
	assert_string_equal(s = fit("no limit at all", 0), "no limit at all\n");
	free(s);
	/* A title escape in a task's output is shown, not obeyed. */
	assert_string_equal(s = fit("a\033]0;owned\007b", 80), "a^[]0;owned^Gb\n");
	free(s);
}

static void test_sanitize(void **state)
{
	(void)state;
	char *s;
	/* OSC 52 (set the clipboard), CSI as C1, DEL, a NUL; \n, \t and UTF-8 stay. */
	const char in[] = "x\033]52;c;ZWNobw==\007 \xc2\x9b"
	                  "2J \x7f\x00\tü✔\n\r";

	assert_string_equal(s = cli_sanitize(in, sizeof in - 1), "x^[]52;c;ZWNobw==^G \xef\xbf\xbd"
	                                                         "2J ^?^@\tü✔\n^M");
	free(s);
	/* U+00A0 and U+00C2 are text, not controls. */
	assert_string_equal(s = cli_sanitize("\xc2\xa0\xc3\x82", 4), "\xc2\xa0\xc3\x82");
	free(s);
	/* A lone lead byte at the end is left as it is: it controls nothing. */
	assert_string_equal(s = cli_sanitize("a\xc2", 2), "a\xc2");
	free(s);
}

static void test_pager_usable(void **state)
{
	(void)state;
	assert_false(cli_pager_usable(""));
	assert_false(cli_pager_usable("cat"));
	assert_false(cli_pager_usable("codex-mcp-no-such-pager"));
	assert_false(cli_pager_usable("/nonexistent/less -R"));
	assert_true(cli_pager_usable("sh -c cat"));
	assert_true(cli_pager_usable("/bin/sh"));
}

static void test_store_display_keyword_password(void **state)
{
	(void)state;
	struct options o = {0};
	char *s, err[512];
	struct store *st = NULL;

	o.store = "host=db password=hunter2secret user=codex";
	assert_string_equal(s = cli_store_display(&o), "host=db password=[redacted] user=codex");
	free(s);
	o.store = "host=db password = 'two words' dbname=x";
	assert_null(strstr(s = cli_store_display(&o), "two words"));
	free(s);
	/* Taken for an SQLite path that is not there: the error shows no password either. */
	o.store = "host=x password=hunter2secret";
	assert_int_not_equal(cli_store_open(&o, &st, err, sizeof err), 0);
	assert_null(strstr(err, "hunter2secret"));
	assert_non_null(strstr(err, "[redacted]"));
}

static void test_age(void **state)
{
	(void)state;
	char buf[32];

	cli_age(0, 1000, buf, sizeof buf);
	assert_string_equal(buf, "-");
	cli_age(1000, 43000, buf, sizeof buf);
	assert_string_equal(buf, "42s ago");
	cli_age(1000, 1000 + 125000, buf, sizeof buf);
	assert_string_equal(buf, "2m ago");
	cli_age(1000, 1000 + 3 * 86400000LL, buf, sizeof buf);
	assert_string_equal(buf, "3d ago");
}

static void test_store_display_hides_the_password(void **state)
{
	(void)state;
	struct options o = {0};
	char *s;

	o.store = "postgresql://codex:hunter2secret@db.example:5432/codex";
	s = cli_store_display(&o);
	assert_string_equal(s, "postgresql://codex:[redacted]@db.example:5432/codex");
	free(s);
	o.store = "postgresql://pw:pw@db/codex";
	s = cli_store_display(&o);
	assert_string_equal(s, "postgresql://[redacted]:[redacted]@db/codex");
	free(s);
	o.store = "postgresql://db/codex?user=codex&password=abc";
	s = cli_store_display(&o);
	assert_string_equal(s, "postgresql://db/codex?user=codex&password=[redacted]");
	free(s);
	o.store = NULL;
	o.state_dir = "/srv/state";
	s = cli_store_display(&o);
	assert_string_equal(s, "/srv/state/codex-mcp.db");
	free(s);
}

static void test_store_open_makes_nothing(void **state)
{
	(void)state;
	char dir[] = "/var/tmp/codex-mcp-unit-cli-XXXXXX", state_dir[256], err[512];
	struct options o = {0};
	struct store *s = NULL;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(state_dir, sizeof state_dir, "%s/state", dir);
	o.state_dir = state_dir;
	assert_int_equal(cli_store_open(&o, &s, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "no database at"));
	assert_int_not_equal(stat(state_dir, &st), 0);
	/* A --store whose directory is missing: the server would fail, not make it. */
	snprintf(state_dir, sizeof state_dir, "sqlite:%s/no/such/dir/db", dir);
	o.store = state_dir;
	assert_int_equal(cli_store_open(&o, &s, err, sizeof err), -ENOTDIR);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_options_with_the_servers),
	    cmocka_unit_test(test_print_fit),
	    cmocka_unit_test(test_sanitize),
	    cmocka_unit_test(test_pager_usable),
	    cmocka_unit_test(test_store_display_keyword_password),
	    cmocka_unit_test(test_age),
	    cmocka_unit_test(test_store_display_hides_the_password),
	    cmocka_unit_test(test_store_open_makes_nothing),
	    cmocka_unit_test(test_options_mistakes),
	};
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
