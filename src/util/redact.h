/* Secrets the operator handed us (--env values, API keys) never leave in text we write. */
#ifndef CODEX_MCP_REDACT_H
#define CODEX_MCP_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Values shorter than 4 bytes are ignored: masking them would garble ordinary text. */
void redact_add(const char *secret);
void redact_clear(void);

/* Whether there is anything to mask: without secrets, text can pass as it is. */
bool redact_active(void);

/* A malloc'd copy of text with every secret replaced by "[redacted]". */
char *redact(const char *text);

/* A deep copy of a JSON value with secrets masked in every string (new reference). */
json_t *redact_json(const json_t *value);

#endif
