#include "unit.h"

#include "codex/argv.h"
#include "codex/backend.h"

/* Compares argv with the NULL-terminated expected list, printing both on mismatch. */
static void assert_argv(char **argv, const char *const *want)
{
	size_t n = 0, m = 0;

	assert_non_null(argv);
	while (argv[n])
		n++;
	while (want[m])
		m++;
	bool same = n == m;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(argv[i], want[i]) == 0;
	if (!same) {
		print_error("got:\n");
		for (size_t i = 0; i < n; i++)
			print_error("  [%zu] %s\n", i, argv[i]);
		print_error("expected:\n");
		for (size_t i = 0; i < m; i++)
			print_error("  [%zu] %s\n", i, want[i]);
		fail_msg("argv differs");
	}
}

static bool argv_contains(char **argv, const char *needle)
{
	for (char **p = argv; *p; p++)
		if (strstr(*p, needle))
			return true;
	return false;
}

static struct codex_options full_options(void)
{
	struct codex_options o = {
	    .cwd = "/w",
	    .model = "gpt-5",
	    .profile = "work",
	    .sandbox = "workspace-write",
	    .approval_policy = "never",
	    .base_instructions = "be brief",
	    .developer_instructions = "use C11",
	    .compact_prompt = "summarize",
	    .reasoning_effort = "high",
	    .config =
	        json_pack("{s:i, s:{s:b, s:s}}", "n", 1, "features", "web_search", 1, "mode", "x"),
	};
	return o;
}

static void test_minimal_new_thread(void **state)
{
	(void)state;
	struct codex_options o = {0};
	struct codex_turn_request req = {.options = &o, .prompt = "hi", .prompt_len = 2};
	char err[256] = "";
	char **argv = codex_exec_argv(&req, err, sizeof err);
	static const char *const want[] = {"codex", "exec", "--json", "--skip-git-repo-check",
	                                   "-",     NULL};

	assert_argv(argv, want);
	codex_argv_free(argv);
}

static void test_new_thread_all_options(void **state)
{
	(void)state;
	struct codex_options o = full_options();
	struct codex_turn_request req = {.options = &o, .prompt = "--help", .prompt_len = 6};
	char err[256] = "";
	char **argv = codex_exec_argv(&req, err, sizeof err);
	static const char *const want[] = {
	    "codex",
	    "exec",
	    "--json",
	    "--skip-git-repo-check",
	    "--cd=/w",
	    "--sandbox=workspace-write",
	    "--model=gpt-5",
	    "--profile=work",
	    "--config=n=1",
	    "--config=features.web_search=true",
	    "--config=features.mode=\"x\"",
	    "--config=approval_policy=\"never\"",
	    "--config=model_reasoning_effort=\"high\"",
	    "--config=compact_prompt=\"summarize\"",
	    "--config=instructions=\"be brief\"",
	    "--config=developer_instructions=\"use C11\"",
	    "-",
	    NULL,
	};

	assert_argv(argv, want);
	codex_argv_free(argv);
	json_decref(o.config);
}

static void test_resume(void **state)
{
	(void)state;
	struct codex_options o = full_options();
	struct codex_turn_request req = {.options = &o,
	                                 .prompt = "--help",
	                                 .prompt_len = 6,
	                                 .thread_id = "01a1fbb1-7cd2-79e3-a5bf-1ca5daccaf55"};
	char err[256] = "";
	char **argv = codex_exec_argv(&req, err, sizeof err);
	static const char *const want[] = {
	    "codex",
	    "exec",
	    "--json",
	    "--skip-git-repo-check",
	    "--cd=/w",
	    "--sandbox=workspace-write",
	    "--model=gpt-5",
	    "--profile=work",
	    "--config=n=1",
	    "--config=features.web_search=true",
	    "--config=features.mode=\"x\"",
	    "--config=approval_policy=\"never\"",
	    "--config=model_reasoning_effort=\"high\"",
	    "--config=compact_prompt=\"summarize\"",
	    "resume",
	    "--",
	    "01a1fbb1-7cd2-79e3-a5bf-1ca5daccaf55",
	    "-",
	    NULL,
	};

	assert_argv(argv, want);
	/* The thread keeps its instructions; they are not sent again. */
	assert_false(argv_contains(argv, "instructions"));
	codex_argv_free(argv);
	json_decref(o.config);
}

static void test_resume_minimal(void **state)
{
	(void)state;
	struct codex_options o = {0};
	struct codex_turn_request req = {
	    .options = &o, .prompt = "again", .prompt_len = 5, .thread_id = "T"};
	char err[256] = "";
	char **argv = codex_exec_argv(&req, err, sizeof err);
	static const char *const want[] = {
	    "codex", "exec", "--json", "--skip-git-repo-check", "resume", "--", "T", "-", NULL};

	assert_argv(argv, want);
	codex_argv_free(argv);
}

static void test_some_options(void **state)
{
	(void)state;
	struct codex_options o = {.model = "o3", .developer_instructions = "d"};
	struct codex_turn_request req = {.options = &o, .prompt = "p", .prompt_len = 1};
	char err[256] = "";
	char **argv = codex_exec_argv(&req, err, sizeof err);
	static const char *const want[] = {"codex",      "exec",
	                                   "--json",     "--skip-git-repo-check",
	                                   "--model=o3", "--config=developer_instructions=\"d\"",
	                                   "-",          NULL};

	assert_argv(argv, want);
	codex_argv_free(argv);
}

