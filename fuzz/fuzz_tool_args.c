/*
 * Tool arguments: the input parsed as JSON (an object, or an array of objects) goes through
 * the argument checks of src/tools/args.c and agent_args_parse, each held to what its header
 * promises; then its string fields and "config" (and the whole object as a config) become
 * codex_options for codex_exec_argv, whose argv is walked against the options: the prompt
 * never reaches it, every option is one "--name=value" element, and every "--config="
 * holds key=value where the value reads back, as TOML, to the JSON it came from.
 * toml_value is read back the same way.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "app/app.h"
#include "app/args.h"
#include "app/confine.h"
#include "app/fleet.h"
#include "app/options.h"
#include "codex/argv.h"
#include "codex/backend.h"
#include "codex/toml.h"
#include "fuzz_danger.h"
#include "fuzz_toml_check.h"
#include "fuzz_util.h"
#include "mcp/session.h"

static char base[PATH_MAX]; /* a directory made once, for relative paths */
static char *allowed[2];    /* base/sub, resolved: an --allow-dir */

static void remove_base(void)
{
	static const char *const names[] = {"sub/deeper",  "sub",  "file.txt",
	                                    "link-to-sub", "loop", "dangling"};
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", base, names[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	rmdir(base);
	free(allowed[0]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[PATH_MAX + 32];

	(void)argc;
	(void)argv;
	json_object_seed(1);
	snprintf(base, sizeof base, "/tmp/fuzz_tool_args.XXXXXX");
	FUZZ_CHECK(mkdtemp(base), "mkdtemp");
	snprintf(path, sizeof path, "%s/sub", base);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/sub/deeper", base);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/file.txt", base);
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
	snprintf(path, sizeof path, "%s/link-to-sub", base);
	FUZZ_CHECK(symlink("sub", path) == 0, "symlink");
	snprintf(path, sizeof path, "%s/loop", base);
	FUZZ_CHECK(symlink("loop", path) == 0, "symlink");
	snprintf(path, sizeof path, "%s/dangling", base);
	FUZZ_CHECK(symlink("nowhere", path) == 0, "symlink");
	snprintf(path, sizeof path, "%s/sub", base);
	allowed[0] = realpath(path, NULL);
	FUZZ_CHECK(allowed[0], "realpath");
	atexit(remove_base);
	return 0;
}

