/* The listening socket of --http HOST:PORT. */
#ifndef CODEX_MCP_HTTP_LISTEN_H
#define CODEX_MCP_HTTP_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

struct http_address {
	char host[256]; /* as given, without brackets: "127.0.0.1", "::1", "0.0.0.0" */
	unsigned port;  /* the port bound: the one given, or the one taken for 0 */
	bool loopback;  /* reachable only from this machine */
	bool wildcard;  /* 0.0.0.0 or :: */
	bool ipv6;
};

/*
 * Parses "HOST:PORT", "[V6]:PORT" or a bare "PORT" (127.0.0.1), binds and listens.
 * Returns the descriptor, or -errno with a message.
 */
int http_listen(const char *spec, struct http_address *addr, char *err, size_t err_size);

/* "HOST:PORT", with brackets for IPv6, as it goes in a URL. */
void http_address_format(const struct http_address *addr, char *out, size_t size);

#endif
