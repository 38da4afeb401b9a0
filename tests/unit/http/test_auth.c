#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <time.h>

#include <jose/jose.h>
#include <jose/openssl.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <uv.h>

#include "http/auth.h"
#include "http/jwks.h"
#include "util/redact.h"

#define ISSUER "https://issuer.example"
#define RESOURCE "http://127.0.0.1:8080/mcp"
#define METADATA_URL "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"
#define TOKEN_A "tok-aaaaaaaaaaaaaaaaaaaaaaaa"
#define TOKEN_B "second-token-bbbbbbbbbbbbbbbb"

/* Made once: three private JWKs (from keys the openssl tool generates), and files. */
static struct {
	char *dir;
	json_t *rsa, *rsa2, *ec; /* kids "rsa-1", "rsa-2", "ec-1" */
	char *tokens;            /* a token file holding TOKEN_A and TOKEN_B */
	char *jwks;              /* a JWKS file with rsa-1 and ec-1, public only */
} K;

struct res {
	enum http_auth_verdict v;
	char subject[HTTP_AUTH_SUBJECT_MAX], challenge[HTTP_AUTH_CHALLENGE_MAX], why[256];
};

/* --- keys and tokens --- */

static char *path_in(const char *dir, const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", dir, name) >= 0);
	return p;
}

static json_t *openssl_key(const char *name, const char *args, const char *kid)
{
	char *pem = path_in(K.dir, name), *cmd = NULL;
	EVP_PKEY *pk;
	json_t *jwk;
	FILE *f;

	assert_true(asprintf(&cmd, "openssl genpkey %s -out '%s' 2>/dev/null", args, pem) >= 0);
	assert_int_equal(system(cmd), 0);
	f = fopen(pem, "r");
	assert_non_null(f);
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(pk);
	jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, pk);
	assert_non_null(jwk);
	assert_int_equal(json_object_set_new(jwk, "kid", json_string(kid)), 0);
	EVP_PKEY_free(pk);
	free(cmd);
	free(pem);
	return jwk;
}

static json_t *public_of(const json_t *jwk)
{
	json_t *pub = json_deep_copy(jwk);

	assert_true(jose_jwk_pub(NULL, pub));
	return pub;
}

/* {"keys": [...]} of the public halves of the keys given, up to a NULL. */
static json_t *jwks_of(const json_t *first, ...)
{
	json_t *keys = json_array();
	va_list ap;

	va_start(ap, first);
	for (const json_t *k = first; k; k = va_arg(ap, const json_t *))
		json_array_append_new(keys, public_of(k));
	va_end(ap);
	return json_pack("{s:o}", "keys", keys);
}

static char *b64_of(const char *text)
{
	json_t *b = jose_b64_enc(text, strlen(text));
	char *out = strdup(json_string_value(b));

	json_decref(b);
	return out;
}

/* A compact JWS of claims (stolen), signed with jwk; header alg, and kid unless NULL. */
static char *sign(const json_t *jwk, const char *alg, const char *kid, json_t *claims)
{
	json_t *jws = json_pack("{s:o}", "payload", jose_b64_enc_dump(claims));
	json_t *sig = json_pack("{s:{s:s, s:s}}", "protected", "alg", alg, "typ", "JWT");
	const char *prot, *pay, *s;
	char *out = NULL;

	if (kid)
		json_object_set_new(json_object_get(sig, "protected"), "kid", json_string(kid));
	assert_true(jose_jws_sig(NULL, jws, sig, jwk));
	assert_int_equal(json_unpack(jws, "{s:s, s:s, s:s}", "protected", &prot, "payload", &pay,
	                             "signature", &s),
	                 0);
	assert_true(asprintf(&out, "%s.%s.%s", prot, pay, s) >= 0);
	json_decref(jws);
	json_decref(sig);
	json_decref(claims);
	return out;
}

/* Good claims for issuer, expiring in an hour; tests change what they test. */
static json_t *claims_for(const char *issuer)
{
	json_int_t now = (json_int_t)time(NULL);

	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", issuer, "sub", "alice", "aud",
	                 RESOURCE, "iat", now, "exp", now + 3600, "scope", "mcp:tools other");
}

static json_t *claims(void)
{
	return claims_for(ISSUER);
}

static json_t *with(json_t *c, const char *key, json_t *value)
{
	json_object_set_new(c, key, value);
	return c;
}

static json_t *without(json_t *c, const char *key)
{
	json_object_del(c, key);
	return c;
}

static int make_keys(void **state)
{
	const char *text = "# who may call\n\n   \n  " TOKEN_A "  \r\n" TOKEN_B "\n# the end\n";
	json_t *set;

	(void)state;
	K.dir = unit_mkdtemp();
	assert_non_null(K.dir);
	K.rsa = openssl_key("rsa.pem", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "rsa-1");
	K.rsa2 = openssl_key("rsa2.pem", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "rsa-2");
	K.ec = openssl_key("ec.pem", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "ec-1");
	K.tokens = path_in(K.dir, "tokens");
	assert_int_equal(unit_write_file(K.tokens, text, strlen(text)), 0);
	K.jwks = path_in(K.dir, "jwks.json");
	set = jwks_of(K.rsa, K.ec, NULL);
	assert_int_equal(json_dump_file(set, K.jwks, 0), 0);
	json_decref(set);
	return 0;
}