static void check_message(const struct arg_error *e, const char *name)
{
	size_t len = strnlen(e->message, sizeof e->message);
	size_t prefix = strlen(name);

	FUZZ_CHECK(len < sizeof e->message, "error message without a NUL");
	FUZZ_CHECK(len > 0, "a failed check with no message");
	/* Every message names the argument first (keys are cut at 100 bytes). */
	if (prefix > 100)
		prefix = 100;
	if (prefix > len)
		prefix = len;
	FUZZ_CHECK(strncmp(e->message, name, prefix) == 0, "message \"%s\" does not name %s",
	           e->message, name);
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static bool plain_string(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

/* ---- the argument checks, one name at a time, against what args.h says ---- */

static void check_one_name(const json_t *args, const char *name)
{
	static const char *const sandboxes[] = {"read-only", "workspace-write",
	                                        "danger-full-access", NULL};
	static const json_int_t bounds[][3] = {
	    {0, 0, 0},           {1, 7 * 86400, 0},          {0, INT64_MAX / 2, 0},
	    {1, 4096, UINT_MAX}, {INT64_MIN, INT64_MAX, -1}, {-5, 5, 99},
	};
	json_t *v = json_object_get(args, name);
	struct arg_error e = {{0}};
	const char *s;
	int b;
	json_int_t n;
	json_t *obj;
	int rc;

	for (int required = 0; required < 2; required++) {
		memset(&e, 0, sizeof e);
		s = (const char *)1;
		rc = arg_string(args, name, required, &s, &e);
		bool ok =
		    v ? plain_string(v) && (!required || json_string_length(v) > 0) : !required;
		FUZZ_CHECK((rc == 0) == ok, "arg_string(%s, required %d) = %d", name, required, rc);
		if (rc == 0)
			FUZZ_CHECK(s == (v ? json_string_value(v) : NULL), "arg_string: wrong out");
		else
			check_message(&e, name);
	}

	/* An enum of its own value must pass; a list without it must fail. */
	const char *own[] = {json_is_string(v) ? json_string_value(v) : "x", NULL};
	const char *const *lists[] = {sandboxes, own};
	for (size_t i = 0; i < 2; i++) {
		memset(&e, 0, sizeof e);
		rc = arg_enum(args, name, lists[i], &s, &e);
		bool ok = !v || (plain_string(v) && in_list(json_string_value(v), lists[i]));
		FUZZ_CHECK((rc == 0) == ok, "arg_enum(%s) = %d", name, rc);
		if (rc == 0) {
			FUZZ_CHECK(s == (v ? json_string_value(v) : NULL), "arg_enum: wrong out");
		} else {
			FUZZ_CHECK(s == NULL, "arg_enum failed but gave a value");
			check_message(&e, name);
		}
	}

	memset(&e, 0, sizeof e);
	rc = arg_bool(args, name, &b, &e);
	FUZZ_CHECK((rc == 0) == (!v || json_is_boolean(v)), "arg_bool(%s) = %d", name, rc);
	if (rc == 0)
		FUZZ_CHECK(b == (v ? json_is_true(v) : -1), "arg_bool: wrong out %d", b);
	else
		check_message(&e, name);

	for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
		json_int_t min = bounds[i][0], max = bounds[i][1], dflt = bounds[i][2];
		memset(&e, 0, sizeof e);
		rc = arg_integer(args, name, min, max, dflt, &n, &e);
		bool ok = !v || (json_is_integer(v) && json_integer_value(v) >= min &&
		                 json_integer_value(v) <= max);
		FUZZ_CHECK((rc == 0) == ok, "arg_integer(%s) = %d", name, rc);
		if (rc == 0)
			FUZZ_CHECK(n == (v ? json_integer_value(v) : dflt),
			           "arg_integer: wrong out");
		else
			check_message(&e, name);
	}

	memset(&e, 0, sizeof e);
	rc = arg_object(args, name, &obj, &e);
	FUZZ_CHECK((rc == 0) == (!v || json_is_object(v)), "arg_object(%s) = %d", name, rc);
	if (rc == 0)
		FUZZ_CHECK(obj == v, "arg_object: wrong out");
	else
		check_message(&e, name);
}

static void check_args_only(const json_t *args)
{
	static const char *const codex_known[] = {"prompt",
	                                          "model",
	                                          "cwd",
	                                          "approval-policy",
	                                          "sandbox",
	                                          "config",
	                                          "base-instructions",
	                                          "developer-instructions",
	                                          "compact-prompt",
	                                          "profile",
	                                          "include-plan-tool",
	                                          NULL};
	static const char *const agent_known[] = {
	    "prompt", "model", "reasoning_effort", "cwd", "sandbox", "timeout_seconds", NULL};
	static const char *const none[] = {NULL};
	const char *const *lists[] = {codex_known, agent_known, none};
	const char *own[33];
	size_t n = 0;
	const char *key;
	json_t *v;
	struct arg_error e;

	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		bool ok = true;
		json_object_foreach((json_t *)args, key, v) ok = ok && in_list(key, lists[i]);
		memset(&e, 0, sizeof e);
		int rc = args_only(args, lists[i], &e);
		FUZZ_CHECK((rc == 0) == ok, "args_only = %d", rc);
		if (rc != 0)
			FUZZ_CHECK(e.message[0] &&
			               strnlen(e.message, sizeof e.message) < sizeof e.message,
			           "args_only: no message");
	}
	/* Its own keys are always known. */
	json_object_foreach((json_t *)args, key, v)
	{
		if (n < 32)
			own[n++] = key;
	}
	own[n] = NULL;
	if (json_object_size(args) <= 32)
		FUZZ_CHECK(args_only(args, own, &e) == 0, "args_only refused a known key");
}

