/* Tool `kill_agent`: stop an agent's whole process group, and answer once it is gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/agents.h"
#include "app/app.h"
#include "app/fleet.h"
#include "app/remote.h"
#include "app/visible.h"
#include "tools/fleet-schemas.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"task_id\": {\"type\": \"string\"},"
    "\"force\": {\"type\": \"boolean\", \"description\": \"SIGKILL at once instead of SIGTERM "
    "first (default false).\"},"
    "\"timeout\": {\"type\": \"integer\", \"minimum\": 0, \"description\": \"Seconds between "
    "SIGTERM and SIGKILL (default 5).\"}"
    "}, \"required\": [\"task_id\"], \"additionalProperties\": false}";

static const char output_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"task_id\": {\"type\": \"string\"},"
    "\"killed\": {\"type\": \"boolean\", \"description\": \"False when it had already "
    "ended.\"},"
    "\"signal_used\": {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}], \"description\": "
    "\"SIGTERM or SIGKILL; "
    "null when none was sent.\"},"
    "\"status\": " AGENT_STATUS_TYPE ","
    "\"message\": {\"type\": \"string\"}"
    "}, \"required\": [\"task_id\", \"killed\", \"signal_used\", \"status\", \"message\"]}";

/* It ends a run, and its work with it; a second call finds it ended. */
static const char annotations[] =
    "{\"title\": \"Kill agent\", \"readOnlyHint\": false, \"destructiveHint\": true, "
    "\"idempotentHint\": true, \"openWorldHint\": false}";

static const char *const known[] = {"task_id", "force", "timeout", NULL};

struct kill_call {
	struct mcp_request *req;
	struct task *task;
	struct task_observer observer;
};

static void on_finished(void *data, struct task *t)
{
	struct kill_call *k = data;
	const struct task_record *rec = task_record(t);
	const char *signal = task_signal_used(t);
	char message[256];

	snprintf(message, sizeof message, "agent %s stopped with %s; its process group is gone",
	         rec->id, signal ? signal : "no signal (it was still queued)");
	mcp_request_on_cancel(k->req, NULL, NULL);
	mcp_request_reply(k->req,
	                  json_tool_result(json_pack("{s:s, s:b, s:s?, s:s, s:s}", "task_id",
	                                             rec->id, "killed", 1, "signal_used", signal,
	                                             "status", rec->status, "message", message)));
	free(k);
}

static void on_cancel(void *data)
{
	struct kill_call *k = data;

	/* The kill goes on; only the wait for it is given up. */
	task_unobserve(k->task, &k->observer);
	mcp_request_reply(k->req, json_object());
	free(k);
}

/* A run another replica stopped, as its record now says. */
static json_t *stopped_elsewhere(const struct task_record *rec)
{
	char message[512];

	snprintf(message, sizeof message, "agent %s stopped by replica %s, where it ran: %s",
	         rec->id, rec->owner ? rec->owner : "?", rec->status);
	return json_tool_result(json_pack("{s:s, s:b, s:n, s:s, s:s}", "task_id", rec->id, "killed",
	                                  1, "signal_used", "status", rec->status, "message",
	                                  message));
}

/* A run another replica owns, asked to stop: the call waits until its record says it ended. */
struct asking {
	struct tool_call call;
	char *owner;
	char id[64];
};

static void asked(void *data, int rc, const char *error)
{
	struct asking *a = data;
	char message[512];

	if (rc != 0) {
		snprintf(message, sizeof message, "cannot ask replica %s to stop agent %s: %s",
		         a->owner, a->id, error);
		mcp_request_reply(a->call.req, tool_error_result(message));
	} else {
		/* A cancel of this call gives the wait up; the stop goes on. */
		remote_wait(&a->call, a->id, a->owner, NULL, stopped_elsewhere);
	}
	free(a->owner);
	free(a);
}

static void kill_elsewhere(const struct tool_call *call, const struct task_record *rec)
{
	struct asking *a = calloc(1, sizeof *a);

	if (!a || !(a->owner = strdup(rec->owner))) {
		free(a);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	a->call = *call;
	snprintf(a->id, sizeof a->id, "%s", rec->id);
	if (agent_ask_stop(call->app, rec->owner, rec->id, asked, a) != 0) {
		free(a->owner);
		free(a);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
	}
}

struct kill_args {
	int force;
	json_int_t timeout;
};

static void found(const struct tool_call *call, const struct task_record *rec, struct task *t,
                  void *data)
{
	const struct kill_args *a = data;
	struct kill_call *k = calloc(1, sizeof *k);
	char message[512];

	if (!k) {
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	k->req = call->req;
	k->task = t;
	k->observer = (struct task_observer){.finished = on_finished, .data = k};
	/* Set before the stop: a queued task ends inside it, and k with it. */
	if (t)
		mcp_request_on_cancel(call->req, on_cancel, k);
	switch (agent_stop(call->app, rec, t, a->force == 1 ? 0 : (unsigned)a->timeout * 1000,
	                   &k->observer)) {
	case AGENT_STOPPING:
		return; /* k is the task's until it ends, or until the call is cancelled */
	case AGENT_ELSEWHERE:
		kill_elsewhere(call, rec);
		break;
	case AGENT_WAS_OVER:
		snprintf(message, sizeof message, "agent %s had already ended: %s", rec->id,
		         rec->status);
		mcp_request_reply(call->req,
		                  json_tool_result(json_pack(
		                      "{s:s, s:b, s:n, s:s, s:s}", "task_id", rec->id, "killed", 0,
		                      "signal_used", "status", rec->status, "message", message)));
		break;
	}
	free(k);
}

static void call_kill_agent(const struct tool_call *call, json_t *args)
{
	const char *id;
	struct arg_error e;
	struct kill_args *a = calloc(1, sizeof *a);

	if (!a) {
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	if (args_only(args, known, &e) || arg_string(args, "task_id", true, &id, &e) ||
	    arg_bool(args, "force", &a->force, &e) ||
	    arg_integer(args, "timeout", 0, 3600, 5, &a->timeout, &e)) {
		free(a);
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	call_find_task_async(call, id, found, a);
}

const struct tool_entry tool_kill_agent = {
    .name = "kill_agent",
    .title = "Kill agent",
    .description = "Stop an agent and everything it started (its whole process group): "
                   "SIGTERM, then SIGKILL after `timeout` seconds, or SIGKILL at once with "
                   "force. Answers once the processes are gone.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_kill_agent,
};