static int drop_keys(void **state)
{
	(void)state;
	json_decref(K.rsa);
	json_decref(K.rsa2);
	json_decref(K.ec);
	unit_rm_rf(K.dir);
	free(K.dir);
	free(K.tokens);
	free(K.jwks);
	redact_clear();
	return 0;
}

/* --- helpers --- */

static struct http_auth *auth_new(const char *tokens, const char *jwks, const char *scopes)
{
	struct http_auth_config cfg = {.token_file = tokens,
	                               .issuer = jwks ? ISSUER : NULL,
	                               .jwks_file = jwks,
	                               .resource = jwks ? RESOURCE : NULL,
	                               .scopes = scopes};
	struct http_auth *a = NULL;
	char err[512] = "";
	int rc = http_auth_new(&cfg, &a, err, sizeof err);

	if (rc != 0)
		fail_msg("http_auth_new: %s", err);
	return a;
}

static enum http_auth_verdict check(struct http_auth *a, const char *header, struct res *r)
{
	r->v = http_auth_check(a, header, r->subject, sizeof r->subject, r->challenge,
	                       sizeof r->challenge, r->why, sizeof r->why);
	return r->v;
}

/* Checks "Bearer <token>", and that the token shows nowhere in what comes back. */
static enum http_auth_verdict check_token(struct http_auth *a, const char *token, struct res *r)
{
	char *header = NULL;

	assert_true(asprintf(&header, "Bearer %s", token) >= 0);
	check(a, header, r);
	free(header);
	assert_null(strstr(r->why, token));
	assert_null(strstr(r->challenge, token));
	if (r->v != HTTP_AUTH_OK)
		assert_string_equal(r->subject, "");
	return r->v;
}

static void expect_refused(struct http_auth *a, char *token, const char *description)
{
	struct res r;
	char *want = NULL;

	assert_int_equal(check_token(a, token, &r), HTTP_AUTH_UNAUTHORIZED);
	assert_true(asprintf(&want,
	                     "Bearer resource_metadata=\"" METADATA_URL
	                     "\", error=\"invalid_token\", error_description=\"%s\"",
	                     description) >= 0);
	assert_string_equal(r.challenge, want);
	assert_non_null(strstr(r.why, description));
	free(want);
	free(token);
}

static void expect_subject(struct http_auth *a, char *token, const char *subject)
{
	struct res r;

	if (check_token(a, token, &r) != HTTP_AUTH_OK)
		fail_msg("refused: %s", r.why);
	assert_string_equal(r.subject, subject);
	assert_string_equal(r.challenge, "");
	free(token);
}

/* --- static tokens --- */

static void test_static_good(void **state)
{
	struct http_auth *a = auth_new(K.tokens, NULL, NULL), *again;
	struct res r1, r2, r3;

	(void)state;
	assert_true(http_auth_required(a));
	assert_null(http_auth_resource_metadata(a));
	assert_null(http_auth_metadata_url(a));
	assert_int_equal(check_token(a, TOKEN_A, &r1), HTTP_AUTH_OK);
	assert_int_equal(check_token(a, TOKEN_B, &r2), HTTP_AUTH_OK);
	assert_string_equal(r1.challenge, "");
	/* "token:" and 16 hex digits, not the token, the same on another start. */
	assert_int_equal(strlen(r1.subject), 6 + 16);
	assert_memory_equal(r1.subject, "token:", 6);
	assert_int_equal(strspn(r1.subject + 6, "0123456789abcdef"), 16);
	assert_string_not_equal(r1.subject, r2.subject);
	again = auth_new(K.tokens, NULL, NULL);
	assert_int_equal(check_token(again, TOKEN_A, &r3), HTTP_AUTH_OK);
	assert_string_equal(r1.subject, r3.subject);
	/* The scheme is case-insensitive. */
	assert_int_equal(check(a, "bearer " TOKEN_A, &r3), HTTP_AUTH_OK);
	assert_int_equal(check(a, "BEARER  " TOKEN_B, &r3), HTTP_AUTH_OK);
	http_auth_free(again);
	http_auth_free(a);
}

static void test_static_wrong(void **state)
{
	struct http_auth *a = auth_new(K.tokens, NULL, NULL);
	struct res r;

	(void)state;
	assert_int_equal(check_token(a, "tok-aaaaaaaaaaaaaaaaaaaaaaab", &r),
	                 HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge, "Bearer error=\"invalid_token\"");
	/* A prefix of a token, or a token and more, are other tokens. */
	assert_int_equal(check_token(a, "tok-aaaa", &r), HTTP_AUTH_UNAUTHORIZED);
	assert_int_equal(check_token(a, TOKEN_A "a", &r), HTTP_AUTH_UNAUTHORIZED);
	/* Not a token at all (RFC 6750's b64token): malformed. */
	assert_int_equal(check(a, "Bearer " TOKEN_A " x", &r), HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge, "Bearer error=\"invalid_token\"");
	assert_null(strstr(r.why, TOKEN_A));
	assert_int_equal(check(a, "Bearer", &r), HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge, "Bearer error=\"invalid_token\"");
	http_auth_free(a);
}

static void test_missing_header(void **state)
{
	struct http_auth *a = auth_new(K.tokens, NULL, NULL);
	struct res r;

	(void)state;
	assert_int_equal(check(a, NULL, &r), HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge, "Bearer");
	assert_string_equal(r.why, "no Authorization header");
	assert_string_equal(r.subject, "");
	http_auth_free(a);
}