/* ---- directories ---- */

static void check_dir(const char *path)
{
	struct arg_error e;
	char *real;
	struct stat st;

	memset(&e, 0, sizeof e);
	real = arg_resolve_dir("cwd", path, base, &e);
	if (!real) {
		check_message(&e, "cwd");
		return;
	}
	FUZZ_CHECK(real[0] == '/', "arg_resolve_dir: \"%s\" is not absolute", real);
	FUZZ_CHECK(!strstr(real, "//") && !strstr(real, "/./") && !strstr(real, "/../"),
	           "arg_resolve_dir: \"%s\" is not canonical", real);
	FUZZ_CHECK(strcmp(real, "/") == 0 || real[strlen(real) - 1] != '/',
	           "arg_resolve_dir: \"%s\" ends in a slash", real);
	FUZZ_CHECK(stat(real, &st) == 0 && S_ISDIR(st.st_mode), "arg_resolve_dir: \"%s\" is no dir",
	           real);
	free(real);
}

/* ---- agent arguments ---- */

static void check_agent_args(const json_t *args)
{
	static const char *const efforts[] = {"minimal", "low", "medium", "high", "xhigh", NULL};
	static const char *const sandboxes[] = {"read-only", "workspace-write",
	                                        "danger-full-access", NULL};

	for (int i = 0; i < 8; i++) {
		struct options opts = {.allow_danger = i & 1, .n_allow_dirs = (i & 4) ? 1 : 0};
		struct app app = {.opts = &opts, .cwd = base, .allow_dirs = allowed};
		struct tool_call call = {&app, NULL, NULL}; /* no client: no roots */
		struct agent_args a;
		struct arg_error e;
		bool full = i & 2;

		memset(&e, 0, sizeof e);
		if (agent_args_parse(&call, args, full, &a, &e) != 0) {
			FUZZ_CHECK(e.message[0], "agent_args_parse failed without a message");
			codex_options_clear(&a.options);
			continue;
		}
		FUZZ_CHECK(a.prompt &&
		               a.prompt == json_string_value(json_object_get(args, "prompt")) &&
		               *a.prompt,
		           "agent_args_parse: prompt");
		FUZZ_CHECK(a.options.cwd && a.options.cwd[0] == '/', "agent_args_parse: cwd");
		if (opts.n_allow_dirs) {
			size_t n = strlen(allowed[0]);
			FUZZ_CHECK(strncmp(a.options.cwd, allowed[0], n) == 0 &&
			               (a.options.cwd[n] == '\0' || a.options.cwd[n] == '/'),
			           "agent_args_parse: cwd %s outside --allow-dir %s", a.options.cwd,
			           allowed[0]);
		}
		FUZZ_CHECK(a.options.sandbox && in_list(a.options.sandbox, sandboxes),
		           "agent_args_parse: sandbox");
		FUZZ_CHECK(opts.allow_danger ||
		               strcmp(a.options.sandbox, "danger-full-access") != 0,
		           "agent_args_parse: danger without --allow-danger");
		FUZZ_CHECK(!a.options.reasoning_effort ||
		               in_list(a.options.reasoning_effort, efforts),
		           "agent_args_parse: effort");
		FUZZ_CHECK(full || a.timeout_s == 0, "agent_args_parse: timeout without full");
		FUZZ_CHECK(a.timeout_s <= 7 * 86400, "agent_args_parse: timeout %u", a.timeout_s);
		codex_options_clear(&a.options);
	}
}

/* ---- argv ---- */

static void set_option(char **slot, const json_t *args, const char *key, const char *alias)
{
	const char *v = json_string_value(json_object_get(args, key));

	if (!v && alias)
		v = json_string_value(json_object_get(args, alias));
	*slot = v ? strdup(v) : NULL;
}

