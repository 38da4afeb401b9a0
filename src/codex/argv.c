#include "codex/argv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codex/toml.h"

struct list {
	char **items;
	size_t n, cap;
	int failed;
};

static void add_owned(struct list *l, char *s)
{
	if (!s || l->failed) {
		l->failed = 1;
		free(s);
		return;
	}
	if (l->n + 2 > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **items = realloc(l->items, cap * sizeof *items);
		if (!items) {
			l->failed = 1;
			free(s);
			return;
		}
		l->items = items;
		l->cap = cap;
	}
	l->items[l->n++] = s;
	l->items[l->n] = NULL;
}

static void add(struct list *l, const char *s)
{
	add_owned(l, strdup(s));
}

/*
 * "--name=value" as one element: a value that starts with "-" stays a value, where
 * "-m VALUE" would make Codex read it as a flag of its own.
 */
static void add_flag(struct list *l, const char *name, const char *value)
{
	char *entry;

	if (!value)
		return;
	entry = malloc(strlen(name) + strlen(value) + 2);
	if (entry)
		sprintf(entry, "%s=%s", name, value);
	add_owned(l, entry);
}

/* --config=key="value", with the value quoted as a TOML string. */
static void add_string_override(struct list *l, const char *key, const char *value)
{
	const char *why;
	json_t *s;
	char *toml, *entry = NULL;

	if (!value)
		return;
	s = json_string(value);
	toml = s ? toml_value(s, &why) : NULL;
	json_decref(s);
	if (toml && (entry = malloc(strlen(key) + strlen(toml) + sizeof "--config==")))
		sprintf(entry, "--config=%s=%s", key, toml);
	free(toml);
	add_owned(l, entry);
}

/* exec no longer accepts "untrusted" (app-server does): asking first is the nearest it has. */
static const char *exec_policy(const char *policy)
{
	return policy && strcmp(policy, "untrusted") == 0 ? "on-request" : policy;
}

/* The overrides with their approval_policy as exec accepts it (new reference, may be NULL). */
static json_t *exec_policy_config(json_t *config)
{
	const char *policy = json_string_value(json_object_get(config, "approval_policy"));
	json_t *copy;

	if (!policy || strcmp(policy, exec_policy(policy)) == 0)
		return json_incref(config);
	copy = json_copy(config);
	json_object_set_new(copy, "approval_policy", json_string(exec_policy(policy)));
	return copy;
}

char **codex_exec_argv(const struct codex_turn_request *req, char *err, size_t err_size)
{
	const struct codex_options *o = req->options;
	struct list l = {0};
	char **overrides;
	int n;

	add(&l, "codex");
	add(&l, "exec");
	add(&l, "--json");
	add(&l, "--skip-git-repo-check");
	add_flag(&l, "--cd", o->cwd);
	add_flag(&l, "--sandbox", o->sandbox);
	add_flag(&l, "--model", o->model);
	add_flag(&l, "--profile", o->profile);

	/* The client's own overrides go first, so the named options win over them. */
	json_t *config = exec_policy_config(o->config);
	n = toml_overrides(config, &overrides, err, err_size);
	json_decref(config);
	if (n < 0) {
		codex_argv_free(l.items);
		return NULL;
	}
	for (int i = 0; i < n; i++)
		add_flag(&l, "--config", overrides[i]);
	toml_overrides_free(overrides, n);

	add_string_override(&l, "approval_policy", exec_policy(o->approval_policy));
	add_string_override(&l, "model_reasoning_effort", o->reasoning_effort);
	add_string_override(&l, "compact_prompt", o->compact_prompt);
	if (req->thread_id) {
		/* The saved thread keeps its instructions; sending them again would repeat them. */
		add(&l, "resume");
		add(&l, "--"); /* whatever the id looks like, it is the id */
		add(&l, req->thread_id);
	} else {
		add_string_override(&l, "instructions", o->base_instructions);
		add_string_override(&l, "developer_instructions", o->developer_instructions);
	}
	add(&l, "-");

	if (l.failed) {
		snprintf(err, err_size, "out of memory");
		codex_argv_free(l.items);
		return NULL;
	}
	return l.items;
}

void codex_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}