static void test_wrong_scheme(void **state)
{
	struct http_auth *a = auth_new(K.tokens, NULL, NULL);
	struct res r;

	(void)state;
	assert_int_equal(check(a, "Basic dG9rLWFhYWE6", &r), HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge, "Bearer");
	assert_string_equal(r.why, "not a Bearer credential");
	assert_int_equal(check(a, TOKEN_A, &r), HTTP_AUTH_UNAUTHORIZED);
	assert_int_equal(check(a, "Bearer:" TOKEN_A, &r), HTTP_AUTH_UNAUTHORIZED);
	assert_int_equal(check(a, "Bearerx " TOKEN_A, &r), HTTP_AUTH_UNAUTHORIZED);
	assert_int_equal(check(a, "", &r), HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge, "Bearer");
	http_auth_free(a);
}

static void test_static_tokens_redacted(void **state)
{
	struct http_auth *a = auth_new(K.tokens, NULL, NULL);
	char *masked = redact("sent " TOKEN_A " and " TOKEN_B);

	(void)state;
	assert_string_equal(masked, "sent [redacted] and [redacted]");
	free(masked);
	http_auth_free(a);
}

static int new_with_tokens(const char *text, char *err, size_t err_size)
{
	char *path = path_in(K.dir, "bad-tokens");
	struct http_auth_config cfg = {.token_file = path};
	struct http_auth *a = NULL;
	int rc;

	assert_int_equal(unit_write_file(path, text, strlen(text)), 0);
	rc = http_auth_new(&cfg, &a, err, err_size);
	assert_true(rc == 0 ? a != NULL : a == NULL);
	http_auth_free(a);
	free(path);
	return rc;
}

static void test_token_file_errors(void **state)
{
	struct http_auth_config cfg = {.token_file = "/nonexistent/codex-mcp/tokens"};
	struct http_auth *a = NULL;
	char err[512];

	(void)state;
	assert_int_equal(http_auth_new(&cfg, &a, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/codex-mcp/tokens"));
	assert_int_equal(new_with_tokens("# only a comment\n\n  \n", err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "no token"));
	assert_int_equal(new_with_tokens("", err, sizeof err), -EINVAL);
	assert_int_equal(new_with_tokens("good-token-1234567\nbad token\n", err, sizeof err),
	                 -EINVAL);
	assert_non_null(strstr(err, "line 2"));
	assert_null(strstr(err, "bad token"));
	assert_int_equal(new_with_tokens("no-newline-at-the-end-1234", err, sizeof err), 0);
}

static void test_no_auth_configured(void **state)
{
	struct http_auth_config cfg = {0};
	struct http_auth *a = NULL;
	struct res r;
	char err[256];

	(void)state;
	assert_int_equal(http_auth_new(&cfg, &a, err, sizeof err), 0);
	assert_false(http_auth_required(a));
	assert_int_equal(check(a, NULL, &r), HTTP_AUTH_OK);
	assert_string_equal(r.subject, "");
	http_auth_free(a);
}

/* --- JWTs --- */

static void test_rs256_good(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);

	(void)state;
	assert_true(http_auth_required(a));
	expect_subject(a, sign(K.rsa, "RS256", "rsa-1", claims()), "alice");
	/* Without kid, each key of the kind is tried. */
	expect_subject(a, sign(K.rsa, "RS256", NULL, claims()), "alice");
	http_auth_free(a);
}

static void test_es256_good(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);

	(void)state;
	expect_subject(a, sign(K.ec, "ES256", "ec-1", claims()), "alice");
	expect_subject(a, sign(K.ec, "ES256", NULL, with(claims(), "sub", json_string("bob"))),
	               "bob");
	http_auth_free(a);
}

static void test_audience(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);
	json_t *several = json_pack("[s, s]", "https://other.example", RESOURCE);

	(void)state;
	expect_refused(a,
	               sign(K.rsa, "RS256", "rsa-1",
	                    with(claims(), "aud", json_string("http://127.0.0.1:8080/other"))),
	               "wrong audience");
	expect_refused(a, sign(K.rsa, "RS256", "rsa-1", without(claims(), "aud")),
	               "wrong audience");
	expect_refused(a,
	               sign(K.rsa, "RS256", "rsa-1",
	                    with(claims(), "aud", json_pack("[s]", "https://other.example"))),
	               "wrong audience");
	expect_subject(a, sign(K.rsa, "RS256", "rsa-1", with(claims(), "aud", several)), "alice");
	http_auth_free(a);
}

static void test_wrong_issuer(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);

	(void)state;
	expect_refused(a, sign(K.rsa, "RS256", "rsa-1", claims_for("https://evil.example")),
	               "wrong issuer");
	/* Exactly: not even a trailing slash more. */
	expect_refused(a, sign(K.rsa, "RS256", "rsa-1", claims_for(ISSUER "/")), "wrong issuer");
	expect_refused(a, sign(K.rsa, "RS256", "rsa-1", without(claims(), "iss")), "wrong issuer");
	http_auth_free(a);
}

