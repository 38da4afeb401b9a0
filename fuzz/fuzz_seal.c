/*
 * requestState seals (src/mcp/seal.c): the input is opened as a state; then it is sealed
 * with a valid MAC as a payload (what only a leaked key or a bug could send); then, when it
 * is JSON, it is sealed as binding and data and must open to the same, and be refused for
 * another key, method, binding, time, and for a changed byte. Every refusal says why.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "fuzz_util.h"
#include "mcp/seal.h"

#define NOW INT64_C(1900000000000)

/* Fixed keys, so a run is deterministic; the fuzzer cannot see inside libsodium's compare. */
static const struct seal_key key = {{1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                     12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                     23, 24, 25, 26, 27, 28, 29, 30, 31, 32}};
static const struct seal_key other_key = {{32, 31, 30}};

/* Opens s; returns the result after checking what any result must look like. */
static int open_checked(const struct seal_key *k, const char *s, const char *method,
                        const json_t *binding, int64_t now, json_t **data)
{
	char err[256];
	json_t *got = NULL;
	int rc = seal_open(k, s, method, binding, now, &got, err, sizeof err);

	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EINVAL || rc == -ETIMEDOUT, "rc %d", rc);
	if (rc != 0) {
		FUZZ_CHECK(!got, "data on failure");
		FUZZ_CHECK(strncmp(err, "requestState: ", 14) == 0, "err %s", err);
		FUZZ_CHECK(fuzz_utf8_valid(err, strlen(err)), "err not UTF-8");
	}
	FUZZ_CHECK(!got || json_is_object(got), "data not an object");
	if (data)
		*data = got;
	else
		json_decref(got);
	return rc;
}

static char *b64url(const unsigned char *in, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(cap);

	FUZZ_CHECK(out, "out of memory");
	return sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The input as a payload under a valid MAC: parsing after the MAC must hold up too. */
static void open_forged(const uint8_t *bytes, size_t size, const json_t *binding)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char *payload = b64url(bytes, size), *mac_b64, *state;
	size_t n = strlen(payload);

	state = malloc(n + 3 + 1 + 44 + 1);
	FUZZ_CHECK(state, "out of memory");
	memcpy(state, "v1.", 3);
	memcpy(state + 3, payload, n);
	FUZZ_CHECK(crypto_auth_hmacsha256(mac, (unsigned char *)state, n + 3, key.bytes) == 0,
	           "HMAC");
	mac_b64 = b64url(mac, sizeof mac);
	state[n + 3] = '.';
	memcpy(state + n + 4, mac_b64, strlen(mac_b64) + 1);
	if (n + 3 + 1 + 43 <= SEAL_STATE_MAX)
		(void)open_checked(&key, state, "tools/call", binding, NOW, NULL);
	free(mac_b64);
	free(state);
	free(payload);
}

/* Sealed as binding (and as data when an object), it opens to the same, and to nothing else. */
static void round_trip(const json_t *value, const json_t *binding, uint64_t h)
{
	const json_t *data = json_is_object(value) ? value : NULL;
	char *s = seal_make(&key, "tools/call", value, data, NOW + 1);
	json_t *copy = json_deep_copy(value), *got = NULL;
	size_t len;

	FUZZ_CHECK(copy, "copy");
	if (!s) {
		json_decref(copy); /* only when too big to seal */
		return;
	}
	len = strlen(s);
	FUZZ_CHECK(len <= SEAL_STATE_MAX, "state of %zu bytes", len);
	FUZZ_CHECK(open_checked(&key, s, "tools/call", copy, NOW, &got) == 0, "round trip");
	FUZZ_CHECK(data ? json_equal(got, data) : !got, "data changed");
	json_decref(got);
	FUZZ_CHECK(open_checked(&other_key, s, "tools/call", copy, NOW, NULL) == -EBADMSG, "key");
	FUZZ_CHECK(open_checked(&key, s, "tools/cal", copy, NOW, NULL) == -EINVAL, "method");
	FUZZ_CHECK(open_checked(&key, s, "tools/call", copy, NOW + 1, NULL) == -ETIMEDOUT, "time");
	if (!json_equal(value, binding))
		FUZZ_CHECK(open_checked(&key, s, "tools/call", binding, NOW, NULL) == -EINVAL,
		           "arg");
	for (int i = 0; i < 4; i++) {
		size_t at = (size_t)(h >> (i * 16)) % len;
		char was = s[at];
		s[at] = (char)(was ^ (1 + (h >> (i * 8 + 3)) % 255));
		FUZZ_CHECK(open_checked(&key, s, "tools/call", copy, NOW, NULL) == -EBADMSG,
		           "byte %zu changed", at);
		s[at] = was;
	}
	json_decref(copy);
	free(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_object_seed(1);
	/* For the forger below; seal.c starts libsodium itself. */
	FUZZ_CHECK(sodium_init() >= 0, "sodium_init");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *binding = json_pack("{s:s, s:{s:s}}", "name", "codex", "arguments", "prompt", "hi");
	char *s = malloc(size + 1);
	json_t *value;

	FUZZ_CHECK(binding && s, "out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	(void)open_checked(&key, s, "tools/call", binding, NOW, NULL);
	open_forged(data, size, binding);
	value = json_loadb(s, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (value)
		round_trip(value, binding, fuzz_hash(data, size));
	json_decref(value);
	free(s);
	json_decref(binding);
	return 0;
}
