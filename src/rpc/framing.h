/*
 * Splits a byte stream into lines. Each byte is scanned once, so a line of
 * any length costs linear time. A line longer than the cap is dropped and
 * reported, and the reader resumes at the next newline.
 */
#ifndef CODEX_MCP_FRAMING_H
#define CODEX_MCP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

struct line_sink {
	/* line is NUL-terminated, without its "\n" or "\r\n"; never blank. */
	void (*line)(void *data, char *line, size_t len);
	/* A line went past the cap; its bytes are discarded. */
	void (*overflow)(void *data, size_t max_line);
	void *data;
};

struct line_reader {
	char *buf;
	size_t len;
	size_t cap;
	size_t max_line;
	bool discarding;
};

void line_reader_init(struct line_reader *lr, size_t max_line);
void line_reader_free(struct line_reader *lr);

/* Returns 0, or -1 when out of memory (the pending line is then dropped). */
int line_reader_feed(struct line_reader *lr, const char *bytes, size_t n,
                     const struct line_sink *sink);

/* End of stream: a last line without a newline is still delivered. */
void line_reader_finish(struct line_reader *lr, const struct line_sink *sink);

#endif
