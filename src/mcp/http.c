#include "mcp/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/server.h"
#include "mcp/era.h"
#include "mcp/http-check.h"
#include "mcp/http-int.h"
#include "rpc/jsonrpc.h"
#include "util/text.h"

const char *const mcp_http_sse_headers[] = {"Cache-Control", "no-cache", "X-Accel-Buffering", "no",
                                            NULL};

/*
 * A client that has taken nothing for this long is not waited for: its call's run goes
 * on, and the client is cut once --http-max-backlog is unread.
 */
#define READER_GRACE_MS 1000

/* ---- answers that are not the session's ---- */

void mcp_http_json(struct http_exchange *x, unsigned status, const char *text,
                   const char *const *headers)
{
	http_respond(x, status, "application/json", text, strlen(text), headers);
}

void mcp_http_error(struct http_exchange *x, unsigned status, json_t *id, int code,
                    const char *message, json_t *data /* stolen */, const char *const *headers)
{
	/* A message may quote the client's bytes: it is made valid UTF-8 first. */
	char *clean = text_sanitize(message, strlen(message));
	json_t *msg = rpc_make_error(id, code, clean ? clean : "error");
	char *text;

	free(clean);
	if (msg && data)
		json_object_set(json_object_get(msg, "error"), "data", data);
	json_decref(data);
	text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (text)
		mcp_http_json(x, status, text, headers);
	else
		http_respond(x, 500, NULL, "", 0, NULL);
	free(text);
}

/* ---- messages, and where they go ---- */

void mcp_http_held_free(struct held_msg *m)
{
	while (m) {
		struct held_msg *next = m->next;
		free(m->text);
		free(m);
		m = next;
	}
}

struct held_msg *mcp_http_held_new(const char *data, size_t len)
{
	struct held_msg *m = calloc(1, sizeof *m);

	if (m && !(m->text = malloc(len + 1))) {
		free(m);
		return NULL;
	}
	if (m) {
		memcpy(m->text, data, len + 1);
		m->len = len;
	}
	return m;
}

/* One SSE event; cut off when the client holds too much unread. */
void exch_stream_msg(struct exch *e, const char *data, size_t len)
{
	static const char head[] = "event: message\ndata: ";
	size_t n = sizeof head - 1 + len + 2;
	char *event;

	if (!e->st || e->overflowed)
		return;
	event = malloc(n);
	if (!event)
		return;
	memcpy(event, head, sizeof head - 1);
	memcpy(event + sizeof head - 1, data, len);
	memcpy(event + n - 2, "\n\n", 2);
	if (http_stream_write(e->st, event, n) == -ENOBUFS)
		e->overflowed = true;
	free(event);
}

static int answer_code(const char *data, size_t len)
{
	static const char error[] = "\"error\":{";
	json_t *msg;

	/* Only an error needs reading, and errors are short: a listing is not parsed again. */
	if (!memmem(data, len < 512 ? len : 512, error, sizeof error - 1))
		return 0;
	msg = json_loadb(data, len, 0, NULL);
	json_t *code = json_object_get(json_object_get(msg, "error"), "code");
	int c = json_is_integer(code) ? (int)json_integer_value(code) : 0;

	json_decref(msg);
	return c;
}

/* A message for the exchange: gathered while its handler runs, else streamed. */
void exch_send(struct exch *e, const char *data, size_t len, bool answer)
{
	if (answer) {
		e->answered = true;
		if (e->in_handler)
			e->first_code = answer_code(data, len);
	}
	if (e->in_handler) {
		struct held_msg *m = mcp_http_held_new(data, len);
		if (m) {
			*e->first_tail = m;
			e->first_tail = &m->next;
		}
		return;
	}
	exch_stream_msg(e, data, len);
	if (answer && e->st)
		http_stream_end(e->st);
}

static void modern_send(void *ctx, const char *data, size_t len, const json_t *related, bool answer)
{
	struct exch *e = ctx;

	(void)related; /* the session serves this one request */
	exch_send(e, data, len, answer);
}

/*
 * What a call's stream holds, so that its run waits for a client that reads slowly
 * (each stream on its own: no client slows the runs of another). The server's sum is
 * not asked for: each stream is bounded on its own.
 */
size_t exch_backlog(const struct exch *e)
{
	if (!e || !e->st || http_stream_unread_ms(e->st) > READER_GRACE_MS)
		return 0;
	return http_stream_backlog(e->st);
}

static size_t modern_backlog(void *ctx, const json_t *related)
{
	/* The session serves this one request. */
	return related ? exch_backlog(ctx) : 0;
}

