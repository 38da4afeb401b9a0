#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <sodium.h>

#include "mcp/seal.h"

#define EXPIRES INT64_C(1900000000000)
#define NOW (EXPIRES - 60000)

static struct seal_key key_a, key_b;

static int keys_setup(void **state)
{
	(void)state;
	assert_int_equal(seal_key_random(&key_a), 0);
	assert_int_equal(seal_key_random(&key_b), 0);
	assert_memory_not_equal(key_a.bytes, key_b.bytes, sizeof key_a.bytes);
	return 0;
}

static json_t *parse(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

	assert_non_null(v);
	return v;
}

static json_t *call_binding(const char *name, const char *arguments)
{
	json_t *b = json_pack("{s:s, s:o}", "name", name, "arguments", parse(arguments));

	assert_non_null(b);
	return b;
}

static char *make(const json_t *binding, const json_t *data)
{
	char *s = seal_make(&key_a, "tools/call", binding, data, EXPIRES);

	assert_non_null(s);
	assert_true(strlen(s) <= SEAL_STATE_MAX);
	assert_int_equal(strncmp(s, "v1.", 3), 0);
	return s;
}

/* Opens s expecting want; checks the message and that no data comes back on failure. */
static void expect_open(const struct seal_key *key, const char *s, const char *method,
                        const json_t *binding, int64_t now, int want)
{
	json_t *data = (json_t *)&data; /* not NULL: seal_open must reset it */
	char err[256] = "";
	int rc = seal_open(key, s, method, binding, now, &data, err, sizeof err);

	assert_int_equal(rc, want);
	if (want != 0) {
		assert_null(data);
		assert_int_equal(strncmp(err, "requestState: ", 14), 0);
	}
	json_decref(data);
}

static void test_round_trip_without_data(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{\"prompt\":\"hi\",\"n\":3}");
	char *s = make(b, NULL);
	json_t *data = (json_t *)&data;

	assert_int_equal(seal_open(&key_a, s, "tools/call", b, NOW, &data, NULL, 0), 0);
	assert_null(data);
	/* The caller may not want the data at all. */
	assert_int_equal(seal_open(&key_a, s, "tools/call", b, NOW, NULL, NULL, 0), 0);
	free(s);
	json_decref(b);
}

static void test_round_trip_with_data(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{\"prompt\":\"hi\"}");
	json_t *d = parse("{\"step\":2,\"pi\":3.141592653589793,\"nul\":\"a\\u0000b\","
	                  "\"text\":\"h\\u00e9 \\ud83d\\ude00\",\"list\":[null,true,{\"x\":[]}]}");
	char *s = make(b, d);
	json_t *data = NULL;
	char err[128];

	assert_int_equal(seal_open(&key_a, s, "tools/call", b, NOW, &data, err, sizeof err), 0);
	assert_non_null(data);
	assert_true(json_equal(data, d));
	assert_true(data != d);
	json_decref(data);
	/* Opening without wanting the data leaks nothing. */
	assert_int_equal(seal_open(&key_a, s, "tools/call", b, NOW, NULL, err, sizeof err), 0);
	free(s);
	json_decref(d);
	json_decref(b);
}

static void test_every_byte_change_refused(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{\"prompt\":\"hi\"}");
	json_t *d = parse("{\"k\":\"v\"}");
	char *s = make(b, d);
	size_t len = strlen(s);
	char *t = malloc(len + 1);

	assert_non_null(t);
	for (size_t i = 0; i < len; i++) {
		/* Every other byte, 0 included (which cuts the state there). */
		for (int c = 0; c < 256; c++) {
			if ((char)c == s[i])
				continue;
			memcpy(t, s, len + 1);
			t[i] = (char)c;
			expect_open(&key_a, t, "tools/call", b, NOW, -EBADMSG);
		}
	}
	free(t);
	free(s);
	json_decref(d);
	json_decref(b);
}

