#include "http/server.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <malloc.h>
#include <microhttpd.h>

#include "util/log.h"

/* Bytes handed to libmicrohttpd per call of a stream's reader. */
#define STREAM_BLOCK 16384
/* A stream's queue keeps its buffer when emptied only up to this size. */
#define STREAM_KEEP 16384
/*
 * What libmicrohttpd keeps per connection for the request's headers and its buffers:
 * most of what a connection costs.
 * Its default, 32 KiB, took 1,000 connections to 46 MiB; 10 KiB takes them to 18 MiB
 * and still holds an 8 KiB bearer token with a browser's headers (http-auth test).
 * Bodies and answers do not live there.
 */
#define CONNECTION_MEMORY (10 * 1024)

/*
 * One connection. libmicrohttpd 0.9.75 in epoll mode misses a client's FIN that
 * arrives with the last bytes it reads (a short read clears its "readable" mark),
 * and it never sees one while the connection is suspended: we watch for it.
 */
struct http_conn {
	struct http_server *server;
	struct MHD_Connection *conn;
	uv_poll_t *watch;           /* until the client is gone */
	struct http_stream *stream; /* its answer being streamed, if any */
	bool gone;
};

struct http_stream {
	struct http_exchange *x;
	struct http_conn *hc;
	char *buf; /* queued bytes: buf[off..len) are unwritten */
	size_t len, off, cap;
	bool ended;        /* the writer is done */
	bool cut;          /* the client is gone or too slow: end with an error */
	bool suspended;    /* waiting for bytes, out of libmicrohttpd's loop */
	uint64_t last_ms;  /* bytes last queued */
	uint64_t taken_ms; /* the client last took bytes, or had nothing waiting */
	void (*on_close)(void *data, bool done);
	void *data;
	struct http_stream *prev, *next; /* the server's open streams */
};

struct http_exchange {
	struct http_server *server;
	struct MHD_Connection *conn;
	const char *method, *path;
	char *body;
	size_t len, cap;
	bool too_large, answered;
	struct http_stream *stream;
};

struct http_server {
	struct http_server_config cfg;
	struct MHD_Daemon *daemon;
	uv_poll_t *poll;   /* libmicrohttpd's epoll descriptor */
	uv_timer_t *timer; /* its timeouts, and a run after a stream resumes */
	struct http_stream *streams;
	unsigned connections;
	unsigned peak;       /* most connections since memory was last given back */
	uv_timer_t *trimmer; /* gives it back once a burst of connections is over */
	bool running;        /* inside MHD_run */
	bool again;          /* something in MHD_run needs another run at once */
};

static void close_free(uv_handle_t *h)
{
	free(h);
}

static void schedule(struct http_server *s);
static void on_timer(uv_timer_t *t);

static void run(struct http_server *s)
{
	s->running = true;
	s->again = false;
	MHD_run(s->daemon);
	s->running = false;
	/* MHD_get_timeout() counts neither of two things the next run must do: take back
	 * a connection resumed during this one, and listen again once a connection closed
	 * below the cap. Without this they wait for the next event, which may never come. */
	if (s->again)
		uv_timer_start(s->timer, on_timer, 0, 0);
	else
		schedule(s);
}

static void on_timer(uv_timer_t *t)
{
	run(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	run(p->data);
}

/* Sets the timer to libmicrohttpd's next deadline. */
static void schedule(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(s->daemon, &ms) == MHD_YES)
		uv_timer_start(s->timer, on_timer, ms, 0);
	else
		uv_timer_stop(s->timer);
}

static void resume(struct http_stream *st)
{
	if (!st->suspended)
		return;
	st->suspended = false;
	MHD_resume_connection(st->x->conn);
	/* libmicrohttpd takes the connection back on its next run. */
	if (st->x->server->running)
		st->x->server->again = true;
	else
		uv_timer_start(st->x->server->timer, on_timer, 0, 0);
}

static void on_peer_gone(uv_poll_t *p, int status, int events)
{
	struct http_conn *hc = p->data;

	(void)status;
	(void)events;
	/* Level-triggered: once is enough. */
	uv_poll_stop(p);
	hc->gone = true;
	if (hc->stream && hc->stream->suspended) {
		hc->stream->cut = true;
		resume(hc->stream);
	} else {
		/* libmicrohttpd may not notice by itself: it closes the connection once idle,
		 * on a deadline it takes into its timeout at its next run. */
		MHD_set_connection_option(hc->conn, MHD_CONNECTION_OPTION_TIMEOUT, 1u);
		if (!hc->server->running)
			uv_timer_start(hc->server->timer, on_timer, 0, 0);
	}
}

