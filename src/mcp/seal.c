#include "mcp/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define PREFIX "v1."
#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING
/* Room for n bytes in unpadded base64url and a NUL: what sodium_bin2base64 insists on. */
#define B64_CAP(n) sodium_base64_ENCODED_LEN(n, B64_VARIANT)

enum {
	PREFIX_LEN = 3,
	KEY_LEN = sizeof(((struct seal_key *)0)->bytes),
	HASH_LEN = crypto_hash_sha256_BYTES, /* SHA-256, and so HMAC-SHA256 */
	HASH_B64_LEN = 43,                   /* its base64url, unpadded */
	HASH_B64_CAP = B64_CAP(HASH_LEN),    /* and a NUL */
};

_Static_assert(KEY_LEN == crypto_auth_hmacsha256_KEYBYTES, "the key is an HMAC-SHA256 key");
_Static_assert(HASH_LEN == crypto_auth_hmacsha256_BYTES, "a MAC is as long as a digest");
_Static_assert(HASH_B64_CAP == HASH_B64_LEN + 1, "43 characters and a NUL");

/*
 * libsodium wants sodium_init() before use. Called here, on the first seal, key or state,
 * rather than at startup: a server that never seals never pays for it. sodium_init is
 * idempotent and thread-safe, so two threads racing to the first call are harmless.
 */
static int crypto_ready(void)
{
	static atomic_bool ready;

	if (atomic_load_explicit(&ready, memory_order_acquire))
		return 0;
	if (sodium_init() < 0)
		return -1;
	atomic_store_explicit(&ready, true, memory_order_release);
	return 0;
}

/* --- base64url, unpadded --- */

/* out holds B64_CAP(n) bytes; returns the length written before the NUL. */
static size_t b64url_encode(char *out, const unsigned char *in, size_t n)
{
	sodium_bin2base64(out, B64_CAP(n), in, n, B64_VARIANT);
	return B64_CAP(n) - 1;
}