static void test_expiry(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);
	json_int_t now = (json_int_t)time(NULL);

	(void)state;
	expect_refused(
	    a, sign(K.rsa, "RS256", "rsa-1", with(claims(), "exp", json_integer(now - 120))),
	    "expired");
	expect_refused(a, sign(K.rsa, "RS256", "rsa-1", without(claims(), "exp")), "no expiry");
	expect_refused(a,
	               sign(K.rsa, "RS256", "rsa-1", with(claims(), "exp", json_string("never"))),
	               "no expiry");
	/* Inside the 60 s leeway for clocks. */
	expect_subject(a,
	               sign(K.rsa, "RS256", "rsa-1", with(claims(), "exp", json_integer(now - 20))),
	               "alice");
	http_auth_free(a);
}

static void test_not_yet_valid(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);
	json_int_t now = (json_int_t)time(NULL);

	(void)state;
	expect_refused(
	    a, sign(K.rsa, "RS256", "rsa-1", with(claims(), "nbf", json_integer(now + 600))),
	    "not yet valid");
	expect_subject(a,
	               sign(K.rsa, "RS256", "rsa-1", with(claims(), "nbf", json_integer(now + 20))),
	               "alice");
	expect_subject(a,
	               sign(K.rsa, "RS256", "rsa-1", with(claims(), "nbf", json_integer(now - 20))),
	               "alice");
	http_auth_free(a);
}

static void test_subject_needed(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);

	(void)state;
	expect_refused(a, sign(K.rsa, "RS256", "rsa-1", without(claims(), "sub")), "no subject");
	expect_refused(a, sign(K.rsa, "RS256", "rsa-1", with(claims(), "sub", json_string(""))),
	               "no subject");
	expect_refused(a, sign(K.rsa, "RS256", "rsa-1", with(claims(), "sub", json_string("a\nb"))),
	               "unusable subject");
	http_auth_free(a);
}

/* Changes the character at offset i of the token's signature to another base64url one. */
static char *flip(char *token, size_t i)
{
	char *sig = strrchr(token, '.') + 1;

	assert_true(strlen(sig) > i);
	sig[i] = sig[i] == 'A' ? 'B' : 'A';
	return token;
}

static void test_bad_signature(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);
	char *token = sign(K.rsa, "RS256", "rsa-1", claims()), *dot;

	(void)state;
	expect_refused(a, flip(strdup(token), 10), "bad signature");
	expect_refused(a, flip(sign(K.ec, "ES256", "ec-1", claims()), 5), "bad signature");
	/* Another key's signature under our key's kid. */
	expect_refused(a, sign(K.rsa2, "RS256", "rsa-1", claims()), "bad signature");
	expect_refused(a, sign(K.rsa2, "RS256", NULL, claims()), "bad signature");
	/* The claims changed after signing. */
	dot = strchr(token, '.');
	dot[3] = dot[3] == 'A' ? 'B' : 'A';
	expect_refused(a, token, "bad signature");
	http_auth_free(a);
}

/* A token whose header is header and whose signature is sig, with good claims. */
static char *forge(const char *header, const char *sig)
{
	json_t *c = claims();
	char *h = b64_of(header), *p = json_dumps(c, JSON_COMPACT), *pb = b64_of(p), *out = NULL;

	assert_true(asprintf(&out, "%s.%s.%s", h, pb, sig) >= 0);
	free(h);
	free(p);
	free(pb);
	json_decref(c);
	return out;
}

static void test_alg_none(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);
	struct res r;
	char *token;

	(void)state;
	expect_refused(a, forge("{\"alg\":\"none\"}", "AAAA"), "unsupported algorithm");
	expect_refused(a, forge("{\"alg\":\"none\",\"kid\":\"rsa-1\"}", "AAAA"),
	               "unsupported algorithm");
	/* The unsigned form, with nothing after the last dot, is no JWS of ours at all. */
	token = forge("{\"alg\":\"none\"}", "");
	assert_int_equal(check_token(a, token, &r), HTTP_AUTH_UNAUTHORIZED);
	assert_non_null(strstr(r.challenge, "error=\"invalid_token\""));
	free(token);
	expect_refused(a, forge("{\"kid\":\"rsa-1\"}", "AAAA"), "malformed token");
	expect_refused(a, forge("not json", "AAAA"), "malformed token");
	http_auth_free(a);
}

static void test_hs256_rejected(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);
	json_t *oct = json_pack("{s:s}", "alg", "HS256");
	json_t *pub = public_of(K.rsa);
	char *n = json_dumps(pub, JSON_COMPACT);

	(void)state;
	assert_true(jose_jwk_gen(NULL, oct));
	expect_refused(a, sign(oct, "HS256", "rsa-1", claims()), "unsupported algorithm");
	json_decref(oct);
	/* The classic confusion: an HMAC keyed with the RSA public key's text. */
	oct = json_pack("{s:s, s:o}", "kty", "oct", "k", jose_b64_enc(n, strlen(n)));
	expect_refused(a, sign(oct, "HS256", "rsa-1", claims()), "unsupported algorithm");
	json_decref(oct);
	oct = json_pack("{s:s}", "alg", "ES384");
	assert_true(jose_jwk_gen(NULL, oct));
	expect_refused(a, sign(oct, "ES384", NULL, claims()), "unsupported algorithm");
	json_decref(oct);
	json_decref(pub);
	free(n);
	http_auth_free(a);
}