static struct http_conn *watch_connection(struct http_server *s, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct http_conn *hc = calloc(1, sizeof *hc);

	if (!hc)
		return NULL;
	hc->server = s;
	hc->conn = conn;
	hc->watch = malloc(sizeof *hc->watch);
	if (!info || !hc->watch ||
	    uv_poll_init_socket(s->cfg.loop, hc->watch, info->connect_fd) != 0) {
		free(hc->watch);
		hc->watch = NULL;
		return hc;
	}
	hc->watch->data = hc;
	uv_poll_start(hc->watch, UV_DISCONNECT, on_peer_gone);
	return hc;
}

static void unwatch_connection(struct http_conn *hc)
{
	if (!hc)
		return;
	if (hc->stream)
		hc->stream->hc = NULL;
	/* Before libmicrohttpd closes the descriptor. */
	if (hc->watch)
		uv_close((uv_handle_t *)hc->watch, close_free);
	free(hc);
}

/*
 * A burst of connections leaves the heap full of holes that malloc keeps; once it
 * is over, they go back to the system, so that memory comes back down.
 */
static void on_trim(uv_timer_t *t)
{
	struct http_server *s = t->data;

	malloc_trim(0);
	s->peak = s->connections;
}

static void connection_closed(struct http_server *s)
{
	enum { BURST = 64 };

	/* libmicrohttpd adds its listening socket back only at the start of a run. */
	if (s->connections > 0 && s->connections-- == s->cfg.max_connections)
		s->again = true;
	if (s->peak >= BURST && s->connections < s->peak / 4 &&
	    !uv_is_active((uv_handle_t *)s->trimmer))
		uv_timer_start(s->trimmer, on_trim, 1000, 0);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *st = cls;
	size_t n = st->len - st->off;

	(void)pos;
	if (st->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (n == 0) {
		if (st->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (st->hc && st->hc->gone)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		st->suspended = true;
		MHD_suspend_connection(st->x->conn);
		return 0;
	}
	if (n > max)
		n = max;
	memcpy(buf, st->buf + st->off, n);
	st->off += n;
	st->taken_ms = uv_now(st->x->server->cfg.loop);
	if (st->off == st->len) {
		st->off = st->len = 0;
		/* A burst is over: a quiet stream does not keep its peak. */
		if (st->cap > STREAM_KEEP) {
			free(st->buf);
			st->buf = NULL;
			st->cap = 0;
		}
	}
	return (ssize_t)n;
}

static void unlink_stream(struct http_stream *st)
{
	struct http_server *s = st->x->server;

	if (st->prev)
		st->prev->next = st->next;
	else if (s->streams == st)
		s->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	st->prev = st->next = NULL;
}

static void free_exchange(struct http_exchange *x)
{
	struct http_stream *st = x->stream;

	if (st) {
		void (*fn)(void *, bool) = st->on_close;
		void *data = st->data;
		bool done = st->ended && !st->cut && st->len == st->off;
		unlink_stream(st);
		if (st->hc && st->hc->stream == st)
			st->hc->stream = NULL;
		free(st->buf);
		free(st);
		if (fn)
			fn(data, done);
	}
	free(x->body);
	free(x);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	if (*req_cls)
		free_exchange(*req_cls);
	*req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		if (++s->connections > s->peak)
			s->peak = s->connections;
		*socket_ctx = watch_connection(s, conn);
		return;
	}
	connection_closed(s);
	unwatch_connection(*socket_ctx);
	*socket_ctx = NULL;
}

static int take_body(struct http_exchange *x, const char *data, size_t n)
{
	if (x->too_large || x->len + n > x->server->cfg.max_body) {
		/* Read and dropped, so the client hears why rather than a reset. */
		x->too_large = true;
		free(x->body);
		x->body = NULL;
		x->len = x->cap = 0;
		return 0;
	}
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 1024;
		while (cap < x->len + n + 1)
			cap *= 2;
		char *grown = realloc(x->body, cap);
		if (!grown)
			return -ENOMEM;
		x->body = grown;
		x->cap = cap;
	}
	memcpy(x->body + x->len, data, n);
	x->len += n;
	x->body[x->len] = '\0';
	return 0;
}

