/*
 * How deep this server runs under other codex-mcp servers, and the limit on
 * it. A Codex run that codex-mcp starts can start codex-mcp again (when its
 * config lists codex-mcp as an MCP server), whose runs can do the same,
 * without end. Past --max-depth a server still starts and answers, but
 * refuses the tools that start Codex runs.
 */
#ifndef CODEX_MCP_NESTING_H
#define CODEX_MCP_NESTING_H

#include <stddef.h>

/*
 * Set to the depth of the runs a server starts (its own depth + 1) in their
 * environment. Codex hands its MCP servers only a few variables, so this
 * reaches a nested server only when its config passes it on
 * (env_vars = ["CODEX_MCP_DEPTH"]) or a shell in between started it; /proc
 * is what counts in any case.
 */
#define NESTING_ENV "CODEX_MCP_DEPTH"
#define NESTING_MAX_DEFAULT 2

/*
 * This server's depth: 0 when no codex-mcp run is among its ancestors, 1
 * when a run of a top-level server started it, and so on. Worked out on
 * the first call, from /proc and $CODEX_MCP_DEPTH, logged at debug and kept:
 * call it once at startup, while the ancestors are all still there.
 */
unsigned nesting_depth(void);

/*
 * The depth from its two signs: the servers found above in /proc, and the
 * value of $CODEX_MCP_DEPTH (NULL when unset; a value that is not a number
 * counts as unset). The larger wins.
 */
unsigned nesting_depth_from(unsigned servers_above, const char *env_value);

/*
 * Whether a server `depth` deep may start a Codex run under --max-depth max
 * (0: no limit). Returns 0, or -EPERM with a message meant for the model
 * that called the tool in err.
 */
int nesting_check(unsigned depth, unsigned max, char *err, size_t err_size);

#endif
