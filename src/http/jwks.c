#include "http/jwks.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jose/jose.h>

/* --- which keys we keep --- */

static size_t b64_len(const json_t *s)
{
	return json_is_string(s) ? jose_b64_dec(s, NULL, 0) : SIZE_MAX;
}

bool jwks_has_string(const json_t *array, const char *want)
{
	size_t i;
	const json_t *v;

	json_array_foreach(array, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
			return true;
	}
	return false;
}

/* The kinds we verify with, meant for signatures; an RSA modulus under 2048 bits is too weak. */
static bool key_usable(const json_t *jwk)
{
	const char *kty = NULL, *use = NULL, *alg = NULL, *crv = NULL;
	const json_t *ops = json_object_get(jwk, "key_ops"), *kid = json_object_get(jwk, "kid");
	size_t n;

	if (json_unpack((json_t *)jwk, "{s:s, s?s, s?s, s?s}", "kty", &kty, "use", &use, "alg",
	                &alg, "crv", &crv) < 0)
		return false;
	if ((use && strcmp(use, "sig") != 0) || (kid && !json_is_string(kid)) ||
	    (ops && (!json_is_array(ops) || !jwks_has_string(ops, "verify"))))
		return false;
	if (strcmp(kty, "RSA") == 0) {
		n = b64_len(json_object_get(jwk, "n"));
		return (!alg || strcmp(alg, "RS256") == 0) && n != SIZE_MAX && n >= 256 &&
		       b64_len(json_object_get(jwk, "e")) != SIZE_MAX;
	}
	if (strcmp(kty, "EC") == 0)
		return (!alg || strcmp(alg, "ES256") == 0) && crv && strcmp(crv, "P-256") == 0 &&
		       b64_len(json_object_get(jwk, "x")) == 32 &&
		       b64_len(json_object_get(jwk, "y")) == 32;
	return false;
}

int jwks_usable(const json_t *doc, json_t **keys, char *err, size_t err_size)
{
	const json_t *all = json_object_get(doc, "keys"), *jwk;
	json_t *out = json_array(), *pub;
	size_t i;

	if (!out) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	json_array_foreach(all, i, jwk)
	{
		if (!key_usable(jwk))
			continue;
		/* A key set handed to us by mistake with private members keeps only the public. */
		pub = json_deep_copy(jwk);
		if (!pub || !jose_jwk_pub(NULL, pub) || json_array_append_new(out, pub) < 0) {
			json_decref(pub);
			json_decref(out);
			snprintf(err, err_size, "out of memory");
			return -ENOMEM;
		}
	}
	if (json_array_size(out) == 0) {
		json_decref(out);
		snprintf(err, err_size,
		         "no usable key (RSA for RS256, or EC P-256 for ES256) in %s",
		         json_is_array(all) ? "the key set" : "a document without \"keys\"");
		return -EINVAL;
	}
	*keys = out;
	return 0;
}

int jwks_load_file(const char *path, json_t **keys, char *err, size_t err_size)
{
	FILE *f = fopen(path, "re");
	json_error_t jerr;
	json_t *doc;
	int rc;

	if (!f) {
		rc = -errno;
		snprintf(err, err_size, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!doc) {
		snprintf(err, err_size, "%s: not JSON: %s (line %d)", path, jerr.text, jerr.line);
		return -EINVAL;
	}
	rc = jwks_usable(doc, keys, err, err_size);
	json_decref(doc);
	if (rc < 0) {
		char why[256];

		snprintf(why, sizeof why, "%s", err);
		snprintf(err, err_size, "%s: %s", path, why);
	}
	return rc;
}

/* --- URLs --- */

static bool is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
	       strcmp(host, "::1") == 0 || strcasecmp(host, "localhost") == 0;
}

int jwks_url_allowed(const char *url, char *err, size_t err_size)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = -EINVAL;

	if (!u) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		snprintf(err, err_size, "%s is not a URL", url);
	else if (strcmp(scheme, "https") == 0 || (strcmp(scheme, "http") == 0 && is_loopback(host)))
		rc = 0;
	else
		snprintf(err, err_size, "%s: only https, or http to 127.0.0.1, ::1 or localhost",
		         url);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

char *jwks_well_known_url(const char *url, const char *name)
{
	CURLU *u = curl_url();
	char *path = NULL, *wanted = NULL, *out = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
	    asprintf(&wanted, "/.well-known/%s%s", name, strcmp(path, "/") == 0 ? "" : path) >= 0 &&
	    curl_url_set(u, CURLUPART_PATH, wanted, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK) {
		char *got = NULL;

		if (curl_url_get(u, CURLUPART_URL, &got, 0) == CURLUE_OK)
			out = strdup(got);
		curl_free(got);
	}
	free(wanted);
	curl_free(path);
	curl_url_cleanup(u);
	return out;
}