static bool declared_too_large(struct http_exchange *x)
{
	const char *cl = http_header(x, "Content-Length");
	char *end;
	unsigned long long n;

	if (!cl)
		return false;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return end != cl && (errno == ERANGE || n > x->server->cfg.max_body);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **req_cls)
{
	struct http_server *s = cls;
	struct http_exchange *x = *req_cls;

	(void)version;
	if (!x) {
		x = calloc(1, sizeof *x);
		if (!x)
			return MHD_NO;
		x->server = s;
		x->conn = conn;
		x->method = method;
		x->path = url;
		*req_cls = x;
		/* A body announced too long is answered before it is sent. */
		if (declared_too_large(x))
			x->too_large = true;
		else
			return MHD_YES;
	}
	if (x->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size && !x->too_large) {
		if (take_body(x, upload_data, *upload_size) != 0)
			return MHD_NO;
		*upload_size = 0;
		if (!x->too_large)
			return MHD_YES;
	}
	*upload_size = 0;
	x->answered = true;
	s->cfg.handle(s->cfg.data, x);
	return MHD_YES;
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("http: %s", line);
}

int http_server_new(const struct http_server_config *cfg, struct http_server **out, char *err,
                    size_t err_size)
{
	struct http_server *s = calloc(1, sizeof *s);
	const union MHD_DaemonInfo *info;

	if (!s) {
		if (cfg->listen_fd >= 0)
			close(cfg->listen_fd);
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	s->cfg = *cfg;
	struct MHD_OptionItem options[] = {
	    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY, NULL},
	    {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL},
	    {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->timeout_s, NULL},
	    {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
	    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s},
	    {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)log_mhd, s},
	    /* Without a socket of ours (tests, fuzzing), connections come by http_server_adopt().
	     */
	    {cfg->listen_fd >= 0 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_END, cfg->listen_fd, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	s->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	                                 (cfg->listen_fd < 0 ? MHD_USE_NO_LISTEN_SOCKET : 0),
	                             0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, options,
	                             MHD_OPTION_END);
	if (!s->daemon) {
		if (cfg->listen_fd >= 0)
			close(cfg->listen_fd);
		free(s);
		snprintf(err, err_size, "libmicrohttpd cannot start");
		return -EIO;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	s->poll = malloc(sizeof *s->poll);
	s->timer = malloc(sizeof *s->timer);
	s->trimmer = malloc(sizeof *s->trimmer);
	if (!info || !s->poll || !s->timer || !s->trimmer ||
	    uv_poll_init(cfg->loop, s->poll, info->epoll_fd) != 0) {
		MHD_stop_daemon(s->daemon);
		free(s->poll);
		free(s->timer);
		free(s->trimmer);
		free(s);
		snprintf(err, err_size, "cannot watch libmicrohttpd's descriptor");
		return -EIO;
	}
	uv_timer_init(cfg->loop, s->timer);
	uv_timer_init(cfg->loop, s->trimmer);
	uv_unref((uv_handle_t *)s->trimmer);
	s->poll->data = s->timer->data = s->trimmer->data = s;
	uv_poll_start(s->poll, UV_READABLE, on_poll);
	schedule(s);
	*out = s;
	return 0;
}

void http_server_quiesce(struct http_server *s)
{
	if (s && s->poll) {
		MHD_socket fd = MHD_quiesce_daemon(s->daemon);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
}

int http_server_adopt(struct http_server *s, int fd)
{
	struct sockaddr_in peer = {.sin_family = AF_INET,
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	if (MHD_add_connection(s->daemon, fd, (struct sockaddr *)&peer, sizeof peer) != MHD_YES)
		return -EIO;
	if (!s->running)
		uv_timer_start(s->timer, on_timer, 0, 0);
	return 0;
}

unsigned http_server_connections(const struct http_server *s)
{
	return s ? s->connections : 0;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	/* libmicrohttpd must not be stopped with a connection suspended. */
	for (struct http_stream *st = s->streams; st; st = st->next) {
		st->cut = true;
		resume(st);
	}
	s->running = true;
	MHD_run(s->daemon);
	MHD_stop_daemon(s->daemon);
	uv_close((uv_handle_t *)s->poll, close_free);
	uv_close((uv_handle_t *)s->timer, close_free);
	uv_close((uv_handle_t *)s->trimmer, close_free);
	free(s);
}

const char *http_method(const struct http_exchange *x)
{
	return x->method;
}

const char *http_path(const struct http_exchange *x)
{
	return x->path;
}

const char *http_header(const struct http_exchange *x, const char *name)
{
	return MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, name);
}

const char *http_body(const struct http_exchange *x, size_t *len, bool *too_large)
{
	*len = x->len;
	*too_large = x->too_large;
	return x->body ? x->body : "";
}

static int add_headers(struct MHD_Response *r, const char *content_type, const char *const *headers)
{
	if (content_type && MHD_add_response_header(r, "Content-Type", content_type) != MHD_YES)
		return -ENOMEM;
	for (size_t i = 0; headers && headers[i]; i += 2)
		if (MHD_add_response_header(r, headers[i], headers[i + 1]) != MHD_YES)
			return -EINVAL;
	return 0;
}

static int respond(struct http_exchange *x, unsigned status, const char *content_type,
                   struct MHD_Response *r, const char *const *headers)
{
	int rc;

	if (!r)
		return -ENOMEM;
	rc = add_headers(r, content_type, headers);
	if (rc == 0 && MHD_queue_response(x->conn, status, r) != MHD_YES)
		rc = -EIO;
	MHD_destroy_response(r);
	return rc;
}

int http_respond(struct http_exchange *x, unsigned status, const char *content_type,
                 const char *body, size_t len, const char *const *headers)
{
	return respond(x, status, content_type,
	               MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY),
	               headers);
}

int http_respond_owned(struct http_exchange *x, unsigned status, const char *content_type,
                       char *body, size_t len, const char *const *headers)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

	if (!r)
		free(body);
	return respond(x, status, content_type, r, headers);
}

