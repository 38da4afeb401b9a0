/*
 * Parts of the server that bring heavy libraries (HTTP, its authentication,
 * PostgreSQL) live in modules loaded only when asked for, so a server that
 * does not use them never maps those libraries.
 */
#ifndef CODEX_MCP_MODULE_H
#define CODEX_MCP_MODULE_H

#include <stddef.h>

/*
 * A module's table: file in $CODEX_MCP_MODULE_DIR when set, else in the
 * executable's directory. NULL with a message when it cannot be loaded.
 */
const void *module_load(const char *file, const char *symbol, char *err, size_t err_size);

#endif