static void test_alg_must_match_key(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);

	(void)state;
	/* An ES256 signature claiming the RSA key's kid, and the other way round. */
	expect_refused(a, sign(K.ec, "ES256", "rsa-1", claims()),
	               "algorithm does not match the key");
	expect_refused(a, sign(K.rsa, "RS256", "ec-1", claims()),
	               "algorithm does not match the key");
	expect_refused(a, forge("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", "AAAA"),
	               "unsupported critical header");
	http_auth_free(a);
}

static void test_unknown_kid_without_refresh(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL);

	(void)state;
	/* Keys from a file are never fetched: the token is refused and nothing else happens. */
	expect_refused(a, sign(K.rsa2, "RS256", "rsa-2", claims()), "unknown signing key");
	http_auth_free(a);
}

static void test_scopes(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, "mcp:tools  mcp:admin");
	struct res r;
	char *token;

	(void)state;
	token = sign(K.rsa, "RS256", "rsa-1", claims());
	assert_int_equal(check_token(a, token, &r), HTTP_AUTH_FORBIDDEN);
	assert_string_equal(
	    r.challenge, "Bearer error=\"insufficient_scope\", "
	                 "scope=\"mcp:tools mcp:admin\", resource_metadata=\"" METADATA_URL "\"");
	assert_string_equal(r.subject, "");
	assert_non_null(strstr(r.why, "insufficient scope"));
	free(token);
	/* All of them in "scope", or in "scp" as an array or a string. */
	expect_subject(a,
	               sign(K.rsa, "RS256", "rsa-1",
	                    with(claims(), "scope", json_string("x mcp:admin  mcp:tools"))),
	               "alice");
	expect_subject(a,
	               sign(K.rsa, "RS256", "rsa-1",
	                    with(without(claims(), "scope"), "scp",
	                         json_pack("[s, s]", "mcp:admin", "mcp:tools"))),
	               "alice");
	expect_subject(
	    a,
	    sign(K.rsa, "RS256", "rsa-1",
	         with(without(claims(), "scope"), "scp", json_string("mcp:admin mcp:tools"))),
	    "alice");
	/* A scope is a whole word: "mcp:admins" is not "mcp:admin". */
	token = sign(K.rsa, "RS256", "rsa-1",
	             with(claims(), "scope", json_string("mcp:tools mcp:admins")));
	assert_int_equal(check_token(a, token, &r), HTTP_AUTH_FORBIDDEN);
	free(token);
	token = sign(K.rsa, "RS256", "rsa-1", without(claims(), "scope"));
	assert_int_equal(check_token(a, token, &r), HTTP_AUTH_FORBIDDEN);
	free(token);
	http_auth_free(a);
}

static void test_oauth_challenges(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL), *scoped;
	struct res r;

	(void)state;
	assert_string_equal(http_auth_metadata_url(a), METADATA_URL);
	assert_int_equal(check(a, NULL, &r), HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge, "Bearer resource_metadata=\"" METADATA_URL "\"");
	assert_int_equal(check(a, "Basic Zm9vOmJhcg==", &r), HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge, "Bearer resource_metadata=\"" METADATA_URL "\"");
	expect_refused(a, strdup("not-a-jwt-but-a-token"), "unknown token");
	scoped = auth_new(NULL, K.jwks, "mcp:tools");
	assert_int_equal(check(scoped, NULL, &r), HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge,
	                    "Bearer resource_metadata=\"" METADATA_URL "\", scope=\"mcp:tools\"");
	assert_int_equal(check(scoped, "Bearer a.b.c", &r), HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge, "Bearer resource_metadata=\"" METADATA_URL
	                                 "\", scope=\"mcp:tools\", error=\"invalid_token\", "
	                                 "error_description=\"malformed token\"");
	http_auth_free(scoped);
	http_auth_free(a);
}

static void test_metadata(void **state)
{
	struct http_auth *a = auth_new(NULL, K.jwks, NULL), *scoped;
	json_t *m = http_auth_resource_metadata(a), *want;

	(void)state;
	want = json_pack("{s:s, s:[s], s:[s]}", "resource", RESOURCE, "authorization_servers",
	                 ISSUER, "bearer_methods_supported", "header");
	assert_true(json_equal(m, want));
	json_decref(m);
	json_decref(want);
	scoped = auth_new(NULL, K.jwks, "b a b");
	m = http_auth_resource_metadata(scoped);
	want = json_pack("{s:s, s:[s], s:[s, s], s:[s]}", "resource", RESOURCE,
	                 "authorization_servers", ISSUER, "scopes_supported", "b", "a",
	                 "bearer_methods_supported", "header");
	assert_true(json_equal(m, want));
	json_decref(m);
	json_decref(want);
	http_auth_free(scoped);
	http_auth_free(a);
}

static void test_metadata_url_forms(void **state)
{
	char *u;

	(void)state;
	u = jwks_well_known_url("https://h.example/", "oauth-protected-resource");
	assert_string_equal(u, "https://h.example/.well-known/oauth-protected-resource");
	free(u);
	u = jwks_well_known_url("https://h.example:8443/a/mcp?x=1", "oauth-protected-resource");
	assert_string_equal(
	    u, "https://h.example:8443/.well-known/oauth-protected-resource/a/mcp?x=1");
	free(u);
	u = jwks_well_known_url("https://idp.example/realms/r", "oauth-authorization-server");
	assert_string_equal(u,
	                    "https://idp.example/.well-known/oauth-authorization-server/realms/r");
	free(u);
	assert_null(jwks_well_known_url("not a url", "x"));
}

