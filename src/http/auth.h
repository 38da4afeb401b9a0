/*
 * Who may use the HTTP transport's MCP endpoint: the Authorization header of each request is
 * checked against static bearer tokens (--http-token-file) and/or OAuth access tokens, JWTs
 * signed by an issuer (--oauth-issuer) for this server's resource URL, as the MCP
 * authorization spec has a resource server do (RFC 6750, RFC 9068, RFC 9728).
 *
 * Everything here runs on the loop thread, but for the key refresh's fetch, which runs on
 * the libuv thread pool and hands its keys over on the loop thread.
 */
#ifndef CODEX_MCP_HTTP_AUTH_H
#define CODEX_MCP_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <uv.h>

/* Buffers this large always hold a whole subject or challenge. */
#define HTTP_AUTH_SUBJECT_MAX 256
#define HTTP_AUTH_CHALLENGE_MAX 2048

/* Tokens may be at most 8 KiB; longer ones are refused unread. */
#define HTTP_AUTH_TOKEN_MAX 8192

/* Leeway for exp and nbf, for clocks that disagree a little. */
#define HTTP_AUTH_SKEW_S 60
/* The least time between two refreshes of fetched keys. */
#define HTTP_AUTH_REFRESH_MS (60 * 1000)

struct http_auth_config {
	/* --http-token-file: bearer tokens, one a line; '#' starts a comment line. NULL: none. */
	const char *token_file;
	/* --oauth-issuer: the issuer's URL, as its tokens' "iss" spell it. NULL: no OAuth. */
	const char *issuer;
	/* --oauth-jwks: the issuer's key set (a JWKS file). NULL: discover and fetch it. */
	const char *jwks_file;
	/* This server's resource URL (e.g. http://127.0.0.1:8080/mcp), which tokens' "aud"
	 * must name. Needed with an issuer. */
	const char *resource;
	/* --oauth-scopes "a b": scopes every token must carry. NULL or "": none. */
	const char *scopes;
	/* Where key refreshes run (uv_queue_work). NULL: fetched keys are never refreshed. */
	uv_loop_t *loop;
};

struct http_auth;

/*
 * Reads the token file and the key set (fetching it, blocking, from the issuer when no
 * jwks_file is given: https only, but http to a loopback host). Every token read is handed
 * to redact_add(). Returns 0 and *out, or -errno with err: -ENOENT and the like for a file
 * that cannot be read, -EINVAL for a file without a token, a bad URL, scope or key set,
 * -EIO and the like when the keys cannot be fetched.
 */
int http_auth_new(const struct http_auth_config *cfg, struct http_auth **out, char *err,
                  size_t err_size);

/* Safe while a refresh is in flight: the refresh frees it when it ends (the loop must run). */
void http_auth_free(struct http_auth *a);

/* Whether requests need a token at all: a token file or an issuer was given. */
bool http_auth_required(const struct http_auth *a);

enum http_auth_verdict {
	HTTP_AUTH_OK,
	HTTP_AUTH_UNAUTHORIZED, /* 401 */
	HTTP_AUTH_FORBIDDEN,    /* 403, insufficient_scope */
};

/*
 * Checks authorization, the Authorization header's value (NULL when absent), which must be
 * "Bearer <token>" (the scheme in any case). A token equal to a static token is OK (compared
 * in constant time); otherwise, with OAuth, a compact JWS signed RS256 or ES256 by a key of
 * the issuer, with "iss" the issuer, "aud" naming the resource, "exp" (and "nbf" if there)
 * holding now give or take HTTP_AUTH_SKEW_S, and a "sub". Required scopes are looked for in
 * "scope" (a space-separated string) or "scp" (an array); one missing is FORBIDDEN.
 * A token naming a key id we do not know is refused now, and starts a refresh of fetched
 * keys (one at a time, at most once per HTTP_AUTH_REFRESH_MS) so the issuer's new keys work
 * from then on.
 *
 * On OK, subject gets who the caller is: the JWT's "sub", or for a static token
 * "token:<16 hex>", a stable name from a hash of the token that does not reveal it.
 * Without any authentication configured every request is OK, with an empty subject.
 *
 * Otherwise challenge gets the WWW-Authenticate value to send:
 *   static tokens only: `Bearer`, or `Bearer error="invalid_token"` when a token was given;
 *   with OAuth: `Bearer resource_metadata="<url>"` and `, scope="<scopes>"` when scopes are
 *   required, and for a token that fails `, error="invalid_token", error_description="..."`;
 *   403: `Bearer error="insufficient_scope", scope="<scopes>", resource_metadata="<url>"`.
 * why gets a short reason for the server's log, never the token. Buffers are NUL-terminated
 * when their size is not 0; see the _MAX sizes above.
 */
enum http_auth_verdict http_auth_check(struct http_auth *a, const char *authorization,
                                       char *subject, size_t subject_size, char *challenge,
                                       size_t challenge_size, char *why, size_t why_size);

/*
 * RFC 9728 Protected Resource Metadata, served at http_auth_metadata_url():
 * {"resource", "authorization_servers": [issuer], "scopes_supported" (when scopes are
 * required), "bearer_methods_supported": ["header"]}. New reference; NULL without OAuth.
 */
json_t *http_auth_resource_metadata(const struct http_auth *a);

/*
 * Where that document is, as named in challenges: the resource's origin, then
 * "/.well-known/oauth-protected-resource", then its path (http://h:p/mcp gives
 * http://h:p/.well-known/oauth-protected-resource/mcp). NULL without OAuth.
 */
const char *http_auth_metadata_url(const struct http_auth *a);

#endif