static bool keys_have_dots(const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		if (strchr(key, '.') || (json_is_object(v) && keys_have_dots(v)))
			return true;
	}
	return false;
}

/* Puts value at the dotted path in obj, making the tables on the way. */
static void put_path(json_t *obj, const char *path, json_t *value)
{
	const char *dot = strchr(path, '.');

	if (!dot) {
		FUZZ_CHECK(!json_object_get(obj, path), "override %s given twice", path);
		json_object_set_new(obj, path, value);
		return;
	}
	char *head = strndup(path, (size_t)(dot - path));
	json_t *sub = json_object_get(obj, head);
	if (!sub) {
		sub = json_object();
		json_object_set_new(obj, head, sub);
	}
	FUZZ_CHECK(json_is_object(sub), "override %s goes through a value", path);
	free(head);
	put_path(sub, dot + 1, value);
}

static json_t *read_override(const char *entry, const char *key)
{
	const char *eq = strchr(entry, '=');
	json_t *v;

	FUZZ_CHECK(eq && eq > entry, "--config=\"%s\" is not key=value", entry);
	if (key)
		FUZZ_CHECK((size_t)(eq - entry) == strlen(key) &&
		               strncmp(entry, key, strlen(key)) == 0,
		           "--config=\"%s\": expected key %s", entry, key);
	for (const char *k = entry; k < eq; k++)
		FUZZ_CHECK((unsigned char)*k > ' ' && *k != 0x7f, "--config=\"%s\": bad key",
		           entry);
	v = toml_read(eq + 1);
	FUZZ_CHECK(v, "--config=\"%s\": the value is not TOML", entry);
	return v;
}

static void expect_string_override(char **argv, size_t *i, const char *key, const char *value)
{
	if (!value)
		return;
	FUZZ_CHECK(argv[*i] && strncmp(argv[*i], "--config=", 9) == 0,
	           "expected --config=%s at %zu", key, *i);
	json_t *v = read_override(argv[*i] + 9, key);
	FUZZ_CHECK(json_is_string(v) && json_string_length(v) == strlen(value) &&
	               memcmp(json_string_value(v), value, strlen(value)) == 0,
	           "--config=%s does not read back as its string", key);
	json_decref(v);
	*i += 1;
}

