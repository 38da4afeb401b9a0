#include "unit.h"

#include "codex/toml.h"

/* toml_value(v) must be exactly want; v is consumed. */
static void expect_toml(json_t *v, const char *want)
{
	const char *why = NULL;
	char *got;

	assert_non_null(v);
	got = toml_value(v, &why);
	if (!got)
		fail_msg("toml_value failed (%s), expected %s", why ? why : "?", want);
	if (strcmp(got, want) != 0) {
		print_error("got:      %s\nexpected: %s\n", got, want);
		free(got);
		fail_msg("TOML differs");
	}
	free(got);
	json_decref(v);
}

static void test_strings(void **state)
{
	(void)state;
	expect_toml(json_string("plain"), "\"plain\"");
	expect_toml(json_string(""), "\"\"");
	expect_toml(json_string("say \"hi\""), "\"say \\\"hi\\\"\"");
	expect_toml(json_string("back\\slash"), "\"back\\\\slash\"");
	expect_toml(json_string("a\nb\tc\rd"), "\"a\\nb\\tc\\rd\"");
	expect_toml(json_string("it's"), "\"it's\"");
	/* Unicode stays as it is: TOML strings are UTF-8. */
	expect_toml(json_string("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"),
	            "\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"");
}

static void test_string_control_chars(void **state)
{
	(void)state;
	expect_toml(json_string("\x01"), "\"\\u0001\"");
	expect_toml(json_string("\b\f"), "\"\\u0008\\u000C\"");
	expect_toml(json_string("\x1b[0m"), "\"\\u001B[0m\"");
	expect_toml(json_string("\x1f"), "\"\\u001F\"");
	expect_toml(json_string("\x7f"), "\"\\u007F\"");
	expect_toml(json_stringn("a\0b", 3), "\"a\\u0000b\"");
	/* Every control character is escaped: none appear raw. */
	for (int c = 1; c < 0x20; c++) {
		char s[2] = {(char)c, 0};
		const char *why = NULL;
		json_t *v = json_string(s);
		char *got = toml_value(v, &why);
		assert_non_null(got);
		for (char *p = got; *p; p++)
			assert_false((unsigned char)*p < 0x20 || *p == 0x7f);
		assert_int_equal(got[0], '"');
		assert_int_equal(got[1], '\\');
		free(got);
		json_decref(v);
	}
}

static void test_integers(void **state)
{
	(void)state;
	expect_toml(json_integer(0), "0");
	expect_toml(json_integer(42), "42");
	expect_toml(json_integer(-7), "-7");
	expect_toml(json_integer(INT64_MAX), "9223372036854775807");
	expect_toml(json_integer(INT64_MIN), "-9223372036854775808");
}

static void test_reals(void **state)
{
	(void)state;
	expect_toml(json_real(1.0), "1.0");
	expect_toml(json_real(0.0), "0.0");
	expect_toml(json_real(-2.0), "-2.0");
	expect_toml(json_real(0.5), "0.5");
	expect_toml(json_real(-0.25), "-0.25");
	expect_toml(json_real(100.0), "100.0");
	/* An exponent makes it a float already. */
	expect_toml(json_real(1e20), "1e+20");

	/* Whatever the digits, the value is a TOML float that reads back the same. */
	static const double values[] = {0.1, 1.0 / 3, 1.5e-7, 6.02214076e23, 123456.789};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		const char *why = NULL;
		json_t *v = json_real(values[i]);
		char *got = toml_value(v, &why);
		assert_non_null(got);
		assert_non_null(strpbrk(got, ".eE"));
		assert_true(strtod(got, NULL) == values[i]);
		free(got);
		json_decref(v);
	}
}

static void test_bools(void **state)
{
	(void)state;
	expect_toml(json_true(), "true");
	expect_toml(json_false(), "false");
}

static void test_arrays(void **state)
{
	(void)state;
	expect_toml(json_array(), "[]");
	expect_toml(json_pack("[i,s,b,f]", 1, "a", 1, 2.0), "[1, \"a\", true, 2.0]");
	expect_toml(json_pack("[[i,i],[s]]", 1, 2, "x"), "[[1, 2], [\"x\"]]");
}

static void test_inline_tables(void **state)
{
	(void)state;
	expect_toml(json_object(), "{}");
	expect_toml(json_pack("{s:i, s:s}", "a", 1, "b c", "x"), "{a = 1, \"b c\" = \"x\"}");
	expect_toml(json_pack("[{s:s, s:i}, {s:{s:b}}]", "name", "x", "n", 1, "t", "u", 0),
	            "[{name = \"x\", n = 1}, {t = {u = false}}]");
	/* Keys with dots or quotes are quoted, so they stay one key. */
	expect_toml(json_pack("[{s:i, s:i}]", "a.b", 1, "q\"", 2),
	            "[{\"a.b\" = 1, \"q\\\"\" = 2}]");
	expect_toml(json_pack("{s:i}", "bare_key-1", 3), "{bare_key-1 = 3}");
}

