/* Small text helpers for what crosses into JSON: UTF-8 safety and truncation. */
#ifndef CODEX_MCP_TEXT_H
#define CODEX_MCP_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s[0..len) is valid UTF-8 with no control character below U+0020 (NUL included). */
bool text_utf8_printable(const char *s, size_t len);

/* Whether s[0..len) is printable ASCII with no quote or backslash: JSON writes it as it is. */
bool text_json_plain(const char *s, size_t len);

/* The longest prefix of s[0..len) of at most max bytes that ends on a character boundary. */
size_t text_utf8_prefix(const char *s, size_t len, size_t max);

/* A malloc'd, NUL-terminated copy with invalid UTF-8 and NUL bytes replaced by '?'. */
char *text_sanitize(const char *s, size_t len);

/* Replaces invalid UTF-8 bytes in a NUL-terminated string with '?', in place. */
void text_sanitize_inplace(char *s);

#endif