/* ---- exchanges ---- */

struct exch *exch_new(struct mcp_http *h, struct http_exchange *x, const char *subject)
{
	struct exch *e = calloc(1, sizeof *e);

	if (!e)
		return NULL;
	e->h = h;
	e->x = x;
	e->first_tail = &e->first;
	snprintf(e->subject, sizeof e->subject, "%s", subject);
	return e;
}

void exch_unlink(struct exch *e)
{
	struct exch **p = e->hs ? &e->hs->exchanges : e->own ? &e->h->modern : NULL;

	for (; p && *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			break;
		}
	e->next = NULL;
}

void exch_link(struct exch *e)
{
	struct exch **head = e->hs ? &e->hs->exchanges : &e->h->modern;

	e->next = *head;
	*head = e;
}

/* The exchange is over; a modern request's session goes with it, cancelling what runs
 * when the client left before its answer (unless it was cut off for reading too slowly). */
void exch_free(struct exch *e, bool client_left)
{
	if (e->own)
		mcp_session_close(e->own, client_left && !e->answered && !e->overflowed);
	if (e->hs)
		e->hs->last_ms = uv_now(e->h->cfg.loop);
	mcp_http_held_free(e->first);
	json_decref(e->id);
	free(e);
}

void exch_stream_closed(void *data, bool done)
{
	struct exch *e = data;

	e->st = NULL;
	e->h->open_streams--;
	exch_unlink(e);
	exch_free(e, !done);
}

static unsigned status_for(const struct exch *e)
{
	if (!e->own) /* 2025: errors travel in the body */
		return 200;
	switch (e->first_code) {
	case RPC_METHOD_NOT_FOUND:
		return 404;
	case RPC_PARSE_ERROR:
	case RPC_INVALID_REQUEST:
	case MCP_ERR_HEADER_MISMATCH:
	case MCP_ERR_MISSING_CAPABILITY:
	case MCP_ERR_UNSUPPORTED_VERSION:
		return 400;
	default:
		return 200;
	}
}

/*
 * The handler has fed the request to its session: an answer alone goes back as
 * JSON; anything else (progress first, or no answer yet) opens an SSE stream.
 */
void exch_finish(struct exch *e, const char *session_id)
{
	const char *headers[8] = {0};
	size_t n = 0;

	e->in_handler = false;
	if (session_id) {
		headers[n++] = "Mcp-Session-Id";
		headers[n++] = session_id;
	}
	if (e->answered && e->first && !e->first->next) {
		http_respond_owned(e->x, status_for(e), "application/json", e->first->text,
		                   e->first->len, headers);
		e->first->text = NULL;
		exch_free(e, false);
		return;
	}
	for (size_t i = 0; mcp_http_sse_headers[i]; i++)
		headers[n++] = mcp_http_sse_headers[i];
	e->st = http_respond_stream(e->x, 200, "text/event-stream", headers, exch_stream_closed, e);
	if (!e->st) {
		mcp_http_error(e->x, 500, e->id, RPC_INTERNAL_ERROR, "cannot open a stream", NULL,
		               NULL);
		exch_free(e, true);
		return;
	}
	exch_link(e);
	e->h->open_streams++;
	for (struct held_msg *m = e->first; m; m = m->next)
		exch_stream_msg(e, m->text, m->len);
	mcp_http_held_free(e->first);
	e->first = NULL;
	if (e->answered)
		http_stream_end(e->st);
}

/* ---- sessions ---- */

struct mcp_session *mcp_http_session_new(struct mcp_http *h, const struct mcp_transport *t,
                                         const char *subject)
{
	struct mcp_session *s = mcp_session_new(h->cfg.info, &h->cfg.tools, t, &h->cfg.sealer);

	if (!s)
		return NULL;
	mcp_session_share_listing(s, h->listing);
	if (h->cfg.has_tasks)
		mcp_session_set_task_provider(s, &h->cfg.tasks);
	if (h->cfg.has_methods)
		mcp_session_set_method_provider(s, &h->cfg.methods);
	if (*subject && mcp_session_set_subject(s, subject) != 0) {
		mcp_session_free(s);
		return NULL;
	}
	return s;
}

/* ---- POST ---- */

/* A request (or, legacy only, a notification or response) for its session. */
void exch_feed(struct exch *e, struct mcp_session *s, const struct post *p)
{
	e->in_handler = true;
	mcp_session_receive(s, p->body, p->len);
}

static const char *header_of(void *ctx, const char *name)
{
	return http_header(ctx, name);
}

