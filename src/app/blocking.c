#include "app/blocking.h"

#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/approval.h"
#include "app/args.h"
#include "app/tasks.h"
#include "app/visible.h"
#include "util/log.h"
#include "util/redact.h"

struct blocking_call {
	struct app *app;
	struct mcp_request *req;
	struct task *task;
	task_result_fn result;
	struct task_observer observer;
	bool submitting; /* a task that cannot start ends inside runner_submit */
	bool ended;
	struct mcp_session *session;
	struct asked *asking; /* elicitations not answered yet: each holds c */
};

/* One question put to the client. */
struct asked {
	struct blocking_call *c;
	uint64_t id;
	unsigned handle; /* the session's, to withdraw it */
	struct asked *next;
};

/* Takes back the questions still open (all when id is 0): no one need answer them now. */
static void withdraw(struct blocking_call *c, uint64_t id, const char *why)
{
	for (struct asked *a = c->asking, *next; a; a = next) {
		next = a->next;
		if ((!id || a->id == id) && a->handle)
			mcp_session_withdraw(c->session, a->handle, why); /* runs on_elicited */
	}
}

static void on_progress(void *data, struct task *t, const struct codex_event *ev,
                        const char *message)
{
	struct blocking_call *c = data;
	const struct task_record *rec = task_record(t);

	if (message)
		mcp_request_progress(c->req, message);
	/* The runner's own news (queued, started, stalled) is this request's log too. */
	if (!ev && message)
		mcp_request_log(c->req, LOG_INFO, message);
	json_t *event = ev && c->app->opts->codex_events ? codex_event_json(ev) : NULL;
	if (event) {
		json_t *params = redact_json(event);
		json_decref(event);
		json_object_set_new(params, "_meta",
		                    json_pack("{s:O, s:s?}", "requestId", mcp_request_id(c->req),
		                              "threadId", rec->thread_id));
		mcp_request_notify(c->req, "codex/event", params);
	}
}

/*
 * The database refused the run's last record: the caller hears so, and that it is
 * kept and written once the database takes it.
 */
static json_t *note_unsaved(struct app *app, const char *id, json_t *result)
{
	json_t *content = json_object_get(result, "content");
	const char *why = runner_save_failed(app->runner, id);
	char text[512];

	if (!why || !json_is_array(content))
		return result;
	snprintf(text, sizeof text,
	         "Note: this run's record could not be saved (%s); the server keeps it, and "
	         "saves it once the database takes it again.",
	         why);
	json_array_append_new(content, json_pack("{s:s, s:s}", "type", "text", "text", text));
	return result;
}

static void on_finished(void *data, struct task *t)
{
	struct blocking_call *c = data;
	const struct task_record *rec = task_record(t);

	/* The runner kept the answer in the record; it goes out as it was stored. */
	mcp_request_reply(c->req,
	                  note_unsaved(c->app, rec->id,
	                               rec->result ? json_deep_copy(rec->result) : c->result(t)));
	c->req = NULL;
	c->task = NULL;
	mcp_tasks_drop_question(c->app->tasks, rec->id, 0);
	withdraw(c, 0, "the run ended"); /* before ended: their answers do not free c */
	c->ended = true;
	if (!c->submitting && !c->asking)
		free(c);
}

static void on_elicited(void *data, json_t *result, json_t *error)
{
	struct asked *a = data;
	struct blocking_call *c = a->c;

	(void)error; /* an error is no consent */
	for (struct asked **p = &c->asking; *p; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			break;
		}
	a->handle = 0;
	if (c->task && task_answer(c->task, a->id, approval_decision(result)) != 0)
		log_debug("an approval was answered after Codex stopped waiting for it");
	free(a);
	if (!c->asking && c->ended && !c->submitting)
		free(c);
}

/* Answered elsewhere, or expired: the client's form is taken back. */
static void on_settled(void *data, struct task *t, uint64_t id)
{
	struct blocking_call *c = data;

	mcp_tasks_drop_question(c->app->tasks, task_record(t)->id, id);
	withdraw(c, id, "no longer needed");
}

/*
 * 2026 era: the call is answered input_required, with the form embedded and the task and
 * question sealed in its requestState. The run waits; the client's retry of the call
 * answers it and waits on the run again (tool_resume_blocking).
 */
static bool ask_by_retry(struct blocking_call *c, struct task *t, const struct codex_question *q)
{
	json_t *state =
	    json_pack("{s:s, s:I}", "task", task_record(t)->id, "question", (json_int_t)q->id);
	json_t *asks = json_pack("{s:{s:s, s:o}}", "approval", "method", "elicitation/create",
	                         "params", approval_elicitation(q, task_record(t)->cwd));

	if (!state || !asks) {
		json_decref(state);
		json_decref(asks);
		return false;
	}
	mcp_request_on_cancel(c->req, NULL, NULL);
	mcp_request_ask(c->req, asks, state);
	c->req = NULL;
	/* This call is over; the run goes on without it, and c with it. */
	task_unobserve(t, &c->observer);
	c->task = NULL;
	c->ended = true;
	if (!c->asking)
		free(c);
	return true;
}

/* Whether the client could be asked: a run it could answer stays where it is asked. */
static bool can_ask(void *data)
{
	struct blocking_call *c = data;

	return c->req && approval_can_ask(c->req);
}