static void check_argv(const json_t *args, const json_t *config)
{
	struct codex_options o = {0};
	char err[512] = "", err2[512] = "";
	const char *prompt = json_string_value(json_object_get(args, "prompt"));
	const char *thread = json_string_value(json_object_get(args, "threadId"));
	static const char sentinel[] = "\x01prompt-sentinel\x02";

	set_option(&o.cwd, args, "cwd", NULL);
	set_option(&o.model, args, "model", NULL);
	set_option(&o.profile, args, "profile", NULL);
	set_option(&o.sandbox, args, "sandbox", NULL);
	set_option(&o.approval_policy, args, "approval_policy", "approval-policy");
	set_option(&o.base_instructions, args, "base_instructions", "base-instructions");
	set_option(&o.developer_instructions, args, "developer_instructions",
	           "developer-instructions");
	set_option(&o.compact_prompt, args, "compact_prompt", "compact-prompt");
	set_option(&o.reasoning_effort, args, "reasoning_effort", NULL);
	o.config = json_is_object(config) ? json_incref((json_t *)config) : NULL;
	if (!prompt)
		prompt = "hello";

	struct codex_turn_request req = {
	    .options = &o, .prompt = prompt, .prompt_len = strlen(prompt), .thread_id = thread};
	struct codex_turn_request other = req;
	other.prompt = sentinel;
	other.prompt_len = sizeof sentinel - 1;

	char **argv = codex_exec_argv(&req, err, sizeof err);
	char **argv2 = codex_exec_argv(&other, err2, sizeof err2);
	char **overrides = NULL;
	/* exec refuses "untrusted": it is given the nearest it takes, on-request. */
	json_t *given = o.config;
	const char *given_policy = json_string_value(json_object_get(o.config, "approval_policy"));
	if (given_policy && strcmp(given_policy, "untrusted") == 0) {
		given = json_copy(o.config);
		json_object_set_new(given, "approval_policy", json_string("on-request"));
	} else {
		json_incref(given);
	}
	int n = toml_overrides(given, &overrides, err2, sizeof err2);

	if (!argv) {
		FUZZ_CHECK(!argv2, "the prompt decided whether argv could be made");
		FUZZ_CHECK(n < 0 && err[0] && strnlen(err, sizeof err) < sizeof err,
		           "codex_exec_argv failed without a bad config");
		json_decref(given);
		codex_options_clear(&o);
		return;
	}
	FUZZ_CHECK(argv2 && n >= 0, "codex_exec_argv made an argv of a config that has no TOML");

	/* The prompt never reaches argv: another prompt gives the same argv. */
	size_t count = 0;
	for (; argv[count]; count++) {
		FUZZ_CHECK(argv2[count] && strcmp(argv[count], argv2[count]) == 0,
		           "argv[%zu] depends on the prompt", count);
		FUZZ_CHECK(!strstr(argv2[count], sentinel), "the prompt is in argv");
		FUZZ_CHECK(fuzz_utf8_valid(argv[count], strlen(argv[count])),
		           "argv[%zu] is not UTF-8", count);
	}
	FUZZ_CHECK(!argv2[count], "argv length depends on the prompt");

	/* Walk it against the options. */
	static const char *const head[] = {"codex", "exec", "--json", "--skip-git-repo-check"};
	size_t i = 0;
	for (; i < 4; i++)
		FUZZ_CHECK(i < count && strcmp(argv[i], head[i]) == 0, "argv[%zu] is not %s", i,
		           head[i]);
	/* Each option is one "--name=value" element, so no value can be read as a flag. */
	const char *flags[][2] = {{"--cd=", o.cwd},
	                          {"--sandbox=", o.sandbox},
	                          {"--model=", o.model},
	                          {"--profile=", o.profile}};
	for (size_t f = 0; f < 4; f++) {
		size_t len = strlen(flags[f][0]);
		if (!flags[f][1])
			continue;
		FUZZ_CHECK(i < count && strncmp(argv[i], flags[f][0], len) == 0 &&
		               strcmp(argv[i] + len, flags[f][1]) == 0,
		           "expected %s at %zu", flags[f][0], i);
		i += 1;
	}
	json_t *rebuilt = json_object();
	bool dotted = o.config && keys_have_dots(o.config);
	for (int k = 0; k < n; k++) {
		FUZZ_CHECK(i < count && strncmp(argv[i], "--config=", 9) == 0,
		           "expected --config= at %zu", i);
		FUZZ_CHECK(strcmp(argv[i] + 9, overrides[k]) == 0, "override %d differs", k);
		json_t *v = read_override(argv[i] + 9, NULL);
		char *path = strndup(argv[i] + 9, strcspn(argv[i] + 9, "="));
		if (dotted)
			json_decref(v);
		else
			put_path(rebuilt, path, v);
		free(path);
		i += 1;
	}
	/* Without dotted keys, the overrides say exactly what the config said. */
	if (o.config && !dotted)
		FUZZ_CHECK(json_equal(rebuilt, given), "the overrides do not add up to the config");
	json_decref(rebuilt);
	expect_string_override(argv, &i, "approval_policy",
	                       o.approval_policy && strcmp(o.approval_policy, "untrusted") == 0
	                           ? "on-request"
	                           : o.approval_policy);
	expect_string_override(argv, &i, "model_reasoning_effort", o.reasoning_effort);
	expect_string_override(argv, &i, "compact_prompt", o.compact_prompt);
	if (thread) {
		FUZZ_CHECK(i + 2 < count && strcmp(argv[i], "resume") == 0 &&
		               strcmp(argv[i + 1], "--") == 0 && strcmp(argv[i + 2], thread) == 0,
		           "expected resume -- %s at %zu", thread, i);
		i += 3;
	} else {
		expect_string_override(argv, &i, "instructions", o.base_instructions);
		expect_string_override(argv, &i, "developer_instructions",
		                       o.developer_instructions);
	}
	FUZZ_CHECK(i + 1 == count && strcmp(argv[i], "-") == 0, "argv does not end with - at %zu",
	           i);

	toml_overrides_free(overrides, n);
	json_decref(given);
	codex_argv_free(argv);
	codex_argv_free(argv2);
	codex_options_clear(&o);
}