static void test_static_and_oauth(void **state)
{
	struct http_auth *a = auth_new(K.tokens, K.jwks, "mcp:tools");
	struct res r;

	(void)state;
	assert_int_equal(check_token(a, TOKEN_A, &r), HTTP_AUTH_OK);
	assert_memory_equal(r.subject, "token:", 6);
	expect_subject(a, sign(K.ec, "ES256", "ec-1", claims()), "alice");
	assert_int_equal(check_token(a, "nothing-we-know-of-1234", &r), HTTP_AUTH_UNAUTHORIZED);
	assert_string_equal(r.challenge, "Bearer resource_metadata=\"" METADATA_URL
	                                 "\", scope=\"mcp:tools\", error=\"invalid_token\", "
	                                 "error_description=\"unknown token\"");
	http_auth_free(a);
}

static int new_oauth(const char *issuer, const char *jwks, const char *resource, const char *scopes,
                     char *err, size_t err_size)
{
	struct http_auth_config cfg = {
	    .issuer = issuer, .jwks_file = jwks, .resource = resource, .scopes = scopes};
	struct http_auth *a = NULL;
	int rc = http_auth_new(&cfg, &a, err, err_size);

	http_auth_free(a);
	return rc;
}

static void test_oauth_config_errors(void **state)
{
	char err[512], *weak = path_in(K.dir, "weak.json");
	json_t *oct = json_pack("{s:s}", "alg", "HS256"), *set;

	(void)state;
	assert_int_equal(new_oauth(ISSUER, K.jwks, NULL, NULL, err, sizeof err), -EINVAL);
	assert_int_equal(new_oauth(NULL, K.jwks, NULL, NULL, err, sizeof err), -EINVAL);
	assert_int_equal(new_oauth(NULL, NULL, NULL, "a", err, sizeof err), -EINVAL);
	assert_int_equal(new_oauth(ISSUER, K.jwks, "ftp://h/mcp", NULL, err, sizeof err), -EINVAL);
	assert_int_equal(new_oauth(ISSUER, K.jwks, RESOURCE "#f", NULL, err, sizeof err), -EINVAL);
	assert_int_equal(new_oauth(ISSUER, K.jwks, RESOURCE, "a \"b\"", err, sizeof err), -EINVAL);
	assert_int_equal(new_oauth(ISSUER, "/nonexistent/jwks", RESOURCE, NULL, err, sizeof err),
	                 -ENOENT);
	/* A key set with only a symmetric key has nothing we verify with. */
	assert_true(jose_jwk_gen(NULL, oct));
	set = json_pack("{s:[o]}", "keys", oct);
	assert_int_equal(json_dump_file(set, weak, 0), 0);
	assert_int_equal(new_oauth(ISSUER, weak, RESOURCE, NULL, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "no usable key"));
	assert_int_equal(unit_write_file(weak, "{", 1), 0);
	assert_int_equal(new_oauth(ISSUER, weak, RESOURCE, NULL, err, sizeof err), -EINVAL);
	json_decref(set);
	free(weak);
}

static void test_url_allowed(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(jwks_url_allowed("https://idp.example/jwks", err, sizeof err), 0);
	assert_int_equal(jwks_url_allowed("http://127.0.0.1:9/jwks", err, sizeof err), 0);
	assert_int_equal(jwks_url_allowed("http://[::1]:9/jwks", err, sizeof err), 0);
	assert_int_equal(jwks_url_allowed("http://localhost/jwks", err, sizeof err), 0);
	assert_int_equal(jwks_url_allowed("http://idp.example/jwks", err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "only https"));
	assert_int_equal(jwks_url_allowed("http://127.0.0.1.idp.example/", err, sizeof err),
	                 -EINVAL);
	assert_int_equal(jwks_url_allowed("http://localhost.idp.example/", err, sizeof err),
	                 -EINVAL);
	assert_int_equal(jwks_url_allowed("ftp://127.0.0.1/jwks", err, sizeof err), -EINVAL);
	assert_int_equal(jwks_url_allowed("file:///etc/passwd", err, sizeof err), -EINVAL);
	assert_int_equal(jwks_url_allowed("nothing", err, sizeof err), -EINVAL);
}

/* --- fetching keys from a loopback issuer --- */

/* An issuer on 127.0.0.1 serving its metadata and keys; a NULL document is a 404. */
struct idp {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	char base[64];
	char *as_meta, *oidc_meta, *jwks;
	int as_hits, oidc_hits, jwks_hits;
};