/* The client is asked: with elicitation/create on this call's stream (2025), or by retry. */
static bool on_ask(void *data, struct task *t, const struct codex_question *q)
{
	struct blocking_call *c = data;
	struct asked *a;

	if (!c->req || !approval_can_ask(c->req))
		return false;
	if (mcp_request_task_id(c->req)) {
		/* Asked where the task's client looks: tasks/get (2026), tasks/result (2025). */
		mcp_tasks_hold_question(c->app->tasks, task_record(t)->id, q->id,
		                        approval_elicitation(q, task_record(t)->cwd));
		return true;
	}
	if (mcp_request_modern(c->req))
		return ask_by_retry(c, t, q);
	if (!(a = calloc(1, sizeof *a)))
		return false;
	a->c = c;
	a->id = q->id;
	a->next = c->asking;
	c->asking = a;
	c->session = mcp_request_session(c->req);
	/* A person may take long: no time limit but --approval-timeout's. */
	if (mcp_request_send_open(c->req, "elicitation/create",
	                          approval_elicitation(q, task_record(t)->cwd), on_elicited, a,
	                          &a->handle) != 0) {
		c->asking = a->next;
		free(a);
		return false;
	}
	return true;
}

static size_t on_backlog(void *data)
{
	struct blocking_call *c = data;

	return c->req ? mcp_request_backlog(c->req) : 0;
}

static void on_cancel(void *data)
{
	struct blocking_call *c = data;

	task_kill(c->task, TASK_CANCELLED, c->app->opts->kill_grace_ms);
}

static struct blocking_call *blocking_call_new(struct app *app, struct mcp_request *req,
                                               task_result_fn result)
{
	struct blocking_call *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->app = app;
	c->req = req;
	c->result = result;
	c->observer = (struct task_observer){.progress = on_progress,
	                                     .finished = on_finished,
	                                     .backlog = on_backlog,
	                                     .ask = on_ask,
	                                     .can_ask = can_ask,
	                                     .settled = on_settled,
	                                     .data = c};
	return c;
}

bool tool_resume_blocking(const struct tool_call *call, task_result_fn result)
{
	json_t *state = mcp_request_state(call->req);
	const char *id = json_string_value(json_object_get(state, "task"));
	json_t *question = json_object_get(state, "question");
	json_t *answer = json_object_get(mcp_request_input_responses(call->req), "approval");
	struct task_record rec;
	struct task *t = NULL;
	struct blocking_call *c;
	int found;

	if (!id || !json_is_integer(question))
		return false;
	/* The state is sealed, but the task is still looked for as this caller's. */
	found = visible_task(call->app, call_subject(call), id, &rec, &t);
	if (found <= 0 || !t) {
		/* Ended meanwhile (an expired question was declined): its answer stands. */
		mcp_request_reply(call->req,
		                  found > 0 && rec.result
		                      ? json_incref(rec.result)
		                      : tool_error_result("the run that asked has ended"));
		if (found > 0)
			task_record_clear(&rec);
		return true;
	}
	task_record_clear(&rec);
	if (task_answer(t, (uint64_t)json_integer_value(question), approval_decision(answer)) != 0)
		log_debug("a retry answered a question the run no longer waits for");
	if (!(c = blocking_call_new(call->app, call->req, result))) {
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return true;
	}
	c->task = t;
	mcp_request_on_cancel(call->req, on_cancel, c);
	task_observe(t, &c->observer);
	return true;
}

void tool_run_blocking(const struct tool_call *call, struct task_spec *spec, task_result_fn result)
{
	struct app *app = call->app;
	struct mcp_request *req = call->req;
	struct blocking_call *c = blocking_call_new(app, req, result);
	char err[256];

	if (!c) {
		codex_options_clear(spec->options);
		mcp_request_reply(req, tool_error_result("out of memory"));
		return;
	}
	/* Set before submitting: a task that cannot start ends inside runner_submit. */
	mcp_request_on_cancel(req, on_cancel, c);
	spec->result = result;
	spec->id = mcp_request_task_id(req);
	spec->created_at = spec->id ? mcp_tasks_created_at(app->tasks, spec->id) : 0;
	spec->ttl_ms = mcp_request_task_ttl(req);
	spec->subject = call_subject(call); /* the run, its task and its thread are the caller's */
	c->submitting = true;
	struct task *t = runner_submit(app->runner, spec, &c->observer, err, sizeof err);
	c->submitting = false;
	if (!t) {
		codex_options_clear(spec->options);
		mcp_request_on_cancel(req, NULL, NULL);
		mcp_request_reply(req, tool_error_result(err));
		free(c);
		return;
	}
	if (c->ended) {
		free(c);
		return;
	}
	c->task = t;
	/* From here the task owns c until it ends. */
}

json_t *codex_task_result(const struct task *t)
{
	const struct task_record *rec = task_record(t);
	const char *thread = rec->thread_id ? rec->thread_id : "";
	const char *output = rec->output ? rec->output : "";

	if (strcmp(rec->status, "completed") == 0)
		return tool_text_result(
		    output, json_pack("{s:s, s:s}", "threadId", thread, "content", output));
	json_t *result = tool_error_result(rec->error ? rec->error : rec->status);
	/* The thread may still be continued with codex-reply, so say which it was. */
	if (result && rec->thread_id)
		json_object_set_new(result, "structuredContent",
		                    json_pack("{s:s, s:s}", "threadId", thread, "content",
		                              rec->error ? rec->error : rec->status));
	return result;
}
