#include "tools/turn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"
#include "text.h"
#include "tools/args.h"

struct turn_call {
	struct server *srv;
	struct mcp_request *req;
	struct codex_turn *turn;
	struct turn_call *next;
	struct codex_options opts;
	char *thread_id;
	bool new_thread;
	uv_timer_t heartbeat;
	uint64_t started_ms;
	char last_activity[256];
};

static void unlink_call(struct turn_call *c)
{
	for (struct turn_call **p = &c->srv->runs; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			return;
		}
	}
}

static void call_freed(uv_handle_t *h)
{
	struct turn_call *c = h->data;
	struct server *srv = c->srv;

	codex_options_clear(&c->opts);
	free(c->thread_id);
	free(c);
	server_run_finished(srv);
}

static void remember_thread(struct turn_call *c, const char *status)
{
	json_t *options;

	if (!c->thread_id)
		return;
	options = codex_options_to_json(&c->opts);
	if (!options ||
	    store_put_thread(c->srv->store, c->thread_id, options, status, store_now_ms()) != 0)
		log_error("could not record thread %s", c->thread_id);
	json_decref(options);
}

static void on_event(void *data, const struct codex_event *ev)
{
	struct turn_call *c = data;
	char message[512];

	if (ev->type == CODEX_EVENT_THREAD_STARTED && ev->thread_id && !c->thread_id) {
		c->thread_id = strdup(ev->thread_id);
		remember_thread(c, "running");
	}
	if (codex_event_describe(ev, c->opts.cwd, message, sizeof message)) {
		snprintf(c->last_activity, sizeof c->last_activity, "%.*s",
		         (int)sizeof c->last_activity - 1, message);
		mcp_request_progress(c->req, message);
	}
	if (c->srv->opts->codex_events) {
		json_t *params = json_deep_copy(ev->json);
		json_object_set_new(params, "_meta",
		                    json_pack("{s:O, s:s?}", "requestId", mcp_request_id(c->req),
		                              "threadId", c->thread_id));
		mcp_session_notify(c->srv->session, "codex/event", params);
	}
}

static const char *status_name(enum codex_turn_status s)
{
	switch (s) {
	case CODEX_TURN_COMPLETED:
		return "completed";
	case CODEX_TURN_CANCELLED:
		return "cancelled";
	default:
		return "failed";
	}
}

static json_t *outcome_result(const struct codex_outcome *out)
{
	const char *thread = out->thread_id ? out->thread_id : "";

	if (out->status == CODEX_TURN_COMPLETED)
		return tool_text_result(
		    out->final_message,
		    json_pack("{s:s, s:s}", "threadId", thread, "content", out->final_message));
	json_t *result = tool_error_result(out->error);
	/* The thread may still be continued with codex-reply, so say which it was. */
	if (result && out->thread_id)
		json_object_set_new(
		    result, "structuredContent",
		    json_pack("{s:s, s:s}", "threadId", thread, "content",
		              json_string_value(json_object_get(
		                  json_array_get(json_object_get(result, "content"), 0), "text"))));
	return result;
}

static void on_done(void *data, const struct codex_outcome *out)
{
	struct turn_call *c = data;

	log_info("turn %s for thread %s", status_name(out->status),
	         c->thread_id ? c->thread_id : "(none)");
	if (!c->thread_id && out->thread_id)
		c->thread_id = strdup(out->thread_id);
	if (c->thread_id) {
		if (c->new_thread)
			remember_thread(c, status_name(out->status));
		else
			store_set_thread_status(c->srv->store, c->thread_id,
			                        status_name(out->status), store_now_ms());
	}
	c->turn = NULL;
	mcp_request_reply(c->req, outcome_result(out));
	c->req = NULL;
	unlink_call(c);
	uv_close((uv_handle_t *)&c->heartbeat, call_freed);
}

/* Stopping the server must finish within two seconds, whatever the grace setting. */
static unsigned grace_ms(const struct server *srv)
{
	unsigned grace = srv->opts->kill_grace_ms;

	return srv->stopping && grace > 800 ? 800 : grace;
}

static void on_cancel(void *data)
{
	struct turn_call *c = data;

	if (c->turn)
		codex_turn_cancel(&c->srv->backend, c->turn, grace_ms(c->srv));
}

static void on_heartbeat(uv_timer_t *t)
{
	struct turn_call *c = t->data;
	char message[384];
	uint64_t secs = (uv_now(t->loop) - c->started_ms) / 1000;

	if (c->last_activity[0])
		snprintf(message, sizeof message, "working (%llus), last: %s",
		         (unsigned long long)secs, c->last_activity);
	else
		snprintf(message, sizeof message, "working (%llus)", (unsigned long long)secs);
	text_sanitize_inplace(message); /* last_activity may end in a cut character */
	mcp_request_progress(c->req, message);
}

void turn_run(struct server *srv, struct mcp_request *req, struct codex_options *opts,
              const char *prompt, size_t prompt_len, const char *resume_thread)
{
	struct turn_call *c = calloc(1, sizeof *c);
	char *error = NULL;

	if (!c) {
		codex_options_clear(opts);
		mcp_request_reply(req, tool_error_result("out of memory"));
		return;
	}
	c->srv = srv;
	c->req = req;
	c->opts = *opts;
	memset(opts, 0, sizeof *opts);
	c->new_thread = resume_thread == NULL;
	c->thread_id = resume_thread ? strdup(resume_thread) : NULL;

	struct codex_turn_request tr = {
	    .options = &c->opts,
	    .prompt = prompt,
	    .prompt_len = prompt_len,
	    .thread_id = resume_thread,
	};
	struct codex_turn_hooks hooks = {on_event, on_done, c};
	if (srv->stopping || codex_turn_start(&srv->backend, &tr, &hooks, &c->turn, &error) != 0) {
		mcp_request_reply(req, tool_error_result(error ? error : "the server is stopping"));
		free(error);
		codex_options_clear(&c->opts);
		free(c->thread_id);
		free(c);
		return;
	}
	if (!c->new_thread)
		store_set_thread_status(srv->store, c->thread_id, "running", store_now_ms());
	c->next = srv->runs;
	srv->runs = c;
	mcp_request_on_cancel(req, on_cancel, c);

	uv_timer_init(srv->loop, &c->heartbeat);
	c->heartbeat.data = c;
	c->started_ms = uv_now(srv->loop);
	uv_timer_start(&c->heartbeat, on_heartbeat, srv->opts->heartbeat_ms,
	               srv->opts->heartbeat_ms);
}

bool turn_thread_busy(struct server *srv, const char *thread_id)
{
	for (struct turn_call *c = srv->runs; c; c = c->next)
		if (c->thread_id && strcmp(c->thread_id, thread_id) == 0)
			return true;
	return false;
}

void turn_stop_all(struct server *srv)
{
	for (struct turn_call *c = srv->runs; c; c = c->next)
		if (c->turn)
			codex_turn_cancel(&srv->backend, c->turn, grace_ms(srv));
}
