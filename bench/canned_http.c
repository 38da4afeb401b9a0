/*
 * The load generator's ceiling for bench/http-load.mjs: an HTTP server that does nothing but
 * answer MCP requests with canned JSON, as fast as one thread can, so the benchmark can show how
 * many requests per second its generator (wrk) can drive on this machine. A server measured near
 * this figure is measured by the generator, not by itself.
 *
 *   canned-http TOOLS_LIST_RESULT_FILE [FAKE_STREAM]
 *
 * The file is the `result` of a tools/list answer (codex-mcp's own); tools/list is answered with
 * it, initialize with a session id, notifications with 202, anything else with a small isError
 * result, each with the request's id. Listens on 127.0.0.1 at a free port and prints
 * "listening on http://127.0.0.1:PORT/mcp" on stderr. Keep-alive HTTP/1.1, one epoll thread.
 *
 * With FAKE_STREAM (bench/fake_stream.c), it is also the progress scenario's ceiling: a
 * tools/call with a progressToken runs FAKE_STREAM with the call's "prompt" and answers with an
 * SSE stream that has, for each line the run prints, a progress notification of about the size
 * codex-mcp sends for it, made without reading the line; then a canned result, and the
 * connection closes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, accept4 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* A connection's unsent bytes past which its run's output is not read until they go. */
#define RUN_BACKLOG (256 * 1024)

struct conn;

/* A run of FAKE_STREAM streamed to a connection. The first member tells it from a conn. */
struct run {
	int is_run;
	int fd; /* its stdout */
	pid_t pid;
	struct conn *c;
	char token[128], id[64]; /* as the request wrote them */
	unsigned long progress;
	int paused;
};

struct conn {
	int is_run; /* 0 */
	int fd;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	int want_out;
	struct run *run;
	int close_after; /* the answer ends with the connection */
};

static char *tools_result;
static size_t tools_len;
static const char *fake_stream;
static int ep;

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

/* The value of "key" as written (a number or a string), or NULL. */
static const char *json_value(const char *body, size_t len, const char *key, size_t *n)
{
	char pat[64];
	int k = snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = memmem(body, len, pat, (size_t)k);
	if (!p)
		return NULL;
	p += k;
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

/* The request's "id" value as written (a number or a string), or NULL. */
static const char *json_id(const char *body, size_t len, size_t *n)
{
	return json_value(body, len, "id", n);
}

/* The JSON string value of "key" in body, unescaped bytes only (the bench's prompts are). */
static int string_at(const char *body, size_t len, const char *key, char *out, size_t size)
{
	char pat[64];
	int n = snprintf(pat, sizeof pat, "\"%s\":\"", key);
	const char *p = memmem(body, len, pat, (size_t)n), *e;

	if (!p)
		return -1;
	p += n;
	e = memchr(p, '"', (size_t)(body + len - p));
	if (!e || (size_t)(e - p) >= size)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* The value of "key" as written, copied to out. */
static int raw_at(const char *body, size_t len, const char *key, char *out, size_t size)
{
	size_t n;
	const char *p = json_value(body, len, key, &n);

	if (!p || n >= size)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* Runs FAKE_STREAM for a call with progress; its lines become the answer's events. */
static int start_run(struct conn *c, const char *body, size_t len)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
	                           "Cache-Control: no-cache\r\nConnection: close\r\n\r\n";
	char prompt[256];
	int in[2], out[2];
	struct run *r = calloc(1, sizeof *r);

	if (!r || string_at(body, len, "prompt", prompt, sizeof prompt) ||
	    raw_at(body, len, "progressToken", r->token, sizeof r->token) ||
	    raw_at(body, len, "id", r->id, sizeof r->id) || pipe2(in, O_CLOEXEC) ||
	    pipe2(out, O_CLOEXEC)) {
		free(r);
		return -1;
	}
	r->pid = fork();
	if (r->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		execl(fake_stream, fake_stream, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/* Only our end: the run writes as it would to codex-mcp, waiting when the pipe is full. */
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	if (write(in[1], prompt, strlen(prompt)) < 0)
		perror("fake-stream's stdin");
	close(in[1]);
	r->is_run = 1;
	r->fd = out[0];
	r->c = c;
	c->run = r;
	c->close_after = 1;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = r};
	epoll_ctl(ep, EPOLL_CTL_ADD, r->fd, &ev);
	return append(c, head, sizeof head - 1);
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
	if (fake_stream && memmem(body, len, "\"progressToken\"", 15))
		return start_run(c, body, len);
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
		if (c->run)
			return 0; /* the connection is the run's until it ends */
	}
}

/* The run's output as far as it has come: one event per line, the answer at its end. */
static int read_run(struct run *r)
{
	/* About the size of codex-mcp's notification for fake_stream's command events. */
	static const char text[] =
	    "ran: a command of the stand-in, as long as the one it ran (exit 0)";
	char buf[65536], event[512];
	ssize_t n;

	while ((n = read(r->fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))); p++) {
			int k =
			    snprintf(event, sizeof event,
			             "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":"
			             "\"notifications/progress\",\"params\":{\"progressToken\":%s,"
			             "\"progress\":%lu.0,\"message\":\"%s\"}}\n\n",
			             r->token, ++r->progress, text);
			if (append(r->c, event, (size_t)k))
				return -1;
		}
		if (r->c->out_len - r->c->out_off > RUN_BACKLOG) {
			struct epoll_event ev = {.events = 0, .data.ptr = r};
			epoll_ctl(ep, EPOLL_CTL_MOD, r->fd, &ev);
			r->paused = 1;
			return 0;
		}
	}
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n < 0 && errno == EINTR)
		return 0;
	char end[256];
	int k = snprintf(end, sizeof end,
	                 "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{"
	                 "\"content\":[{\"type\":\"text\",\"text\":\"done\"}]}}\n\n",
	                 r->id);
	epoll_ctl(ep, EPOLL_CTL_DEL, r->fd, NULL);
	close(r->fd);
	waitpid(r->pid, NULL, 0);
	r->c->run = NULL;
	int rc = append(r->c, end, (size_t)k);
	free(r);
	return rc;
}

