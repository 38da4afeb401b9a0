#include "tools/confine.h"

#include <stdio.h>
#include <string.h>

#include "server.h"

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

int confine_check(struct server *srv, const char *name, const char *dir, struct arg_error *e)
{
	char *const *roots;
	size_t n_roots, n_allowed = srv->opts->n_allow_dirs;
	char places[300];

	if (n_allowed && !inside_any(dir, srv->allow_dirs, n_allowed)) {
		list(places, sizeof places, srv->allow_dirs, n_allowed);
		snprintf(
		    e->message, sizeof e->message,
		    "%s: %.150s is outside the directories the server allows (--allow-dir: %.250s)",
		    name, dir, places);
		return -1;
	}
	if (mcp_session_roots(srv->session, &roots, &n_roots) && !inside_any(dir, roots, n_roots)) {
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

int danger_check(struct server *srv, const char *sandbox, const json_t *config, struct arg_error *e)
{
	if (srv->opts->allow_danger)
		return 0;
	if (sandbox && strcmp(sandbox, "danger-full-access") == 0) {
		snprintf(e->message, sizeof e->message, "sandbox: \"danger-full-access\" %s",
		         refusal);
		return -1;
	}
	return config ? danger_in(config, NULL, "", e) : 0;
}
