#include "unit.h"

#include "util/redact.h"

static int clear(void **state)
{
	(void)state;
	redact_clear();
	return 0;
}

static void expect(const char *text, const char *want)
{
	char *got = redact(text);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_nothing_to_mask(void **state)
{
	(void)state;
	assert_false(redact_active());
	expect("plain text", "plain text");
	redact_add("abc"); /* too short to mask */
	assert_false(redact_active());
	redact_add("s3cr3t");
	assert_true(redact_active());
	expect("", "");
	expect(NULL, "");
	expect("nothing here", "nothing here");
}

static void test_every_occurrence(void **state)
{
	(void)state;
	redact_add("s3cr3t");
	expect("s3cr3t", "[redacted]");
	expect("a s3cr3t b s3cr3t c", "a [redacted] b [redacted] c");
	/* Two secrets side by side are two masks. */
	expect("s3cr3ts3cr3t", "[redacted][redacted]");
	expect("s3cr3", "s3cr3");
}

/* A secret added after one it contains must not leave its remainder behind. */
static void test_longer_secret_added_later(void **state)
{
	(void)state;
	redact_add("sk-1234");
	redact_add("sk-1234-extended-part");
	expect("key=sk-1234-extended-part;", "key=[redacted];");
	expect("key=sk-1234;", "key=[redacted];");
}

static void test_shorter_secret_added_later(void **state)
{
	(void)state;
	redact_add("prefix-TOKEN-suffix");
	redact_add("TOKEN");
	expect("[prefix-TOKEN-suffix]", "[[redacted]]");
	expect("[TOKEN]", "[[redacted]]");
}

/* Secrets that overlap in the text: no byte of either survives. */
static void test_overlapping_secrets(void **state)
{
	(void)state;
	redact_add("abcd");
	redact_add("cdef");
	expect("xxabcdefyy", "xx[redacted]yy");
	expect("xxcdefabcdyy", "xx[redacted][redacted]yy");
	redact_clear();
	redact_add("cdef");
	redact_add("abcd");
	expect("xxabcdefyy", "xx[redacted]yy");
}

/* A secret that overlaps itself: "aaaa" in "aaaaaa" is found at every offset. */
static void test_self_overlap(void **state)
{
	(void)state;
	redact_add("aaaa");
	expect("aaaaaa", "[redacted]");
	expect("baaaab", "b[redacted]b");
	expect("aaa", "aaa");
	redact_clear();
	redact_add("abab");
	expect("xababab", "x[redacted]");
}

/* Many matches in one text: every one is masked, and nothing else changes. */
static void test_many_matches(void **state)
{
	(void)state;
	enum { N = 100000 };
	const char *unit = "KEY-0123 ", *masked = "[redacted] ";
	size_t ulen = strlen(unit), mlen = strlen(masked);
	char *text = malloc(N * ulen + 1), *want = malloc(N * mlen + 1);

	assert_non_null(text);
	assert_non_null(want);
	for (size_t i = 0; i < N; i++) {
		memcpy(text + i * ulen, unit, ulen);
		memcpy(want + i * mlen, masked, mlen);
	}
	text[N * ulen] = '\0';
	want[N * mlen] = '\0';
	redact_add("KEY-0123");
	char *out = redact(text);
	assert_non_null(out);
	assert_int_equal(strlen(out), N * mlen);
	assert_memory_equal(out, want, N * mlen);
	free(out);
	free(want);
	free(text);
}

/*
 * Against a plain reference on random text over a small alphabet: a byte is
 * masked exactly when some occurrence of some secret covers it.
 */
static char *reference(const char *text, const char *const *secs, size_t n_secs)
{
	size_t n = strlen(text);
	int *cover = calloc(n + 1, sizeof *cover); /* occurrence id covering each byte + 1 */
	char *out = calloc(n * 10 + 1, 1), *o = out;
	int id = 0;

	for (size_t s = 0; s < n_secs; s++) {
		size_t m = strlen(secs[s]);
		for (size_t i = 0; i + m <= n; i++) {
			if (memcmp(text + i, secs[s], m) != 0)
				continue;
			id++;
			for (size_t j = i; j < i + m; j++)
				cover[j] = cover[j] ? cover[j] : id;
			/* Bytes already covered join this occurrence where it overlaps them. */
			for (size_t j = i + 1; j < i + m; j++) {
				int from = cover[j], to = cover[j - 1];
				if (from == to)
					continue;
				for (size_t k = 0; k < n; k++)
					if (cover[k] == from)
						cover[k] = to;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!cover[i])
			*o++ = text[i];
		else if (i == 0 || cover[i] != cover[i - 1])
			o = stpcpy(o, "[redacted]");
	}
	free(cover);
	return out;
}

static void test_matches_reference(void **state)
{
	(void)state;
	unsigned seed = 12345;
	char text[64], secs[3][8];
	const char *sp[3];

	for (int round = 0; round < 3000; round++) {
		redact_clear();
		for (int s = 0; s < 3; s++) {
			size_t m = 4 + (size_t)(rand_r(&seed) % 3);
			for (size_t i = 0; i < m; i++)
				secs[s][i] = "ab"[rand_r(&seed) % 2];
			secs[s][m] = '\0';
			sp[s] = secs[s];
			redact_add(secs[s]);
		}
		size_t n = (size_t)(rand_r(&seed) % (sizeof text - 1));
		for (size_t i = 0; i < n; i++)
			text[i] = "abc"[rand_r(&seed) % 3];
		text[n] = '\0';
		char *want = reference(text, sp, 3);
		char *got = redact(text);
		if (strcmp(got, want) != 0)
			fail_msg("text %s, secrets %s %s %s: got %s, want %s", text, sp[0], sp[1],
			         sp[2], got, want);
		free(got);
		free(want);
	}
}

static void test_json(void **state)
{
	(void)state;
	redact_add("sk-1234");
	redact_add("sk-1234-long");
	json_t *in =
	    json_pack("{s:s, s:[s, i]}", "a", "x sk-1234-long y", "sk-1234-long", "sk-1234", 7);
	json_t *out = redact_json(in);
	char *dump = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(dump, "{\"[redacted]\":[\"[redacted]\",7],\"a\":\"x [redacted] y\"}");
	free(dump);
	json_decref(out);
	json_decref(in);
}

/* A JSON line spells a secret with '"' or '\\' escaped; that spelling is masked as well. */
static void test_escaped_spelling(void **state)
{
	(void)state;
	redact_add("pa\"ss\\word");
	char *got = redact("{\"text\":\"pa\\\"ss\\\\word\"} and pa\"ss\\word");
	assert_string_equal(got, "{\"text\":\"[redacted]\"} and [redacted]");
	free(got);
	/* A control character, escaped with either case of hex digit. */
	redact_add("ctl\x1b-secret");
	got = redact("\"ctl\\u001b-secret\" \"ctl\\u001B-secret\"");
	assert_string_equal(got, "\"[redacted]\" \"[redacted]\"");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_nothing_to_mask, clear),
	    cmocka_unit_test_teardown(test_every_occurrence, clear),
	    cmocka_unit_test_teardown(test_longer_secret_added_later, clear),
	    cmocka_unit_test_teardown(test_shorter_secret_added_later, clear),
	    cmocka_unit_test_teardown(test_overlapping_secrets, clear),
	    cmocka_unit_test_teardown(test_self_overlap, clear),
	    cmocka_unit_test_teardown(test_many_matches, clear),
	    cmocka_unit_test_teardown(test_matches_reference, clear),
	    cmocka_unit_test_teardown(test_escaped_spelling, clear),
	    cmocka_unit_test_teardown(test_json, clear),
	};
	return cmocka_run_group_tests_name("redact", tests, NULL, NULL);
}
