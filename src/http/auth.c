#include "http/auth.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jose/jose.h>
#include <sodium.h>

#include "http/jwks.h"
#include "util/log.h"
#include "util/redact.h"

enum {
	HASH_LEN = crypto_generichash_BYTES, /* what static tokens are compared as */
	SUBJECT_HASH_LEN = 8,                /* of which "token:<16 hex>" shows this much */
	URL_MAX = 512,                       /* resource and scopes: so challenges fit */
	SCOPES_MAX = 512,
};

_Static_assert(HTTP_AUTH_CHALLENGE_MAX > 2 * URL_MAX + SCOPES_MAX + 200, "challenges fit");

struct refresh {
	uv_work_t work;
	struct http_auth *auth;
	char *issuer;
	json_t *keys; /* what the worker fetched, handed over on the loop thread */
	int rc;
	char err[512];
};

struct http_auth {
	unsigned char (*tokens)[HASH_LEN]; /* hashes of the static tokens, never the tokens */
	size_t n_tokens;
	char *issuer, *resource, *metadata_url;
	char *scopes;       /* required scopes, one space between, or NULL */
	json_t *scope_list; /* the same as an array, or NULL */
	json_t *keys;       /* the issuer's public JWKs; touched on the loop thread only */
	bool fetched;       /* keys came from the issuer, so may be fetched again */
	bool curl_ready;
	uv_loop_t *loop;
	struct refresh *refresh; /* in flight, or NULL */
	bool refreshed, dying;
	uint64_t last_refresh; /* uv_now() when the last one started */
};

/* --- small text helpers --- */

static void set_str(char *buf, size_t size, const char *s)
{
	if (size > 0)
		snprintf(buf, size, "%s", s);
}

static void __attribute__((format(printf, 3, 4)))
append(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = size > 0 ? strlen(buf) : 0;
	va_list ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

static bool is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 6750 section 2.1's b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool is_b64token(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (is_alnum(s[i]) || (s[i] && strchr("-._~+/", s[i]))))
		i++;
	if (i == 0)
		return false;
	while (i < n && s[i] == '=')
		i++;
	return i == n;
}

static bool is_b64url(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return n > 0;
}

/* Whether a word of the space-separated list is word. */
static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		size_t k = strcspn(p, " ");

		if (k == n && memcmp(p, word, n) == 0)
			return true;
		p += k;
		p += strspn(p, " ");
	}
	return false;
}

/* --- static tokens --- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int add_token(struct http_auth *a, const char *tok, size_t len, char *err, size_t err_size)
{
	unsigned char(*grown)[HASH_LEN] = realloc(a->tokens, (a->n_tokens + 1) * sizeof *grown);

	if (!grown) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	a->tokens = grown;
	crypto_generichash(a->tokens[a->n_tokens++], HASH_LEN, (const unsigned char *)tok, len,
	                   NULL, 0);
	redact_add(tok);
	return 0;
}

/* One line of the token file: blank or a comment is skipped, else it is a token. */
static int token_line(struct http_auth *a, const char *path, size_t lineno, char *s, size_t len,
                      char *err, size_t err_size)
{
	while (len > 0 && is_blank(s[len - 1]))
		len--;
	while (len > 0 && is_blank(*s)) {
		s++;
		len--;
	}
	s[len] = '\0';
	if (len == 0 || s[0] == '#')
		return 0;
	if (!is_b64token(s, len)) {
		snprintf(err, err_size,
		         "%s line %zu: not a bearer token (letters, digits, -._~+/ then any '=')",
		         path, lineno);
		return -EINVAL;
	}
	if (len < 16)
		log_warn("%s line %zu: a token of %zu characters is easy to guess", path, lineno,
		         len);
	return add_token(a, s, len, err, err_size);
}

