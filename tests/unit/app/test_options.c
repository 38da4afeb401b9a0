#include "unit.h"

#include <fcntl.h>

#include "app/options.h"

/*
 * Parses argv (NULL-terminated, without the program name) with stdout and
 * stderr sent to /dev/null, so --help and usage messages stay out of the log.
 */
static enum options_result parse(struct options *o, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	int saved_out, saved_err, null_fd;
	enum options_result r;

	argv[argc++] = "codex-mcp";
	while (*args) {
		assert_true(argc < 31);
		argv[argc++] = (char *)*args++;
	}
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	null_fd = open("/dev/null", O_WRONLY);
	assert_true(saved_out >= 0 && saved_err >= 0 && null_fd >= 0);
	dup2(null_fd, 1);
	dup2(null_fd, 2);
	r = options_parse(argc, argv, o);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(null_fd);
	return r;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_ARGS ((const char *const[]){NULL})

static void test_defaults(void **state)
{
	(void)state;
	struct options o;

	setenv("XDG_STATE_HOME", "/xdg/state", 1);
	assert_int_equal(parse(&o, NO_ARGS), OPTIONS_RUN);
	assert_null(o.codex_bin);
	assert_string_equal(o.state_dir, "/xdg/state/codex-mcp");
	assert_false(o.codex_events);
	assert_false(o.allow_danger);
	assert_int_equal(o.log_level, LOG_INFO);
	assert_int_equal(o.kill_grace_ms, 2000);
	assert_int_equal(o.max_message_bytes, (size_t)64 << 20);
	assert_int_equal(o.max_event_bytes, (size_t)32 << 20);
	assert_int_equal(o.heartbeat_ms, 10000);
	assert_int_equal(o.max_depth, 2);
	options_free(&o);
	assert_null(o.state_dir);
}

static void test_default_state_dir_from_home(void **state)
{
	(void)state;
	struct options o;

	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/u", 1);
	assert_int_equal(parse(&o, NO_ARGS), OPTIONS_RUN);
	assert_string_equal(o.state_dir, "/home/u/.local/state/codex-mcp");
	options_free(&o);

	/* A relative XDG_STATE_HOME is ignored, as the XDG spec says. */
	setenv("XDG_STATE_HOME", "relative/state", 1);
	assert_int_equal(parse(&o, NO_ARGS), OPTIONS_RUN);
	assert_string_equal(o.state_dir, "/home/u/.local/state/codex-mcp");
	options_free(&o);

	setenv("XDG_STATE_HOME", "", 1);
	assert_int_equal(parse(&o, NO_ARGS), OPTIONS_RUN);
	assert_string_equal(o.state_dir, "/home/u/.local/state/codex-mcp");
	options_free(&o);
	unsetenv("XDG_STATE_HOME");

	/* Without either, no directory is guessed: a shared one could be someone else's. */
	unsetenv("HOME");
	assert_int_equal(parse(&o, NO_ARGS), OPTIONS_RUN);
	assert_null(o.state_dir);
	options_free(&o);
	setenv("HOME", "relative", 1);
	assert_int_equal(parse(&o, NO_ARGS), OPTIONS_RUN);
	assert_null(o.state_dir);
	options_free(&o);
}

static void test_codex_bin_and_state_dir(void **state)
{
	(void)state;
	struct options o;

	assert_int_equal(
	    parse(&o, ARGS("--codex-bin", "/opt/codex/bin/codex", "--state-dir", "/var/lib/cm")),
	    OPTIONS_RUN);
	assert_string_equal(o.codex_bin, "/opt/codex/bin/codex");
	assert_string_equal(o.state_dir, "/var/lib/cm");
	options_free(&o);

	/* --opt=value, and the last one wins. */
	assert_int_equal(parse(&o, ARGS("--codex-bin=/a", "--codex-bin=/b", "--state-dir=/s")),
	                 OPTIONS_RUN);
	assert_string_equal(o.codex_bin, "/b");
	assert_string_equal(o.state_dir, "/s");
	options_free(&o);
}

static void test_boolean_flags(void **state)
{
	(void)state;
	struct options o;

	assert_int_equal(parse(&o, ARGS("--codex-events")), OPTIONS_RUN);
	assert_true(o.codex_events);
	assert_false(o.allow_danger);
	options_free(&o);

	assert_int_equal(parse(&o, ARGS("--allow-danger")), OPTIONS_RUN);
	assert_false(o.codex_events);
	assert_true(o.allow_danger);
	options_free(&o);

	assert_int_equal(parse(&o, ARGS("--allow-danger", "--codex-events")), OPTIONS_RUN);
	assert_true(o.codex_events);
	assert_true(o.allow_danger);
	options_free(&o);
}

static void test_log_level(void **state)
{
	(void)state;
	static const char *const names[] = {"debug", "info",     "notice", "warning",
	                                    "error", "critical", "alert",  "emergency"};
	struct options o;

	for (int i = 0; i < 8; i++) {
		assert_int_equal(parse(&o, ARGS("--log-level", names[i])), OPTIONS_RUN);
		assert_int_equal(o.log_level, i);
		options_free(&o);
	}
	assert_int_equal(parse(&o, ARGS("--log-level=error")), OPTIONS_RUN);
	assert_int_equal(o.log_level, LOG_ERROR);
	options_free(&o);
}

static void test_numbers(void **state)
{
	(void)state;
	struct options o;

	assert_int_equal(parse(&o, ARGS("--kill-grace-ms", "0")), OPTIONS_RUN);
	assert_int_equal(o.kill_grace_ms, 0);
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("--kill-grace-ms", "600000")), OPTIONS_RUN);
	assert_int_equal(o.kill_grace_ms, 600000);
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("--kill-grace-ms=250")), OPTIONS_RUN);
	assert_int_equal(o.kill_grace_ms, 250);
	options_free(&o);

	assert_int_equal(parse(&o, ARGS("--max-message-bytes", "1024")), OPTIONS_RUN);
	assert_int_equal(o.max_message_bytes, 1024);
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("--max-message-bytes", "4294967296")), OPTIONS_RUN);
	assert_int_equal(o.max_message_bytes, (size_t)4294967296ull);
	options_free(&o);

	/* 0 lifts the limit on nesting. */
	assert_int_equal(parse(&o, ARGS("--max-depth", "0")), OPTIONS_RUN);
	assert_int_equal(o.max_depth, 0);
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("--max-depth=100")), OPTIONS_RUN);
	assert_int_equal(o.max_depth, 100);
	options_free(&o);
}

