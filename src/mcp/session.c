#include "mcp/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcp/session-int.h"
#include "util/text.h"

/* Newest first: a client asking for something else gets the newest. */
static const char *const protocol_versions[] = {
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
};

enum { CLIENT_ANSWER_MS = 5000 };

/*
 * Digits enough for a real id to read back as the same double: 15 keep 0.1 as "0.1",
 * some need 16 or 17.
 */
static int id_precision(const json_t *id)
{
	char buf[32];

	if (!json_is_real(id))
		return 15;
	for (int p = 15; p < 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, json_real_value(id));
		if (strtod(buf, NULL) == json_real_value(id))
			return p;
	}
	return 17;
}

static int precision_for(const json_t *msg)
{
	/* An answer's id, or the token of a progress notification. */
	const json_t *id = json_object_get(msg, "id");

	if (!id)
		id = json_object_get(json_object_get(msg, "params"), "progressToken");
	return id_precision(id);
}

void session_send(struct mcp_session *s, json_t *msg, const json_t *related)
{
	char *text;

	if (!msg || s->closed) {
		json_decref(msg);
		return;
	}
	bool answer = related && !json_object_get(msg, "method");

	text = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(precision_for(msg)));
	json_decref(msg);
	if (!text)
		return;
	s->transport.send(s->transport.ctx, text, strlen(text), related, answer);
	free(text);
}

void session_reply_error(struct mcp_session *s, json_t *id, int code, const char *message,
                         json_t *data)
{
	/* A message quoting the client's bytes may hold invalid UTF-8, or a character cut in half.
	 */
	char *text = text_sanitize(message, strlen(message));
	json_t *error = rpc_make_error(id, code, text ? text : "error");

	free(text);
	if (!error)
		error = rpc_make_error(id, code, "error");
	if (error && data)
		json_object_set(json_object_get(error, "error"), "data", data);
	json_decref(data);
	session_send(s, error, id);
}

void session_reply_result(struct mcp_session *s, json_t *id, json_t *result, bool modern)
{
	if (modern && result) {
		json_t *meta = json_object_get(result, "_meta");
		if (!json_object_get(result, "resultType"))
			json_object_set_new(result, "resultType", json_string("complete"));
		if (!json_is_object(meta)) {
			meta = json_object();
			json_object_set_new(result, "_meta", meta);
		}
		json_object_set_new(
		    meta, MCP_META_SERVER_INFO,
		    json_pack("{s:s, s:s}", "name", s->info.name, "version", s->info.version));
	}
	session_send(s, rpc_make_result(id, result), id);
}

void session_reply_text(struct mcp_session *s, json_t *id, const char *body)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":", mid[] = ",\"result\":";
	char *id_text = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY), *msg, *p;
	size_t id_len = id_text ? strlen(id_text) : 0, body_len = strlen(body);
	size_t len = sizeof head - 1 + id_len + sizeof mid - 1 + body_len + 1;

	if (s->closed)
		return;
	/* Pieces copied once: printf-style formatting of a long body costs several times more. */
	/* NUL-terminated as every message handed to a transport is, though len says its size. */
	msg = id_text ? malloc(len + 1) : NULL;
	if (!msg) {
		free(id_text);
		session_reply_error(s, id, RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	p = mempcpy(msg, head, sizeof head - 1);
	p = mempcpy(p, id_text, id_len);
	p = mempcpy(p, mid, sizeof mid - 1);
	p = mempcpy(p, body, body_len);
	p[0] = '}';
	p[1] = '\0';
	s->transport.send(s->transport.ctx, msg, len, id, true);
	free(msg);
	free(id_text);
}

static void reply_error(struct mcp_session *s, json_t *id, int code, const char *message)
{
	session_reply_error(s, id, code, message, NULL);
}

static void reply_result(struct mcp_session *s, json_t *id, json_t *result)
{
	session_reply_result(s, id, result, false);
}

struct mcp_session *mcp_session_new(const struct mcp_server_info *info,
                                    const struct mcp_tool_provider *tools,
                                    const struct mcp_transport *transport,
                                    const struct mcp_sealer *sealer)
{
	struct mcp_session *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->info = *info;
	s->tools = *tools;
	s->listing = &s->own_listing;
	s->transport = *transport;
	if (sealer) {
		s->sealer = *sealer;
		s->has_sealer = true;
	}
	return s;
}

static void request_free(struct mcp_request *r)
{
	roots_free(r->roots, r->n_roots);
	json_decref(r->client_caps);
	session_mrtr_free(r);
	free(r->task_id);
	free(r->tasks_id);
	json_decref(r->tasks_update);
	json_decref(r->id);
	json_decref(r->progress_token);
	free(r->progress_text);
	free(r);
}

static void request_unlink(struct mcp_request *r)
{
	struct mcp_session *s = r->session;

	if (r->task_id) {
		for (struct mcp_request **p = &s->task_calls; *p; p = &(*p)->next)
			if (*p == r) {
				*p = r->next;
				return;
			}
		return;
	}
	for (struct mcp_request **p = &s->requests; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			s->request_count--;
			return;
		}
	}
}