static int load_tokens(struct http_auth *a, const char *path, char *err, size_t err_size)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t got;
	int rc = 0;

	if (!f) {
		rc = -errno;
		snprintf(err, err_size, "cannot read the token file %s: %s", path, strerror(-rc));
		return rc;
	}
	while (rc == 0 && (got = getline(&line, &cap, f)) >= 0)
		rc = token_line(a, path, ++lineno, line, (size_t)got, err, err_size);
	if (rc == 0 && ferror(f)) {
		rc = -EIO;
		snprintf(err, err_size, "cannot read the token file %s", path);
	}
	if (line)
		sodium_memzero(line, cap);
	free(line);
	fclose(f);
	if (rc == 0 && a->n_tokens == 0) {
		snprintf(err, err_size, "no token in the token file %s", path);
		rc = -EINVAL;
	}
	return rc;
}

/* Compared as hashes, so neither where they differ nor how long ours are shows in the time. */
static bool static_match(const struct http_auth *a, const unsigned char hash[HASH_LEN])
{
	int hit = 0;

	for (size_t i = 0; i < a->n_tokens; i++)
		hit |= sodium_memcmp(hash, a->tokens[i], HASH_LEN) == 0;
	return hit;
}

static void token_subject(const unsigned char hash[HASH_LEN], char *subject, size_t size)
{
	char hex[2 * SUBJECT_HASH_LEN + 1];

	sodium_bin2hex(hex, sizeof hex, hash, SUBJECT_HASH_LEN);
	if (size > 0)
		snprintf(subject, size, "token:%s", hex);
}

/* --- configuration --- */

/* What may stand inside a quoted-string in a challenge, unescaped: no '"', '\\' or controls. */
static bool quotable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* RFC 6749 section 3.3: a scope token is %x21 / %x23-5B / %x5D-7E. */
static bool is_scope_token(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return *s && quotable(s) && strlen(s) <= SCOPES_MAX;
}

/* Scopes are separated by spaces (or tabs); the same one twice counts once. */
static int parse_scopes(struct http_auth *a, const char *spec, char *err, size_t err_size)
{
	char *copy = spec ? strdup(spec) : NULL, *save = NULL, *tok;
	int rc = 0;

	if (!spec)
		return 0;
	if (!copy || !(a->scope_list = json_array())) {
		free(copy);
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, " \t", &save); tok && rc == 0;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (!is_scope_token(tok)) {
			snprintf(err, err_size, "scopes: '%s' is not a scope", tok);
			rc = -EINVAL;
		} else if (!jwks_has_string(a->scope_list, tok) &&
		           json_array_append_new(a->scope_list, json_string(tok)) < 0) {
			snprintf(err, err_size, "out of memory");
			rc = -ENOMEM;
		}
	}
	free(copy);
	if (rc == 0 && json_array_size(a->scope_list) == 0) {
		json_decref(a->scope_list);
		a->scope_list = NULL;
	}
	return rc;
}

static int join_scopes(struct http_auth *a, char *err, size_t err_size)
{
	size_t i, len = 0;
	json_t *v;

	if (!a->scope_list)
		return 0;
	json_array_foreach(a->scope_list, i, v)
	{
		len += json_string_length(v) + 1;
	}
	if (len > SCOPES_MAX) {
		snprintf(err, err_size, "scopes: more than %d characters", SCOPES_MAX);
		return -EINVAL;
	}
	if (!(a->scopes = calloc(1, len))) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	json_array_foreach(a->scope_list, i, v)
	{
		if (i > 0)
			strcat(a->scopes, " ");
		strcat(a->scopes, json_string_value(v));
	}
	return 0;
}

