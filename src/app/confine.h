/* Where runs may work: inside an --allow-dir, and inside the client's roots when it has any. */
#ifndef CODEX_MCP_CONFINE_H
#define CODEX_MCP_CONFINE_H

#include "app/args.h"

#include "app/call.h"

struct app;

/* dir is absolute and resolved. Returns 0, or -1 with a message that names the rule. */
int confine_check(const struct tool_call *call, const char *name, const char *dir,
                  struct arg_error *e);

/*
 * Without --allow-danger, refuses what would take the sandbox or the approvals
 * away: sandbox danger-full-access, and config overrides that amount to it
 * (a sandbox_mode of danger-full-access at any depth, any "dangerously" key).
 */
int danger_check(struct app *app, const char *sandbox, const json_t *config, struct arg_error *e);

#endif
