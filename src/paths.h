/* Directories the server makes for its own files. */
#ifndef CODEX_MCP_PATHS_H
#define CODEX_MCP_PATHS_H

/* mkdir -p, private to the user (0700): these hold prompts' paths and agents' output. */
int make_private_dirs(const char *dir);

#endif
