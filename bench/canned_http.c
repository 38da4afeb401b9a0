/*
 * The load generator's ceiling for bench/http-load.mjs: an HTTP server that does nothing but
 * answer MCP requests with canned JSON, as fast as one thread can, so the benchmark can show how
 * many requests per second its generator (wrk) can drive on this machine. A server measured near
 * this figure is measured by the generator, not by itself.
 *
 *   canned-http TOOLS_LIST_RESULT_FILE
 *
 * The file is the `result` of a tools/list answer (codex-mcp's own); tools/list is answered with
 * it, initialize with a session id, notifications with 202, anything else with a small isError
 * result, each with the request's id. Listens on 127.0.0.1 at a free port and prints
 * "listening on http://127.0.0.1:PORT/mcp" on stderr. Keep-alive HTTP/1.1, one epoll thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, accept4 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
	int fd;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	int want_out;
};

static char *tools_result;
static size_t tools_len;

static int grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	char *p = realloc(*buf, c);
	if (!p)
		return -1;
	*buf = p;
	*cap = c;
	return 0;
}

static int append(struct conn *c, const char *s, size_t n)
{
	if (grow(&c->out, &c->out_cap, c->out_len + n))
		return -1;
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
	return 0;
}

/* The request's "id" value as written (a number or a string), or NULL. */
static const char *json_id(const char *body, size_t len, size_t *n)
{
	const char *p = memmem(body, len, "\"id\":", 5);
	if (!p)
		return NULL;
	p += 5;
	while (p < body + len && *p == ' ')
		p++;
	const char *e = p;
	if (e < body + len && *e == '"') {
		e++;
		while (e < body + len && *e != '"')
			e++;
		e++;
	} else {
		while (e < body + len && *e != ',' && *e != '}' && *e != ' ')
			e++;
	}
	*n = (size_t)(e - p);
	return e > p ? p : NULL;
}

static int answer(struct conn *c, const char *body, size_t len)
{
	char head[256], json[512];
	size_t idn = 0;
	const char *id = json_id(body, len, &idn);
	const char *session = "";

	if (!id) {
		static const char accepted[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
		return append(c, accepted, sizeof accepted - 1);
	}
	const char *result;
	size_t rlen;
	if (memmem(body, len, "\"tools/list\"", 12)) {
		result = tools_result;
		rlen = tools_len;
	} else if (memmem(body, len, "\"initialize\"", 12)) {
		result = "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{}},"
		         "\"serverInfo\":{\"name\":\"canned\",\"version\":\"1\"}}";
		rlen = strlen(result);
		session = "Mcp-Session-Id: canned\r\n";
	} else {
		result = "{\"content\":[{\"type\":\"text\",\"text\":\"task_id: no "
		         "task\"}],\"isError\":true}";
		rlen = strlen(result);
	}
	int jn = snprintf(json, sizeof json,
	                  "{\"jsonrpc\":\"2.0\",\"id\":%.*s,\"result\":", (int)idn, id);
	int hn = snprintf(
	    head, sizeof head,
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n",
	    session, (size_t)jn + rlen + 1);
	return append(c, head, (size_t)hn) || append(c, json, (size_t)jn) ||
	       append(c, result, rlen) || append(c, "}", 1);
}

/* Answers every complete request in the input buffer. */
static int handle(struct conn *c)
{
	for (;;) {
		char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
		if (!end)
			return 0;
		size_t head = (size_t)(end - c->in) + 4, body = 0;
		for (char *l = c->in; l < end;) {
			char *eol = memmem(l, (size_t)(end + 2 - l), "\r\n", 2);
			if ((size_t)(eol - l) > 15 && strncasecmp(l, "content-length:", 15) == 0)
				body = strtoul(l + 15, NULL, 10); /* digits end at the CR */
			l = eol + 2;
		}
		if (c->in_len < head + body)
			return 0;
		if (answer(c, c->in + head, body))
			return -1;
		memmove(c->in, c->in + head + body, c->in_len - head - body);
		c->in_len -= head + body;
	}
}

static void drop(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static int flush_out(int ep, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return -1;
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	int want = c->out_len > 0;
	if (want != c->want_out) {
		struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = want;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: canned-http TOOLS_LIST_RESULT_FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (tools_len = (size_t)ftell(f), fseek(f, 0, SEEK_SET)) ||
	    !(tools_result = malloc(tools_len)) ||
	    fread(tools_result, 1, tools_len, f) != tools_len) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);
	while (tools_len &&
	       (tools_result[tools_len - 1] == '\n' || tools_result[tools_len - 1] == ' '))
		tools_len--;
	signal(SIGPIPE, SIG_IGN);

	int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 4096) ||
	    getsockname(lfd, (struct sockaddr *)&a, &al)) {
		perror("listen");
		return 1;
	}
	fprintf(stderr, "listening on http://127.0.0.1:%d/mcp\n", ntohs(a.sin_port));

	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[256];
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c) {
				int fd;
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct conn *nc = calloc(1, sizeof *nc);
					if (!nc) {
						close(fd);
						continue;
					}
					nc->fd = fd;
					struct epoll_event cev = {.events = EPOLLIN,
					                          .data.ptr = nc};
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
				}
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				for (;;) {
					if (grow(&c->in, &c->in_cap, c->in_len + 16384)) {
						drop(ep, c);
						c = NULL;
						break;
					}
					ssize_t r =
					    read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
					if (r < 0 && errno == EAGAIN)
						break;
					if (r <= 0) {
						drop(ep, c);
						c = NULL;
						break;
					}
					c->in_len += (size_t)r;
				}
				if (!c)
					continue;
				if (handle(c)) {
					drop(ep, c);
					continue;
				}
			}
			if (flush_out(ep, c))
				drop(ep, c);
		}
	}
}
