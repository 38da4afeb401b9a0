#include "mcp/stdio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

enum {
	READ_CHUNK = 64 * 1024,
	FLUSH_AT = 256 * 1024, /* gathered output past this goes out at once */
};

struct stdio_transport {
	uv_loop_t *loop;
	struct line_reader reader;
	struct line_sink sink;
	void (*on_eof)(void *data);
	void *data;

	/* stdin is a stream (pipe, socket, tty) or a plain file read with uv_fs. */
	union {
		uv_pipe_t pipe;
		uv_tty_t tty;
	} in;
	bool in_is_stream;
	bool in_open;
	uv_fs_t file_read;
	char *file_buf;
	int64_t file_offset;

	union {
		uv_pipe_t pipe;
		uv_tty_t tty;
	} out;
	bool out_is_stream;
	bool out_open;
	char *out_buf; /* output gathered during this turn of the loop */
	size_t out_len, out_cap;
	uv_check_t flusher;

	uv_shutdown_t drain;
	uv_timer_t drain_timer;

	bool eof_seen;
	bool closing;
	int pending_closes; /* handles and requests still to call back before freeing */
};

struct pending_write {
	uv_write_t req;
	char *data;
};

static void signal_eof(struct stdio_transport *t)
{
	if (t->eof_seen)
		return;
	t->eof_seen = true;
	line_reader_finish(&t->reader, &t->sink);
	if (t->on_eof)
		t->on_eof(t->data);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	static char chunk[READ_CHUNK];
	/* One static chunk serves every read: the line reader copies what it keeps. */
	buf->base = chunk;
	buf->len = sizeof chunk;
}

static void read_cb(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
	struct stdio_transport *t = stream->data;

	if (n > 0) {
		line_reader_feed(&t->reader, buf->base, (size_t)n, &t->sink);
	} else if (n < 0) {
		if (n != UV_EOF)
			log_warn("reading stdin: %s", uv_strerror((int)n));
		uv_read_stop(stream);
		signal_eof(t);
	}
}

static void maybe_free(struct stdio_transport *t);
static void file_read_cb(uv_fs_t *req);

static int read_file(struct stdio_transport *t)
{
	uv_buf_t buf = uv_buf_init(t->file_buf, READ_CHUNK);
	int rc =
	    uv_fs_read(t->loop, &t->file_read, STDIN_FILENO, &buf, 1, t->file_offset, file_read_cb);

	if (rc == 0)
		t->pending_closes++;
	return rc;
}

static void file_read_cb(uv_fs_t *req)
{
	struct stdio_transport *t = req->data;
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	t->pending_closes--;
	if (t->closing) {
		maybe_free(t);
		return;
	}
	if (n > 0) {
		line_reader_feed(&t->reader, t->file_buf, (size_t)n, &t->sink);
		t->file_offset += n;
		if (read_file(t) == 0)
			return;
	}
	signal_eof(t);
}

static int open_stream(uv_loop_t *loop, int fd, void *storage, bool readable, bool *is_stream)
{
	uv_handle_type type = uv_guess_handle(fd);
	int rc;

	*is_stream = true;
	switch (type) {
	case UV_TTY:
		rc = uv_tty_init(loop, storage, fd, readable);
		break;
	case UV_NAMED_PIPE:
	case UV_TCP:
	case UV_UDP:
		rc = uv_pipe_init(loop, storage, 0);
		if (rc == 0)
			rc = uv_pipe_open(storage, fd);
		break;
	default:
		/* A regular file or /dev/null: plain blocking I/O works there. */
		*is_stream = false;
		return 0;
	}
	return rc;
}

struct stdio_transport *stdio_transport_new(uv_loop_t *loop, size_t max_line,
                                            const struct line_sink *sink,
                                            void (*on_eof)(void *data), void *data)
{
	struct stdio_transport *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->loop = loop;
	t->sink = *sink;
	t->on_eof = on_eof;
	t->data = data;
	line_reader_init(&t->reader, max_line);
	if (open_stream(loop, STDOUT_FILENO, &t->out, false, &t->out_is_stream) != 0) {
		free(t);
		return NULL;
	}
	t->out_open = t->out_is_stream;
	if (t->out_is_stream)
		((uv_handle_t *)&t->out)->data = t;
	uv_check_init(loop, &t->flusher);
	t->flusher.data = t;
	return t;
}

int stdio_transport_start(struct stdio_transport *t)
{
	int rc = open_stream(t->loop, STDIN_FILENO, &t->in, true, &t->in_is_stream);

	if (rc != 0)
		return rc;
	if (t->in_is_stream) {
		t->in_open = true;
		((uv_handle_t *)&t->in)->data = t;
		return uv_read_start((uv_stream_t *)&t->in, alloc_cb, read_cb);
	}
	t->file_buf = malloc(READ_CHUNK);
	if (!t->file_buf)
		return UV_ENOMEM;
	t->file_read.data = t;
	return read_file(t);
}

static void write_cb(uv_write_t *req, int status)
{
	struct pending_write *w = (struct pending_write *)req;

	if (status < 0 && status != UV_ECANCELED)
		log_debug("writing stdout: %s", uv_strerror(status));
	free(w->data);
	free(w);
}

