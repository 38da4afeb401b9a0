#include "mcp/stdio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

enum { READ_CHUNK = 64 * 1024 };

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

	uv_shutdown_t drain;
	uv_timer_t drain_timer;

	bool eof_seen;
	bool closing;
	int pending_closes; /* handles and requests still to call back before freeing */
};

struct pending_write {
	uv_write_t req;
	size_t len;
	char data[];
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
	if (status < 0 && status != UV_ECANCELED)
		log_debug("writing stdout: %s", uv_strerror(status));
	free(req);
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

static void transport_send(void *ctx, const char *data, size_t len)
{
	struct stdio_transport *t = ctx;
	uv_buf_t bufs[2] = {uv_buf_init((char *)data, len), uv_buf_init("\n", 1)};
	size_t total = len + 1;
	int n;

	if (!t->out_is_stream) {
		write_all_blocking(data, len);
		write_all_blocking("\n", 1);
		return;
	}
	if (!t->out_open)
		return;
	/* Most messages go out at once; only the unsent tail is copied and queued. */
	n = uv_try_write((uv_stream_t *)&t->out, bufs, 2);
	if (n == UV_EAGAIN || n == UV_ENOSYS)
		n = 0;
	if (n < 0) {
		log_debug("writing stdout: %s", uv_strerror(n));
		return;
	}
	if ((size_t)n == total)
		return;

	size_t rest = total - (size_t)n;
	struct pending_write *w = malloc(sizeof *w + rest);
	if (!w) {
		log_error("out of memory queueing a message to stdout");
		return;
	}
	w->len = rest;
	if ((size_t)n < len) {
		memcpy(w->data, data + n, len - (size_t)n);
		w->data[rest - 1] = '\n';
	} else {
		w->data[0] = '\n';
	}
	uv_buf_t buf = uv_buf_init(w->data, rest);
	if (uv_write(&w->req, (uv_stream_t *)&t->out, &buf, 1, write_cb) != 0)
		free(w);
}

static size_t transport_backlog(void *ctx)
{
	struct stdio_transport *t = ctx;

	return t->out_open ? ((uv_stream_t *)&t->out)->write_queue_size : 0;
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
