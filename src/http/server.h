/*
 * An HTTP/1.1 server on the libuv loop. libmicrohttpd parses and writes HTTP; it
 * runs with no thread of its own, woken by its epoll descriptor on our loop. The
 * server knows nothing of MCP: it hands each request, body complete, to a handler,
 * which answers it at once with a whole body or with a stream it writes later.
 */
#ifndef CODEX_MCP_HTTP_SERVER_H
#define CODEX_MCP_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct http_server;
struct http_exchange; /* one request and its answer */
struct http_stream;   /* an answer written piece by piece */

struct http_server_config {
	uv_loop_t *loop;
	int listen_fd;            /* bound and listening; the server closes it; -1: none */
	size_t max_body;          /* longer bodies reach the handler flagged, not read */
	unsigned max_connections; /* more wait, unaccepted, until one closes */
	unsigned timeout_s;       /* a connection idle this long (headers included) is closed */
	size_t max_backlog;       /* bytes a stream may hold for a client that does not read */
	/* Called once per request, with its whole body; must answer before returning. */
	void (*handle)(void *data, struct http_exchange *x);
	void *data;
};

int http_server_new(const struct http_server_config *cfg, struct http_server **out, char *err,
                    size_t err_size);
/* Serves a socket already connected (tests and fuzzing); the server closes it. */
int http_server_adopt(struct http_server *s, int fd);
/* Stops accepting connections; those open go on. */
void http_server_quiesce(struct http_server *s);
/* Ends every stream and connection; their on_close run before it returns. */
void http_server_free(struct http_server *s);
/* Connections open now. */
unsigned http_server_connections(const struct http_server *s);

/* The request. Strings live as long as the exchange. */
const char *http_method(const struct http_exchange *x);
const char *http_path(const struct http_exchange *x);
/* A request header (name case-insensitive), or NULL. */
const char *http_header(const struct http_exchange *x, const char *name);
/* The body; NULL-terminated. too_large when it passed max_body (it was not kept). */
const char *http_body(const struct http_exchange *x, size_t *len, bool *too_large);

/*
 * Answers with a whole body. headers is NULL or a NULL-terminated list of name,
 * value pairs. 0, or -errno when the answer cannot be made (the connection then
 * closes).
 */
int http_respond(struct http_exchange *x, unsigned status, const char *content_type,
                 const char *body, size_t len, const char *const *headers);

/* The same, taking body (malloced) instead of copying it: long answers are not copied again. */
int http_respond_owned(struct http_exchange *x, unsigned status, const char *content_type,
                       char *body, size_t len, const char *const *headers);

/*
 * Answers with a body written later. on_close runs once when the stream is over:
 * done is true when it ended and was delivered, false when the client went away,
 * stopped reading, or the server stopped. The stream must not be used after it.
 */
struct http_stream *http_respond_stream(struct http_exchange *x, unsigned status,
                                        const char *content_type, const char *const *headers,
                                        void (*on_close)(void *data, bool done), void *data);
/* Queues bytes. -ENOBUFS when the client has more than max_backlog unread: it is cut off. */
int http_stream_write(struct http_stream *st, const char *data, size_t len);
/* Bytes queued and not yet written. */
size_t http_stream_backlog(const struct http_stream *st);
/* Milliseconds since something was last queued. */
uint64_t http_stream_quiet_ms(const struct http_stream *st);
/* Milliseconds the client has taken none of the bytes queued for it; 0 when none wait. */
uint64_t http_stream_unread_ms(const struct http_stream *st);
/* No more bytes: the answer ends once the queue is written. */
void http_stream_end(struct http_stream *st);
/* Ends the answer at once, cutting the connection. */
void http_stream_abort(struct http_stream *st);

#endif