static bool is_b64url(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/*
 * in holds n > 0 base64url characters (checked by the caller); returns the bytes, caller
 * frees. Refuses a character left over (it encodes no whole byte) and stray bits after the
 * last byte, so only the one canonical spelling of the bytes decodes.
 */
static unsigned char *b64url_decode(const char *in, size_t n, size_t *out_len)
{
	size_t cap = n / 4 * 3 + 2;
	unsigned char *out = malloc(cap);

	if (!out)
		return NULL;
	if (sodium_base642bin(out, cap, in, n, NULL, out_len, NULL, B64_VARIANT) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* --- MAC and digest --- */

/* HMAC-SHA256 of msg[0..n), in base64url. */
static void mac_of(const struct seal_key *key, const char *msg, size_t n, char out[HASH_B64_CAP])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(mac, (const unsigned char *)msg, n, key->bytes);
	b64url_encode(out, mac, sizeof mac);
	sodium_memzero(mac, sizeof mac);
}

/* SHA-256 of the canonical JSON text (sorted keys, compact), so key order does not matter. */
static int binding_digest(const json_t *binding, char out[HASH_B64_CAP])
{
	char *text = NULL;
	unsigned char md[crypto_hash_sha256_BYTES];

	if (binding) {
		text = json_dumps(binding, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (!text)
			return -ENOMEM;
	}
	crypto_hash_sha256(md, (const unsigned char *)(text ? text : "null"),
	                   text ? strlen(text) : 4);
	free(text);
	b64url_encode(out, md, sizeof md);
	return 0;
}

/* --- sealing --- */

/* "v1." + base64url(text) + "." + MAC of what precedes the dot; NULL if too long. */
static char *assemble(const struct seal_key *key, const char *text, size_t n)
{
	char *state;
	size_t len;

	if (n > SEAL_STATE_MAX)
		return NULL; /* its encoding would be longer still */
	state = malloc(PREFIX_LEN + B64_CAP(n) + HASH_B64_CAP);
	if (!state)
		return NULL;
	memcpy(state, PREFIX, PREFIX_LEN);
	len = PREFIX_LEN + b64url_encode(state + PREFIX_LEN, (const unsigned char *)text, n);
	/* Never hand out a state seal_open would refuse for its length. */
	if (len + 1 + HASH_B64_LEN > SEAL_STATE_MAX) {
		free(state);
		return NULL;
	}
	state[len] = '.';
	mac_of(key, state, len, state + len + 1);
	return state;
}

char *seal_make(const struct seal_key *key, const char *method, const json_t *binding,
                const json_t *data, int64_t expires_ms)
{
	char digest[HASH_B64_CAP];
	json_t *payload;
	char *text, *state;

	if (!key || !method || (data && !json_is_object(data)) || crypto_ready() != 0 ||
	    binding_digest(binding, digest))
		return NULL;
	payload =
	    json_pack("{s:s, s:s, s:I}", "m", method, "b", digest, "e", (json_int_t)expires_ms);
	if (!payload)
		return NULL;
	/* A copy: jansson wants a mutable value, and the caller's stays the caller's. */
	if (data && json_object_set_new(payload, "d", json_deep_copy(data)) != 0) {
		json_decref(payload);
		return NULL;
	}
	text = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	if (!text)
		return NULL;
	state = assemble(key, text, strlen(text));
	free(text);
	return state;
}

/* --- opening --- */

static int fail(char *err, size_t err_size, int rc, const char *why)
{
	if (err && err_size)
		snprintf(err, err_size, "requestState: %s", why);
	return rc;
}

/* Length of the MAC'd part "v1.<payload>", or 0 when the state is not shaped like one. */
static size_t signed_len(const char *state, size_t len)
{
	size_t end;

	if (len < PREFIX_LEN + 1 + 1 + HASH_B64_LEN || memcmp(state, PREFIX, PREFIX_LEN) != 0)
		return 0;
	end = len - HASH_B64_LEN - 1;
	if (state[end] != '.' || !is_b64url(state + PREFIX_LEN, end - PREFIX_LEN) ||
	    !is_b64url(state + end + 1, HASH_B64_LEN))
		return 0;
	return end;
}

static json_t *read_payload(const char *b64, size_t n)
{
	size_t len = 0;
	unsigned char *bytes = b64url_decode(b64, n, &len);
	json_t *payload;

	if (!bytes)
		return NULL;
	payload =
	    json_loadb((const char *)bytes, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, NULL);
	free(bytes);
	if (payload && !json_is_object(payload)) {
		json_decref(payload);
		return NULL;
	}
	return payload;
}

static int check_payload(const json_t *payload, const char *method, const json_t *binding,
                         int64_t now_ms, char *err, size_t err_size)
{
	const json_t *m = json_object_get(payload, "m"), *b = json_object_get(payload, "b");
	const json_t *e = json_object_get(payload, "e"), *d = json_object_get(payload, "d");
	char digest[HASH_B64_CAP];

	/* Authentic yet not what seal_make writes: only a bug or a leaked key gets here. */
	if (!json_is_string(m) || !json_is_string(b) || !json_is_integer(e) ||
	    (d && !json_is_object(d)))
		return fail(err, err_size, -EBADMSG, "not one this server can read");
	if (json_string_length(m) != strlen(method) ||
	    memcmp(json_string_value(m), method, strlen(method)) != 0)
		return fail(err, err_size, -EINVAL,
		            "issued for another method; send the request again without it");
	if (binding_digest(binding, digest))
		return fail(err, err_size, -ENOMEM, "cannot be checked (out of memory)");
	if (json_string_length(b) != HASH_B64_LEN ||
	    sodium_memcmp(json_string_value(b), digest, HASH_B64_LEN) != 0)
		return fail(err, err_size, -EINVAL,
		            "issued for other arguments; send the request again without it");
	if (now_ms >= json_integer_value(e))
		return fail(err, err_size, -ETIMEDOUT,
		            "expired; send the request again without it");
	return 0;
}

int seal_open(const struct seal_key *key, const char *state, const char *method,
              const json_t *binding, int64_t now_ms, json_t **data, char *err, size_t err_size)
{
	char mac[HASH_B64_CAP];
	size_t len, end;
	json_t *payload;
	int rc;

	if (data)
		*data = NULL;
	if (!key || !method)
		return fail(err, err_size, -EINVAL, "cannot be checked (no key or method)");
	len = state ? strnlen(state, SEAL_STATE_MAX + 1) : 0;
	if (len > SEAL_STATE_MAX)
		return fail(err, err_size, -EBADMSG, "too long to be one this server issued");
	end = state ? signed_len(state, len) : 0;
	if (end == 0)
		return fail(err, err_size, -EBADMSG,
		            "malformed; send back the one issued, unchanged");
	if (crypto_ready() != 0)
		return fail(err, err_size, -ENOMEM,
		            "cannot be checked (libsodium failed to start)");
	/*
	 * The expected MAC as text against the client's text, in constant time, rather than
	 * the client's decoded: only the one canonical spelling of the MAC matches, so a state
	 * with other stray bits in its last character is refused like any other change.
	 */
	mac_of(key, state, end, mac);
	rc = sodium_memcmp(mac, state + end + 1, HASH_B64_LEN);
	sodium_memzero(mac, sizeof mac);
	if (rc != 0)
		return fail(err, err_size, -EBADMSG, "altered, or not issued by this server");
	payload = read_payload(state + PREFIX_LEN, end - PREFIX_LEN);
	if (!payload)
		return fail(err, err_size, -EBADMSG, "not one this server can read");
	rc = check_payload(payload, method, binding, now_ms, err, err_size);
	if (rc == 0 && data)
		*data = json_incref(json_object_get(payload, "d"));
	json_decref(payload);
	return rc;
}

/* --- the key --- */

int seal_key_random(struct seal_key *key)
{
	if (crypto_ready() != 0)
		return -EIO;
	randombytes_buf(key->bytes, KEY_LEN);
	return 0;
}

static int read_all(int fd, unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The file's kind, owner and mode first: a key others could read or write seals nothing. */
static int read_key(int fd, const char *path, struct seal_key *key, char *err, size_t err_size)
{
	struct stat st;
	int rc;

	if (fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, err_size, "%.200s: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "%.200s: the seal key must be a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, err_size,
		         "%.200s: the seal key must be the user's own, mode 0600 (it is uid %lu, "
		         "mode %04o)",
		         path, (unsigned long)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_size != KEY_LEN) {
		snprintf(err, err_size, "%.200s: the seal key must be %d bytes, not %lld", path,
		         (int)KEY_LEN, (long long)st.st_size);
		return -EINVAL;
	}
	rc = read_all(fd, key->bytes, KEY_LEN);
	if (rc)
		snprintf(err, err_size, "%.200s: %s", path, strerror(-rc));
	return rc;
}

static int load_existing(const char *path, struct seal_key *key, char *err, size_t err_size)
{
	/* O_NONBLOCK: a FIFO planted at path must not hang the server before fstat refuses it. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			snprintf(err, err_size, "%.200s: the seal key must not be a symbolic link",
			         path);
		else
			snprintf(err, err_size, "%.200s: %s", path, strerror(-rc));
		return rc;
	}
	rc = read_key(fd, path, key, err, err_size);
	close(fd);
	return rc;
}

/* Writes a whole key under a private name, then links it in: no server reads half a key. */
static int publish_key(const char *path, const char *tmp, struct seal_key *key)
{
	int fd, rc;

	rc = seal_key_random(key);
	if (rc)
		return rc;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, key->bytes, KEY_LEN);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	/* link() fails with EEXIST rather than replace what another server made meanwhile. */
	if (rc == 0 && link(tmp, path) != 0)
		rc = -errno;
	unlink(tmp);
	return rc;
}

static int create_key(const char *path, struct seal_key *key, char *err, size_t err_size)
{
	char tmp[PATH_MAX], hex[17];
	unsigned char r[8];
	int rc, n;

	if (crypto_ready() != 0) {
		rc = -EIO;
	} else {
		randombytes_buf(r, sizeof r);
		sodium_bin2hex(hex, sizeof hex, r, sizeof r);
		n = snprintf(tmp, sizeof tmp, "%s.%s.tmp", path, hex);
		if (n < 0 || (size_t)n >= sizeof tmp)
			rc = -ENAMETOOLONG;
		else
			rc = publish_key(path, tmp, key);
	}
	if (rc && rc != -EEXIST)
		snprintf(err, err_size, "cannot create the seal key %.200s: %s", path,
		         strerror(-rc));
	return rc;
}

int seal_key_load(const char *path, struct seal_key *key, char *err, size_t err_size)
{
	int rc = -EEXIST;

	if (!err)
		err_size = 0;
	/* Missing: make one; lost the race to make it: read the winner's. */
	for (int attempt = 0; attempt < 3 && rc == -EEXIST; attempt++) {
		rc = load_existing(path, key, err, err_size);
		if (rc == -ENOENT)
			rc = create_key(path, key, err, err_size);
	}
	if (rc == -EEXIST)
		snprintf(err, err_size, "%.200s: the seal key kept appearing and vanishing", path);
	/* sodium_memzero needs no sodium_init: loading an existing key starts no libsodium. */
	if (rc)
		sodium_memzero(key->bytes, KEY_LEN);
	return rc;
}