struct http_stream *http_respond_stream(struct http_exchange *x, unsigned status,
                                        const char *content_type, const char *const *headers,
                                        void (*on_close)(void *data, bool done), void *data)
{
	struct http_stream *st = calloc(1, sizeof *st);
	struct MHD_Response *r;

	if (!st)
		return NULL;
	st->x = x;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, read_stream, st,
	                                      NULL);
	if (!r || add_headers(r, content_type, headers) != 0 ||
	    MHD_queue_response(x->conn, status, r) != MHD_YES) {
		if (r)
			MHD_destroy_response(r);
		free(st);
		return NULL;
	}
	MHD_destroy_response(r);
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(x->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	st->hc = info ? info->socket_context : NULL;
	if (st->hc)
		st->hc->stream = st;
	st->on_close = on_close;
	st->data = data;
	st->last_ms = uv_now(x->server->cfg.loop);
	x->stream = st;
	st->next = x->server->streams;
	if (st->next)
		st->next->prev = st;
	x->server->streams = st;
	return st;
}

static void cut(struct http_stream *st)
{
	st->cut = true;
	free(st->buf);
	st->buf = NULL;
	st->len = st->off = st->cap = 0;
	if (st->suspended)
		resume(st);
	else { /* blocked on a full socket: the reader may not be asked again soon */
		MHD_set_connection_option(st->x->conn, MHD_CONNECTION_OPTION_TIMEOUT, 1u);
		if (!st->x->server->running)
			uv_timer_start(st->x->server->timer, on_timer, 0, 0);
	}
}

int http_stream_write(struct http_stream *st, const char *data, size_t len)
{
	size_t held = st->len - st->off;

	if (st->cut || st->ended)
		return -EPIPE;
	if (held == 0)
		st->taken_ms = uv_now(st->x->server->cfg.loop);
	if (held + len > st->x->server->cfg.max_backlog) {
		log_info("http: a client stopped reading; cutting it off with %zu bytes unread",
		         held);
		cut(st);
		return -ENOBUFS;
	}
	if (st->len + len > st->cap) {
		/* Written bytes go first, so the buffer only ever holds the backlog. */
		if (st->off) {
			memmove(st->buf, st->buf + st->off, held);
			st->len = held;
			st->off = 0;
		}
		size_t cap = st->cap ? st->cap : 4096;
		while (cap < held + len)
			cap *= 2;
		if (cap != st->cap) {
			char *grown = realloc(st->buf, cap);
			if (!grown)
				return -ENOMEM;
			st->buf = grown;
			st->cap = cap;
		}
	}
	memcpy(st->buf + st->len, data, len);
	st->len += len;
	st->last_ms = uv_now(st->x->server->cfg.loop);
	resume(st);
	return 0;
}

size_t http_stream_backlog(const struct http_stream *st)
{
	return st->len - st->off;
}

uint64_t http_stream_quiet_ms(const struct http_stream *st)
{
	return uv_now(st->x->server->cfg.loop) - st->last_ms;
}

uint64_t http_stream_unread_ms(const struct http_stream *st)
{
	return st->len > st->off ? uv_now(st->x->server->cfg.loop) - st->taken_ms : 0;
}

void http_stream_end(struct http_stream *st)
{
	st->ended = true;
	resume(st);
}

void http_stream_abort(struct http_stream *st)
{
	if (!st->cut)
		cut(st);
}
