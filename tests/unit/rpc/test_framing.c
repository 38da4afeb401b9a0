#include "unit.h"

#include "rpc/framing.h"

#define MAX_KEPT 64

struct capture {
	char *lines[MAX_KEPT];
	size_t line_count; /* every line callback, kept or not */
	size_t overflows;
	size_t last_overflow_max;
	size_t last_len; /* len argument of the last line callback */
	bool keep;       /* copy lines into lines[] */
	bool all_a;      /* every delivered byte so far was 'a' */
};

static void on_line(void *data, char *line, size_t len)
{
	struct capture *c = data;

	assert_non_null(line);
	assert_true(len > 0);
	/* The line is NUL-terminated at len and holds no newline. */
	assert_int_equal(line[len], '\0');
	assert_null(memchr(line, '\n', len));
	c->last_len = len;
	if (c->keep) {
		assert_true(c->line_count < MAX_KEPT);
		assert_int_equal(strlen(line), len);
		c->lines[c->line_count] = strdup(line);
	} else {
		for (size_t i = 0; i < len; i++)
			if (line[i] != 'a')
				c->all_a = false;
	}
	c->line_count++;
}

static void on_overflow(void *data, size_t max_line)
{
	struct capture *c = data;

	c->overflows++;
	c->last_overflow_max = max_line;
}

struct fixture {
	struct line_reader lr;
	struct capture cap;
	struct line_sink sink;
};

static struct fixture *fixture_new(size_t max_line)
{
	struct fixture *f = calloc(1, sizeof *f);

	assert_non_null(f);
	line_reader_init(&f->lr, max_line);
	f->cap.keep = true;
	f->cap.all_a = true;
	f->sink.line = on_line;
	f->sink.overflow = on_overflow;
	f->sink.data = &f->cap;
	return f;
}

static void fixture_free(struct fixture *f)
{
	for (size_t i = 0; i < f->cap.line_count && i < MAX_KEPT; i++)
		free(f->cap.lines[i]);
	line_reader_free(&f->lr);
	free(f);
}

static void feed(struct fixture *f, const char *s, size_t n)
{
	assert_int_equal(line_reader_feed(&f->lr, s, n, &f->sink), 0);
}

static void feed_str(struct fixture *f, const char *s)
{
	feed(f, s, strlen(s));
}

static void feed_bytewise(struct fixture *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		feed(f, s + i, 1);
}

