/*
 * The HTTP transport as the application reaches it: a table of functions in
 * codex-mcp-http.so, loaded from beside the executable the first time --http
 * asks for it, so that a server on stdio never maps libmicrohttpd, José or libcurl.
 */
#ifndef CODEX_MCP_HTTP_MODULE_H
#define CODEX_MCP_HTTP_MODULE_H

#include <stddef.h>

#include "http/auth.h"
#include "http/listen.h"
#include "mcp/http.h"

struct http_module {
	int (*listen)(const char *spec, struct http_address *addr, char *err, size_t err_size);
	void (*address_format)(const struct http_address *addr, char *out, size_t size);
	int (*auth_new)(const struct http_auth_config *cfg, struct http_auth **out, char *err,
	                size_t err_size);
	void (*auth_free)(struct http_auth *a);
	int (*transport_new)(const struct mcp_http_config *cfg, struct mcp_http **out, char *err,
	                     size_t err_size);
	void (*transport_stop)(struct mcp_http *h);
	void (*transport_close)(struct mcp_http *h, void (*done)(void *data), void *data);
	void (*transport_log)(struct mcp_http *h, enum log_level level, const char *message);
};

/* The symbol the module exports. */
#define HTTP_MODULE_SYMBOL "codex_mcp_http_module"
#define HTTP_MODULE_FILE "codex-mcp-http.so"

/*
 * The module: $CODEX_MCP_HTTP_MODULE when set, else codex-mcp-http.so in the
 * executable's directory. NULL with a message when it cannot be loaded.
 */
const struct http_module *http_module_load(char *err, size_t err_size);

#endif
