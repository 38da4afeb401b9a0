#include "rpc/framing.h"

#include <stdlib.h>
#include <string.h>

enum { SHRINK_ABOVE = 64 * 1024 };

void line_reader_init(struct line_reader *lr, size_t max_line)
{
	memset(lr, 0, sizeof *lr);
	lr->max_line = max_line;
}

void line_reader_free(struct line_reader *lr)
{
	free(lr->buf);
	memset(lr, 0, sizeof *lr);
}

static void deliver(char *line, size_t len, const struct line_sink *sink)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	/* A line of nothing but spaces and tabs is as blank as an empty one. */
	if (strspn(line, " \t") < len)
		sink->line(sink->data, line, len);
}

static int reserve(struct line_reader *lr, size_t extra)
{
	size_t need = lr->len + extra + 1; /* room for the terminating NUL */
	size_t cap = lr->cap ? lr->cap : 4096;
	char *buf;

	if (need <= lr->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	buf = realloc(lr->buf, cap);
	if (!buf)
		return -1;
	lr->buf = buf;
	lr->cap = cap;
	return 0;
}

static void start_discarding(struct line_reader *lr, const struct line_sink *sink)
{
	lr->discarding = true;
	lr->len = 0;
	/* Give back the memory the oversized line took. */
	free(lr->buf);
	lr->buf = NULL;
	lr->cap = 0;
	sink->overflow(sink->data, lr->max_line);
}

/* Gives back a buffer a long line grew: memory follows the lines, not the largest one ever. */
static void shrink(struct line_reader *lr)
{
	if (lr->cap > SHRINK_ABOVE) {
		free(lr->buf);
		lr->buf = NULL;
		lr->cap = 0;
	}
}

int line_reader_feed(struct line_reader *lr, const char *bytes, size_t n,
                     const struct line_sink *sink)
{
	while (n > 0) {
		if (lr->discarding) {
			const char *nl = memchr(bytes, '\n', n);
			if (!nl)
				return 0;
			lr->discarding = false;
			n -= (size_t)(nl + 1 - bytes);
			bytes = nl + 1;
			continue;
		}
		/* One line at a time: the buffer holds a line, never a whole chunk of them. */
		const char *nl = memchr(bytes, '\n', n);
		size_t take = nl ? (size_t)(nl - bytes) + 1 : n;
		if (lr->len + take > lr->max_line + 2) { /* + "\r\n" */
			start_discarding(lr, sink);
			continue;
		}
		if (reserve(lr, take) != 0) {
			start_discarding(lr, sink);
			return -1;
		}
		memcpy(lr->buf + lr->len, bytes, take);
		lr->len += take;
		bytes += take;
		n -= take;
		if (!nl)
			return 0;
		size_t end = lr->len - 1, linelen = end;
		if (linelen > 0 && lr->buf[end - 1] == '\r')
			linelen--;
		lr->len = 0;
		if (linelen > lr->max_line)
			sink->overflow(sink->data, lr->max_line);
		else
			deliver(lr->buf, end, sink);
		shrink(lr);
	}
	return 0;
}

void line_reader_finish(struct line_reader *lr, const struct line_sink *sink)
{
	size_t len = lr->len;

	if (len > 0 && lr->buf[len - 1] == '\r')
		len--;
	/* The feed kept one byte past the cap for a '\r' that did not come. */
	if (!lr->discarding && len > lr->max_line)
		sink->overflow(sink->data, lr->max_line);
	else if (!lr->discarding && lr->len > 0)
		deliver(lr->buf, lr->len, sink);
	lr->len = 0;
	lr->discarding = false;
}
