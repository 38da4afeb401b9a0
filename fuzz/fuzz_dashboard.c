/*
 * The dashboard's routes (src/dashboard/web.c) behind the real HTTP transport: the
 * input is what one browser sends on one connection (pipelined requests: the login
 * form, cookies, event streams, actions with their CSRF header). The token is
 * "good"; the application answers the overview on the next turn of the loop (so
 * answers stream), everything else at once, and an event goes to every page each
 * turn. Each input gets a fresh transport and dashboard, closed at the end:
 * LeakSanitizer sees whatever an input left behind. Checked: every answer is an
 * HTTP/1.1 status line, and the transport always closes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "dashboard/dashboard.h"
#include "fuzz_util.h"
#include "mcp/http.h"

static uv_loop_t loop;

static json_t *list_tools(void *ctx)
{
	(void)ctx;
	return json_array();
}

static int call_tool(void *ctx, struct mcp_request *req, const char *name, json_t *args)
{
	(void)ctx;
	(void)req;
	(void)name;
	(void)args;
	return -1;
}

/* "Bearer good" is the one token; its subject is "token:good". */
static enum http_auth_verdict check(struct http_auth *a, const char *authorization, char *subject,
                                    size_t subject_size, char *challenge, size_t challenge_size,
                                    char *why, size_t why_size)
{
	(void)a;
	snprintf(challenge, challenge_size, "Bearer");
	snprintf(why, why_size, "fuzz");
	if (authorization && strcmp(authorization, "Bearer good") == 0) {
		snprintf(subject, subject_size, "token:good");
		return HTTP_AUTH_OK;
	}
	return HTTP_AUTH_UNAUTHORIZED;
}

/* No OAuth: no resource metadata. */
static json_t *metadata(const struct http_auth *a)
{
	(void)a;
	return NULL;
}

struct later {
	uv_timer_t timer;
	dashboard_reply_fn reply;
	void *data;
};

static void answer_later(uv_timer_t *t)
{
	struct later *l = (struct later *)t;

	l->reply(l->data, 200, json_pack("{s:{s:[]}, s:[]}", "agents", "tasks", "approvals"));
	uv_close((uv_handle_t *)t, (uv_close_cb)free);
}

static void overview(void *ctx, const char *subject, dashboard_reply_fn reply, void *data)
{
	struct later *l = calloc(1, sizeof *l);

	(void)ctx;
	(void)subject;
	FUZZ_CHECK(l, "out of memory");
	l->reply = reply;
	l->data = data;
	uv_timer_init(&loop, &l->timer);
	uv_timer_start(&l->timer, answer_later, 0, 0);
}

static void agent(void *ctx, const char *subject, const char *id, dashboard_reply_fn reply,
                  void *data)
{
	(void)ctx;
	(void)subject;
	reply(data, 200, json_pack("{s:s, s:s}", "task_id", id, "status", "running"));
}

static void kill_agent(void *ctx, const char *subject, const char *id, dashboard_reply_fn reply,
                       void *data)
{
	(void)ctx;
	(void)subject;
	reply(data, 202, json_pack("{s:s, s:b}", "task_id", id, "stopping", 1));
}

static void answer(void *ctx, const char *subject, const char *task, uint64_t question,
                   const char *decision, dashboard_reply_fn reply, void *data)
{
	(void)ctx;
	(void)subject;
	(void)question;
	(void)decision;
	reply(data, 409, json_pack("{s:s}", "task_id", task));
}

static volatile bool transport_closed;

static void closed(void *data)
{
	(void)data;
	transport_closed = true;
}

static const struct mcp_server_info info = {"fuzz", "Fuzz", "0", NULL};

static void serve(struct dashboard *d, const uint8_t *data, size_t size, int sv)
{
	json_t *event = json_pack("{s:s, s:s}", "task_id", "abc", "line", "working");
	char buf[65536];
	bool eof = false;
	size_t sent = 0;

	/* Feed the bytes as the socket takes them, reading the answers, until the server hangs up.
	 */
	for (int turns = 0; !eof && turns < 20000; turns++) {
		if (sent < size) {
			ssize_t n = write(sv, data + sent, size - sent);
			if (n > 0)
				sent += (size_t)n;
			if (sent == size)
				shutdown(sv, SHUT_WR);
		} else if (size == 0 && turns == 0) {
			shutdown(sv, SHUT_WR);
		}
		uv_run(&loop, UV_RUN_NOWAIT);
		dashboard_publish(d, turns % 2 ? "token:good" : "", "log", event);
		ssize_t n = read(sv, buf, sizeof buf);
		if (n == 0)
			eof = true;
		else if (n > 0 && memcmp(buf, "HTTP/1.", 7) != 0 && turns == 0)
			FUZZ_CHECK(false, "not an HTTP answer");
	}
	json_decref(event);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct mcp_http *h;
	struct dashboard *d;
	char err[256];
	int sv[2];

	if (!ready) {
		uv_loop_init(&loop);
		ready = true;
	}
	struct mcp_http_auth auth = {(struct http_auth *)&loop, check, metadata};
	struct dashboard_config dcfg = {
	    .loop = &loop,
	    .auth = auth,
	    .keepalive_s = 1,
	    .app = {overview, agent, kill_agent, answer, NULL},
	};
	FUZZ_CHECK(dashboard_new(&dcfg, &d, err, sizeof err) == 0, "%s", err);
	struct mcp_http_config cfg = {
	    .loop = &loop,
	    .listen_fd = -1,
	    .address = {"127.0.0.1", 8080, true, false, false},
	    .auth = auth,
	    .info = &info,
	    .tools = {list_tools, call_tool, NULL, NULL},
	    .max_body = 16384,
	    .max_connections = 4,
	    .max_sessions = 4,
	    .timeout_s = 5,
	    .session_idle_s = 60,
	    .max_backlog = 65536,
	    .keepalive_s = 60,
	    .routes = {dashboard_handle, d},
	};
	FUZZ_CHECK(mcp_http_new(&cfg, &h, err, sizeof err) == 0, "%s", err);
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0,
	           "socketpair: %s", strerror(errno));
	FUZZ_CHECK(mcp_http_adopt(h, sv[0]) == 0, "adopt");
	serve(d, data, size, sv[1]);
	close(sv[1]);
	transport_closed = false;
	dashboard_stop(d);
	mcp_http_close(h, closed, NULL);
	for (int turns = 0; !transport_closed; turns++) {
		FUZZ_CHECK(turns < 100000, "the transport does not close");
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	/* Answers still on their way (the overview's timer) come, and find their pages gone. */
	for (int turns = 0; turns < 10; turns++)
		uv_run(&loop, UV_RUN_NOWAIT);
	dashboard_free(d);
	uv_run(&loop, UV_RUN_NOWAIT); /* close callbacks */
	return 0;
}
