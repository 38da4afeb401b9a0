#include "unit.h"

#include <limits.h>
#include <sys/stat.h>

#include "app/args.h"

static json_t *parse(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	if (!v)
		fail_msg("bad test JSON: %s", text);
	return v;
}

static void assert_names(const struct arg_error *e, const char *name)
{
	if (strncmp(e->message, name, strlen(name)) != 0)
		fail_msg("message \"%s\" does not name \"%s\"", e->message, name);
}

/* ---- arg_string ---- */

static void test_string_present(void **state)
{
	(void)state;
	json_t *args = parse("{\"prompt\":\"hello\",\"empty\":\"\"}");
	struct arg_error e = {{0}};
	const char *out = "junk";

	assert_int_equal(arg_string(args, "prompt", true, &out, &e), 0);
	assert_string_equal(out, "hello");
	assert_ptr_equal(out, json_string_value(json_object_get(args, "prompt")));
	out = "junk";
	assert_int_equal(arg_string(args, "prompt", false, &out, &e), 0);
	assert_string_equal(out, "hello");
	/* Empty is fine when optional. */
	assert_int_equal(arg_string(args, "empty", false, &out, &e), 0);
	assert_string_equal(out, "");
	json_decref(args);
}

static void test_string_missing(void **state)
{
	(void)state;
	json_t *args = parse("{}");
	struct arg_error e = {{0}};
	const char *out = "junk";

	assert_int_equal(arg_string(args, "model", false, &out, &e), 0);
	assert_null(out);
	out = "junk";
	assert_int_equal(arg_string(args, "prompt", true, &out, &e), -1);
	assert_null(out);
	assert_names(&e, "prompt");
	assert_non_null(strstr(e.message, "required"));
	json_decref(args);
}

static void test_string_wrong_type(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		const char *type;
	} cases[] = {
	    {"{\"prompt\":5}", "a number"},     {"{\"prompt\":1.5}", "a number"},
	    {"{\"prompt\":true}", "a boolean"}, {"{\"prompt\":null}", "null"},
	    {"{\"prompt\":[]}", "an array"},    {"{\"prompt\":{}}", "an object"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *args = parse(cases[i].json);
		struct arg_error e = {{0}};
		const char *out = "junk";
		for (int required = 0; required <= 1; required++) {
			assert_int_equal(arg_string(args, "prompt", required, &out, &e), -1);
			assert_null(out);
			assert_names(&e, "prompt");
			assert_non_null(strstr(e.message, "string"));
			if (!strstr(e.message, cases[i].type))
				fail_msg("\"%s\" does not say %s", e.message, cases[i].type);
		}
		json_decref(args);
	}
}

static void test_string_with_nul(void **state)
{
	(void)state;
	json_t *args = json_object();
	struct arg_error e = {{0}};
	const char *out = "junk";

	json_object_set_new(args, "prompt", json_stringn("a\0b", 3));
	assert_int_equal(arg_string(args, "prompt", true, &out, &e), -1);
	assert_null(out);
	assert_names(&e, "prompt");
	assert_non_null(strstr(e.message, "NUL"));
	assert_int_equal(arg_string(args, "prompt", false, &out, &e), -1);
	assert_null(out);

	/* Only a NUL, optional: still refused. */
	json_object_set_new(args, "cwd", json_stringn("\0", 1));
	assert_int_equal(arg_string(args, "cwd", false, &out, &e), -1);
	assert_names(&e, "cwd");
	json_decref(args);
}

static void test_string_empty_required(void **state)
{
	(void)state;
	json_t *args = parse("{\"prompt\":\"\"}");
	struct arg_error e = {{0}};
	const char *out = "junk";

	assert_int_equal(arg_string(args, "prompt", true, &out, &e), -1);
	assert_null(out);
	assert_names(&e, "prompt");
	assert_non_null(strstr(e.message, "empty"));
	json_decref(args);
}

/* ---- arg_enum ---- */

