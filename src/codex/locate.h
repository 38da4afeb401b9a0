/* Finding the Codex binary to run. */
#ifndef CODEX_MCP_LOCATE_H
#define CODEX_MCP_LOCATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The Codex to run: `explicit_path` (from --codex-bin) if given, else
 * $CODEX_BIN, else `codex` on PATH. When that is npm's Node wrapper, the
 * native binary it would spawn is returned instead, saving a Node process
 * per run; *via_npm then says so. Returns a malloc'd path, or NULL with a
 * message in err.
 */
char *codex_locate(const char *explicit_path, bool *via_npm, char *err, size_t err_size);

#endif
