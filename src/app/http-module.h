/*
 * The HTTP transport and its authenticator as the application reaches them: tables
 * of functions in codex-mcp-http.so and codex-mcp-auth.so, loaded from beside the
 * executable when --http (and a token file or an issuer) asks for them, so that a
 * server on stdio never maps libmicrohttpd, and one without authentication never
 * maps José, libcurl and OpenSSL.
 */
#ifndef CODEX_MCP_HTTP_MODULE_H
#define CODEX_MCP_HTTP_MODULE_H

#include <stddef.h>

#include "dashboard/dashboard.h"
#include "http/auth.h"
#include "http/listen.h"
#include "mcp/http.h"
#include "util/module.h"

struct http_module {
	int (*listen)(const char *spec, struct http_address *addr, char *err, size_t err_size);
	void (*address_format)(const struct http_address *addr, char *out, size_t size);
	int (*transport_new)(const struct mcp_http_config *cfg, struct mcp_http **out, char *err,
	                     size_t err_size);
	void (*transport_stop)(struct mcp_http *h);
	void (*transport_close)(struct mcp_http *h, void (*done)(void *data), void *data);
	void (*transport_log)(struct mcp_http *h, enum log_level level, const char *message);
	/* The dashboard at / (dashboard/dashboard.h). */
	int (*dashboard_new)(const struct dashboard_config *cfg, struct dashboard **out, char *err,
	                     size_t err_size);
	bool (*dashboard_handle)(void *d, struct http_exchange *x);
	void (*dashboard_publish)(struct dashboard *d, const char *subject, const char *event,
	                          const json_t *data);
	bool (*dashboard_watched)(const struct dashboard *d, const char *subject);
	void (*dashboard_stop)(struct dashboard *d);
	void (*dashboard_free)(struct dashboard *d);
};

struct auth_module {
	int (*create)(const struct http_auth_config *cfg, struct http_auth **out, char *err,
	              size_t err_size);
	void (*free)(struct http_auth *a);
	enum http_auth_verdict (*check)(struct http_auth *a, const char *authorization,
	                                char *subject, size_t subject_size, char *challenge,
	                                size_t challenge_size, char *why, size_t why_size);
	json_t *(*metadata)(const struct http_auth *a);
};

/* The symbols the modules export. */
#define HTTP_MODULE_SYMBOL "codex_mcp_http_module"
#define HTTP_MODULE_FILE "codex-mcp-http.so"
#define AUTH_MODULE_SYMBOL "codex_mcp_auth_module"
#define AUTH_MODULE_FILE "codex-mcp-auth.so"

#endif
