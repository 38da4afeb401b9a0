/* The command line of `codex exec --json` for one turn. */
#ifndef CODEX_MCP_ARGV_H
#define CODEX_MCP_ARGV_H

#include <stddef.h>

#include "codex/backend.h"

/*
 * A malloc'd, NULL-terminated argv beginning with "codex". The prompt is never
 * in it: Codex reads it from stdin ("-"), so a prompt like "--help" stays a
 * prompt. Returns NULL with a message in err.
 */
char **codex_exec_argv(const struct codex_turn_request *req, char *err, size_t err_size);
void codex_argv_free(char **argv);

#endif