static enum MHD_Result idp_serve(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
	struct idp *idp = cls;
	struct MHD_Response *resp;
	char *doc = NULL;
	enum MHD_Result ret;

	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	pthread_mutex_lock(&idp->lock);
	if (strcmp(url, "/.well-known/oauth-authorization-server") == 0) {
		idp->as_hits++;
		doc = idp->as_meta ? strdup(idp->as_meta) : NULL;
	} else if (strcmp(url, "/.well-known/openid-configuration") == 0) {
		idp->oidc_hits++;
		doc = idp->oidc_meta ? strdup(idp->oidc_meta) : NULL;
	} else if (strcmp(url, "/jwks") == 0) {
		idp->jwks_hits++;
		doc = idp->jwks ? strdup(idp->jwks) : NULL;
	}
	pthread_mutex_unlock(&idp->lock);
	resp = MHD_create_response_from_buffer(
	    doc ? strlen(doc) : 0, doc, doc ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, doc ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void idp_set(struct idp *idp, char **slot, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	pthread_mutex_lock(&idp->lock);
	free(*slot);
	*slot = text;
	pthread_mutex_unlock(&idp->lock);
	json_decref(doc);
}

static json_t *meta_for(const struct idp *idp, const char *issuer, const char *jwks_uri)
{
	char *uri = NULL;
	json_t *m;

	assert_true(asprintf(&uri, "%s/jwks", idp->base) >= 0);
	m = json_pack("{s:s, s:s}", "issuer", issuer, "jwks_uri", jwks_uri ? jwks_uri : uri);
	free(uri);
	return m;
}

static int idp_start(void **state)
{
	struct idp *idp = calloc(1, sizeof *idp);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
	const union MHD_DaemonInfo *info;

	assert_non_null(idp);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&idp->lock, NULL);
	idp->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
	                          NULL, idp_serve, idp, MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_END);
	assert_non_null(idp->d);
	info = MHD_get_daemon_info(idp->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	snprintf(idp->base, sizeof idp->base, "http://127.0.0.1:%u", (unsigned)info->port);
	idp_set(idp, &idp->as_meta, meta_for(idp, idp->base, NULL));
	idp_set(idp, &idp->jwks, jwks_of(K.rsa, NULL));
	*state = idp;
	return 0;
}

static int idp_stop(void **state)
{
	struct idp *idp = *state;

	MHD_stop_daemon(idp->d);
	pthread_mutex_destroy(&idp->lock);
	free(idp->as_meta);
	free(idp->oidc_meta);
	free(idp->jwks);
	free(idp);
	return 0;
}

static int fetched(struct idp *idp, uv_loop_t *loop, struct http_auth **a, char *err,
                   size_t err_size)
{
	struct http_auth_config cfg = {.issuer = idp->base, .resource = RESOURCE, .loop = loop};

	return http_auth_new(&cfg, a, err, err_size);
}

static char *idp_token(const struct idp *idp, const json_t *jwk, const char *alg, const char *kid)
{
	return sign(jwk, alg, kid, claims_for(idp->base));
}

static void test_fetch_rfc8414(void **state)
{
	struct idp *idp = *state;
	struct http_auth *a = NULL;
	struct res r;
	char err[512], *token;

	assert_int_equal(fetched(idp, NULL, &a, err, sizeof err), 0);
	assert_int_equal(idp->as_hits, 1);
	assert_int_equal(idp->oidc_hits, 0);
	assert_int_equal(idp->jwks_hits, 1);
	token = idp_token(idp, K.rsa, "RS256", "rsa-1");
	assert_int_equal(check_token(a, token, &r), HTTP_AUTH_OK);
	free(token);
	/* Without a loop, an unknown kid starts nothing. */
	token = idp_token(idp, K.ec, "ES256", "ec-1");
	assert_int_equal(check_token(a, token, &r), HTTP_AUTH_UNAUTHORIZED);
	free(token);
	assert_int_equal(idp->jwks_hits, 1);
	http_auth_free(a);
}

static void test_fetch_openid_fallback(void **state)
{
	struct idp *idp = *state;
	struct http_auth *a = NULL;
	struct res r;
	char err[512], *token;

	idp_set(idp, &idp->as_meta, NULL);
	idp_set(idp, &idp->oidc_meta, meta_for(idp, idp->base, NULL));
	assert_int_equal(fetched(idp, NULL, &a, err, sizeof err), 0);
	assert_int_equal(idp->as_hits, 1);
	assert_int_equal(idp->oidc_hits, 1);
	token = idp_token(idp, K.rsa, "RS256", "rsa-1");
	assert_int_equal(check_token(a, token, &r), HTTP_AUTH_OK);
	free(token);
	http_auth_free(a);
	/* Neither document: no keys, no server. */
	idp_set(idp, &idp->oidc_meta, NULL);
	assert_true(fetched(idp, NULL, &a, err, sizeof err) < 0);
	assert_null(a);
	assert_non_null(strstr(err, "HTTP status 404"));
}

static void test_fetch_refusals(void **state)
{
	struct idp *idp = *state;
	struct http_auth_config cfg = {.issuer = "http://idp.example", .resource = RESOURCE};
	struct http_auth *a = NULL;
	char err[512], *big = malloc(JWKS_BODY_MAX + 16);

	/* Plain http to a host that is not loopback is never fetched. */
	assert_int_equal(http_auth_new(&cfg, &a, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "only https"));
	idp_set(idp, &idp->as_meta, meta_for(idp, idp->base, "http://idp.example/jwks"));
	assert_int_equal(fetched(idp, NULL, &a, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "only https"));
	assert_int_equal(idp->jwks_hits, 0);
	/* Metadata for another issuer (RFC 8414 section 3.3). */
	idp_set(idp, &idp->as_meta, meta_for(idp, "https://other.example", NULL));
	assert_int_equal(fetched(idp, NULL, &a, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "other.example"));
	assert_int_equal(idp->jwks_hits, 0);
	/* Bodies past the cap. */
	idp_set(idp, &idp->as_meta, meta_for(idp, idp->base, NULL));
	assert_non_null(big);
	memset(big, 'x', JWKS_BODY_MAX + 15);
	big[JWKS_BODY_MAX + 15] = '\0';
	idp_set(idp, &idp->jwks, json_pack("{s:s}", "pad", big));
	assert_int_equal(fetched(idp, NULL, &a, err, sizeof err), -EFBIG);
	assert_null(a);
	free(big);
}

/* Runs the loop until the refresh, if any, has handed its keys over. */
static void settle(uv_loop_t *loop)
{
	uv_run(loop, UV_RUN_DEFAULT);
	uv_update_time(loop);
}

static void test_refresh_on_unknown_kid(void **state)
{
	struct idp *idp = *state;
	struct http_auth *a = NULL;
	uv_loop_t loop;
	struct res r;
	char err[512], *ec_token = idp_token(idp, K.ec, "ES256", "ec-1"), *token;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(fetched(idp, &loop, &a, err, sizeof err), 0);
	assert_int_equal(idp->jwks_hits, 1);
	/* The issuer rotates in a key: refused now, a fetch starts, then it is good. */
	idp_set(idp, &idp->jwks, jwks_of(K.rsa, K.ec, NULL));
	assert_int_equal(check_token(a, ec_token, &r), HTTP_AUTH_UNAUTHORIZED);
	assert_non_null(strstr(r.why, "unknown signing key"));
	assert_int_equal(check_token(a, ec_token, &r), HTTP_AUTH_UNAUTHORIZED);
	settle(&loop);
	assert_int_equal(idp->jwks_hits, 2); /* one fetch for both */
	assert_int_equal(check_token(a, ec_token, &r), HTTP_AUTH_OK);
	assert_string_equal(r.subject, "alice");
	/* Another unknown kid within the minute: refused, and no fetch. */
	token = idp_token(idp, K.rsa2, "RS256", "rsa-2");
	assert_int_equal(check_token(a, token, &r), HTTP_AUTH_UNAUTHORIZED);
	settle(&loop);
	assert_int_equal(idp->jwks_hits, 2);
	free(token);
	free(ec_token);
	http_auth_free(a);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_refresh_failure_keeps_keys(void **state)
{
	struct idp *idp = *state;
	struct http_auth *a = NULL;
	uv_loop_t loop;
	struct res r;
	char err[512], *good = idp_token(idp, K.rsa, "RS256", "rsa-1");
	char *unknown = idp_token(idp, K.ec, "ES256", "ec-1");

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(fetched(idp, &loop, &a, err, sizeof err), 0);
	idp_set(idp, &idp->jwks, NULL);
	assert_int_equal(check_token(a, unknown, &r), HTTP_AUTH_UNAUTHORIZED);
	settle(&loop);
	assert_int_equal(idp->jwks_hits, 2);
	assert_int_equal(check_token(a, good, &r), HTTP_AUTH_OK);
	free(good);
	free(unknown);
	http_auth_free(a);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_free_during_refresh(void **state)
{
	struct idp *idp = *state;
	struct http_auth *a = NULL;
	uv_loop_t loop;
	struct res r;
	char err[512], *unknown = idp_token(idp, K.ec, "ES256", "ec-1");

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(fetched(idp, &loop, &a, err, sizeof err), 0);
	idp_set(idp, &idp->jwks, jwks_of(K.rsa, K.ec, NULL));
	assert_int_equal(check_token(a, unknown, &r), HTTP_AUTH_UNAUTHORIZED);
	http_auth_free(a); /* the refresh is in flight: it frees when it ends */
	settle(&loop);
	assert_int_equal(idp->jwks_hits, 2);
	free(unknown);
	assert_int_equal(uv_loop_close(&loop), 0);
}

#define IDP_TEST(fn) cmocka_unit_test_setup_teardown(fn, idp_start, idp_stop)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_static_good),
	    cmocka_unit_test(test_static_wrong),
	    cmocka_unit_test(test_missing_header),
	    cmocka_unit_test(test_wrong_scheme),
	    cmocka_unit_test(test_static_tokens_redacted),
	    cmocka_unit_test(test_token_file_errors),
	    cmocka_unit_test(test_no_auth_configured),
	    cmocka_unit_test(test_rs256_good),
	    cmocka_unit_test(test_es256_good),
	    cmocka_unit_test(test_audience),
	    cmocka_unit_test(test_wrong_issuer),
	    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_not_yet_valid),
	    cmocka_unit_test(test_subject_needed),
	    cmocka_unit_test(test_bad_signature),
	    cmocka_unit_test(test_alg_none),
	    cmocka_unit_test(test_hs256_rejected),
	    cmocka_unit_test(test_alg_must_match_key),
	    cmocka_unit_test(test_unknown_kid_without_refresh),
	    cmocka_unit_test(test_scopes),
	    cmocka_unit_test(test_oauth_challenges),
	    cmocka_unit_test(test_metadata),
	    cmocka_unit_test(test_metadata_url_forms),
	    cmocka_unit_test(test_static_and_oauth),
	    cmocka_unit_test(test_oauth_config_errors),
	    cmocka_unit_test(test_url_allowed),
	    IDP_TEST(test_fetch_rfc8414),
	    IDP_TEST(test_fetch_openid_fallback),
	    IDP_TEST(test_fetch_refusals),
	    IDP_TEST(test_refresh_on_unknown_kid),
	    IDP_TEST(test_refresh_failure_keeps_keys),
	    IDP_TEST(test_free_during_refresh),
	};

	return cmocka_run_group_tests(tests, make_keys, drop_keys);
}
