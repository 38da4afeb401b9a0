/* JSON values written as TOML, the language of Codex's `-c key=value` overrides. */
#ifndef CODEX_MCP_TOML_H
#define CODEX_MCP_TOML_H

#include <stddef.h>

#include <jansson.h>

/* A malloc'd TOML value, or NULL with *why set when JSON has no TOML form (null). */
char *toml_value(const json_t *v, const char **why);

/*
 * Flattens an object of overrides into malloc'd "key=value" strings; nested
 * objects become dotted keys so they merge with config.toml instead of
 * replacing whole tables. Returns the count, or -1 with a message in err.
 */
int toml_overrides(const json_t *config, char ***out, char *err, size_t err_size);

void toml_overrides_free(char **list, int n);

#endif