static void write_all_blocking(const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

/*
 * Writes what has gathered. What the pipe will not take now is queued with
 * libuv in the gathering buffer itself, and a new one starts: no copy.
 */
static void flush_out(struct stdio_transport *t)
{
	uv_stream_t *out = (uv_stream_t *)&t->out;
	size_t len = t->out_len;
	int n = 0;

	uv_check_stop(&t->flusher);
	t->out_len = 0;
	if (len == 0 || !t->out_open)
		return;
	if (out->write_queue_size == 0) {
		uv_buf_t buf = uv_buf_init(t->out_buf, len);
		n = uv_try_write(out, &buf, 1);
		if (n == UV_EAGAIN || n == UV_ENOSYS)
			n = 0;
		if (n < 0) {
			log_debug("writing stdout: %s", uv_strerror(n));
			return;
		}
	}
	if ((size_t)n == len)
		return;
	struct pending_write *w = malloc(sizeof *w);
	if (!w) {
		log_error("out of memory queueing output to stdout");
		return;
	}
	w->data = t->out_buf;
	t->out_buf = NULL;
	t->out_cap = 0;
	uv_buf_t buf = uv_buf_init(w->data + n, len - (size_t)n);
	if (uv_write(&w->req, out, &buf, 1, write_cb) != 0) {
		free(w->data);
		free(w);
	}
}

static void flush_cb(uv_check_t *h)
{
	flush_out(h->data);
}

/*
 * Messages gather during one turn of the loop and leave in one write: a burst
 * of answers to pipelined requests costs one system call, not one each.
 */
static void transport_send(void *ctx, const char *data, size_t len, const json_t *related,
                           bool answer)
{
	(void)related; /* one stream: everything goes the same way */
	(void)answer;
	struct stdio_transport *t = ctx;

	if (!t->out_is_stream) {
		write_all_blocking(data, len);
		write_all_blocking("\n", 1);
		return;
	}
	if (!t->out_open)
		return;
	if (t->out_len + len + 1 > t->out_cap) {
		size_t cap = t->out_cap ? t->out_cap : 64 * 1024;
		while (cap < t->out_len + len + 1)
			cap *= 2;
		char *grown = realloc(t->out_buf, cap);
		if (!grown) {
			log_error("out of memory gathering output to stdout");
			return;
		}
		t->out_buf = grown;
		t->out_cap = cap;
	}
	memcpy(t->out_buf + t->out_len, data, len);
	t->out_buf[t->out_len + len] = '\n';
	t->out_len += len + 1;
	if (t->out_len >= FLUSH_AT)
		flush_out(t);
	else if (!uv_is_active((uv_handle_t *)&t->flusher))
		uv_check_start(&t->flusher, flush_cb);
}

static size_t transport_backlog(void *ctx, const json_t *related)
{
	struct stdio_transport *t = ctx;

	/* One stream for every request: the runner slows all runs for it as one. */
	if (related)
		return 0;
	return t->out_open ? t->out_len + ((uv_stream_t *)&t->out)->write_queue_size : 0;
}

struct mcp_transport stdio_transport_as_mcp(struct stdio_transport *t)
{
	return (struct mcp_transport){
	    .send = transport_send, .backlog = transport_backlog, .ctx = t};
}

static void maybe_free(struct stdio_transport *t)
{
	if (t->pending_closes > 0)
		return;
	line_reader_free(&t->reader);
	free(t->file_buf);
	free(t->out_buf);
	free(t);
}

static void close_cb(uv_handle_t *h)
{
	struct stdio_transport *t = h->data;

	t->pending_closes--;
	maybe_free(t);
}

static void close_out(struct stdio_transport *t)
{
	if (uv_is_closing((uv_handle_t *)&t->out))
		return;
	uv_close((uv_handle_t *)&t->out, close_cb);
	uv_close((uv_handle_t *)&t->drain_timer, close_cb);
}

static void drained_cb(uv_shutdown_t *req, int status)
{
	(void)status; /* a pipe cannot be half-closed; the queue is drained all the same */
	close_out(req->data);
}

static void drain_timeout_cb(uv_timer_t *timer)
{
	/* The client stopped reading; do not wait for it forever. */
	close_out(timer->data);
}

void stdio_transport_close(struct stdio_transport *t)
{
	t->closing = true;
	if (t->in_open) {
		t->in_open = false;
		t->pending_closes++;
		uv_close((uv_handle_t *)&t->in, close_cb);
	}
	flush_out(t);
	t->pending_closes++;
	uv_close((uv_handle_t *)&t->flusher, close_cb);
	if (t->out_open) {
		uv_stream_t *out = (uv_stream_t *)&t->out;
		t->out_open = false;
		t->pending_closes += 2;
		uv_timer_init(t->loop, &t->drain_timer);
		t->drain_timer.data = t;
		t->drain.data = t;
		if (out->write_queue_size == 0 || uv_shutdown(&t->drain, out, drained_cb) != 0)
			close_out(t);
		else
			uv_timer_start(&t->drain_timer, drain_timeout_cb, 1000, 0);
	}
	maybe_free(t);
}