static void test_null(void **state)
{
	(void)state;
	const char *why = NULL;
	json_t *v = json_null();

	assert_null(toml_value(v, &why));
	assert_non_null(why);
	assert_non_null(strstr(why, "null"));

	why = NULL;
	v = json_pack("[i, n]", 1);
	assert_null(toml_value(v, &why));
	assert_non_null(why);
	json_decref(v);

	why = NULL;
	v = json_pack("{s:n}", "a");
	assert_null(toml_value(v, &why));
	assert_non_null(why);
	json_decref(v);
}

/* Runs toml_overrides and compares with the NULL-terminated expected list. */
static void expect_overrides(json_t *config, const char *const *want)
{
	char **list = (char **)1;
	char err[256] = "";
	int n = toml_overrides(config, &list, err, sizeof err);
	int m = 0;

	while (want[m])
		m++;
	if (n < 0)
		fail_msg("toml_overrides failed: %s", err);
	bool same = n == m;
	for (int i = 0; same && i < n; i++)
		same = strcmp(list[i], want[i]) == 0;
	if (!same) {
		for (int i = 0; i < n; i++)
			print_error("got [%d] %s\n", i, list[i]);
		for (int i = 0; i < m; i++)
			print_error("want [%d] %s\n", i, want[i]);
		fail_msg("overrides differ");
	}
	toml_overrides_free(list, n);
	json_decref(config);
}

static void test_overrides_flattened(void **state)
{
	(void)state;
	static const char *const want[] = {
	    "model=\"o3\"",
	    "features.web_search=true",
	    "features.deep.level=2",
	    "features.deep.ratio=0.5",
	    "list=[1, \"two\"]",
	    "tables=[{a = 1}]",
	    "empty={}",
	    "sandbox_workspace_write.network_access=false",
	    NULL,
	};
	json_t *config = json_pack(
	    "{s:s, s:{s:b, s:{s:i, s:f}}, s:[i,s], s:[{s:i}], s:{}, s:{s:b}}", "model", "o3",
	    "features", "web_search", 1, "deep", "level", 2, "ratio", 0.5, "list", 1, "two",
	    "tables", "a", 1, "empty", "sandbox_workspace_write", "network_access", 0);

	expect_overrides(config, want);
}

static void test_overrides_empty(void **state)
{
	(void)state;
	static const char *const none[] = {NULL};
	char **list = (char **)1;
	char err[64] = "";

	assert_int_equal(toml_overrides(NULL, &list, err, sizeof err), 0);
	assert_null(list);
	expect_overrides(json_object(), none);
}

static void expect_bad_overrides(json_t *config, const char *in_message)
{
	char **list = (char **)1;
	char err[256] = "";
	int n = toml_overrides(config, &list, err, sizeof err);

	if (n >= 0) {
		toml_overrides_free(list, n);
		fail_msg("accepted a bad config (expected a message with %s)", in_message);
	}
	if (!strstr(err, in_message))
		fail_msg("message \"%s\" does not mention %s", err, in_message);
	json_decref(config);
}

static void test_overrides_bad(void **state)
{
	(void)state;
	expect_bad_overrides(json_pack("{s:n}", "model"), "model");
	expect_bad_overrides(json_pack("{s:i, s:{s:n}}", "ok", 1, "a", "b"), "a.b");
	expect_bad_overrides(json_pack("{s:i}", "k=v", 1), "k=v");
	expect_bad_overrides(json_pack("{s:i}", "with space", 1), "with space");
	expect_bad_overrides(json_pack("{s:i}", "tab\there", 1), "config");
	expect_bad_overrides(json_pack("{s:i}", "", 1), "config");
	expect_bad_overrides(json_pack("{s:{s:i}}", "a", "x=y", 1), "x=y");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_string_control_chars),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_reals),
	    cmocka_unit_test(test_bools),
	    cmocka_unit_test(test_arrays),
	    cmocka_unit_test(test_inline_tables),
	    cmocka_unit_test(test_null),
	    cmocka_unit_test(test_overrides_flattened),
	    cmocka_unit_test(test_overrides_empty),
	    cmocka_unit_test(test_overrides_bad),
	};
	return cmocka_run_group_tests_name("codex/toml", tests, NULL, NULL);
}