static void test_truncated_or_extended_refused(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{}");
	char *s = make(b, NULL);
	size_t len = strlen(s);
	char *t = malloc(len + 3);

	assert_non_null(t);
	for (size_t n = 0; n < len; n++) {
		memcpy(t, s, n);
		t[n] = '\0';
		expect_open(&key_a, t, "tools/call", b, NOW, -EBADMSG);
	}
	memcpy(t, s, len);
	memcpy(t + len, "A", 2);
	expect_open(&key_a, t, "tools/call", b, NOW, -EBADMSG);
	memcpy(t + len, "==", 3);
	expect_open(&key_a, t, "tools/call", b, NOW, -EBADMSG);
	/* A payload cut, the MAC kept. */
	memcpy(t, s, len + 1);
	memmove(t + 3, t + 4, len - 3);
	expect_open(&key_a, t, "tools/call", b, NOW, -EBADMSG);
	free(t);
	free(s);
	json_decref(b);
}

static void test_other_key_refused(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{}");
	char *s = make(b, NULL);

	expect_open(&key_b, s, "tools/call", b, NOW, -EBADMSG);
	free(s);
	json_decref(b);
}

static void test_other_method_refused(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{}");
	char *s = make(b, NULL);

	expect_open(&key_a, s, "prompts/get", b, NOW, -EINVAL);
	expect_open(&key_a, s, "tools/cal", b, NOW, -EINVAL);
	expect_open(&key_a, s, "tools/call ", b, NOW, -EINVAL);
	expect_open(&key_a, s, "", b, NOW, -EINVAL);
	expect_open(&key_a, s, "tools/call", b, NOW, 0);
	free(s);
	json_decref(b);
}

static void test_other_arguments_refused(void **state)
{
	(void)state;
	static const char *const others[][2] = {
	    {"codex", "{\"prompt\":\"hi!\"}"},
	    {"codex", "{\"prompt\":\"hi\",\"x\":1}"},
	    {"codex", "{}"},
	    {"codex-reply", "{\"prompt\":\"hi\"}"},
	    {"codex", "{\"prompt\":[\"hi\"]}"},
	    {"codex", "{\"Prompt\":\"hi\"}"},
	    {"codex", "{\"prompt\":\"hi\",\"n\":null}"},
	    {"codex", "{\"prompt\":\"h\\u0000i\"}"},
	};
	json_t *b = call_binding("codex", "{\"prompt\":\"hi\"}");
	json_t *n = json_null();
	char *s = make(b, NULL);

	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		json_t *o = call_binding(others[i][0], others[i][1]);
		expect_open(&key_a, s, "tools/call", o, NOW, -EINVAL);
		json_decref(o);
	}
	expect_open(&key_a, s, "tools/call", NULL, NOW, -EINVAL);
	expect_open(&key_a, s, "tools/call", n, NOW, -EINVAL);
	free(s);
	/* No binding is the same as a JSON null one. */
	s = make(NULL, NULL);
	expect_open(&key_a, s, "tools/call", NULL, NOW, 0);
	expect_open(&key_a, s, "tools/call", n, NOW, 0);
	expect_open(&key_a, s, "tools/call", b, NOW, -EINVAL);
	free(s);
	json_decref(b);
}

static void test_reordered_keys_open(void **state)
{
	(void)state;
	json_t *b = parse("{\"name\":\"codex\",\"arguments\":{\"prompt\":\"hi\",\"config\":"
	                  "{\"a\":1,\"b\":{\"y\":2,\"x\":[{\"q\":1,\"p\":2}]}},\"n\":3}}");
	json_t *same = parse("{\"arguments\":{\"n\":3,\"config\":{\"b\":{\"x\":[{\"p\":2,\"q\":1}],"
	                     "\"y\":2},\"a\":1},\"prompt\":\"hi\"},\"name\":\"codex\"}");
	json_t *array_order =
	    parse("{\"name\":\"codex\",\"arguments\":{\"prompt\":\"hi\",\"config\":"
	          "{\"a\":1,\"b\":{\"y\":2,\"x\":[{\"q\":2,\"p\":1}]}},\"n\":3}}");
	char *s = make(b, NULL);

	expect_open(&key_a, s, "tools/call", same, NOW, 0);
	/* Array order is meaning, not presentation. */
	expect_open(&key_a, s, "tools/call", array_order, NOW, -EINVAL);
	free(s);
	json_decref(array_order);
	json_decref(same);
	json_decref(b);
}

