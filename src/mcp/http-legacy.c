/*
 * The 2025-11-25 era over HTTP: sessions named by Mcp-Session-Id, made by
 * initialize, each with its POST streams, a GET stream for what belongs to no
 * request, and DELETE to end it. Idle sessions expire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "http/server.h"
#include "mcp/http-check.h"
#include "mcp/http-int.h"
#include "rpc/jsonrpc.h"

/* What a session holds for a GET stream that is not open yet. */
#define STANDALONE_MAX_BYTES (1u << 20)

/* ---- messages, and where they go ---- */

static struct exch *find_exch(struct hsession *hs, const json_t *id)
{
	for (struct exch *e = hs->exchanges; e; e = e->next)
		if (e->id && !e->answered && json_equal(e->id, (json_t *)id))
			return e;
	return NULL;
}

static struct exch *get_stream(struct hsession *hs)
{
	for (struct exch *e = hs->exchanges; e; e = e->next)
		if (!e->id && e->st && !e->overflowed)
			return e;
	return NULL;
}

/* What belongs to no request waits for a GET stream, within a bound. */
static void standalone(struct hsession *hs, const char *data, size_t len)
{
	struct exch *get = get_stream(hs);
	struct held_msg *m;

	if (get) {
		exch_stream_msg(get, data, len);
		return;
	}
	if (hs->standalone_bytes + len > STANDALONE_MAX_BYTES ||
	    !(m = mcp_http_held_new(data, len)))
		return;
	if (!hs->standalone)
		hs->standalone_tail = &hs->standalone;
	*hs->standalone_tail = m;
	hs->standalone_tail = &m->next;
	hs->standalone_bytes += len;
}

static void legacy_send(void *ctx, const char *data, size_t len, const json_t *related, bool answer)
{
	struct hsession *hs = ctx;
	struct exch *e = related ? find_exch(hs, related) : NULL;

	if (e)
		exch_send(e, data, len, answer);
	else if (!related)
		standalone(hs, data, len);
	/* A request whose stream is gone hears nothing more: its client left. */
}

static size_t legacy_backlog(void *ctx, const json_t *related)
{
	return related ? exch_backlog(find_exch(ctx, related)) : 0;
}

/* ---- sessions ---- */

static struct hsession *find_session(struct mcp_http *h, const char *id, const char *subject)
{
	for (struct hsession *hs = h->sessions; hs; hs = hs->next)
		if (strcmp(hs->id, id) == 0)
			/* Another subject's session is no more found than one that never was. */
			return strcmp(hs->subject ? hs->subject : "", subject) == 0 ? hs : NULL;
	return NULL;
}

static void end_session(struct hsession *hs)
{
	struct mcp_http *h = hs->h;

	for (struct hsession **p = &h->sessions; *p; p = &(*p)->next)
		if (*p == hs) {
			*p = hs->next;
			h->n_sessions--;
			break;
		}
	while (hs->exchanges) {
		struct exch *e = hs->exchanges;
		hs->exchanges = e->next;
		e->hs = NULL;
		e->next = NULL;
		/* An answer given is delivered; a GET stream ends; a call unanswered is cut. */
		if (e->st && !e->id)
			http_stream_end(e->st);
		else if (e->st && !e->answered)
			http_stream_abort(e->st);
	}
	mcp_session_close(hs->s, true);
	mcp_http_held_free(hs->standalone);
	free(hs->subject);
	free(hs);
}

static struct hsession *start_session(struct mcp_http *h, const char *subject)
{
	struct hsession *hs = calloc(1, sizeof *hs);
	unsigned char raw[16];

	if (!hs)
		return NULL;
	hs->h = h;
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hs->id, sizeof hs->id, raw, sizeof raw);
	struct mcp_transport t = {legacy_send, legacy_backlog, hs};
	hs->s = mcp_http_session_new(h, &t, subject);
	if (!hs->s || (*subject && !(hs->subject = strdup(subject)))) {
		mcp_session_free(hs->s);
		free(hs);
		return NULL;
	}
	hs->last_ms = uv_now(h->cfg.loop);
	hs->next = h->sessions;
	h->sessions = hs;
	h->n_sessions++;
	return hs;
}

static bool legacy_version_ok(struct http_exchange *x)
{
	const char *v = http_header(x, "MCP-Protocol-Version");

	return !v || mcp_legacy_version_supported(v);
}