/* --- fetching --- */

struct body {
	char *data;
	size_t len;
	bool too_big;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct body *b = data;
	size_t n = size * nmemb;
	char *grown;

	if (n > JWKS_BODY_MAX - b->len) {
		b->too_big = true;
		return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
	}
	grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* NOSIGNAL: curl's DNS timeouts would otherwise use signals, unsafe off the main thread. */
static void setup(CURL *c, const char *url, struct body *b, char *cerr, struct curl_slist *hdrs)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)JWKS_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)JWKS_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)JWKS_BODY_MAX);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "codex-mcp/" CODEX_MCP_VERSION);
}

/* What a finished transfer gave: 0 and *out, the body as JSON, or -errno with err. */
static int transfer_result(const char *url, CURL *c, CURLcode res, const struct body *b,
                           const char *cerr, json_t **out, char *err, size_t err_size)
{
	json_error_t jerr;
	long status = 0;

	if (b->too_big || res == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, err_size, "GET %s: body over %d bytes", url, JWKS_BODY_MAX);
		return -EFBIG;
	}
	if (res != CURLE_OK) {
		snprintf(err, err_size, "GET %s: %s", url,
		         cerr[0] ? cerr : curl_easy_strerror(res));
		return res == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		snprintf(err, err_size, "GET %s: HTTP status %ld", url, status);
		return -EIO;
	}
	*out = json_loadb(b->data ? b->data : "", b->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out) {
		snprintf(err, err_size, "GET %s: not JSON: %s", url, jerr.text);
		return -EBADMSG;
	}
	return 0;
}

static int get_json(const char *url, json_t **out, char *err, size_t err_size)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct body b = {0};
	struct curl_slist *hdrs;
	CURL *c;
	int rc = jwks_url_allowed(url, err, err_size);

	if (rc < 0)
		return rc;
	c = curl_easy_init();
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (!c || !hdrs) {
		snprintf(err, err_size, "out of memory");
		rc = -ENOMEM;
	} else {
		setup(c, url, &b, cerr, hdrs);
		rc = transfer_result(url, c, curl_easy_perform(c), &b, cerr, out, err, err_size);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(b.data);
	return rc;
}

/* RFC 8414's metadata first, then OpenID Connect discovery (appended to the issuer). */
static int get_metadata(const char *issuer, json_t **meta, char *err, size_t err_size)
{
	char first[512], *url = jwks_well_known_url(issuer, "oauth-authorization-server");
	size_t len = strlen(issuer);
	int rc;

	if (!url) {
		snprintf(err, err_size, "the issuer %s is not a URL", issuer);
		return -EINVAL;
	}
	rc = get_json(url, meta, first, sizeof first);
	free(url);
	if (rc == 0)
		return 0;
	if (len > 0 && issuer[len - 1] == '/')
		len--;
	if (asprintf(&url, "%.*s/.well-known/openid-configuration", (int)len, issuer) < 0) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	rc = get_json(url, meta, err, err_size);
	free(url);
	if (rc < 0) {
		char second[512];

		snprintf(second, sizeof second, "%s", err);
		snprintf(err, err_size, "no metadata for the issuer: %s; %s", first, second);
	}
	return rc;
}

/* RFC 8414 section 3.3: metadata naming another issuer must not be used (mix-up attacks). */
static int discover(const char *issuer, char **jwks_uri, char *err, size_t err_size)
{
	const char *named = NULL, *uri = NULL;
	json_t *meta = NULL;
	int rc = get_metadata(issuer, &meta, err, err_size);

	if (rc < 0)
		return rc;
	if (json_unpack(meta, "{s:s, s:s}", "issuer", &named, "jwks_uri", &uri) < 0) {
		snprintf(err, err_size, "the issuer's metadata lacks \"issuer\" or \"jwks_uri\"");
		rc = -EINVAL;
	} else if (strcmp(named, issuer) != 0) {
		snprintf(err, err_size, "the metadata names the issuer %s, not %s", named, issuer);
		rc = -EINVAL;
	} else if (!(*jwks_uri = strdup(uri))) {
		snprintf(err, err_size, "out of memory");
		rc = -ENOMEM;
	}
	json_decref(meta);
	return rc;
}

int jwks_fetch(const char *issuer, json_t **keys, char *err, size_t err_size)
{
	char *uri = NULL;
	json_t *doc = NULL;
	int rc = jwks_url_allowed(issuer, err, err_size);

	if (rc == 0)
		rc = discover(issuer, &uri, err, err_size);
	if (rc == 0)
		rc = get_json(uri, &doc, err, err_size);
	if (rc == 0)
		rc = jwks_usable(doc, keys, err, err_size);
	json_decref(doc);
	free(uri);
	return rc;
}