static void test_expiry(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{}");
	char *s = make(b, NULL);

	expect_open(&key_a, s, "tools/call", b, EXPIRES - 1, 0);
	expect_open(&key_a, s, "tools/call", b, INT64_MIN, 0);
	expect_open(&key_a, s, "tools/call", b, EXPIRES, -ETIMEDOUT);
	expect_open(&key_a, s, "tools/call", b, EXPIRES + 1, -ETIMEDOUT);
	expect_open(&key_a, s, "tools/call", b, INT64_MAX, -ETIMEDOUT);
	/* Expired and for another method: the method is what is wrong. */
	expect_open(&key_a, s, "prompts/get", b, INT64_MAX, -EINVAL);
	free(s);
	s = seal_make(&key_a, "tools/call", b, NULL, INT64_MAX);
	assert_non_null(s);
	expect_open(&key_a, s, "tools/call", b, INT64_MAX - 1, 0);
	free(s);
	s = seal_make(&key_a, "tools/call", b, NULL, INT64_MIN);
	assert_non_null(s);
	expect_open(&key_a, s, "tools/call", b, INT64_MIN, -ETIMEDOUT);
	free(s);
	json_decref(b);
}

/* xorshift64: garbage that is the same on every run. */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_garbage_refused(void **state)
{
	(void)state;
	static const char *const garbage[] = {
	    "",
	    ".",
	    "..",
	    "v1",
	    "v1.",
	    "v1..",
	    "v1...",
	    "v2.e30.AAAA",
	    "v1.e30",
	    "v1.e30.",
	    "v1.e30=.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "v1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "v1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "v1..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "v1.A.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "v1.e+0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "v1.e/0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "v1.e 30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "v1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "V1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "{\"m\":\"tools/call\"}",
	    "\xff\xfe\x80",
	    "v1.\xc3\xa9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	static const char alphabet[] = "v1.AZaz09-_+/= \n\x80\xff";
	json_t *b = call_binding("codex", "{}");
	uint64_t x = 0x9e3779b97f4a7c15u;
	char buf[300];

	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
		expect_open(&key_a, garbage[i], "tools/call", b, NOW, -EBADMSG);
	expect_open(&key_a, NULL, "tools/call", b, NOW, -EBADMSG);
	for (int round = 0; round < 2000; round++) {
		size_t n = next_random(&x) % (sizeof buf - 1);
		bool bytes = round % 2;
		for (size_t i = 0; i < n; i++) {
			uint64_t r = next_random(&x);
			buf[i] = bytes ? (char)(r % 255 + 1) : alphabet[r % (sizeof alphabet - 1)];
		}
		buf[n] = '\0';
		if (round % 3 == 0 && n >= 3)
			memcpy(buf, "v1.", 3);
		expect_open(&key_a, buf, "tools/call", b, NOW, -EBADMSG);
	}
	json_decref(b);
}

static void test_huge_refused(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{}");
	size_t n = 1024 * 1024;
	char *s = malloc(n + 1);
	char err[128];

	assert_non_null(s);
	memset(s, 'A', n);
	s[n] = '\0';
	expect_open(&key_a, s, "tools/call", b, NOW, -EBADMSG);
	s[SEAL_STATE_MAX + 1] = '\0';
	expect_open(&key_a, s, "tools/call", b, NOW, -EBADMSG);
	assert_int_equal(seal_open(&key_a, s, "tools/call", b, NOW, NULL, err, sizeof err),
	                 -EBADMSG);
	assert_non_null(strstr(err, "too long"));
	/* Exactly at the limit, shaped like a state: read, and refused for its MAC. */
	memcpy(s, "v1.", 3);
	s[SEAL_STATE_MAX - 44] = '.';
	s[SEAL_STATE_MAX] = '\0';
	assert_int_equal(seal_open(&key_a, s, "tools/call", b, NOW, NULL, err, sizeof err),
	                 -EBADMSG);
	assert_non_null(strstr(err, "altered"));
	free(s);
	json_decref(b);
}

static void test_size_limit_when_sealing(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{}");
	char *text = malloc(SEAL_STATE_MAX);
	json_t *d, *got = NULL;
	char *s;

	assert_non_null(text);
	/* Big but fits: 40000 bytes become about 53 KiB of base64. */
	memset(text, 'x', 40000);
	text[40000] = '\0';
	d = json_pack("{s:s}", "big", text);
	s = make(b, d);
	assert_int_equal(seal_open(&key_a, s, "tools/call", b, NOW, &got, NULL, 0), 0);
	assert_true(json_equal(got, d));
	json_decref(got);
	json_decref(d);
	free(s);
	/* Would not fit: not made at all, rather than made and then refused. */
	memset(text, 'x', 50000);
	text[50000] = '\0';
	d = json_pack("{s:s}", "big", text);
	assert_null(seal_make(&key_a, "tools/call", b, d, EXPIRES));
	json_decref(d);
	free(text);
	json_decref(b);
}

static void test_make_refuses_bad_input(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{}");
	json_t *array = parse("[1]");
	json_t *string = parse("\"text\"");
	char *s;

	assert_null(seal_make(&key_a, "tools/call", b, array, EXPIRES));
	assert_null(seal_make(&key_a, "tools/call", b, string, EXPIRES));
	assert_null(seal_make(&key_a, NULL, b, NULL, EXPIRES));
	assert_null(seal_make(NULL, "tools/call", b, NULL, EXPIRES));
	assert_null(seal_make(&key_a, "\xff", b, NULL, EXPIRES)); /* not UTF-8 */
	/* Any JSON value binds, not only objects. */
	s = make(string, NULL);
	expect_open(&key_a, s, "tools/call", string, NOW, 0);
	expect_open(&key_a, s, "tools/call", array, NOW, -EINVAL);
	free(s);
	json_decref(string);
	json_decref(array);
	json_decref(b);
}

static char *b64url(const unsigned char *in, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(cap);

	assert_non_null(out);
	return sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* A state with a valid MAC around any payload, as only the key's holder could make. */
static char *forge(const struct seal_key *key, const char *payload_b64)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char *signed_part, *mac_b64, *state;

	assert_true(asprintf(&signed_part, "v1.%s", payload_b64) > 0);
	assert_int_equal(crypto_auth_hmacsha256(mac, (unsigned char *)signed_part,
	                                        strlen(signed_part), key->bytes),
	                 0);
	mac_b64 = b64url(mac, sizeof mac);
	assert_true(asprintf(&state, "%s.%s", signed_part, mac_b64) > 0);
	free(mac_b64);
	free(signed_part);
	return state;
}

static char *forge_json(const struct seal_key *key, const char *payload)
{
	char *p = b64url((const unsigned char *)payload, strlen(payload));
	char *s = forge(key, p);

	free(p);
	return s;
}

static void test_authentic_but_odd_payload(void **state)
{
	(void)state;
	static const char *const odd[] = {
	    "",
	    "not json",
	    "[]",
	    "\"v1\"",
	    "null",
	    "{}",
	    "{\"m\":\"tools/call\"}",
	    "{\"m\":1,\"b\":\"x\",\"e\":1}",
	    "{\"m\":\"tools/call\",\"b\":7,\"e\":1}",
	    "{\"m\":\"tools/call\",\"b\":\"x\",\"e\":\"1\"}",
	    "{\"m\":\"tools/call\",\"b\":\"x\",\"e\":1.5}",
	    "{\"m\":\"tools/call\",\"b\":\"x\",\"e\":1,\"d\":[]}",
	    "{\"m\":\"tools/call\",\"b\":\"x\",\"e\":1,\"d\":null}",
	    "{\"m\":\"tools/call\",\"m\":\"tools/call\",\"b\":\"x\",\"e\":1}",
	    "{\"m\":\"tools/call\",\"b\":\"x\",\"e\":99999999999999999999999}",
	    "{\"m\":\"tools/call\",\"b\":\"x\",\"e\":1} trailing",
	};
	json_t *b = call_binding("codex", "{}");
	char err[128];
	char *s;

	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		s = forge_json(&key_a, odd[i]);
		expect_open(&key_a, s, "tools/call", b, NOW, -EBADMSG);
		assert_int_equal(seal_open(&key_a, s, "tools/call", b, NOW, NULL, err, sizeof err),
		                 -EBADMSG);
		/* The MAC held: refused for what it says, which shows forge() works. */
		assert_null(strstr(err, "altered"));
		free(s);
	}
	/* Base64 with a character left over, or with stray bits after the last byte. */
	s = forge(&key_a, "e30xA");
	expect_open(&key_a, s, "tools/call", b, NOW, -EBADMSG);
	free(s);
	s = forge(&key_a, "e31");
	expect_open(&key_a, s, "tools/call", b, NOW, -EBADMSG);
	free(s);
	/* Well-formed, sealed for another method or arguments, with a method holding a NUL. */
	s = forge_json(&key_a, "{\"m\":\"tools/call\\u0000x\",\"b\":\"x\",\"e\":1}");
	expect_open(&key_a, s, "tools/call", b, NOW, -EINVAL);
	free(s);
	s = forge_json(&key_a, "{\"m\":\"tools/call\",\"b\":\"x\",\"e\":1}");
	expect_open(&key_a, s, "tools/call", b, NOW, -EINVAL);
	free(s);
	json_decref(b);
}