void legacy_post(struct post *p)
{
	struct mcp_http *h = p->h;
	const char *sid = http_header(p->x, "Mcp-Session-Id");
	bool init = p->m.kind == RPC_REQUEST && strcmp(p->m.method, "initialize") == 0;
	struct hsession *hs;

	if (init) {
		if (h->n_sessions >= h->cfg.max_sessions) {
			mcp_http_error(p->x, 503, p->m.id, -32000, "too many sessions; try later",
			               NULL, NULL);
			return;
		}
		hs = start_session(h, p->subject);
		if (!hs) {
			mcp_http_error(p->x, 503, p->m.id, RPC_INTERNAL_ERROR, "out of memory",
			               NULL, NULL);
			return;
		}
	} else if (!sid) {
		mcp_http_error(p->x, 400, p->m.id, RPC_INVALID_REQUEST,
		               "Mcp-Session-Id is missing: initialize first", NULL, NULL);
		return;
	} else if (!(hs = find_session(h, sid, p->subject))) {
		mcp_http_error(p->x, 404, p->m.id, -32001, "session not found", NULL, NULL);
		return;
	} else if (!legacy_version_ok(p->x)) {
		mcp_http_error(p->x, 400, p->m.id, RPC_INVALID_REQUEST,
		               "unsupported MCP-Protocol-Version", NULL, NULL);
		return;
	}
	hs->last_ms = uv_now(h->cfg.loop);
	if (p->m.kind != RPC_REQUEST) {
		mcp_session_receive(hs->s, p->body, p->len);
		http_respond(p->x, 202, NULL, "", 0, NULL);
		return;
	}
	struct exch *e = exch_new(h, p->x, p->subject);
	if (!e) {
		mcp_http_error(p->x, 503, p->m.id, RPC_INTERNAL_ERROR, "out of memory", NULL, NULL);
		return;
	}
	e->hs = hs;
	e->id = json_incref(p->m.id);
	/* Linked first, so that the session's messages for this id find it. */
	exch_link(e);
	exch_feed(e, hs->s, p);
	exch_unlink(e);
	exch_finish(e, init ? hs->id : NULL);
}

/* ---- GET and DELETE: the 2025 session's own stream, and its end ---- */

static const char *const sse_type[] = {"text/event-stream", NULL};

static struct hsession *session_of(struct mcp_http *h, struct http_exchange *x, const char *subject)
{
	const char *sid = http_header(x, "Mcp-Session-Id");
	struct hsession *hs;

	if (!sid) {
		/* Only a 2025 session has a stream of its own, or an end. */
		const char *allow[] = {"Allow", "POST", NULL};
		mcp_http_error(x, 405, NULL, -32000, "Method not allowed.", NULL, allow);
		return NULL;
	}
	if (!(hs = find_session(h, sid, subject)))
		mcp_http_error(x, 404, NULL, -32001, "session not found", NULL, NULL);
	return hs;
}

void legacy_get(struct mcp_http *h, struct http_exchange *x, const char *subject)
{
	struct hsession *hs;
	struct exch *e;

	if (!http_check_accept(http_header(x, "Accept"), sse_type)) {
		mcp_http_error(x, 406, NULL, RPC_INVALID_REQUEST,
		               "Accept must list text/event-stream", NULL, NULL);
		return;
	}
	if (!(hs = session_of(h, x, subject)))
		return;
	if (!(e = exch_new(h, x, subject))) {
		mcp_http_error(x, 503, NULL, RPC_INTERNAL_ERROR, "out of memory", NULL, NULL);
		return;
	}
	e->hs = hs;
	e->st = http_respond_stream(x, 200, "text/event-stream", mcp_http_sse_headers,
	                            exch_stream_closed, e);
	if (!e->st) {
		free(e);
		mcp_http_error(x, 500, NULL, RPC_INTERNAL_ERROR, "cannot open a stream", NULL,
		               NULL);
		return;
	}
	exch_link(e);
	h->open_streams++;
	hs->last_ms = uv_now(h->cfg.loop);
	/* What waited for a stream goes first; a comment tells the client it is open. */
	http_stream_write(e->st, ": stream open\n\n", 15);
	for (struct held_msg *m = hs->standalone; m; m = m->next)
		exch_stream_msg(e, m->text, m->len);
	mcp_http_held_free(hs->standalone);
	hs->standalone = NULL;
	hs->standalone_bytes = 0;
}

void legacy_delete(struct mcp_http *h, struct http_exchange *x, const char *subject)
{
	struct hsession *hs = session_of(h, x, subject);

	if (!hs)
		return;
	end_session(hs);
	http_respond(x, 200, NULL, "", 0, NULL);
}

/* ---- time, and the end ---- */

void legacy_tick(struct mcp_http *h, uint64_t now)
{
	for (struct hsession *hs = h->sessions, *next; hs; hs = next) {
		next = hs->next;
		mcp_session_tick(hs->s);
		if (!hs->exchanges && now - hs->last_ms >= h->cfg.session_idle_s * 1000ull) {
			log_info("http: session %.8s… ended after %u s unused", hs->id,
			         h->cfg.session_idle_s);
			end_session(hs);
			continue;
		}
		exch_keep_alive(h, hs->exchanges);
	}
}

void legacy_stop(struct mcp_http *h)
{
	for (struct hsession *hs = h->sessions; hs; hs = hs->next)
		mcp_session_stop(hs->s);
}

void legacy_end_all(struct mcp_http *h)
{
	while (h->sessions)
		end_session(h->sessions);
}

void mcp_http_log(struct mcp_http *h, enum log_level level, const char *message)
{
	for (struct hsession *hs = h->sessions; hs; hs = hs->next)
		mcp_session_log(hs->s, level, message);
}