/* What drop() ends is freed after the batch of events, which may still name it. */
static void *graveyard[1024];
static int buried;

static void bury(void *p)
{
	if (buried < (int)(sizeof graveyard / sizeof graveyard[0]))
		graveyard[buried++] = p;
}

static void drop(struct conn *c)
{
	if (c->run) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->run->fd, NULL);
		close(c->run->fd);
		kill(c->run->pid, SIGKILL);
		waitpid(c->run->pid, NULL, 0);
		c->run->c = NULL;
		bury(c->run);
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	c->fd = -1;
	bury(c);
}

static int flush_out(struct conn *c)
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
	if (c->out_len == 0 && c->close_after && !c->run)
		return -1; /* all sent: the stream ends with the connection */
	if (c->run && c->run->paused && c->out_len - c->out_off < RUN_BACKLOG / 2) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c->run};
		epoll_ctl(ep, EPOLL_CTL_MOD, c->run->fd, &ev);
		c->run->paused = 0;
	}
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
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: canned-http TOOLS_LIST_RESULT_FILE [FAKE_STREAM]\n");
		return 2;
	}
	fake_stream = argc == 3 ? argv[2] : NULL;
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

	ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[256];
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		while (buried > 0)
			free(graveyard[--buried]);
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c && c->is_run) {
				struct run *r = (struct run *)c;
				if (!(c = r->c))
					continue; /* dropped in this batch */
				if (read_run(r) || flush_out(c))
					drop(c);
				continue;
			}
			if (c && c->fd < 0)
				continue; /* dropped in this batch */
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
						drop(c);
						c = NULL;
						break;
					}
					ssize_t r =
					    read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
					if (r < 0 && errno == EAGAIN)
						break;
					if (r <= 0) {
						drop(c);
						c = NULL;
						break;
					}
					c->in_len += (size_t)r;
				}
				if (!c)
					continue;
				if (handle(c)) {
					drop(c);
					continue;
				}
			}
			if (flush_out(c))
				drop(c);
		}
	}
}