static bool has_null(const json_t *v)
{
	size_t i;
	const char *key;
	json_t *item;

	if (json_is_null(v))
		return true;
	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
		{
			if (has_null(item))
				return true;
		}
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
		{
			if (has_null(item))
				return true;
		}
	}
	return false;
}

static void check_toml_value(const json_t *v)
{
	const char *why = NULL;
	char *text = toml_value(v, &why);

	if (!text) {
		FUZZ_CHECK(why && has_null(v), "toml_value failed on a value without null");
		return;
	}
	FUZZ_CHECK(!has_null(v), "toml_value wrote a null");
	json_t *back = toml_read(text);
	FUZZ_CHECK(back, "toml_value wrote something that is not TOML: %s", text);
	FUZZ_CHECK(json_equal(back, (json_t *)v), "toml_value changed the value: %s", text);
	json_decref(back);
	free(text);
}

/* Without --allow-danger, what danger_check lets through must not take the sandbox away. */
static void check_danger(const json_t *args)
{
	struct options opts = {.allow_danger = false};
	struct app app = {.opts = &opts, .cwd = base};
	const char *sandbox = json_string_value(json_object_get(args, "sandbox"));
	json_t *config = json_object_get(args, "config");
	struct codex_options o = {0};
	struct arg_error e;
	char err[512];

	if (!json_is_object(config))
		config = NULL;
	memset(&e, 0, sizeof e);
	if (danger_check(&app, sandbox, config, &e) != 0) {
		FUZZ_CHECK(e.message[0], "danger_check refused without a message");
		return;
	}
	o.sandbox = sandbox ? strdup(sandbox) : NULL;
	o.config = config ? json_incref(config) : NULL;
	struct codex_turn_request req = {.options = &o, .prompt = "x", .prompt_len = 1};
	char **argv = codex_exec_argv(&req, err, sizeof err);
	if (argv)
		fuzz_check_no_danger(argv);
	codex_argv_free(argv);
	codex_options_clear(&o);
}

static void check_object(const json_t *args)
{
	const char *key;
	json_t *v;
	size_t seen = 0;
	static const char *const names[] = {"prompt", "cwd", "config", "timeout_seconds", "force"};

	check_args_only(args);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		check_one_name(args, names[i]);
	json_object_foreach((json_t *)args, key, v)
	{
		if (++seen > 16)
			break;
		check_one_name(args, key);
		if (json_is_string(v) && seen <= 4)
			check_dir(json_string_value(v));
		check_toml_value(v);
	}
	check_agent_args(args);
	check_danger(args);
	check_argv(args, json_object_get(args, "config"));
	check_argv(args, args);
	check_toml_value(args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, JSON_ALLOW_NUL, NULL);

	if (json_is_object(root)) {
		check_object(root);
	} else if (json_is_array(root)) {
		/* Like spawn_agents_parallel's agents. */
		size_t i;
		json_t *item;
		json_array_foreach(root, i, item)
		{
			if (i >= 8)
				break;
			if (json_is_object(item))
				check_object(item);
		}
	}
	json_decref(root);
	return 0;
}