/* A tools/call's Mcp-Param-* headers say what its arguments say (SEP-2243). */
static int check_param_headers(struct post *p)
{
	struct mcp_http *h = p->h;
	json_t *data = NULL, *pairs;
	char err[512];

	if (strcmp(p->m.method, "tools/call") != 0)
		return 0;
	if (!h->mirrored) {
		/* The tools never change: their annotations are read once. */
		json_t *tools = h->cfg.tools.list(h->cfg.tools.ctx);
		h->mirrored = http_param_headers(tools);
		json_decref(tools);
	}
	pairs =
	    json_object_get(h->mirrored, json_string_value(json_object_get(p->m.params, "name")));
	if (!pairs || http_check_param_headers(pairs, json_object_get(p->m.params, "arguments"),
	                                       header_of, p->x, &data, err, sizeof err) == 0)
		return 0;
	mcp_http_error(p->x, 400, p->m.id, MCP_ERR_HEADER_MISMATCH, err, data, NULL);
	return -1;
}

static void post_modern(struct post *p)
{
	struct mcp_envelope env;
	struct http_mcp_headers hdr = {http_header(p->x, "MCP-Protocol-Version"),
	                               http_header(p->x, "Mcp-Method"),
	                               http_header(p->x, "Mcp-Name")};
	json_t *data = NULL;
	char err[256];
	int era;

	if (p->m.kind != RPC_REQUEST) {
		/* 2026-07-28 has no client notifications over HTTP: cancelling is closing. */
		if (p->m.kind == RPC_NOTIFICATION)
			http_respond(p->x, 202, NULL, "", 0, NULL);
		else
			mcp_http_error(p->x, 400, NULL, RPC_INVALID_REQUEST,
			               "a 2026-07-28 client posts requests only", NULL, NULL);
		return;
	}
	era = mcp_era_classify(p->m.method, p->m.params, &env, &data, err, sizeof err);
	if (era == MCP_ERR_UNSUPPORTED_VERSION) {
		/* Headers that contradict the body are the first fault (-32020), whatever the
		 * version the body names; a version both name alike is then unsupported. */
		const char *body_version = json_string_value(json_object_get(
		    json_object_get(p->m.params, "_meta"), MCP_META_PROTOCOL_VERSION));
		json_t *mismatch = NULL;
		char why[256];
		if (http_check_modern_headers(&hdr, p->m.method, p->m.params, body_version,
		                              &mismatch, why, sizeof why) != 0) {
			json_decref(data);
			mcp_http_error(p->x, 400, p->m.id, MCP_ERR_HEADER_MISMATCH, why, mismatch,
			               NULL);
			return;
		}
	}
	if (era < 0) {
		mcp_http_error(p->x, 400, p->m.id, era, err, data, NULL);
		return;
	}
	if (era != MCP_ERA_MODERN) {
		mcp_http_error(p->x, 400, p->m.id, RPC_INVALID_PARAMS,
		               "MCP-Protocol-Version is not a 2025 version, and the request has "
		               "no _meta envelope",
		               json_pack("{s:{s:[s]}}", "envelope", "missing", "_meta"), NULL);
		return;
	}
	if (http_check_modern_headers(&hdr, p->m.method, p->m.params, env.version, &data, err,
	                              sizeof err) != 0) {
		mcp_http_error(p->x, 400, p->m.id, MCP_ERR_HEADER_MISMATCH, err, data, NULL);
		return;
	}
	if (check_param_headers(p) != 0)
		return;
	struct exch *e = exch_new(p->h, p->x, p->subject);
	struct mcp_transport t = {modern_send, modern_backlog, e};
	if (!e || !(e->own = mcp_http_session_new(p->h, &t, p->subject))) {
		free(e);
		mcp_http_error(p->x, 503, p->m.id, RPC_INTERNAL_ERROR, "out of memory", NULL, NULL);
		return;
	}
	e->id = json_incref(p->m.id);
	exch_feed(e, e->own, p);
	exch_finish(e, NULL);
}

/*
 * Modern when the body carries the 2026 envelope, or when, outside any 2025
 * session, MCP-Protocol-Version names a version the 2025 era does not know (the
 * envelope is then missing).
 */
static bool is_modern(const struct post *p)
{
	const char *v = http_header(p->x, "MCP-Protocol-Version");
	json_t *meta = json_object_get(p->m.params, "_meta");

	if (json_object_get(meta, MCP_META_PROTOCOL_VERSION))
		return true;
	return v && !mcp_legacy_version_supported(v) && p->m.kind == RPC_REQUEST &&
	       !http_header(p->x, "Mcp-Session-Id");
}