static const char *const sandboxes[] = {"read-only", "workspace-write", "danger-full-access", NULL};

static void test_enum(void **state)
{
	(void)state;
	json_t *args = parse("{\"sandbox\":\"read-only\",\"bad\":\"rw\",\"num\":3,\"e\":\"\"}");
	struct arg_error e = {{0}};
	const char *out = "junk";

	assert_int_equal(arg_enum(args, "sandbox", sandboxes, &out, &e), 0);
	assert_string_equal(out, "read-only");

	out = "junk";
	assert_int_equal(arg_enum(args, "absent", sandboxes, &out, &e), 0);
	assert_null(out);

	out = "junk";
	assert_int_equal(arg_enum(args, "bad", sandboxes, &out, &e), -1);
	assert_null(out);
	assert_names(&e, "bad");
	assert_non_null(strstr(e.message, "\"rw\""));
	/* The message lists what is allowed. */
	assert_non_null(strstr(e.message, "read-only, workspace-write, danger-full-access"));

	out = "junk";
	assert_int_equal(arg_enum(args, "num", sandboxes, &out, &e), -1);
	assert_null(out);
	assert_names(&e, "num");
	assert_non_null(strstr(e.message, "string"));

	assert_int_equal(arg_enum(args, "e", sandboxes, &out, &e), -1);
	assert_null(out);
	assert_names(&e, "e");
	json_decref(args);
}

/* ---- arg_bool / arg_object ---- */

static void test_bool(void **state)
{
	(void)state;
	json_t *args = parse("{\"t\":true,\"f\":false,\"s\":\"true\",\"n\":1,\"z\":null}");
	struct arg_error e = {{0}};
	int out = 7;

	assert_int_equal(arg_bool(args, "t", &out, &e), 0);
	assert_int_equal(out, 1);
	assert_int_equal(arg_bool(args, "f", &out, &e), 0);
	assert_int_equal(out, 0);
	assert_int_equal(arg_bool(args, "absent", &out, &e), 0);
	assert_int_equal(out, -1);
	static const char *const bad[] = {"s", "n", "z"};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(arg_bool(args, bad[i], &out, &e), -1);
		assert_names(&e, bad[i]);
		assert_non_null(strstr(e.message, "boolean"));
	}
	json_decref(args);
}

static void test_object(void **state)
{
	(void)state;
	json_t *args = parse("{\"config\":{\"a\":1},\"arr\":[],\"s\":\"{}\",\"z\":null}");
	struct arg_error e = {{0}};
	json_t *out = (json_t *)1;

	assert_int_equal(arg_object(args, "config", &out, &e), 0);
	assert_ptr_equal(out, json_object_get(args, "config"));
	assert_int_equal(arg_object(args, "absent", &out, &e), 0);
	assert_null(out);
	static const char *const bad[] = {"arr", "s", "z"};
	for (size_t i = 0; i < 3; i++) {
		out = (json_t *)1;
		assert_int_equal(arg_object(args, bad[i], &out, &e), -1);
		assert_null(out);
		assert_names(&e, bad[i]);
		assert_non_null(strstr(e.message, "object"));
	}
	json_decref(args);
}

/* ---- args_only ---- */

static void test_args_only(void **state)
{
	(void)state;
	static const char *const known[] = {"prompt", "cwd", "model", NULL};
	struct arg_error e = {{0}};
	json_t *args = parse("{\"prompt\":\"p\",\"cwd\":\"/\"}");

	assert_int_equal(args_only(args, known, &e), 0);
	json_decref(args);

	args = parse("{}");
	assert_int_equal(args_only(args, known, &e), 0);
	json_decref(args);

	args = parse("{\"prompt\":\"p\",\"promt\":\"typo\"}");
	assert_int_equal(args_only(args, known, &e), -1);
	assert_names(&e, "promt");
	assert_non_null(strstr(e.message, "not a known argument"));
	json_decref(args);

	/* A prefix of a known name is not that name. */
	args = parse("{\"mod\":\"x\"}");
	assert_int_equal(args_only(args, known, &e), -1);
	assert_names(&e, "mod");
	json_decref(args);
}