/* The resource must be an absolute http(s) URL without fragment (RFC 9728 section 1.2). */
static int set_resource(struct http_auth *a, const char *resource, char *err, size_t err_size)
{
	bool web =
	    strncasecmp(resource, "https://", 8) == 0 || strncasecmp(resource, "http://", 7) == 0;

	if (!web || strchr(resource, '#') || !quotable(resource) || strlen(resource) > URL_MAX) {
		snprintf(err, err_size,
		         "the resource URL must be http(s), at most %d characters, "
		         "without fragment, quotes or backslashes",
		         URL_MAX);
		return -EINVAL;
	}
	a->resource = strdup(resource);
	a->metadata_url = jwks_well_known_url(resource, "oauth-protected-resource");
	if (!a->resource || !a->metadata_url || !quotable(a->metadata_url)) {
		snprintf(err, err_size, "the resource URL %s is not a URL", resource);
		return a->resource ? -EINVAL : -ENOMEM;
	}
	return 0;
}

static int load_keys(struct http_auth *a, const char *jwks_file, char *err, size_t err_size)
{
	char why[512];
	int rc;

	if (jwks_file)
		return jwks_load_file(jwks_file, &a->keys, err, err_size);
	/* curl's global setup is not for threads to race over: done here, before any refresh. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, err_size, "cannot initialize libcurl");
		return -EIO;
	}
	a->curl_ready = true;
	a->fetched = true;
	rc = jwks_fetch(a->issuer, &a->keys, why, sizeof why);
	if (rc < 0)
		snprintf(err, err_size, "the issuer's keys: %s", why);
	return rc;
}

static int setup_oauth(struct http_auth *a, const struct http_auth_config *cfg, char *err,
                       size_t err_size)
{
	int rc;

	if (!*cfg->issuer || !cfg->resource) {
		snprintf(err, err_size, "an OAuth issuer needs a non-empty URL and a resource URL");
		return -EINVAL;
	}
	if (!(a->issuer = strdup(cfg->issuer))) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	rc = set_resource(a, cfg->resource, err, err_size);
	if (rc == 0)
		rc = parse_scopes(a, cfg->scopes, err, err_size);
	if (rc == 0)
		rc = join_scopes(a, err, err_size);
	if (rc == 0)
		rc = load_keys(a, cfg->jwks_file, err, err_size);
	return rc;
}

static void destroy(struct http_auth *a)
{
	if (a->tokens)
		sodium_memzero(a->tokens, a->n_tokens * sizeof *a->tokens);
	free(a->tokens);
	free(a->issuer);
	free(a->resource);
	free(a->metadata_url);
	free(a->scopes);
	json_decref(a->scope_list);
	json_decref(a->keys);
	if (a->curl_ready)
		curl_global_cleanup();
	free(a);
}

int http_auth_new(const struct http_auth_config *cfg, struct http_auth **out, char *err,
                  size_t err_size)
{
	struct http_auth *a;
	int rc = 0;

	*out = NULL;
	if (!cfg->issuer && (cfg->jwks_file || (cfg->scopes && *cfg->scopes))) {
		snprintf(err, err_size, "OAuth keys or scopes without an OAuth issuer");
		return -EINVAL;
	}
	if (sodium_init() < 0) {
		snprintf(err, err_size, "cannot initialize libsodium");
		return -EIO;
	}
	if (!(a = calloc(1, sizeof *a))) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	a->loop = cfg->loop;
	if (cfg->token_file)
		rc = load_tokens(a, cfg->token_file, err, err_size);
	if (rc == 0 && cfg->issuer)
		rc = setup_oauth(a, cfg, err, err_size);
	if (rc < 0) {
		destroy(a);
		return rc;
	}
	*out = a;
	return 0;
}

void http_auth_free(struct http_auth *a)
{
	if (!a)
		return;
	if (a->refresh) {
		a->dying = true; /* the refresh's after-work frees it */
		return;
	}
	destroy(a);
}

bool http_auth_required(const struct http_auth *a)
{
	return a && (a->n_tokens > 0 || a->issuer);
}

/* --- refreshing fetched keys --- */

/* On the thread pool: touches only the refresh, never the http_auth. */
static void refresh_work(uv_work_t *w)
{
	struct refresh *r = w->data;

	r->rc = jwks_fetch(r->issuer, &r->keys, r->err, sizeof r->err);
}