static void free_roots(struct mcp_session *s)
{
	roots_free(s->roots, s->n_roots);
	s->roots = NULL;
	s->n_roots = 0;
}

void mcp_session_free(struct mcp_session *s)
{
	if (!s)
		return;
	/* Requests still in flight belong to providers that must have finished. */
	while (s->requests) {
		struct mcp_request *r = s->requests;
		s->requests = r->next;
		request_free(r);
	}
	while (s->task_calls) {
		struct mcp_request *r = s->task_calls;
		s->task_calls = r->next;
		request_free(r);
	}
	while (s->outgoing) {
		struct outgoing *o = s->outgoing;
		s->outgoing = o->next;
		free(o);
	}
	while (s->held) {
		struct held *h = s->held;
		s->held = h->next;
		json_decref(h->msg);
		free(h);
	}
	free_roots(s);
	json_decref(s->client_caps);
	free(s->own_listing.legacy);
	free(s->own_listing.modern);
	free(s->subject);
	free(s);
}

bool mcp_legacy_version_supported(const char *version)
{
	for (size_t i = 0; i < sizeof protocol_versions / sizeof protocol_versions[0]; i++)
		if (strcmp(version, protocol_versions[i]) == 0)
			return true;
	return false;
}

struct mcp_listing *mcp_listing_new(void)
{
	return calloc(1, sizeof(struct mcp_listing));
}

void mcp_listing_free(struct mcp_listing *l)
{
	if (!l)
		return;
	free(l->legacy);
	free(l->modern);
	free(l);
}

void mcp_session_share_listing(struct mcp_session *s, struct mcp_listing *l)
{
	s->listing = l ? l : &s->own_listing;
}

int mcp_session_set_subject(struct mcp_session *s, const char *subject)
{
	char *copy = subject ? strdup(subject) : NULL;

	if (subject && !copy)
		return -ENOMEM;
	free(s->subject);
	s->subject = copy;
	return 0;
}

const char *mcp_session_subject(const struct mcp_session *s)
{
	return s->subject;
}

/* A closed session goes once nothing in flight can name it. */
static void free_if_drained(struct mcp_session *s)
{
	if (s->closed && !s->closing && !s->requests && !s->task_calls)
		mcp_session_free(s);
}

static struct mcp_request *first_uncancelled(struct mcp_session *s)
{
	for (struct mcp_request *r = s->requests; r; r = r->next)
		if (!r->cancelled)
			return r;
	return NULL;
}

static void cancel_request(struct mcp_request *r);

void mcp_session_close(struct mcp_session *s, bool cancel_calls)
{
	struct mcp_request *r;

	if (!s || s->closed)
		return;
	s->closed = true;
	s->closing = true;
	while (s->held) {
		struct held *h = s->held;
		s->held = h->next;
		json_decref(h->msg);
		free(h);
	}
	mcp_session_stop(s);
	/* A cancel may answer at once and unlink its request: start over each time. */
	while (cancel_calls && (r = first_uncancelled(s)))
		cancel_request(r);
	s->closing = false;
	free_if_drained(s);
}

static struct mcp_request *find_request(struct mcp_session *s, const json_t *id)
{
	for (struct mcp_request *r = s->requests; r; r = r->next)
		if (json_equal(r->id, (json_t *)id))
			return r;
	return NULL;
}

/* ---- methods ---- */