/* ---- arg_resolve_dir ---- */

struct dirs {
	char *tmp;  /* as created */
	char *real; /* realpath(tmp) */
	char *sub;  /* real/sub */
};

static int dirs_setup(void **state)
{
	struct dirs *d = calloc(1, sizeof *d);
	char path[PATH_MAX];

	if (!d || !(d->tmp = unit_mkdtemp()))
		return -1;
	d->real = realpath(d->tmp, NULL);
	if (!d->real || asprintf(&d->sub, "%s/sub", d->real) < 0)
		return -1;
	if (mkdir(d->sub, 0700) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/file", d->real);
	if (unit_write_file(path, "x", 1) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/link", d->real);
	if (symlink("sub", path) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/filelink", d->real);
	if (symlink("file", path) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/dangling", d->real);
	if (symlink("nowhere", path) != 0)
		return -1;
	*state = d;
	return 0;
}

static int dirs_teardown(void **state)
{
	struct dirs *d = *state;

	unit_rm_rf(d->tmp);
	free(d->tmp);
	free(d->real);
	free(d->sub);
	free(d);
	return 0;
}

static void test_resolve_absolute(void **state)
{
	struct dirs *d = *state;
	struct arg_error e = {{0}};
	char *got = arg_resolve_dir("cwd", d->sub, "/nonexistent-base", &e);

	assert_non_null(got);
	assert_string_equal(got, d->sub);
	free(got);
}

static void test_resolve_relative(void **state)
{
	struct dirs *d = *state;
	struct arg_error e = {{0}};
	char *got = arg_resolve_dir("cwd", "sub", d->real, &e);

	assert_non_null(got);
	assert_string_equal(got, d->sub);
	free(got);

	got = arg_resolve_dir("cwd", "./sub/../sub/", d->real, &e);
	assert_non_null(got);
	assert_string_equal(got, d->sub);
	free(got);

	got = arg_resolve_dir("cwd", ".", d->real, &e);
	assert_non_null(got);
	assert_string_equal(got, d->real);
	free(got);

	/* Relative to a base given through an unresolved path. */
	got = arg_resolve_dir("cwd", "sub", d->tmp, &e);
	assert_non_null(got);
	assert_string_equal(got, d->sub);
	free(got);
}

static void test_resolve_missing(void **state)
{
	struct dirs *d = *state;
	struct arg_error e = {{0}};

	assert_null(arg_resolve_dir("cwd", "missing", d->real, &e));
	assert_names(&e, "cwd");
	assert_non_null(strstr(e.message, "missing"));

	memset(&e, 0, sizeof e);
	assert_null(arg_resolve_dir("workdir", "/definitely/not/here/x", d->real, &e));
	assert_names(&e, "workdir");

	memset(&e, 0, sizeof e);
	assert_null(arg_resolve_dir("cwd", "dangling", d->real, &e));
	assert_names(&e, "cwd");
}

static void test_resolve_file(void **state)
{
	struct dirs *d = *state;
	struct arg_error e = {{0}};

	assert_null(arg_resolve_dir("cwd", "file", d->real, &e));
	assert_names(&e, "cwd");
	assert_non_null(strstr(e.message, "not a directory"));

	memset(&e, 0, sizeof e);
	assert_null(arg_resolve_dir("cwd", "filelink", d->real, &e));
	assert_names(&e, "cwd");
	assert_non_null(strstr(e.message, "not a directory"));

	/* A path through a file. */
	memset(&e, 0, sizeof e);
	assert_null(arg_resolve_dir("cwd", "file/below", d->real, &e));
	assert_names(&e, "cwd");
}

static void test_resolve_symlink_to_dir(void **state)
{
	struct dirs *d = *state;
	struct arg_error e = {{0}};
	char *link;
	char *got = arg_resolve_dir("cwd", "link", d->real, &e);

	/* The answer is the real directory, not the link. */
	assert_non_null(got);
	assert_string_equal(got, d->sub);
	free(got);

	assert_true(asprintf(&link, "%s/link", d->real) > 0);
	got = arg_resolve_dir("cwd", link, "/", &e);
	assert_non_null(got);
	assert_string_equal(got, d->sub);
	free(got);
	free(link);
}

static void test_resolve_relative_too_long(void **state)
{
	struct dirs *d = *state;
	struct arg_error e = {{0}};
	char *path = malloc(PATH_MAX + 16);

	memset(path, 'a', PATH_MAX + 15);
	path[PATH_MAX + 15] = '\0';
	assert_null(arg_resolve_dir("cwd", path, d->real, &e));
	assert_names(&e, "cwd");
	free(path);
}

/*
 * An absolute path longer than PATH_MAX must be refused, not cut short: cut,
 * "<dir>////...////missing" becomes "<dir>////...//", another directory.
 */
static void test_resolve_absolute_too_long(void **state)
{
	struct dirs *d = *state;
	struct arg_error e = {{0}};
	size_t n = strlen(d->sub);
	char *path = malloc(n + PATH_MAX + 32);
	char *got;

	memcpy(path, d->sub, n);
	memset(path + n, '/', PATH_MAX);
	strcpy(path + n + PATH_MAX, "missing");
	got = arg_resolve_dir("cwd", path, "/", &e);
	if (got) {
		size_t len = strlen(path);
		print_error("resolved to %s\n", got);
		free(got);
		free(path);
		fail_msg("a %zu-byte path naming a missing directory was accepted", len);
	}
	assert_names(&e, "cwd");
	free(path);
}

/* ---- results ---- */

static void test_tool_error_result(void **state)
{
	(void)state;
	json_t *r = tool_error_result("prompt: is required");
	json_t *content = json_object_get(r, "content");

	assert_true(json_is_true(json_object_get(r, "isError")));
	assert_int_equal(json_array_size(content), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(content, 0), "type")),
	                    "text");
	assert_string_equal(json_string_value(json_object_get(json_array_get(content, 0), "text")),
	                    "prompt: is required");
	json_decref(r);

	/* A message cut inside a character still makes a result. */
	r = tool_error_result("bad \xc3");
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(r, "content"), 0), "text")),
	                    "bad ?");
	json_decref(r);
}