static void test_prompt_never_in_argv(void **state)
{
	(void)state;
	static const char *const prompts[] = {"--help", "-", "secret prompt text", "resume",
	                                      "-c model=\"x\""};
	struct codex_options o = {.cwd = "/w"};

	for (size_t i = 0; i < sizeof prompts / sizeof prompts[0]; i++) {
		for (int resume = 0; resume <= 1; resume++) {
			struct codex_turn_request req = {.options = &o,
			                                 .prompt = prompts[i],
			                                 .prompt_len = strlen(prompts[i]),
			                                 .thread_id = resume ? "T" : NULL};
			char err[256] = "";
			char **argv = codex_exec_argv(&req, err, sizeof err);
			size_t n = 0, hits = 0;
			assert_non_null(argv);
			while (argv[n]) {
				if (strcmp(argv[n], prompts[i]) == 0)
					hits++;
				n++;
			}
			/* "-" and "resume" are themselves in argv exactly once, as syntax. */
			if (strcmp(prompts[i], "-") == 0 ||
			    (resume && strcmp(prompts[i], "resume") == 0))
				assert_int_equal(hits, 1);
			else
				assert_int_equal(hits, 0);
			assert_false(argv_contains(argv, "secret"));
			assert_string_equal(argv[n - 1], "-");
			codex_argv_free(argv);
		}
	}
}

static void test_string_values_are_toml(void **state)
{
	(void)state;
	struct codex_options o = {
	    .developer_instructions = "say \"hi\"\nthen \\ leave\t\xc3\xa9 \xe2\x9c\x93",
	    .config = json_pack("{s:s}", "notify", "a'b\"c\r\n\x01"),
	};
	struct codex_turn_request req = {.options = &o, .prompt = "p", .prompt_len = 1};
	char err[256] = "";
	char **argv = codex_exec_argv(&req, err, sizeof err);
	static const char *const want[] = {
	    "codex",
	    "exec",
	    "--json",
	    "--skip-git-repo-check",
	    "--config=notify=\"a'b\\\"c\\r\\n\\u0001\"",
	    "--config=developer_instructions=\"say \\\"hi\\\"\\nthen \\\\ leave\\t\xc3\xa9 "
	    "\xe2\x9c\x93\"",
	    "-",
	    NULL,
	};

	assert_argv(argv, want);
	/* No raw newline survives into an argument. */
	for (char **p = argv; *p; p++)
		assert_null(strchr(*p, '\n'));
	codex_argv_free(argv);
	json_decref(o.config);
}

static void expect_bad_config(json_t *config, const char *in_message)
{
	struct codex_options o = {.model = "m", .config = config};
	struct codex_turn_request req = {.options = &o, .prompt = "p", .prompt_len = 1};
	char err[256] = "";
	char **argv = codex_exec_argv(&req, err, sizeof err);

	if (argv) {
		codex_argv_free(argv);
		fail_msg("accepted a bad config (expected a message with %s)", in_message);
	}
	if (!strstr(err, in_message))
		fail_msg("message \"%s\" does not mention %s", err, in_message);
	json_decref(config);
}

static void test_bad_config(void **state)
{
	(void)state;
	expect_bad_config(json_pack("{s:n}", "model_provider"), "model_provider");
	expect_bad_config(json_pack("{s:{s:n}}", "outer", "inner"), "outer.inner");
	expect_bad_config(json_pack("{s:[i,n]}", "list", 1), "list");
	expect_bad_config(json_pack("{s:i}", "a=b", 1), "a=b");
	expect_bad_config(json_pack("{s:i}", "a b", 1), "a b");
	expect_bad_config(json_pack("{s:i}", "", 1), "config");
	expect_bad_config(json_pack("{s:{s:i}}", "ok", "new\nline", 1), "config");
}

/* Values that look like flags stay values: each is joined to its option with "=". */
static void test_flag_like_values(void **state)
{
	(void)state;
	struct codex_options o = {.model = "--dangerously-bypass-approvals-and-sandbox",
	                          .profile = "-c",
	                          .config = json_pack("{s:i}", "-s", 1)};
	struct codex_turn_request req = {
	    .options = &o, .prompt = "p", .prompt_len = 1, .thread_id = "--help"};
	char err[256] = "";
	char **argv = codex_exec_argv(&req, err, sizeof err);
	static const char *const want[] = {"codex",
	                                   "exec",
	                                   "--json",
	                                   "--skip-git-repo-check",
	                                   "--model=--dangerously-bypass-approvals-and-sandbox",
	                                   "--profile=-c",
	                                   "--config=-s=1",
	                                   "resume",
	                                   "--",
	                                   "--help",
	                                   "-",
	                                   NULL};

	assert_argv(argv, want);
	codex_argv_free(argv);
	json_decref(o.config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal_new_thread),
	    cmocka_unit_test(test_new_thread_all_options),
	    cmocka_unit_test(test_resume),
	    cmocka_unit_test(test_resume_minimal),
	    cmocka_unit_test(test_some_options),
	    cmocka_unit_test(test_prompt_never_in_argv),
	    cmocka_unit_test(test_string_values_are_toml),
	    cmocka_unit_test(test_flag_like_values),
	    cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests_name("codex/argv", tests, NULL, NULL);
}