static void test_help_and_version(void **state)
{
	(void)state;
	struct options o;

	assert_int_equal(parse(&o, ARGS("--help")), OPTIONS_EXIT_OK);
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("--version")), OPTIONS_EXIT_OK);
	options_free(&o);
	assert_int_equal(parse(&o, ARGS("--codex-events", "--version")), OPTIONS_EXIT_OK);
	options_free(&o);
}

static void expect_usage(const char *const *args)
{
	struct options o;
	enum options_result r = parse(&o, args);

	options_free(&o);
	if (r != OPTIONS_EXIT_USAGE) {
		char all[512] = "";
		for (const char *const *a = args; *a; a++)
			snprintf(all + strlen(all), sizeof all - strlen(all), " %s", *a);
		fail_msg("codex-mcp%s: result %d, expected OPTIONS_EXIT_USAGE", all, (int)r);
	}
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_usage(ARGS("--log-level", "loud"));
	expect_usage(ARGS("--log-level", "INFO"));
	expect_usage(ARGS("--log-level", ""));
	expect_usage(ARGS("--log-level"));
	expect_usage(ARGS("--kill-grace-ms", "-1"));
	expect_usage(ARGS("--kill-grace-ms", "600001"));
	expect_usage(ARGS("--kill-grace-ms", "abc"));
	expect_usage(ARGS("--kill-grace-ms", "5x"));
	expect_usage(ARGS("--kill-grace-ms", ""));
	expect_usage(ARGS("--kill-grace-ms", "99999999999999999999999"));
	expect_usage(ARGS("--kill-grace-ms"));
	expect_usage(ARGS("--max-message-bytes", "1023"));
	expect_usage(ARGS("--max-message-bytes", "0"));
	expect_usage(ARGS("--max-message-bytes", "4294967297"));
	expect_usage(ARGS("--max-message-bytes", "-1024"));
	expect_usage(ARGS("--max-message-bytes", "1k"));
	expect_usage(ARGS("--max-depth", "101"));
	expect_usage(ARGS("--max-depth", "-1"));
	expect_usage(ARGS("--max-depth", "two"));
	expect_usage(ARGS("--max-depth"));
	expect_usage(ARGS("--codex-bin"));
	expect_usage(ARGS("--state-dir"));
	expect_usage(ARGS("--bogus"));
	expect_usage(ARGS("-x"));
	expect_usage(ARGS("extra"));
	expect_usage(ARGS("--codex-events", "extra"));
	expect_usage(ARGS("--codex-events=yes"));
	/* --allow-config takes dotted keys; "*" stands for one part, never the first. */
	expect_usage(ARGS("--allow-config", "*"));
	expect_usage(ARGS("--allow-config", "*.command"));
	expect_usage(ARGS("--allow-config", "mcp_servers.*."));
	expect_usage(ARGS("--allow-config", "a..b"));
	expect_usage(ARGS("--allow-config", ".a"));
	expect_usage(ARGS("--allow-config", "a=b"));
	expect_usage(ARGS("--allow-config", "a b"));
	expect_usage(ARGS("--allow-config", ""));
}

static void test_allow_config(void **state)
{
	(void)state;
	struct options o;

	assert_int_equal(parse(&o, ARGS("--allow-config", "mcp_servers.*.url", "--allow-config",
	                                "shell_environment_policy")),
	                 OPTIONS_RUN);
	assert_int_equal(o.n_allow_config, 2);
	assert_string_equal(o.allow_config[0], "mcp_servers.*.url");
	assert_string_equal(o.allow_config[1], "shell_environment_policy");
	options_free(&o);
}

static void test_parse_again_after_error(void **state)
{
	(void)state;
	struct options o;

	/* getopt keeps state between calls; a failed parse must not spoil the next. */
	expect_usage(ARGS("--kill-grace-ms", "nope", "--codex-events"));
	assert_int_equal(parse(&o, ARGS("--codex-events")), OPTIONS_RUN);
	assert_true(o.codex_events);
	assert_int_equal(o.kill_grace_ms, 2000);
	options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_default_state_dir_from_home),
	    cmocka_unit_test(test_codex_bin_and_state_dir),
	    cmocka_unit_test(test_boolean_flags),
	    cmocka_unit_test(test_log_level),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_help_and_version),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_allow_config),
	    cmocka_unit_test(test_parse_again_after_error),
	};
	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