static void refresh_done(uv_work_t *w, int status)
{
	struct refresh *r = w->data;
	struct http_auth *a = r->auth;

	a->refresh = NULL;
	if (a->dying) {
		destroy(a);
	} else if (status == 0 && r->rc == 0) {
		json_decref(a->keys);
		a->keys = r->keys;
		r->keys = NULL;
		log_info("OAuth: fetched the issuer's keys again (%zu)", json_array_size(a->keys));
	} else {
		log_warn("OAuth: cannot fetch the issuer's keys again: %s",
		         status < 0 ? uv_strerror(status) : r->err);
	}
	json_decref(r->keys);
	free(r->issuer);
	free(r);
}

/* A token named a key we lack: maybe the issuer rotated its keys. */
static void start_refresh(struct http_auth *a)
{
	struct refresh *r;
	uint64_t now;

	if (!a->fetched || !a->loop || a->refresh)
		return;
	now = uv_now(a->loop);
	if (a->refreshed && now - a->last_refresh < HTTP_AUTH_REFRESH_MS)
		return;
	r = calloc(1, sizeof *r);
	if (r && (r->issuer = strdup(a->issuer))) {
		r->auth = a;
		r->work.data = r;
		if (uv_queue_work(a->loop, &r->work, refresh_work, refresh_done) == 0) {
			a->refresh = r;
			a->refreshed = true;
			a->last_refresh = now;
			return;
		}
	}
	log_warn("OAuth: cannot start fetching the issuer's keys again");
	if (r)
		free(r->issuer);
	free(r);
}

/* --- JWTs --- */

struct jwt {
	const char *seg[3]; /* header, payload, signature: base64url, not NUL-terminated */
	size_t len[3];
};

static bool split_jwt(const char *tok, size_t len, struct jwt *j)
{
	const char *p = tok, *end = tok + len;

	for (int i = 0; i < 3; i++) {
		const char *dot = memchr(p, '.', (size_t)(end - p));

		if ((i < 2) != (dot != NULL))
			return false;
		j->seg[i] = p;
		j->len[i] = (size_t)((dot ? dot : end) - p);
		if (!is_b64url(p, j->len[i]))
			return false;
		p = dot ? dot + 1 : end;
	}
	return true;
}

/* A base64url segment holding a JSON object: new reference, or NULL. */
static json_t *decode_object(const char *seg, size_t len)
{
	json_t *s = json_stringn(seg, len), *v = s ? jose_b64_dec_load(s) : NULL;

	json_decref(s);
	if (!json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* libjose checks the key's "alg" against the header's only in one direction: check here. */
static bool key_fits(const json_t *jwk, const char *alg)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *kalg = json_string_value(json_object_get(jwk, "alg"));

	if (!kty || (kalg && strcmp(kalg, alg) != 0))
		return false;
	return strcmp(alg, "RS256") == 0 ? strcmp(kty, "RSA") == 0 : strcmp(kty, "EC") == 0;
}

/* 0 when a key named by kid (any key without) verifies; -ENOKEY, -EINVAL or -EBADMSG. */
static int verify_signature(const struct http_auth *a, const struct jwt *j, const char *alg,
                            const char *kid)
{
	json_t *jws = json_pack("{s:s%, s:s%, s:s%}", "protected", j->seg[0], j->len[0], "payload",
	                        j->seg[1], j->len[1], "signature", j->seg[2], j->len[2]);
	bool named = false, fits = false, good = false;
	const json_t *key;
	size_t i;

	json_array_foreach(a->keys, i, key)
	{
		const char *key_kid = json_string_value(json_object_get(key, "kid"));

		if (kid && (!key_kid || strcmp(kid, key_kid) != 0))
			continue;
		named = true;
		if (good || !key_fits(key, alg))
			continue;
		fits = true;
		good = jws && jose_jws_ver(NULL, jws, NULL, key, false);
	}
	json_decref(jws);
	if (good)
		return 0;
	return !named ? -ENOKEY : !fits ? -EINVAL : -EBADMSG;
}

static bool names_audience(const json_t *aud, const char *resource)
{
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), resource) == 0;
	return json_is_array(aud) && jwks_has_string(aud, resource);
}

