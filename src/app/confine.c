#include "app/confine.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/options.h"
#include "codex/toml.h"

static bool inside(const char *dir, const char *base)
{
	size_t n = strlen(base);

	if (n == 1 && base[0] == '/')
		return true;
	return strncmp(dir, base, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

static bool inside_any(const char *dir, char *const *bases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (inside(dir, bases[i]))
			return true;
	return false;
}

static void list(char *buf, size_t size, char *const *items, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? ", " : "", items[i]);
}

int confine_check(const struct tool_call *call, const char *name, const char *dir,
                  struct arg_error *e)
{
	struct app *app = call->app;
	char *const *roots;
	size_t n_roots, n_allowed = app->opts->n_allow_dirs;
	char places[300];

	if (n_allowed && !inside_any(dir, app->allow_dirs, n_allowed)) {
		list(places, sizeof places, app->allow_dirs, n_allowed);
		snprintf(
		    e->message, sizeof e->message,
		    "%s: %.150s is outside the directories the server allows (--allow-dir: %.250s)",
		    name, dir, places);
		return -1;
	}
	/* A call no client made (the fuzzers') has no roots to keep to. */
	switch (call->req ? mcp_request_roots(call->req, &roots, &n_roots) : MCP_ROOTS_NONE) {
	case MCP_ROOTS_NONE:
		return 0;
	case MCP_ROOTS_UNKNOWN:
		snprintf(e->message, sizeof e->message,
		         "%s: the client declares roots but did not list them (roots/list failed "
		         "or went unanswered), so no directory is known to be inside them",
		         name);
		return -1;
	case MCP_ROOTS_LISTED:
		break;
	}
	if (n_roots == 0) {
		snprintf(e->message, sizeof e->message,
		         "%s: %.150s is outside the client's roots (it lists no file:// root)",
		         name, dir);
		return -1;
	}
	if (!inside_any(dir, roots, n_roots)) {
		list(places, sizeof places, roots, n_roots);
		snprintf(e->message, sizeof e->message,
		         "%s: %.150s is outside the client's roots (%.250s)", name, dir, places);
		return -1;
	}
	return 0;
}

static const char *refusal = "is refused: the server was not started with --allow-danger";

/*
 * Walks the overrides as Codex would flatten them, looking for a way around
 * the sandbox. Each key is judged on its own, so no path is too long to check.
 */
static int danger_in(const json_t *value, const char *key, const char *path, struct arg_error *e)
{
	const char *name;
	json_t *item;

	if (key && strstr(key, "dangerously")) {
		snprintf(e->message, sizeof e->message, "config: \"%.200s\" %s", path, refusal);
		return -1;
	}
	/* A dotted key ("profiles.x.sandbox_mode") names its last part last. */
	const char *last = key ? strrchr(key, '.') : NULL;
	if (key && json_is_string(value) &&
	    strcmp(json_string_value(value), "danger-full-access") == 0 &&
	    strcmp(last ? last + 1 : key, "sandbox_mode") == 0) {
		snprintf(e->message, sizeof e->message, "config: %.200s \"danger-full-access\" %s",
		         path, refusal);
		return -1;
	}
	if (!json_is_object(value))
		return 0;
	json_object_foreach((json_t *)value, name, item)
	{
		char child[256];
		snprintf(child, sizeof child, "%s%s%s", path, *path ? "." : "", name);
		if (danger_in(item, name, child, e) != 0)
			return -1;
	}
	return 0;
}

/*
 * Config keys a client may set without --allow-danger. They choose the model and how it
 * answers; none says what Codex may run outside its sandbox (notify, hooks, MCP servers,
 * auth commands), where it may write or connect (writable_roots, permissions), which
 * directories it trusts, where its requests and keys go (providers, base URLs), or which
 * secrets reach its commands (shell_environment_policy). Codex adds keys from version to
 * version, so a key not named here is refused rather than guessed safe.
 */
static const char *const safe_keys[] = {
    "model",
    "model_provider",
    "model_reasoning_effort",
    "model_reasoning_summary",
    "model_verbosity",
    "model_context_window",
    "model_auto_compact_token_limit",
    "model_supports_reasoning_summaries",
    "approval_policy",
    "sandbox_mode",
    "instructions",
    "developer_instructions",
    "compact_prompt",
    "hide_agent_reasoning",
    "show_raw_agent_reasoning",
    "web_search",
    "tools.web_search",
    "tools.view_image",
    "include_plan_tool",
    "include_apply_patch_tool",
    "project_doc_max_bytes",
};

/* A bare TOML key part: anything else Codex might split or unquote its own way. */
static bool bare_part(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-')
			return false;
	return true;
}

/* Whether the dotted pattern ("*" for one part) names key or a table around it. */
static bool key_matches(const char *pattern, const char *key, size_t key_len)
{
	const char *k = key, *end = key + key_len;

	while (*pattern) {
		size_t pn = strcspn(pattern, "."), kn;
		const char *dot;
		if (k >= end)
			return false;
		dot = memchr(k, '.', (size_t)(end - k));
		kn = (size_t)((dot ? dot : end) - k);
		if (!(pn == 1 && *pattern == '*') && (pn != kn || memcmp(pattern, k, kn) != 0))
			return false;
		pattern += pn + (pattern[pn] == '.');
		k += kn + 1;
	}
	return true;
}

static bool key_allowed(const struct options *o, const char *key, size_t len)
{
	/* Older Codex reads the same keys inside a profile. */
	if (len > sizeof "profiles." && strncmp(key, "profiles.", 9) == 0) {
		const char *rest = memchr(key + 9, '.', len - 9);
		if (rest && key_allowed(o, rest + 1, len - (size_t)(rest + 1 - key)))
			return true;
	}
	for (size_t i = 0; i < sizeof safe_keys / sizeof safe_keys[0]; i++)
		if (key_matches(safe_keys[i], key, len))
			return true;
	for (size_t i = 0; i < o->n_allow_config; i++)
		if (key_matches(o->allow_config[i], key, len))
			return true;
	return false;
}

/* Judges each override as Codex reads it: the dotted key path it will be split into. */
static int config_keys_check(const struct options *o, const json_t *config, struct arg_error *e)
{
	char **overrides;
	int n = toml_overrides(config, &overrides, e->message, sizeof e->message);
	int status = n < 0 ? -1 : 0;

	for (int i = 0; i < n && status == 0; i++) {
		const char *key = overrides[i];
		size_t len = strcspn(key, "="), part;
		for (const char *p = key; p < key + len; p += part + 1) {
			part = strcspn(p, ".=");
			if (!bare_part(p, part)) {
				snprintf(e->message, sizeof e->message,
				         "config: \"%.*s\" %s: a key part other than letters, "
				         "digits, '_' and '-'",
				         (int)(len > 200 ? 200 : len), key, refusal);
				status = -1;
				break;
			}
		}
		if (status == 0 && !key_allowed(o, key, len)) {
			snprintf(e->message, sizeof e->message,
			         "config: \"%.*s\" %s or --allow-config: clients may set only the "
			         "model's settings, approval_policy, sandbox_mode and the "
			         "instructions (the README lists them)",
			         (int)(len > 200 ? 200 : len), key, refusal);
			status = -1;
		}
	}
	toml_overrides_free(overrides, n);
	return status;
}

int danger_check(struct app *app, const char *sandbox, const json_t *config, struct arg_error *e)
{
	if (app->opts->allow_danger)
		return 0;
	if (sandbox && strcmp(sandbox, "danger-full-access") == 0) {
		snprintf(e->message, sizeof e->message, "sandbox: \"danger-full-access\" %s",
		         refusal);
		return -1;
	}
	if (!config)
		return 0;
	return danger_in(config, NULL, "", e) || config_keys_check(app->opts, config, e) ? -1 : 0;
}