static json_t *capabilities(const struct mcp_session *s)
{
	json_t *caps = json_pack("{s:{s:b}, s:{}}", "tools", "listChanged", 0, "logging");

	if (caps && s->has_tasks)
		json_object_set_new(caps, "tasks",
		                    json_pack("{s:{}, s:{}, s:{s:{s:{}}}}", "list", "cancel",
		                              "requests", "tools", "call"));
	if (caps)
		session_provider_capabilities(s, caps, false);
	return caps;
}

static void handle_initialize(struct mcp_session *s, json_t *id, json_t *params)
{
	json_t *version = json_object_get(params, "protocolVersion");
	const char *chosen = protocol_versions[0];
	json_t *result;

	if (s->initialized) {
		reply_error(s, id, RPC_INVALID_REQUEST, "the session is already initialized");
		return;
	}
	if (!json_is_string(version)) {
		reply_error(s, id, RPC_INVALID_PARAMS,
		            "initialize: \"protocolVersion\" must be a string");
		return;
	}
	for (size_t i = 0; i < sizeof protocol_versions / sizeof protocol_versions[0]; i++)
		if (strcmp(json_string_value(version), protocol_versions[i]) == 0)
			chosen = protocol_versions[i];

	s->initialized = true;
	s->client_has_roots =
	    json_is_object(json_object_get(json_object_get(params, "capabilities"), "roots"));
	if (json_is_object(json_object_get(params, "capabilities")))
		s->client_caps = json_incref(json_object_get(params, "capabilities"));
	snprintf(s->protocol_version, sizeof s->protocol_version, "%s", chosen);
	result = json_pack("{s:s, s:o, s:{s:s, s:s, s:s}}", "protocolVersion", chosen,
	                   "capabilities", capabilities(s), "serverInfo", "name", s->info.name,
	                   "title", s->info.title, "version", s->info.version);
	if (result && s->info.instructions)
		json_object_set_new(result, "instructions", json_string(s->info.instructions));
	reply_result(s, id, result);
}

static void handle_set_level(struct mcp_session *s, json_t *id, json_t *params)
{
	json_t *level = json_object_get(params, "level");
	enum log_level parsed;

	if (!json_is_string(level) || log_level_parse(json_string_value(level), &parsed) != 0) {
		reply_error(s, id, RPC_INVALID_PARAMS,
		            "logging/setLevel: \"level\" must be one of debug, info, notice, "
		            "warning, error, critical, alert, emergency");
		return;
	}
	s->log_level = parsed;
	s->logging_enabled = true;
	reply_result(s, id, json_object());
}

json_t *session_progress_token(json_t *params)
{
	json_t *token = json_object_get(json_object_get(params, "_meta"), "progressToken");

	if (json_is_string(token) || json_is_number(token))
		return json_incref(token);
	return NULL;
}

struct mcp_request *session_new_request(struct mcp_session *s, json_t *id)
{
	struct mcp_request *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->session = s;
	r->id = json_incref(id);
	r->next = s->requests;
	s->requests = r;
	s->request_count++;
	return r;
}

void session_apply_envelope(struct mcp_request *r, const struct mcp_envelope *env)
{
	r->modern = true;
	r->client_caps = json_incref(env->capabilities);
	r->wants_logs = env->has_log_level;
	r->log_level = env->log_level;
}