/*
 * A state sealed before the move to libsodium, under a fixed key: HMAC-SHA256, the SHA-256
 * binding digest and the base64url are the same bytes, so states outstanding across an
 * upgrade still open, and seal_make writes exactly this.
 */
static void test_known_state(void **state)
{
	(void)state;
	static const char known[] =
	    "v1.eyJtIjoidG9vbHMvY2FsbCIsImIiOiJYaF9aTnJNWVgwNlRZd0RVOFZiVVUweE9PZ0hCQ19Ka0QxZTNjd2"
	    "xrNDAwIiwiZSI6NDEwMjQ0NDgwMDAwMCwiZCI6eyJzdGVwIjoyLCJ0aHJlYWQiOiJ0LTEifX0."
	    "lUhU21yABMUWYgqBie4p7ivY6PkHIIkiaowxiclaA7Q";
	struct seal_key key;
	json_t *b = parse("{\"name\":\"codex\",\"arguments\":{\"prompt\":\"hi\",\"n\":3}}");
	json_t *d = parse("{\"step\":2,\"thread\":\"t-1\"}"), *got = NULL;
	char *s;

	for (size_t i = 0; i < sizeof key.bytes; i++)
		key.bytes[i] = (unsigned char)(0xa0 + i);
	s = seal_make(&key, "tools/call", b, d, INT64_C(4102444800000));
	assert_non_null(s);
	assert_string_equal(s, known);
	free(s);
	assert_int_equal(seal_open(&key, known, "tools/call", b, NOW, &got, NULL, 0), 0);
	assert_true(json_equal(got, d));
	json_decref(got);
	expect_open(&key_a, known, "tools/call", b, NOW, -EBADMSG);
	json_decref(d);
	json_decref(b);
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * The MAC's last character carries 4 bits and 2 that must be zero: a client that sets those
 * spells the same MAC bytes another way. The MAC is compared as text, so that is a change
 * like any other. Likewise the payload's last character, which the MAC covers as text.
 */
static void test_noncanonical_spellings_refused(void **state)
{
	(void)state;
	json_t *b = call_binding("codex", "{}");
	char *s = make(b, NULL);
	size_t len = strlen(s);
	const size_t at[2] = {len - 1, (size_t)(strrchr(s, '.') - s) - 1};
	char *t = malloc(len + 1);
	char err[128];

	assert_non_null(t);
	assert_int_equal((strchr(b64_alphabet, s[len - 1]) - b64_alphabet) & 3, 0);
	for (size_t k = 0; k < 2; k++) {
		size_t v = (size_t)(strchr(b64_alphabet, s[at[k]]) - b64_alphabet);
		/* The other characters that differ from it only in the low 2 bits. */
		for (size_t alias = v & ~(size_t)3; alias <= (v | 3); alias++) {
			if (alias == v)
				continue;
			memcpy(t, s, len + 1);
			t[at[k]] = b64_alphabet[alias];
			assert_int_equal(
			    seal_open(&key_a, t, "tools/call", b, NOW, NULL, err, sizeof err),
			    -EBADMSG);
			assert_non_null(strstr(err, "altered"));
		}
	}
	free(t);
	free(s);
	json_decref(b);
}

static void test_small_error_buffers(void **state)
{
	(void)state;
	char err[8];

	memset(err, 'z', sizeof err);
	assert_int_equal(seal_open(&key_a, "junk", "tools/call", NULL, NOW, NULL, err, 1),
	                 -EBADMSG);
	assert_int_equal(err[0], '\0');
	assert_int_equal(err[1], 'z');
	assert_int_equal(seal_open(&key_a, "junk", "tools/call", NULL, NOW, NULL, err, sizeof err),
	                 -EBADMSG);
	assert_string_equal(err, "request");
	assert_int_equal(seal_open(&key_a, "junk", "tools/call", NULL, NOW, NULL, NULL, 100),
	                 -EBADMSG);
	assert_int_equal(seal_open(NULL, "junk", "tools/call", NULL, NOW, NULL, NULL, 0), -EINVAL);
	assert_int_equal(seal_open(&key_a, "junk", NULL, NULL, NOW, NULL, NULL, 0), -EINVAL);
}

/* --- the key file --- */

static int dir_setup(void **state)
{
	char *dir = unit_mkdtemp();

	assert_non_null(dir);
	*state = dir;
	return 0;
}

static int dir_teardown(void **state)
{
	unit_rm_rf(*state);
	free(*state);
	return 0;
}

static char *in_dir(void **state, const char *name)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s", (char *)*state, name) > 0);
	return path;
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Writes a file of len bytes with mode; returns its path (caller frees). */
static char *key_file(void **state, const char *name, size_t len, mode_t mode)
{
	char *path = in_dir(state, name);
	char bytes[64];

	memset(bytes, 0x5a, sizeof bytes);
	assert_int_equal(unit_write_file(path, bytes, len), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void expect_load(const char *path, int want, const char *in_err)
{
	struct seal_key key;
	char err[512] = "";

	memset(&key, 0x11, sizeof key);
	assert_int_equal(seal_key_load(path, &key, err, sizeof err), want);
	if (want != 0) {
		assert_non_null(strstr(err, in_err));
		/* No half-read key is left for a careless caller to use. */
		for (size_t i = 0; i < sizeof key.bytes; i++)
			assert_int_equal(key.bytes[i], 0);
	}
}

static void test_key_created_private(void **state)
{
	char *path = in_dir(state, "seal.key");
	struct seal_key key, zero = {{0}};
	char err[256];
	struct stat st;

	assert_int_equal(seal_key_load(path, &key, err, sizeof err), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st.st_uid, geteuid());
	assert_memory_not_equal(key.bytes, zero.bytes, sizeof key.bytes);
	/* Nothing else left behind: the private name it was written under is gone. */
	assert_int_equal(dir_entries(*state), 1);
	free(path);
}

static void test_key_loaded_back(void **state)
{
	char *path = in_dir(state, "seal.key"), *other = in_dir(state, "other.key");
	struct seal_key first, again, third;
	json_t *b = call_binding("codex", "{}");
	char *s;

	assert_int_equal(seal_key_load(path, &first, NULL, 0), 0);
	assert_int_equal(seal_key_load(path, &again, NULL, 0), 0);
	assert_memory_equal(first.bytes, again.bytes, sizeof first.bytes);
	assert_int_equal(seal_key_load(other, &third, NULL, 0), 0);
	assert_memory_not_equal(first.bytes, third.bytes, sizeof first.bytes);
	/* A state from before a restart opens after it. */
	s = seal_make(&first, "tools/call", b, NULL, EXPIRES);
	assert_non_null(s);
	expect_open(&again, s, "tools/call", b, NOW, 0);
	expect_open(&third, s, "tools/call", b, NOW, -EBADMSG);
	free(s);
	json_decref(b);
	free(other);
	free(path);
}

static void test_key_symlink_refused(void **state)
{
	char *real = key_file(state, "real.key", 32, 0600);
	char *link = in_dir(state, "link.key"), *dangling = in_dir(state, "dangling.key");
	char *target = in_dir(state, "planted.key");
	struct stat st;

	assert_int_equal(symlink(real, link), 0);
	expect_load(link, -ELOOP, "symbolic link");
	/* A dangling link must not make the server create the key where it points. */
	assert_int_equal(symlink(target, dangling), 0);
	expect_load(dangling, -ELOOP, "symbolic link");
	assert_int_equal(lstat(target, &st), -1);
	free(target);
	free(dangling);
	free(link);
	free(real);
}

static void test_key_wrong_size_refused(void **state)
{
	static const size_t sizes[] = {0, 1, 31, 33, 64};
	struct stat st;

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char *path = key_file(state, "seal.key", sizes[i], 0600);
		expect_load(path, -EINVAL, "32 bytes");
		/* Left as it was: a broken key is for a person to look at, not to overwrite. */
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_size, (off_t)sizes[i]);
		free(path);
	}
}

static void test_key_open_mode_refused(void **state)
{
	static const mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0660};

	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		char *path = key_file(state, "seal.key", 32, modes[i]);
		expect_load(path, -EPERM, "mode 0600");
		free(path);
	}
	/* Owner-only modes other than 0600 are the user's business. */
	char *path = key_file(state, "seal.key", 32, 0400);
	expect_load(path, 0, "");
	free(path);
}

