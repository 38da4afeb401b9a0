#include "unit.h"

#include "util/text.h"

#define E_ACUTE "\xc3\xa9"      /* U+00E9, 2 bytes */
#define EURO "\xe2\x82\xac"     /* U+20AC, 3 bytes */
#define GRIN "\xf0\x9f\x98\x80" /* U+1F600, 4 bytes */

static size_t prefix(const char *s, size_t max)
{
	return text_utf8_prefix(s, strlen(s), max);
}

static void test_prefix_ascii(void **state)
{
	(void)state;
	assert_int_equal(prefix("hello", 0), 0);
	assert_int_equal(prefix("hello", 3), 3);
	assert_int_equal(prefix("hello", 5), 5);
	assert_int_equal(prefix("hello", 100), 5);
	assert_int_equal(prefix("", 10), 0);
}

static void test_prefix_never_splits(void **state)
{
	(void)state;
	/* a é € 😀 b: boundaries at 0, 1, 3, 6, 10, 11. */
	static const char s[] = "a" E_ACUTE EURO GRIN "b";
	static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11, 11, 11};

	for (size_t max = 0; max < sizeof want / sizeof want[0]; max++) {
		size_t got = prefix(s, max);
		if (got != want[max])
			fail_msg("max %zu: got %zu, want %zu", max, got, want[max]);
	}
}

static void test_prefix_every_cut_is_valid(void **state)
{
	(void)state;
	static const char s[] = E_ACUTE GRIN "x" EURO EURO GRIN E_ACUTE "yz" GRIN;
	size_t len = sizeof s - 1;

	for (size_t max = 0; max <= len + 2; max++) {
		size_t n = text_utf8_prefix(s, len, max);
		assert_true(n <= max);
		assert_true(n <= len);
		assert_true(unit_utf8_valid(s, n));
		/* Longest: one more character would not fit. */
		if (n < len) {
			size_t next = n + 1;
			while (next < len && ((unsigned char)s[next] & 0xC0) == 0x80)
				next++;
			assert_true(next > max);
		}
	}
}

static void test_prefix_respects_len(void **state)
{
	(void)state;
	static const char s[] = "ab" EURO "cd";

	/* Bytes past len are never looked at or counted. */
	assert_int_equal(text_utf8_prefix(s, 2, 10), 2);
	assert_int_equal(text_utf8_prefix(s, 5, 10), 5);
	assert_int_equal(text_utf8_prefix(s, 7, 4), 2);
}

static void test_prefix_invalid_bytes(void **state)
{
	(void)state;
	/* Invalid bytes count one each, so a prefix still moves past them. */
	assert_int_equal(text_utf8_prefix("\xff\xfe"
	                                  "a",
	                                  3, 1),
	                 1);
	assert_int_equal(text_utf8_prefix("\xff\xfe"
	                                  "a",
	                                  3, 2),
	                 2);
	assert_int_equal(text_utf8_prefix("\x80\x80" E_ACUTE, 4, 3), 2);
	assert_int_equal(text_utf8_prefix("a\0b", 3, 3), 3);
}

static void expect_sanitized(const char *in, size_t len, const char *want)
{
	char *out = text_sanitize(in, len);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_true(unit_utf8_valid_str(out));
	free(out);
}

