/*
 * How Codex is started, whichever backend starts it: the binary (found on first
 * use, so Codex may be installed after the server starts) and its environment.
 */
#ifndef CODEX_MCP_LAUNCH_H
#define CODEX_MCP_LAUNCH_H

#include <stddef.h>

struct codex_launch {
	char *wanted_path;  /* --codex-bin, or NULL */
	char **extra_env;   /* KEY=VALUE from --env, NULL-terminated; may be NULL */
	char depth_env[32]; /* CODEX_MCP_DEPTH=<our depth + 1> */
	char *path;         /* the Codex found, once resolved */
	char **env;         /* its environment; NULL inherits the server's */
};

/* Works out the nesting depth now, while every ancestor of the server is still there. */
int codex_launch_init(struct codex_launch *l, const char *wanted_path, char *const *extra_env);
/* Finds Codex and makes its environment, once. Returns 0, or -1 with err. */
int codex_launch_resolve(struct codex_launch *l, char *err, size_t err_size);
void codex_launch_clear(struct codex_launch *l);
/*
 * Whether the Codex found has `codex app-server`: 1 or 0, or -1 when no Codex is found
 * (err says why). It runs `codex app-server --help`, and waits for it, up to 10 s.
 */
int codex_launch_has_app_server(struct codex_launch *l, char *err, size_t err_size);

#endif