static void handle_tools_call(struct mcp_session *s, json_t *id, json_t *params)
{
	json_t *name = json_object_get(params, "name");
	json_t *arguments = json_object_get(params, "arguments");
	struct mcp_request *r;

	if (!json_is_string(name)) {
		reply_error(s, id, RPC_INVALID_PARAMS, "tools/call: \"name\" must be a string");
		return;
	}
	if (arguments && !json_is_object(arguments) && !json_is_null(arguments)) {
		reply_error(s, id, RPC_INVALID_PARAMS,
		            "tools/call: \"arguments\" must be an object");
		return;
	}
	json_t *task = json_object_get(params, "task");
	if (task) {
		json_t *ttl = json_object_get(task, "ttl");
		if (!json_is_object(task) || (ttl && !json_is_null(ttl) && !json_is_integer(ttl)) ||
		    (json_is_integer(ttl) && json_integer_value(ttl) < 0)) {
			reply_error(
			    s, id, RPC_INVALID_PARAMS,
			    "tools/call: \"task\" must be an object whose \"ttl\" is a number "
			    "of milliseconds");
			return;
		}
		session_start_task_call(s, id, params, json_string_value(name), arguments, ttl,
		                        NULL, NULL, 0);
		return;
	}
	r = session_new_request(s, id);
	if (!r) {
		reply_error(s, id, RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	r->progress_token = session_progress_token(params);

	json_t *args = json_is_object(arguments) ? json_incref(arguments) : json_object();
	if (s->tools.call(s->tools.ctx, r, json_string_value(name), args) != 0) {
		char message[512];
		snprintf(message, sizeof message, "tools/call: unknown tool \"%.400s\"",
		         json_string_value(name));
		mcp_request_fail(r, RPC_INVALID_PARAMS, message);
	}
	json_decref(args);
}

static void reply_tools_list(struct mcp_session *s, json_t *id)
{
	struct mcp_listing *l = s->listing;

	if (!l->legacy) {
		json_t *tools = s->tools.list(s->tools.ctx);
		char *list = tools ? json_dumps(tools, JSON_COMPACT) : NULL;
		json_decref(tools);
		if (list && asprintf(&l->legacy, "{\"tools\":%s}", list) < 0)
			l->legacy = NULL;
		free(list);
	}
	if (!l->legacy) {
		reply_error(s, id, RPC_INTERNAL_ERROR, "tools/list: the listing cannot be made");
		return;
	}
	session_reply_text(s, id, l->legacy);
}

static void handle_request(struct mcp_session *s, const struct rpc_message *m)
{
	const char *method = m->method;
	json_t *params = m->params;

	if (params && !json_is_object(params)) {
		reply_error(s, m->id, RPC_INVALID_PARAMS, "\"params\" must be an object");
		return;
	}
	if (find_request(s, m->id)) {
		reply_error(s, m->id, RPC_INVALID_REQUEST,
		            "a request with this id is still in flight");
		return;
	}
	if (strcmp(method, "initialize") == 0)
		handle_initialize(s, m->id, params);
	else if (strcmp(method, "ping") == 0)
		reply_result(s, m->id, json_object());
	else if (strcmp(method, "tools/list") == 0)
		reply_tools_list(s, m->id);
	else if (strcmp(method, "tools/call") == 0)
		handle_tools_call(s, m->id, params);
	else if (strcmp(method, "logging/setLevel") == 0)
		handle_set_level(s, m->id, params);
	else if (s->has_tasks && strncmp(method, "tasks/", 6) == 0)
		session_handle_tasks(s, m->id, method + 6, params);
	else if (s->has_methods)
		session_provider_request(s, m, NULL);
	else {
		char message[512];
		snprintf(message, sizeof message, "method not found: %.400s", method);
		reply_error(s, m->id, RPC_METHOD_NOT_FOUND, message);
	}
}

static void cancel_request(struct mcp_request *r)
{
	void (*fn)(void *) = r->cancel_fn;

	if (r->cancelled)
		return;
	r->cancelled = true;
	r->cancel_fn = NULL;
	if (fn)
		fn(r->cancel_data);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An answer to a request we sent, or its end unanswered (result and error NULL). */
static void outgoing_done(struct mcp_session *s, struct outgoing *o, json_t *result, json_t *error)
{
	if (o->on_answer)
		o->on_answer(o->data, result, error);
	else
		o->done(s, result, error);
	free(o);
}

/*
 * related: the request it is sent for, whose stream carries it; NULL for none. Returns
 * what was sent, or NULL when it could not be (done has run).
 */
static struct outgoing *send_request(struct mcp_session *s, const char *method, json_t *params,
                                     void (*done)(struct mcp_session *s, json_t *result,
                                                  json_t *error),
                                     void (*on_answer)(void *data, json_t *result, json_t *error),
                                     void *data, const json_t *related)
{
	struct outgoing *o = calloc(1, sizeof *o);

	if (!o) {
		json_decref(params);
		if (on_answer)
			on_answer(data, NULL, NULL);
		else
			done(s, NULL, NULL);
		return NULL;
	}
	o->on_answer = on_answer;
	o->data = data;
	/* Our ids cannot collide with the client's: the client never sees them as requests. */
	o->n = ++s->next_outgoing;
	snprintf(o->id, sizeof o->id, "codex-mcp-%u", o->n);
	o->sent_ms = now_ms();
	o->done = done;
	o->next = s->outgoing;
	s->outgoing = o;
	json_t *msg = rpc_make_notification(method, params);
	json_object_set_new(msg, "id", json_string(o->id));
	session_send(s, msg, related);
	return o;
}

static void release_held(struct mcp_session *s);

static void roots_answered(struct mcp_session *s, json_t *result, json_t *error)
{
	char **paths;
	size_t n, listed;

	s->roots_pending = false;
	if (roots_parse(result, &paths, &n, &listed) != 0) {
		/* Its last good list still holds; without one, no run can be placed. */
		s->roots_failed = !s->roots_heard;
		log_warn("the client did not list its roots (%s); %s",
		         error ? "it answered with an error" : "no answer",
		         s->roots_heard ? "its last list still holds"
		                        : "runs are refused until it does");
	} else {
		free_roots(s);
		s->roots_failed = false;
		s->roots_heard = true;
		s->roots = paths;
		s->n_roots = n;
		/* A list is the client's word; an empty one confines nothing (see
		 * mcp_request_roots). */
		s->roots_known = listed > 0;
		if (listed > 0)
			log_info("the client's roots confine runs to %zu director%s", n,
			         n == 1 ? "y" : "ies");
		else
			log_info("the client lists no roots: runs are not confined by roots");
	}
	release_held(s);
}

static void ask_roots(struct mcp_session *s)
{
	if (!s->client_has_roots)
		return;
	s->roots_pending = true;
	send_request(s, "roots/list", NULL, roots_answered, NULL, NULL, NULL);
}

static void handle_response(struct mcp_session *s, json_t *msg, json_t *id)
{
	for (struct outgoing **p = &s->outgoing; *p; p = &(*p)->next) {
		struct outgoing *o = *p;
		if (json_is_string(id) && strcmp(json_string_value(id), o->id) == 0) {
			*p = o->next;
			outgoing_done(s, o, json_object_get(msg, "result"),
			              json_object_get(msg, "error"));
			return;
		}
	}
	/* A response to an id we never sent is ignored. */
}

void mcp_session_tick(struct mcp_session *s)
{
	int64_t now = now_ms();

	for (struct outgoing **p = &s->outgoing; *p;) {
		struct outgoing *o = *p;
		if (o->waits || now - o->sent_ms < CLIENT_ANSWER_MS) {
			p = &o->next;
			continue;
		}
		*p = o->next;
		outgoing_done(s, o, NULL, NULL);
	}
}

enum mcp_roots mcp_request_roots(const struct mcp_request *r, char *const **paths, size_t *n)
{
	const struct mcp_session *s = r->session;

	if (r->modern) {
		*paths = r->roots;
		*n = r->n_roots;
		return r->has_roots ? MCP_ROOTS_LISTED : MCP_ROOTS_NONE;
	}
	*paths = s->roots;
	*n = s->n_roots;
	if (s->roots_failed)
		return MCP_ROOTS_UNKNOWN;
	return s->roots_known ? MCP_ROOTS_LISTED : MCP_ROOTS_NONE;
}

void mcp_session_stop(struct mcp_session *s)
{
	/* No answer will be waited for now: each request to the client ends as unanswered,
	 * which also lets the calls held for roots/list have their answers. */
	while (s->outgoing) {
		struct outgoing *o = s->outgoing;
		s->outgoing = o->next;
		outgoing_done(s, o, NULL, NULL);
	}
}

static void handle_notification(struct mcp_session *s, const struct rpc_message *m)
{
	if (strcmp(m->method, "notifications/initialized") == 0 ||
	    strcmp(m->method, "notifications/roots/list_changed") == 0) {
		ask_roots(s);
		return;
	}
	if (strcmp(m->method, "notifications/cancelled") == 0) {
		json_t *id = json_object_get(m->params, "requestId");
		struct mcp_request *r = id ? find_request(s, id) : NULL;
		if (r) {
			log_debug("request cancelled by the client");
			cancel_request(r);
		}
	}
	/* notifications/initialized and anything unknown need nothing. */
}

static void hold(struct mcp_session *s, json_t *msg)
{
	struct held *h = calloc(1, sizeof *h);

	if (!h) {
		struct rpc_message m;
		rpc_classify(msg, &m);
		reply_error(s, m.id, RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	h->msg = json_incref(msg);
	if (!s->held)
		s->held_tail = &s->held;
	*s->held_tail = h;
	s->held_tail = &h->next;
}

static void release_held(struct mcp_session *s)
{
	while (s->held && !s->roots_pending) {
		struct held *h = s->held;
		struct rpc_message m;
		s->held = h->next;
		rpc_classify(h->msg, &m);
		handle_request(s, &m);
		json_decref(h->msg);
		free(h);
	}
}

/* Each request is served in the era it declares, whatever came before it. */
static void receive_request(struct mcp_session *s, json_t *msg, const struct rpc_message *m)
{
	struct mcp_envelope env;
	json_t *data = NULL;
	char err[256];
	int era = MCP_ERA_LEGACY;

	if (json_is_object(m->params))
		era = mcp_era_classify(m->method, m->params, &env, &data, err, sizeof err);
	if (era < 0) {
		session_reply_error(s, m->id, era, err, data);
		return;
	}
	if (era == MCP_ERA_MODERN) {
		if (find_request(s, m->id))
			reply_error(s, m->id, RPC_INVALID_REQUEST,
			            "a request with this id is still in flight");
		else
			session_handle_modern(s, m, &env);
		return;
	}
	/* Until the client's roots are known, no call may start outside them. */
	if (s->roots_pending && strcmp(m->method, "tools/call") == 0) {
		hold(s, msg);
		return;
	}
	handle_request(s, m);
}

void mcp_session_receive(struct mcp_session *s, const char *data, size_t len)
{
	json_error_t error;
	json_t *msg = json_loadb(data, len, JSON_DECODE_ANY, &error);
	struct rpc_message m;

	if (!msg) {
		char message[256];
		snprintf(message, sizeof message, "parse error: %s", error.text);
		reply_error(s, NULL, RPC_PARSE_ERROR, message);
		return;
	}
	rpc_classify(msg, &m);
	switch (m.kind) {
	case RPC_INVALID: {
		char message[256];
		snprintf(message, sizeof message, "invalid request: %s", m.why);
		reply_error(s, m.id, RPC_INVALID_REQUEST, message);
		break;
	}
	case RPC_REQUEST:
		receive_request(s, msg, &m);
		break;
	case RPC_NOTIFICATION:
		handle_notification(s, &m);
		break;
	case RPC_RESPONSE:
		handle_response(s, msg, m.id ? m.id : json_object_get(msg, "id"));
		break;
	}
	json_decref(msg);
}

void mcp_session_receive_overflow(struct mcp_session *s, size_t max_len)
{
	char message[128];

	snprintf(message, sizeof message, "parse error: message longer than %zu bytes", max_len);
	reply_error(s, NULL, RPC_PARSE_ERROR, message);
}

void mcp_session_notify(struct mcp_session *s, const char *method, json_t *params)
{
	session_send(s, rpc_make_notification(method, params), NULL);
}

size_t mcp_session_backlog(const struct mcp_session *s)
{
	return s->transport.backlog && !s->closed ? s->transport.backlog(s->transport.ctx, NULL)
	                                          : 0;
}

size_t mcp_session_requests_in_flight(const struct mcp_session *s)
{
	return s->request_count;
}

/* notifications/message params; the text may be cut inside a character. */
static json_t *log_params(enum log_level level, const char *message)
{
	char *text = text_sanitize(message, strlen(message));
	json_t *params = text ? json_pack("{s:s, s:s, s:s}", "level", log_level_name(level),
	                                  "logger", "codex-mcp", "data", text)
	                      : NULL;

	free(text);
	return params;
}

void mcp_session_log(struct mcp_session *s, enum log_level level, const char *message)
{
	if (!s->logging_enabled || level < s->log_level || s->sending_log)
		return;
	json_t *params = log_params(level, message);
	if (!params)
		return;
	s->sending_log = true;
	mcp_session_notify(s, "notifications/message", params);
	s->sending_log = false;
}

void mcp_session_set_task_provider(struct mcp_session *s, const struct mcp_task_provider *p)
{
	s->tasks = *p;
	s->has_tasks = true;
}

void mcp_session_set_method_provider(struct mcp_session *s, const struct mcp_method_provider *p)
{
	s->methods = *p;
	s->has_methods = true;
}

json_t *mcp_request_client_capability(const struct mcp_request *r, const char *key)
{
	return json_object_get(r->modern ? r->client_caps : r->session->client_caps, key);
}

int mcp_request_send(struct mcp_request *r, const char *method, json_t *params,
                     void (*done)(void *data, json_t *result, json_t *error), void *data)
{
	if (r->modern) {
		json_decref(params);
		return -1;
	}
	send_request(r->session, method, params, NULL, done, data, r->id);
	return 0;
}

int mcp_request_send_open(struct mcp_request *r, const char *method, json_t *params,
                          void (*done)(void *data, json_t *result, json_t *error), void *data,
                          unsigned *handle)
{
	struct outgoing *o;

	if (r->modern) {
		json_decref(params);
		return -1;
	}
	*handle = 0;
	if ((o = send_request(r->session, method, params, NULL, done, data, r->id))) {
		o->waits = true;
		*handle = o->n;
	}
	return 0;
}

void mcp_session_withdraw(struct mcp_session *s, unsigned handle, const char *reason)
{
	for (struct outgoing **p = &s->outgoing; *p; p = &(*p)->next) {
		struct outgoing *o = *p;
		if (o->n != handle)
			continue;
		*p = o->next;
		session_send(s,
		             rpc_make_notification(
		                 "notifications/cancelled",
		                 json_pack("{s:s, s:s}", "requestId", o->id, "reason", reason)),
		             NULL);
		outgoing_done(s, o, NULL, NULL);
		return;
	}
}

const char *mcp_request_task_id(const struct mcp_request *r)
{
	return r->task_id;
}

int64_t mcp_request_task_ttl(const struct mcp_request *r)
{
	return r->task_ttl;
}

json_t *mcp_request_id(const struct mcp_request *r)
{
	return r->id;
}

size_t mcp_request_backlog(const struct mcp_request *r)
{
	const struct mcp_session *s = r->session;

	return s->transport.backlog && !s->closed ? s->transport.backlog(s->transport.ctx, r->id)
	                                          : 0;
}

struct mcp_session *mcp_request_session(const struct mcp_request *r)
{
	return r->session;
}

bool mcp_request_cancelled(const struct mcp_request *r)
{
	return r->cancelled;
}

bool mcp_request_modern(const struct mcp_request *r)
{
	return r->modern;
}

void mcp_request_cancel(struct mcp_request *r)
{
	cancel_request(r);
}

void mcp_request_notify(struct mcp_request *r, const char *method, json_t *params)
{
	session_send(r->session, rpc_make_notification(method, params), r->id);
}

/* jansson's writer, into a request's progress text. */
static int progress_append(const char *data, size_t len, void *ctx)
{
	struct mcp_request *r = ctx;
	size_t cap = r->progress_cap ? r->progress_cap : 256;

	while (cap < r->progress_len + len + 1)
		cap *= 2;
	if (cap != r->progress_cap) {
		char *grown = realloc(r->progress_text, cap);
		if (!grown)
			return -1;
		r->progress_text = grown;
		r->progress_cap = cap;
	}
	memcpy(r->progress_text + r->progress_len, data, len);
	r->progress_len += len;
	r->progress_text[r->progress_len] = '\0';
	return 0;
}

/*
 * What every progress notification of the request starts with, made once: a run may
 * send millions, and only the count and the message change.
 */
static int progress_head(struct mcp_request *r)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
	                           "\"params\":{\"progressToken\":";
	static const char count[] = ",\"progress\":";
	size_t flags =
	    JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(id_precision(r->progress_token));

	if (r->progress_head)
		return 0;
	r->progress_len = 0;
	if (progress_append(head, sizeof head - 1, r) != 0 ||
	    json_dump_callback(r->progress_token, progress_append, r, flags) != 0 ||
	    progress_append(count, sizeof count - 1, r) != 0)
		return -ENOMEM;
	r->progress_head = r->progress_len;
	return 0;
}

/*
 * The message as a JSON string. Most are plain, and go between quotes as they are (jansson
 * costs more to say so than the rest of the notification); any other is written by
 * jansson, mended first if it is not UTF-8.
 */
static int progress_message(struct mcp_request *r, const char *message)
{
	static const char key[] = ",\"message\":\"";
	size_t len = strlen(message);
	json_t *text;
	int rc;

	if (text_json_plain(message, len))
		return progress_append(key, sizeof key - 1, r) == 0 &&
		               progress_append(message, len, r) == 0 &&
		               progress_append("\"", 1, r) == 0
		           ? 0
		           : -1;
	if (!(text = json_stringn(message, len))) {
		/* Codex's text may be cut inside a character; a notification must still be JSON. */
		char *clean = text_sanitize(message, len);
		text = clean ? json_string_nocheck(clean) : NULL;
		free(clean);
	}
	rc = text && progress_append(key, sizeof key - 2, r) == 0
	         ? json_dump_callback(text, progress_append, r, JSON_COMPACT | JSON_ENCODE_ANY)
	         : -1;
	json_decref(text);
	return rc;
}

void mcp_request_progress(struct mcp_request *r, const char *message)
{
	char count[32];
	size_t n = sizeof count;
	unsigned long long next;

	/* A task's progress goes on until it ends, whatever became of the call. */
	if (!r->progress_token || (r->cancelled && !r->task_id))
		return;
	/* The count is whole: jansson writes it as "N.0" while it is below 10^15. */
	if (r->progress + 1 >= 1e15) {
		mcp_request_progress_at(r, r->progress + 1, 0, message);
		r->progress += 1;
		return;
	}
	if (progress_head(r) != 0)
		return;
	r->progress_len = r->progress_head;
	/* "N.0", written backwards: one of these goes out for nearly every Codex event. */
	count[--n] = '0';
	count[--n] = '.';
	next = (unsigned long long)r->progress + 1;
	do
		count[--n] = (char)('0' + next % 10);
	while ((next /= 10) != 0);
	if (progress_append(count + n, sizeof count - n, r) != 0 ||
	    progress_message(r, message) != 0 || progress_append("}}", 2, r) != 0)
		return;
	r->progress += 1;
	if (!r->session->closed)
		r->session->transport.send(r->session->transport.ctx, r->progress_text,
		                           r->progress_len, r->id, false);
}

void mcp_request_progress_at(struct mcp_request *r, double progress, double total,
                             const char *message)
{
	char *text;
	json_t *params;

	if (!r->progress_token || (r->cancelled && !r->task_id))
		return;
	text = message ? text_sanitize(message, strlen(message)) : NULL;
	params = json_pack("{s:O, s:f}", "progressToken", r->progress_token, "progress", progress);
	if (params && total > 0)
		json_object_set_new(params, "total", json_real(total));
	if (params && text)
		json_object_set_new(params, "message", json_string(text));
	free(text);
	if (params)
		mcp_request_notify(r, "notifications/progress", params);
}

void mcp_request_log(struct mcp_request *r, enum log_level level, const char *message)
{
	if (!r->modern || !r->wants_logs || level < r->log_level || r->cancelled)
		return;
	json_t *params = log_params(level, message);
	if (params)
		mcp_request_notify(r, "notifications/message", params);
}

void mcp_request_on_cancel(struct mcp_request *r, void (*fn)(void *data), void *data)
{
	r->cancel_fn = fn;
	r->cancel_data = data;
}

void mcp_request_reply(struct mcp_request *r, json_t *result)
{
	struct mcp_session *s = r->session;

	request_unlink(r);
	if (r->task_id) {
		s->tasks.answered(s->tasks.ctx, r->task_id, result, 0, NULL);
	} else if (!r->cancelled) {
		session_reply_result(r->session, r->id, result, r->modern);
	} else {
		json_decref(result);
	}
	request_free(r);
	free_if_drained(s);
}

void mcp_request_fail(struct mcp_request *r, int code, const char *message)
{
	mcp_request_fail_data(r, code, message, NULL);
}

void mcp_request_fail_data(struct mcp_request *r, int code, const char *message, json_t *data)
{
	struct mcp_session *s = r->session;

	request_unlink(r);
	if (r->task_id) {
		s->tasks.answered(s->tasks.ctx, r->task_id, NULL, code, message);
		json_decref(data);
	} else if (!r->cancelled)
		session_reply_error(s, r->id, code, message, data);
	else
		json_decref(data);
	request_free(r);
	free_if_drained(s);
}
