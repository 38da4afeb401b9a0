/*
 * An OAuth issuer's signing keys for http/auth: read from a JWKS file, or discovered from the
 * issuer's metadata and fetched with libcurl. Keys come back as a JSON array of public JWKs,
 * only those that can verify RS256 (RSA, 2048 bits or more) or ES256 (EC P-256) signatures.
 * Everything here blocks and touches no shared state: a worker thread may call it.
 */
#ifndef CODEX_MCP_HTTP_JWKS_H
#define CODEX_MCP_HTTP_JWKS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Whether a JSON array holds the string want (audiences, algorithms, scopes). */
bool jwks_has_string(const json_t *array, const char *want);

/* Bodies longer than this are refused, as are transfers slower than the timeout. */
#define JWKS_BODY_MAX (1024 * 1024)
#define JWKS_TIMEOUT_S 10

/*
 * The usable keys of a JWKS document ({"keys":[...]}), private members dropped: 0 and *keys
 * (new array reference), or -EINVAL with err when the document has none.
 */
int jwks_usable(const json_t *doc, json_t **keys, char *err, size_t err_size);

/* Reads a JWKS document from path: 0 and *keys as jwks_usable, or -errno with err. */
int jwks_load_file(const char *path, json_t **keys, char *err, size_t err_size);

/*
 * 0 when url may be fetched: https, or http to a loopback host (127.0.0.1, ::1, localhost).
 * Otherwise -EINVAL with err.
 */
int jwks_url_allowed(const char *url, char *err, size_t err_size);

/*
 * Where the well-known document name for url lives, as RFC 8414 and RFC 9728 place it:
 * "/.well-known/<name>" between the host and url's path (a path of "/" dropped), the query
 * kept, the fragment dropped. malloc'd, or NULL when url is not a URL (or out of memory).
 */
char *jwks_well_known_url(const char *url, const char *name);

/*
 * Discovers issuer's jwks_uri from its RFC 8414 metadata (falling back to OpenID Connect
 * discovery), checks the metadata names the same issuer, and fetches the key set. Redirects
 * are not followed. 0 and *keys as jwks_usable, or -errno with err. Needs
 * curl_global_init() done first, on one thread, before any other thread may call this.
 */
int jwks_fetch(const char *issuer, json_t **keys, char *err, size_t err_size);

#endif
