/* Directories the server makes for its own files. */
#ifndef CODEX_MCP_PATHS_H
#define CODEX_MCP_PATHS_H

#include <stddef.h>

/*
 * mkdir -p, private to the user (0700): these hold prompts' paths and agents' output.
 * The directory must be the user's own. Returns 0, or -1 with a message in err.
 */
int make_private_dirs(const char *dir, char *err, size_t err_size);

#endif
