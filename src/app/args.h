/*
 * Tool argument checks. A failed check writes a message that names the
 * argument and says what is wrong; the tool answers it as an isError result.
 */
#ifndef CODEX_MCP_ARGS_H
#define CODEX_MCP_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct arg_error {
	char message[512];
};

/* Each returns 0, with *out NULL when an optional argument is absent, or -1. */
int arg_string(const json_t *args, const char *name, bool required, const char **out,
               struct arg_error *e);
int arg_enum(const json_t *args, const char *name, const char *const *allowed, const char **out,
             struct arg_error *e);
int arg_bool(const json_t *args, const char *name, int *out, struct arg_error *e);
/* A whole number in [min, max]; dflt when absent. */
int arg_integer(const json_t *args, const char *name, json_int_t min, json_int_t max,
                json_int_t dflt, json_int_t *out, struct arg_error *e);
int arg_object(const json_t *args, const char *name, json_t **out, struct arg_error *e);
/* Fails on the first key not in known (NULL-terminated). */
int args_only(const json_t *args, const char *const *known, struct arg_error *e);

/* An absolute, existing directory for cwd; relative paths resolve against base. */
char *arg_resolve_dir(const char *name, const char *path, const char *base, struct arg_error *e);

/* CallToolResults. */
json_t *tool_error_result(const char *message);
json_t *tool_text_result(const char *text, json_t *structured /* stolen, may be NULL */);

#endif
