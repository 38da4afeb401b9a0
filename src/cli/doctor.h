/* What `codex-mcp doctor` checks, each a line with a ✔ or a ✘, and a fix under a ✘. */
#ifndef CODEX_MCP_CLI_DOCTOR_H
#define CODEX_MCP_CLI_DOCTOR_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "app/options.h"
#include "codex/launch.h"

/*
 * The oldest Codex the server is known to work with: the codex and codex-reply tests pass
 * with 0.153.4 over both backends (the release `make bench` compares with).
 */
#define CODEX_MIN_VERSION "0.153.4"

struct doctor {
	const struct options *opts;
	struct codex_launch launch; /* the Codex, as the server would start it */
	bool codex_ok;              /* found, and new enough */
	bool via_npm;               /* found through npm's Node wrapper */
	bool has_app_server;
	int failures; /* checks that say a codex call would not work */
};

__attribute__((format(printf, 3, 4))) void doctor_say(struct doctor *d, bool ok, const char *fmt,
                                                      ...);
/* The fix for the ✘ just said, indented under it. */
__attribute__((format(printf, 2, 3))) void doctor_fix(struct doctor *d, const char *fmt, ...);

/* A program's run, waited for: what it wrote and how it ended. */
struct doctor_run {
	char out[4096], err[4096]; /* the first of each, NUL-terminated */
	int64_t exit_status;
	int term_signal;
	bool timed_out;
};
/* Runs argv[0] (an absolute path) with env (NULL: ours) in cwd; 0, or -errno if not started. */
int doctor_run(char *const argv[], char *const env[], const char *cwd, unsigned timeout_ms,
               struct doctor_run *r);

/* "1.2.3" or "codex-cli 1.2.3" against another: <0, 0, >0. -2 when a is not a version. */
int doctor_version_compare(const char *a, const char *b);

void doctor_codex(struct doctor *d);
void doctor_backend(struct doctor *d);
void doctor_auth(struct doctor *d);
void doctor_sandbox(struct doctor *d);
void doctor_options(struct doctor *d);
void doctor_state(struct doctor *d);
void doctor_http(struct doctor *d);

/* The authentication Codex will use, from its config/read and account/read answers. */
void doctor_auth_judge(struct doctor *d, const json_t *config, const json_t *account,
                       char *const *env);

#endif
