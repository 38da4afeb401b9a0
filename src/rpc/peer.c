#include "rpc/peer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/jsonrpc.h"

struct pending {
	int64_t id;
	rpc_answer_fn fn;
	void *data;
	struct pending *next;
};

struct rpc_peer {
	struct rpc_peer_handler h;
	struct pending *pending;
	int64_t next_id;
	unsigned depth; /* inside rpc_peer_receive() or rpc_peer_close() */
	bool closed;
};

int rpc_peer_new(const struct rpc_peer_handler *h, struct rpc_peer **out)
{
	struct rpc_peer *p = calloc(1, sizeof *p);

	if (!p)
		return -ENOMEM;
	p->h = *h;
	p->next_id = 1;
	*out = p;
	return 0;
}

/* Steals msg. */
static int send_msg(struct rpc_peer *p, json_t *msg)
{
	char *text;
	int rc;

	if (!msg)
		return -ENOMEM;
	if (!json_object_get(msg, "jsonrpc"))
		json_object_set_new(msg, "jsonrpc", json_string("2.0"));
	text = p->closed ? NULL : json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return p->closed ? -EPIPE : -ENOMEM;
	rc = p->h.write(p->h.ctx, text, strlen(text));
	free(text);
	return rc;
}

int rpc_peer_request(struct rpc_peer *p, const char *method, json_t *params, rpc_answer_fn fn,
                     void *data, int64_t *id_out)
{
	struct pending *q = calloc(1, sizeof *q);
	json_t *msg;
	int rc;

	if (!q || p->closed) {
		free(q);
		json_decref(params);
		return q ? -EPIPE : -ENOMEM;
	}
	msg = json_pack("{s:I, s:s}", "id", (json_int_t)p->next_id, "method", method);
	if (msg && params)
		json_object_set_new(msg, "params", params);
	else
		json_decref(params);
	if ((rc = send_msg(p, msg)) != 0) {
		free(q);
		return rc;
	}
	*q = (struct pending){.id = p->next_id++, .fn = fn, .data = data, .next = p->pending};
	p->pending = q;
	if (id_out)
		*id_out = q->id;
	return 0;
}

static struct pending *take(struct rpc_peer *p, int64_t id)
{
	for (struct pending **at = &p->pending; *at; at = &(*at)->next)
		if ((*at)->id == id) {
			struct pending *q = *at;
			*at = q->next;
			return q;
		}
	return NULL;
}

void rpc_peer_forget(struct rpc_peer *p, int64_t id)
{
	free(take(p, id));
}

size_t rpc_peer_pending(const struct rpc_peer *p)
{
	size_t n = 0;

	for (const struct pending *q = p->pending; q; q = q->next)
		n++;
	return n;
}

int rpc_peer_notify(struct rpc_peer *p, const char *method, json_t *params)
{
	json_t *msg = json_pack("{s:s}", "method", method);

	if (msg && params)
		json_object_set_new(msg, "params", params);
	else
		json_decref(params);
	return send_msg(p, msg);
}

int rpc_peer_reply(struct rpc_peer *p, const json_t *id, json_t *result)
{
	json_t *msg = rpc_make_result((json_t *)id, result);

	return send_msg(p, msg);
}

int rpc_peer_reply_error(struct rpc_peer *p, const json_t *id, int code, const char *message)
{
	return send_msg(p, rpc_make_error((json_t *)id, code, message));
}

static void garbage(struct rpc_peer *p, const char *why, const char *line, size_t len)
{
	if (p->h.garbage)
		p->h.garbage(p->h.ctx, why, line, len);
}

static void answered(struct rpc_peer *p, json_t *msg, const struct rpc_message *m, const char *line,
                     size_t len)
{
	json_t *error = json_object_get(msg, "error");
	struct pending *q = json_is_integer(m->id) ? take(p, json_integer_value(m->id)) : NULL;

	if (!q) {
		garbage(p, m->id ? "an answer to nothing asked" : "an error for no request", line,
		        len);
		return;
	}
	if (q->fn)
		q->fn(q->data, error ? NULL : json_object_get(msg, "result"), error);
	free(q);
}

static void fail_pending(struct rpc_peer *p, const char *why)
{
	json_t *error = json_pack("{s:i, s:s}", "code", RPC_PEER_GONE, "message", why);

	while (p->pending) {
		struct pending *q = p->pending;
		p->pending = q->next;
		if (q->fn)
			q->fn(q->data, NULL, error);
		free(q);
	}
	json_decref(error);
}

void rpc_peer_receive(struct rpc_peer *p, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg;
	struct rpc_message m;

	if (p->closed)
		return;
	if (!(msg = json_loadb(line, len, 0, &jerr))) {
		garbage(p, "not JSON", line, len);
		return;
	}
	rpc_classify_lenient(msg, &m);
	p->depth++;
	switch (m.kind) {
	case RPC_RESPONSE:
		answered(p, msg, &m, line, len);
		break;
	case RPC_REQUEST:
		p->h.request(p->h.ctx, m.id, m.method, m.params);
		break;
	case RPC_NOTIFICATION:
		p->h.notification(p->h.ctx, m.method, m.params);
		break;
	case RPC_INVALID:
		garbage(p, m.why, line, len);
		break;
	}
	json_decref(msg);
	/* Closed by one of its callbacks: freed now that none runs. */
	if (--p->depth == 0 && p->closed)
		free(p);
}

void rpc_peer_close(struct rpc_peer *p, const char *why)
{
	if (p->closed)
		return;
	p->closed = true;
	p->depth++;
	fail_pending(p, why);
	if (--p->depth == 0)
		free(p);
}