/* What is wrong with the claims, or NULL. */
static const char *claims_problem(const struct http_auth *a, const json_t *claims)
{
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	const json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
	double now = (double)time(NULL);

	if (!iss || strcmp(iss, a->issuer) != 0)
		return "wrong issuer";
	if (!names_audience(json_object_get(claims, "aud"), a->resource))
		return "wrong audience";
	if (!json_is_number(exp))
		return "no expiry";
	if (now >= json_number_value(exp) + HTTP_AUTH_SKEW_S)
		return "expired";
	if (nbf && (!json_is_number(nbf) || json_number_value(nbf) - HTTP_AUTH_SKEW_S > now))
		return "not yet valid";
	if (!sub || !*sub)
		return "no subject";
	if (strlen(sub) >= HTTP_AUTH_SUBJECT_MAX || !quotable(sub))
		return "unusable subject";
	return NULL;
}

static bool has_scope(const json_t *claims, const char *want)
{
	const char *scope = json_string_value(json_object_get(claims, "scope"));
	const json_t *scp = json_object_get(claims, "scp");

	if (scope && word_in(scope, want))
		return true;
	if (json_is_string(scp))
		return word_in(json_string_value(scp), want);
	return json_is_array(scp) && jwks_has_string(scp, want);
}

static bool scopes_held(const struct http_auth *a, const json_t *claims)
{
	size_t i;
	const json_t *v;

	json_array_foreach(a->scope_list, i, v)
	{
		if (!has_scope(claims, json_string_value(v)))
			return false;
	}
	return true;
}

/* The header says how it is signed; only RS256 and ES256, and no extension we would miss. */
static const char *header_problem(const json_t *hdr, const char **alg, const char **kid)
{
	if (!hdr || json_unpack((json_t *)hdr, "{s:s, s?s}", "alg", alg, "kid", kid) < 0)
		return "malformed token";
	if (strcmp(*alg, "RS256") != 0 && strcmp(*alg, "ES256") != 0)
		return "unsupported algorithm";
	if (json_object_get(hdr, "crit"))
		return "unsupported critical header";
	return NULL;
}

static const char *signature_problem(struct http_auth *a, const struct jwt *j, const char *alg,
                                     const char *kid)
{
	switch (verify_signature(a, j, alg, kid)) {
	case 0:
		return NULL;
	case -ENOKEY:
		start_refresh(a);
		return "unknown signing key";
	case -EINVAL:
		return "algorithm does not match the key";
	default:
		return "bad signature";
	}
}

static enum http_auth_verdict check_jwt(struct http_auth *a, const char *tok, size_t len,
                                        char *subject, size_t subject_size, const char **reason)
{
	const char *alg = NULL, *kid = NULL;
	json_t *hdr = NULL, *claims = NULL;
	enum http_auth_verdict v = HTTP_AUTH_UNAUTHORIZED;
	struct jwt j;

	if (!split_jwt(tok, len, &j)) {
		*reason = "unknown token";
		return v;
	}
	hdr = decode_object(j.seg[0], j.len[0]);
	if (!(*reason = header_problem(hdr, &alg, &kid)) &&
	    !(*reason = signature_problem(a, &j, alg, kid))) {
		claims = decode_object(j.seg[1], j.len[1]);
		*reason = claims ? claims_problem(a, claims) : "malformed claims";
	}
	if (!*reason && !scopes_held(a, claims)) {
		*reason = "insufficient scope";
		v = HTTP_AUTH_FORBIDDEN;
	} else if (!*reason) {
		set_str(subject, subject_size, json_string_value(json_object_get(claims, "sub")));
		v = HTTP_AUTH_OK;
	}
	json_decref(hdr);
	json_decref(claims);
	return v;
}