static void test_key_not_regular_refused(void **state)
{
	char *dir = in_dir(state, "dir.key"), *fifo = in_dir(state, "fifo.key");

	assert_int_equal(mkdir(dir, 0700), 0);
	expect_load(dir, -EINVAL, "regular file");
	/* Must not hang waiting for a writer. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_load(fifo, -EINVAL, "regular file");
	free(fifo);
	free(dir);
}

static void test_key_missing_dir(void **state)
{
	char *path = in_dir(state, "no/such/seal.key");

	expect_load(path, -ENOENT, "cannot create the seal key");
	free(path);
}

enum { RACERS = 4 };

/* Servers starting together on a new state dir all end up with one key. */
static void test_key_race(void **state)
{
	char *path = in_dir(state, "seal.key");
	struct seal_key keys[RACERS], on_disk;
	int go[2], out[RACERS][2];
	pid_t pids[RACERS];
	char start = 'g';

	assert_int_equal(pipe(go), 0);
	for (int i = 0; i < RACERS; i++) {
		assert_int_equal(pipe(out[i]), 0);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct seal_key k;
			char c;
			close(go[1]);
			if (read(go[0], &c, 1) != 1 || seal_key_load(path, &k, NULL, 0) != 0 ||
			    write(out[i][1], k.bytes, sizeof k.bytes) != (ssize_t)sizeof k.bytes)
				_exit(1);
			_exit(0);
		}
		close(out[i][1]);
	}
	close(go[0]);
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(write(go[1], &start, 1), 1);
	close(go[1]);
	for (int i = 0; i < RACERS; i++) {
		int status;
		assert_int_equal(read(out[i][0], keys[i].bytes, 32), 32);
		close(out[i][0]);
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(seal_key_load(path, &on_disk, NULL, 0), 0);
	for (int i = 0; i < RACERS; i++)
		assert_memory_equal(keys[i].bytes, on_disk.bytes, sizeof on_disk.bytes);
	assert_int_equal(dir_entries(*state), 1);
	free(path);
}

#define K(fn) cmocka_unit_test_setup_teardown(fn, dir_setup, dir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_without_data),
	    cmocka_unit_test(test_round_trip_with_data),
	    cmocka_unit_test(test_every_byte_change_refused),
	    cmocka_unit_test(test_truncated_or_extended_refused),
	    cmocka_unit_test(test_other_key_refused),
	    cmocka_unit_test(test_other_method_refused),
	    cmocka_unit_test(test_other_arguments_refused),
	    cmocka_unit_test(test_reordered_keys_open),
	    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_garbage_refused),
	    cmocka_unit_test(test_huge_refused),
	    cmocka_unit_test(test_size_limit_when_sealing),
	    cmocka_unit_test(test_make_refuses_bad_input),
	    cmocka_unit_test(test_authentic_but_odd_payload),
	    cmocka_unit_test(test_known_state),
	    cmocka_unit_test(test_noncanonical_spellings_refused),
	    cmocka_unit_test(test_small_error_buffers),
	    K(test_key_created_private),
	    K(test_key_loaded_back),
	    K(test_key_symlink_refused),
	    K(test_key_wrong_size_refused),
	    K(test_key_open_mode_refused),
	    K(test_key_not_regular_refused),
	    K(test_key_missing_dir),
	    K(test_key_race),
	};
	return cmocka_run_group_tests_name("mcp/seal", tests, keys_setup, NULL);
}