static const char *const both_types[] = {"application/json", "text/event-stream", NULL};

static void handle_post(struct mcp_http *h, struct http_exchange *x, const char *subject)
{
	struct post p = {.h = h, .x = x, .subject = subject};
	json_error_t jerr;
	bool too_large;

	if (!http_check_accept(http_header(x, "Accept"), both_types)) {
		mcp_http_error(x, 406, NULL, RPC_INVALID_REQUEST,
		               "Accept must list application/json and text/event-stream", NULL,
		               NULL);
		return;
	}
	if (!http_check_json_type(http_header(x, "Content-Type"))) {
		mcp_http_error(x, 415, NULL, RPC_INVALID_REQUEST,
		               "Content-Type must be application/json", NULL, NULL);
		return;
	}
	p.body = http_body(x, &p.len, &too_large);
	if (too_large) {
		char message[128];
		snprintf(message, sizeof message, "the body is longer than %zu bytes",
		         h->cfg.max_body);
		mcp_http_error(x, 413, NULL, RPC_INVALID_REQUEST, message, NULL, NULL);
		return;
	}
	p.msg = json_loadb(p.body, p.len, JSON_DECODE_ANY, &jerr);
	if (!p.msg) {
		char message[256];
		snprintf(message, sizeof message, "parse error: %s", jerr.text);
		mcp_http_error(x, 400, NULL, RPC_PARSE_ERROR, message, NULL, NULL);
		return;
	}
	rpc_classify(p.msg, &p.m);
	if (json_is_array(p.msg))
		mcp_http_error(x, 400, NULL, RPC_INVALID_REQUEST, "batches are not supported", NULL,
		               NULL);
	else if (p.m.kind == RPC_INVALID) {
		char message[256];
		snprintf(message, sizeof message, "invalid request: %s", p.m.why);
		mcp_http_error(x, 400, p.m.id, RPC_INVALID_REQUEST, message, NULL, NULL);
	} else if (is_modern(&p))
		post_modern(&p);
	else
		legacy_post(&p);
	json_decref(p.msg);
}

/* ---- the endpoint ---- */

static bool authorized(struct mcp_http *h, struct http_exchange *x, char *subject, size_t size)
{
	char challenge[1024], why[256];
	enum http_auth_verdict v;

	subject[0] = '\0';
	if (!h->cfg.auth.auth)
		return true;
	v = h->cfg.auth.check(h->cfg.auth.auth, http_header(x, "Authorization"), subject, size,
	                      challenge, sizeof challenge, why, sizeof why);
	if (v == HTTP_AUTH_OK)
		return true;
	log_info("http: %s %s refused: %s", http_method(x), http_path(x), why);
	const char *headers[] = {"WWW-Authenticate", challenge, NULL};
	if (v == HTTP_AUTH_FORBIDDEN)
		mcp_http_error(x, 403, NULL, -32000, "insufficient scope", NULL, headers);
	else
		mcp_http_error(x, 401, NULL, -32000, "unauthorized: a bearer token is needed", NULL,
		               headers);
	return false;
}

static void serve_metadata(struct mcp_http *h, struct http_exchange *x)
{
	json_t *doc = h->cfg.auth.auth ? h->cfg.auth.metadata(h->cfg.auth.auth) : NULL;
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (text)
		mcp_http_json(x, 200, text, NULL);
	else
		mcp_http_error(x, 404, NULL, -32000, "this server has no OAuth metadata", NULL,
		               NULL);
	free(text);
}

