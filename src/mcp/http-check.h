/*
 * The checks of Streamable HTTP that need no state: which origins and hosts may
 * reach the endpoint, what a request must accept and send, and whether a modern
 * request's headers say what its body says. Pure functions, for the transport and
 * its fuzz target.
 */
#ifndef CODEX_MCP_HTTP_CHECK_H
#define CODEX_MCP_HTTP_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "http/listen.h"

/* Whether Host names this server: a loopback name on a loopback bind, else the bound address. */
bool http_check_host(const char *host, const struct http_address *addr, char *const *extra);
/*
 * Whether a browser page from origin may call us: absent (not a browser), the
 * server's own address, a loopback origin on a loopback bind, or one allowed.
 */
bool http_check_origin(const char *origin, const struct http_address *addr, char *const *extra);
/* Whether the Accept header lists every one of the media types given (NULL-terminated). */
bool http_check_accept(const char *accept, const char *const *types);
/* Whether Content-Type is application/json, parameters aside. */
bool http_check_json_type(const char *content_type);

/*
 * A header value as the client meant it: "=?base64?...?=" is decoded, and
 * surrounding spaces and tabs go. NULL when it cannot be decoded; free it.
 */
char *http_header_value(const char *raw);

/*
 * The 2026-07-28 header rules for a request already known to be modern: the
 * MCP-Protocol-Version, Mcp-Method and (where the method names something)
 * Mcp-Name headers must be present and match the body. 0, or -1 with a message
 * and *data = {header, body} describing the mismatch (a new reference).
 */
struct http_mcp_headers {
	const char *version, *method, *name; /* raw header values, or NULL */
};
int http_check_modern_headers(const struct http_mcp_headers *h, const char *method,
                              const json_t *params, const char *body_version, json_t **data,
                              char *err, size_t err_size);

/*
 * The arguments a tool mirrors into headers (SEP-2243): from a tools/list "tools"
 * array, {tool: [[param, header name], ...]} for each tool whose input schema has
 * properties annotated "x-mcp-header" (a new reference; {} when none).
 */
json_t *http_param_headers(const json_t *tools);

/*
 * Checks a modern tools/call's Mcp-Param-{Name} headers against its arguments:
 * each annotated argument present (not null) must come with its header, equal to
 * its value once decoded (strings as they are, integers in decimal, booleans as
 * true or false); a header for an argument not given is a mismatch too. header()
 * looks a request header up by name. 0, or -1 with a message and *data.
 */
int http_check_param_headers(const json_t *mirrored, const json_t *arguments,
                             const char *(*header)(void *ctx, const char *name), void *ctx,
                             json_t **data, char *err, size_t err_size);

#endif
