#include "codex/launch.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codex/locate.h"
#include "proc/nesting.h"
#include "util/log.h"

extern char **environ;

/* The server's environment plus extras; an extra replaces a variable of the same name. */
static char **build_env(char **extra)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	for (char **p = environ; *p; p++)
		n++;
	for (char **p = extra; p && *p; p++)
		m++;
	env = calloc(n + m + 1, sizeof *env);
	if (!env)
		return NULL;
	for (char **p = environ; *p; p++) {
		size_t key = strcspn(*p, "=");
		bool replaced = false;
		for (char **q = extra; q && *q && !replaced; q++)
			replaced = strncmp(*q, *p, key + 1) == 0;
		if (!replaced)
			env[k++] = strdup(*p);
	}
	for (char **q = extra; q && *q; q++)
		env[k++] = strdup(*q);
	return env;
}

static void free_env(char **env)
{
	if (!env)
		return;
	for (char **p = env; *p; p++)
		free(*p);
	free(env);
}

int codex_launch_init(struct codex_launch *l, const char *wanted_path, char *const *extra_env)
{
	size_t n = 0;

	memset(l, 0, sizeof *l);
	snprintf(l->depth_env, sizeof l->depth_env, "%s=%u", NESTING_ENV, nesting_depth() + 1);
	if (wanted_path && !(l->wanted_path = strdup(wanted_path)))
		return -1;
	if (!extra_env)
		return 0;
	while (extra_env[n])
		n++;
	if (!(l->extra_env = calloc(n + 1, sizeof *l->extra_env)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!(l->extra_env[i] = strdup(extra_env[i])))
			return -1;
	return 0;
}

int codex_launch_resolve(struct codex_launch *l, char *err, size_t err_size)
{
	bool via_npm;
	char *path;
	size_t n = 0;
	char **extra;

	if (l->path)
		return 0;
	if (!(path = codex_locate(l->wanted_path, &via_npm, err, err_size)))
		return -1;
	bool depth_set = false;
	for (char **p = l->extra_env; p && *p; p++, n++)
		depth_set = depth_set || strncmp(*p, NESTING_ENV "=", sizeof NESTING_ENV) == 0;
	extra = calloc(n + 3, sizeof *extra);
	if (!extra) {
		free(path);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		extra[i] = l->extra_env[i];
	/* What npm's wrapper would have told Codex about how it was installed. */
	if (via_npm)
		extra[n++] = "CODEX_MANAGED_BY_NPM=1";
	/* How deep the run is, for a codex-mcp it starts (an --env of the same name wins). */
	if (!depth_set)
		extra[n++] = l->depth_env;
	l->env = n > 0 ? build_env(extra) : NULL;
	free(extra);
	l->path = path;
	log_info("running Codex from %s%s", path, via_npm ? " (found through npm's wrapper)" : "");
	return 0;
}

int codex_launch_has_app_server(struct codex_launch *l, char *err, size_t err_size)
{
	char *argv[] = {NULL, "app-server", "--help", NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0, rc;

	if (codex_launch_resolve(l, err, err_size) != 0)
		return -1;
	argv[0] = l->path;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, l->path, &fa, NULL, argv, l->env ? l->env : environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return 0;
	/* A Codex that hangs on --help has no app-server we would want. */
	for (int waited = 0; (rc = waitpid(pid, &status, WNOHANG)) == 0; waited += 10) {
		if (waited >= 10000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 0;
		}
		usleep(10000);
	}
	return rc == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void codex_launch_clear(struct codex_launch *l)
{
	free(l->wanted_path);
	free(l->path);
	free_env(l->extra_env);
	free_env(l->env);
	memset(l, 0, sizeof *l);
}