/* --- checking a request --- */

/* "Bearer <token>": 0, -ENOENT when there is no Bearer credential, -EINVAL when malformed. */
static int bearer_token(const char *h, const char **tok, size_t *len)
{
	size_t n;

	if (!h)
		return -ENOENT;
	h += strspn(h, " \t");
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != '\0' && h[6] != ' '))
		return -ENOENT;
	h += 6;
	h += strspn(h, " ");
	n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (n == 0 || n > HTTP_AUTH_TOKEN_MAX || !is_b64token(h, n))
		return -EINVAL;
	*tok = h;
	*len = n;
	return 0;
}

/* reason: NULL when no token came (RFC 6750 section 3.1: then no error code). */
static void challenge_401(const struct http_auth *a, const char *reason, char *out, size_t size)
{
	if (!a->issuer) {
		set_str(out, size, reason ? "Bearer error=\"invalid_token\"" : "Bearer");
		return;
	}
	set_str(out, size, "");
	append(out, size, "Bearer resource_metadata=\"%s\"", a->metadata_url);
	if (a->scopes)
		append(out, size, ", scope=\"%s\"", a->scopes);
	if (reason)
		append(out, size, ", error=\"invalid_token\", error_description=\"%s\"", reason);
}

static void challenge_403(const struct http_auth *a, char *out, size_t size)
{
	set_str(out, size, "");
	append(out, size,
	       "Bearer error=\"insufficient_scope\", scope=\"%s\", resource_metadata=\"%s\"",
	       a->scopes ? a->scopes : "", a->metadata_url);
}

enum http_auth_verdict http_auth_check(struct http_auth *a, const char *authorization,
                                       char *subject, size_t subject_size, char *challenge,
                                       size_t challenge_size, char *why, size_t why_size)
{
	unsigned char hash[HASH_LEN];
	const char *tok = NULL, *reason = "unknown token";
	enum http_auth_verdict v = HTTP_AUTH_UNAUTHORIZED;
	size_t len = 0;
	int rc;

	set_str(subject, subject_size, "");
	set_str(challenge, challenge_size, "");
	set_str(why, why_size, "");
	if (!http_auth_required(a))
		return HTTP_AUTH_OK;
	rc = bearer_token(authorization, &tok, &len);
	if (rc == -ENOENT) {
		set_str(why, why_size,
		        authorization ? "not a Bearer credential" : "no Authorization header");
		challenge_401(a, NULL, challenge, challenge_size);
		return v;
	}
	if (rc == 0) {
		crypto_generichash(hash, HASH_LEN, (const unsigned char *)tok, len, NULL, 0);
		if (static_match(a, hash)) {
			token_subject(hash, subject, subject_size);
			return HTTP_AUTH_OK;
		}
		if (a->issuer)
			v = check_jwt(a, tok, len, subject, subject_size, &reason);
	} else {
		reason = "malformed token";
	}
	if (v == HTTP_AUTH_OK)
		return v;
	if (why_size > 0)
		snprintf(why, why_size, "bearer token refused: %s", reason);
	if (v == HTTP_AUTH_FORBIDDEN)
		challenge_403(a, challenge, challenge_size);
	else
		challenge_401(a, reason, challenge, challenge_size);
	return v;
}

/* --- RFC 9728 metadata --- */

json_t *http_auth_resource_metadata(const struct http_auth *a)
{
	json_t *m;

	if (!a || !a->issuer)
		return NULL;
	m = json_pack("{s:s, s:[s], s:[s]}", "resource", a->resource, "authorization_servers",
	              a->issuer, "bearer_methods_supported", "header");
	if (m && a->scope_list &&
	    json_object_set_new(m, "scopes_supported", json_deep_copy(a->scope_list)) < 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

const char *http_auth_metadata_url(const struct http_auth *a)
{
	return a && a->issuer ? a->metadata_url : NULL;
}