static void on_request(void *data, struct http_exchange *x)
{
	struct mcp_http *h = data;
	const char *method = http_method(x), *path = http_path(x);
	char subject[256];

	if (!http_check_host(http_header(x, "Host"), &h->cfg.address, h->cfg.allow_hosts)) {
		mcp_http_error(x, 403, NULL, -32000, "forbidden: Host is not this server", NULL,
		               NULL);
		return;
	}
	if (!http_check_origin(http_header(x, "Origin"), &h->cfg.address, h->cfg.allow_origins)) {
		mcp_http_error(x, 403, NULL, -32000, "forbidden: Origin is not allowed", NULL,
		               NULL);
		return;
	}
	if (strcmp(path, "/.well-known/oauth-protected-resource") == 0 ||
	    strcmp(path, "/.well-known/oauth-protected-resource/mcp") == 0) {
		serve_metadata(h, x);
		return;
	}
	if (strcmp(path, "/mcp") != 0 && h->cfg.routes.handle &&
	    h->cfg.routes.handle(h->cfg.routes.ctx, x))
		return;
	if (strcmp(path, "/mcp") != 0) {
		mcp_http_error(x, 404, NULL, -32000, "not found: MCP is served at /mcp", NULL,
		               NULL);
		return;
	}
	if (!authorized(h, x, subject, sizeof subject))
		return;
	if (h->stopping) {
		mcp_http_error(x, 503, NULL, -32000, "server is stopping", NULL, NULL);
		return;
	}
	if (strcmp(method, "POST") == 0)
		handle_post(h, x, subject);
	else if (strcmp(method, "GET") == 0)
		legacy_get(h, x, subject);
	else if (strcmp(method, "DELETE") == 0)
		legacy_delete(h, x, subject);
	else {
		const char *allow[] = {"Allow", "GET, POST, DELETE", NULL};
		mcp_http_error(x, 405, NULL, -32000, "Method not allowed.", NULL, allow);
	}
}

/* ---- time: keep-alives, idle sessions, unanswered requests ---- */

void exch_keep_alive(struct mcp_http *h, struct exch *list)
{
	static const char comment[] = ": keep-alive\n\n";

	for (struct exch *e = list; e; e = e->next)
		if (e->st && !e->overflowed &&
		    http_stream_quiet_ms(e->st) >= h->cfg.keepalive_s * 1000ull &&
		    http_stream_write(e->st, comment, sizeof comment - 1) == -ENOBUFS)
			e->overflowed = true;
}

static bool all_closed(const struct mcp_http *h)
{
	return !h->sessions && h->open_streams == 0;
}

static void finish_close(struct mcp_http *h)
{
	void (*done)(void *) = h->closed;
	void *data = h->closed_data;

	http_server_free(h->server);
	uv_close((uv_handle_t *)h->tick, (uv_close_cb)free);
	mcp_listing_free(h->listing);
	json_decref(h->mirrored);
	free(h);
	done(data);
}

static void on_tick(uv_timer_t *t)
{
	struct mcp_http *h = t->data;
	uint64_t now = uv_now(h->cfg.loop);

	if (h->closed) {
		if (all_closed(h) || now >= h->close_deadline)
			finish_close(h);
		return;
	}
	legacy_tick(h, now);
	exch_keep_alive(h, h->modern);
}

int mcp_http_new(const struct mcp_http_config *cfg, struct mcp_http **out, char *err,
                 size_t err_size)
{
	struct mcp_http *h = calloc(1, sizeof *h);
	int rc;

	if (!h || !(h->listing = mcp_listing_new()) || !(h->tick = malloc(sizeof *h->tick))) {
		if (h)
			mcp_listing_free(h->listing);
		free(h);
		if (cfg->listen_fd >= 0)
			close(cfg->listen_fd);
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	h->cfg = *cfg;
	struct http_server_config scfg = {
	    .loop = cfg->loop,
	    .listen_fd = cfg->listen_fd,
	    .max_body = cfg->max_body,
	    .max_connections = cfg->max_connections,
	    .timeout_s = cfg->timeout_s,
	    .max_backlog = cfg->max_backlog,
	    .handle = on_request,
	    .data = h,
	};
	if ((rc = http_server_new(&scfg, &h->server, err, err_size)) != 0) {
		mcp_listing_free(h->listing);
		free(h->tick);
		free(h);
		return rc;
	}
	uv_timer_init(cfg->loop, h->tick);
	h->tick->data = h;
	uv_timer_start(h->tick, on_tick, 1000, 1000);
	uv_unref((uv_handle_t *)h->tick);
	*out = h;
	return 0;
}

int mcp_http_adopt(struct mcp_http *h, int fd)
{
	return http_server_adopt(h->server, fd);
}

void mcp_http_stop(struct mcp_http *h)
{
	h->stopping = true;
	http_server_quiesce(h->server);
	legacy_stop(h);
}

void mcp_http_close(struct mcp_http *h, void (*done)(void *data), void *data)
{
	h->stopping = true;
	h->closed = done;
	h->closed_data = data;
	/* Answers given are on their streams: those end once written, within the deadline. */
	legacy_end_all(h);
	for (struct exch *e = h->modern; e; e = e->next)
		if (e->st && !e->answered)
			http_stream_abort(e->st);
	h->close_deadline = uv_now(h->cfg.loop) + 1000;
	uv_ref((uv_handle_t *)h->tick);
	uv_timer_start(h->tick, on_tick, 0, 50);
}