static void feed_chunks(struct fixture *f, const char *s, size_t n, size_t chunk)
{
	for (size_t i = 0; i < n; i += chunk)
		feed(f, s + i, n - i < chunk ? n - i : chunk);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ---- tests ---- */

static void test_split_across_feeds_byte_by_byte(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(1024);
	static const char input[] = "{\"a\":1}\nsecond line\r\nthird\n";

	feed_bytewise(f, input, sizeof input - 1);
	assert_int_equal(f->cap.line_count, 3);
	assert_string_equal(f->cap.lines[0], "{\"a\":1}");
	assert_string_equal(f->cap.lines[1], "second line");
	assert_string_equal(f->cap.lines[2], "third");
	assert_int_equal(f->cap.overflows, 0);
	fixture_free(f);
}

static void test_split_at_every_offset(void **state)
{
	(void)state;
	static const char input[] = "alpha\r\nbeta\n\ngamma\r\n";

	/* Two feeds, split at each possible offset: always the same three lines. */
	for (size_t cut = 0; cut <= sizeof input - 1; cut++) {
		struct fixture *f = fixture_new(64);
		feed(f, input, cut);
		feed(f, input + cut, sizeof input - 1 - cut);
		assert_int_equal(f->cap.line_count, 3);
		assert_string_equal(f->cap.lines[0], "alpha");
		assert_string_equal(f->cap.lines[1], "beta");
		assert_string_equal(f->cap.lines[2], "gamma");
		fixture_free(f);
	}
}

static void test_many_lines_in_one_feed(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(3);

	/* More bytes than the cap in one feed, each line within it. */
	feed_str(f, "abc\nde\nf\nxyz\r\n");
	assert_int_equal(f->cap.line_count, 4);
	assert_string_equal(f->cap.lines[0], "abc");
	assert_string_equal(f->cap.lines[1], "de");
	assert_string_equal(f->cap.lines[2], "f");
	assert_string_equal(f->cap.lines[3], "xyz");
	assert_int_equal(f->cap.overflows, 0);
	fixture_free(f);
}

static void test_crlf_stripped(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(64);

	feed_str(f, "one\r\ntwo\r\n");
	/* Only a CR right before the LF is framing; one inside the line stays. */
	feed_str(f, "x\ry\n");
	/* CR and LF in different feeds. */
	feed_str(f, "three\r");
	feed_str(f, "\n");
	assert_int_equal(f->cap.line_count, 4);
	assert_string_equal(f->cap.lines[0], "one");
	assert_string_equal(f->cap.lines[1], "two");
	assert_string_equal(f->cap.lines[2], "x\ry");
	assert_string_equal(f->cap.lines[3], "three");
	fixture_free(f);
}

static void test_blank_lines_skipped(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(64);

	feed_str(f, "\n\n\r\n\nA\n\r\n\n");
	feed_bytewise(f, "\r\n\nB\n\n", 6);
	assert_int_equal(f->cap.line_count, 2);
	assert_string_equal(f->cap.lines[0], "A");
	assert_string_equal(f->cap.lines[1], "B");
	assert_int_equal(f->cap.overflows, 0);
	fixture_free(f);
}

static void test_line_exactly_at_cap(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(8);

	feed_str(f, "12345678\n");
	feed_str(f, "abcdefgh\r\n"); /* the CR is framing, not content */
	feed_bytewise(f, "ABCDEFGH\r\n", 10);
	assert_int_equal(f->cap.line_count, 3);
	assert_string_equal(f->cap.lines[0], "12345678");
	assert_string_equal(f->cap.lines[1], "abcdefgh");
	assert_string_equal(f->cap.lines[2], "ABCDEFGH");
	assert_int_equal(f->cap.overflows, 0);
	fixture_free(f);
}

static void test_one_byte_over_cap(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(8);

	feed_str(f, "123456789\nnext\n");
	assert_int_equal(f->cap.overflows, 1);
	assert_int_equal(f->cap.last_overflow_max, 8);
	assert_int_equal(f->cap.line_count, 1);
	assert_string_equal(f->cap.lines[0], "next");
	fixture_free(f);
}

static void test_one_byte_over_cap_bytewise(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(8);
	static const char input[] = "123456789\nnext\n";

	feed_bytewise(f, input, sizeof input - 1);
	assert_int_equal(f->cap.overflows, 1);
	assert_int_equal(f->cap.line_count, 1);
	assert_string_equal(f->cap.lines[0], "next");
	fixture_free(f);
}

static void test_one_byte_over_cap_crlf(void **state)
{
	(void)state;
	static const char input[] = "123456789\r\nnext\r\n";

	for (int bytewise = 0; bytewise <= 1; bytewise++) {
		struct fixture *f = fixture_new(8);
		if (bytewise)
			feed_bytewise(f, input, sizeof input - 1);
		else
			feed_str(f, input);
		assert_int_equal(f->cap.overflows, 1);
		assert_int_equal(f->cap.line_count, 1);
		assert_string_equal(f->cap.lines[0], "next");
		fixture_free(f);
	}
}

static void test_overlong_across_many_feeds(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(16);
	char *big = repeat('x', 1000);

	feed_chunks(f, big, 1000, 7);
	feed_chunks(f, big, 1000, 1);
	assert_int_equal(f->cap.overflows, 1);
	assert_int_equal(f->cap.line_count, 0);
	feed_str(f, "tail of the long line\nok\n");
	assert_int_equal(f->cap.overflows, 1);
	assert_int_equal(f->cap.line_count, 1);
	assert_string_equal(f->cap.lines[0], "ok");

	/* A second over-long line is reported on its own. */
	feed_chunks(f, big, 1000, 333);
	feed_str(f, "\nagain\n");
	assert_int_equal(f->cap.overflows, 2);
	assert_int_equal(f->cap.line_count, 2);
	assert_string_equal(f->cap.lines[1], "again");
	free(big);
	fixture_free(f);
}

static void test_overlong_then_lines_in_same_feed(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(4);

	feed_str(f, "aaaaaaaaaaaaaaa\nbb\ncccccc\ndddd\n");
	assert_int_equal(f->cap.overflows, 2);
	assert_int_equal(f->cap.line_count, 2);
	assert_string_equal(f->cap.lines[0], "bb");
	assert_string_equal(f->cap.lines[1], "dddd");
	fixture_free(f);
}

static void test_finish_delivers_unterminated_line(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(64);

	feed_str(f, "first\nlast");
	assert_int_equal(f->cap.line_count, 1);
	line_reader_finish(&f->lr, &f->sink);
	assert_int_equal(f->cap.line_count, 2);
	assert_string_equal(f->cap.lines[1], "last");
	/* Nothing left: a second finish delivers nothing. */
	line_reader_finish(&f->lr, &f->sink);
	assert_int_equal(f->cap.line_count, 2);
	fixture_free(f);
}

static void test_finish_strips_cr_and_skips_empty(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(64);

	feed_str(f, "abc\r");
	line_reader_finish(&f->lr, &f->sink);
	assert_int_equal(f->cap.line_count, 1);
	assert_string_equal(f->cap.lines[0], "abc");

	feed_str(f, "\r");
	line_reader_finish(&f->lr, &f->sink);
	line_reader_finish(&f->lr, &f->sink);
	assert_int_equal(f->cap.line_count, 1);
	assert_int_equal(f->cap.overflows, 0);
	fixture_free(f);
}

static void test_finish_at_cap(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(8);

	feed_str(f, "12345678");
	line_reader_finish(&f->lr, &f->sink);
	assert_int_equal(f->cap.line_count, 1);
	assert_string_equal(f->cap.lines[0], "12345678");
	assert_int_equal(f->cap.overflows, 0);
	fixture_free(f);
}

static void test_finish_one_byte_over_cap_not_delivered(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(8);

	/* An unterminated line of cap+1 bytes is over the cap like any other. */
	feed_str(f, "123456789");
	line_reader_finish(&f->lr, &f->sink);
	size_t lines = f->cap.line_count, overflows = f->cap.overflows;
	if (lines > 0)
		print_error("delivered \"%s\" (%zu bytes, cap 8)\n", f->cap.lines[0],
		            f->cap.last_len);
	fixture_free(f);
	assert_int_equal(lines, 0);
	assert_int_equal(overflows, 1);
}

static void test_finish_while_discarding(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(8);

	feed_str(f, "0123456789abcdef");
	assert_int_equal(f->cap.overflows, 1);
	line_reader_finish(&f->lr, &f->sink);
	assert_int_equal(f->cap.line_count, 0);
	assert_int_equal(f->cap.overflows, 1);
	/* The reader is usable again after finish. */
	feed_str(f, "fresh\n");
	assert_int_equal(f->cap.line_count, 1);
	assert_string_equal(f->cap.lines[0], "fresh");
	fixture_free(f);
}

static void test_64mib_line_in_64kib_chunks(void **state)
{
	(void)state;
	const size_t line_len = (size_t)64 << 20;
	const size_t chunk_len = (size_t)64 << 10;
	struct fixture *f = fixture_new(line_len);
	char *chunk = repeat('a', chunk_len);

	f->cap.keep = false;
	for (size_t sent = 0; sent < line_len; sent += chunk_len)
		feed(f, chunk, chunk_len);
	assert_int_equal(f->cap.line_count, 0);
	feed_str(f, "\n");
	assert_int_equal(f->cap.line_count, 1);
	assert_int_equal(f->cap.last_len, line_len);
	assert_true(f->cap.all_a);
	assert_int_equal(f->cap.overflows, 0);

	/* The same length plus one byte is one overflow, then reading goes on. */
	for (size_t sent = 0; sent < line_len; sent += chunk_len)
		feed(f, chunk, chunk_len);
	feed_str(f, "a\naa\n");
	assert_int_equal(f->cap.overflows, 1);
	assert_int_equal(f->cap.line_count, 2);
	assert_int_equal(f->cap.last_len, 2);
	free(chunk);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_across_feeds_byte_by_byte),
	    cmocka_unit_test(test_split_at_every_offset),
	    cmocka_unit_test(test_many_lines_in_one_feed),
	    cmocka_unit_test(test_crlf_stripped),
	    cmocka_unit_test(test_blank_lines_skipped),
	    cmocka_unit_test(test_line_exactly_at_cap),
	    cmocka_unit_test(test_one_byte_over_cap),
	    cmocka_unit_test(test_one_byte_over_cap_bytewise),
	    cmocka_unit_test(test_one_byte_over_cap_crlf),
	    cmocka_unit_test(test_overlong_across_many_feeds),
	    cmocka_unit_test(test_overlong_then_lines_in_same_feed),
	    cmocka_unit_test(test_finish_delivers_unterminated_line),
	    cmocka_unit_test(test_finish_strips_cr_and_skips_empty),
	    cmocka_unit_test(test_finish_at_cap),
	    cmocka_unit_test(test_finish_one_byte_over_cap_not_delivered),
	    cmocka_unit_test(test_finish_while_discarding),
	    cmocka_unit_test(test_64mib_line_in_64kib_chunks),
	};
	return cmocka_run_group_tests_name("mcp/framing", tests, NULL, NULL);
}