static void test_tool_text_result(void **state)
{
	(void)state;
	json_t *r = tool_text_result("done", json_pack("{s:s}", "threadId", "t1"));

	assert_null(json_object_get(r, "isError"));
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(r, "content"), 0), "text")),
	                    "done");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(r, "structuredContent"), "threadId")),
	    "t1");
	json_decref(r);

	r = tool_text_result("plain", NULL);
	assert_null(json_object_get(r, "structuredContent"));
	json_decref(r);
}

#define D(fn) cmocka_unit_test_setup_teardown(fn, dirs_setup, dirs_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_string_present),
	    cmocka_unit_test(test_string_missing),
	    cmocka_unit_test(test_string_wrong_type),
	    cmocka_unit_test(test_string_with_nul),
	    cmocka_unit_test(test_string_empty_required),
	    cmocka_unit_test(test_enum),
	    cmocka_unit_test(test_bool),
	    cmocka_unit_test(test_object),
	    cmocka_unit_test(test_args_only),
	    D(test_resolve_absolute),
	    D(test_resolve_relative),
	    D(test_resolve_missing),
	    D(test_resolve_file),
	    D(test_resolve_symlink_to_dir),
	    D(test_resolve_relative_too_long),
	    D(test_resolve_absolute_too_long),
	    cmocka_unit_test(test_tool_error_result),
	    cmocka_unit_test(test_tool_text_result),
	};
	return cmocka_run_group_tests_name("tools/args", tests, NULL, NULL);
}