static void test_sanitize(void **state)
{
	(void)state;
	expect_sanitized("", 0, "");
	expect_sanitized("plain text", 10, "plain text");
	expect_sanitized("a" E_ACUTE EURO GRIN, 10, "a" E_ACUTE EURO GRIN);
	/* NUL bytes. */
	expect_sanitized("a\0b", 3, "a?b");
	expect_sanitized("\0\0", 2, "??");
	/* Bytes that are never UTF-8. */
	expect_sanitized("x\xff y\xfe", 5, "x? y?");
	expect_sanitized("\xc0\xc1\xf5\xf8", 4, "????");
	/* A lone continuation byte. */
	expect_sanitized("\x80"
	                 "ok",
	                 3, "?ok");
	/* Truncated sequences, at the end and before ASCII. */
	expect_sanitized("a\xc3", 2, "a?");
	expect_sanitized("\xe2\x82"
	                 "z",
	                 3, "??z");
	expect_sanitized("\xf0\x9f\x98", 3, "???");
	/* Overlong forms. */
	expect_sanitized("\xc0\xaf", 2, "??");
	expect_sanitized("\xe0\x80\xaf", 3, "???");
	expect_sanitized("\xf0\x80\x80\xaf", 4, "????");
	/* Surrogates and values past U+10FFFF. */
	expect_sanitized("\xed\xa0\x80", 3, "???");
	expect_sanitized("\xf4\x90\x80\x80", 4, "????");
	/* The largest valid values stay. */
	expect_sanitized("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf");
	expect_sanitized("\xef\xbf\xbf", 3, "\xef\xbf\xbf");
	/* Only len bytes are read. */
	expect_sanitized("abcdef", 3, "abc");
}

static void test_sanitize_keeps_length(void **state)
{
	(void)state;
	/* Every byte in, one byte out: a replaced byte becomes exactly one '?'. */
	char in[256];

	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	char *out = text_sanitize(in, sizeof in);
	assert_non_null(out);
	assert_int_equal(strlen(out), sizeof in);
	assert_true(unit_utf8_valid_str(out));
	assert_int_equal(out[0], '?');
	for (int i = 1; i < 0x80; i++)
		assert_int_equal(out[i], i);
	for (int i = 0x80; i < 256; i++)
		assert_int_equal(out[i], '?');
	free(out);
}

static bool plain_byte(int c)
{
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
}

/* Every byte value, at every place of a word and of the tail, against a byte at a time. */
static void test_json_plain(void **state)
{
	char buf[19];

	(void)state;
	for (size_t len = 1; len <= sizeof buf; len++)
		for (size_t at = 0; at < len; at++)
			for (int c = 0; c < 256; c++) {
				bool want = plain_byte(c);
				memset(buf, 'a', sizeof buf);
				buf[at] = (char)c;
				if (text_json_plain(buf, len) != want)
					fail_msg("byte 0x%02x at %zu of %zu", c, at, len);
			}
	/*
	 * A borrow or a carry runs from a byte to the next one up: every pair of adjacent
	 * bytes, inside a word, across two and in the tail.
	 */
	for (size_t at = 0; at + 1 < sizeof buf; at++)
		for (int lo = 0; lo < 256; lo++)
			for (int hi = 0; hi < 256; hi++) {
				bool want = plain_byte(lo) && plain_byte(hi);
				memset(buf, 'a', sizeof buf);
				buf[at] = (char)lo;
				buf[at + 1] = (char)hi;
				if (text_json_plain(buf, sizeof buf) != want)
					fail_msg("bytes 0x%02x 0x%02x at %zu", lo, hi, at);
			}
	assert_true(text_json_plain("", 0));
	assert_true(text_json_plain("ran: echo hi (exit 0)", 21));
}

static void test_sanitize_inplace(void **state)
{
	(void)state;
	char a[] = "ok\xffok";
	char b[] = "caf" E_ACUTE;
	char c[] = "cut " EURO "\xe2\x82";
	char d[] = "\xed\xa0\x80!";

	text_sanitize_inplace(a);
	assert_string_equal(a, "ok?ok");
	text_sanitize_inplace(b);
	assert_string_equal(b, "caf" E_ACUTE);
	text_sanitize_inplace(c);
	assert_string_equal(c, "cut " EURO "??");
	text_sanitize_inplace(d);
	assert_string_equal(d, "???"
	                       "!");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefix_ascii),
	    cmocka_unit_test(test_prefix_never_splits),
	    cmocka_unit_test(test_prefix_every_cut_is_valid),
	    cmocka_unit_test(test_prefix_respects_len),
	    cmocka_unit_test(test_prefix_invalid_bytes),
	    cmocka_unit_test(test_sanitize),
	    cmocka_unit_test(test_sanitize_keeps_length),
	    cmocka_unit_test(test_sanitize_inplace),
	    cmocka_unit_test(test_json_plain),
	};
	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
