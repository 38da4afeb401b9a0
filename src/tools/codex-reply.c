/* Tool `codex-reply`: continue a thread with the options it was started with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/args.h"
#include "app/blocking.h"
#include "app/confine.h"
#include "app/remote.h"
#include "app/visible.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{"
    "\"properties\": {"
    "\"conversationId\": {\"description\": \"DEPRECATED: use threadId instead.\", "
    "\"type\": \"string\"},"
    "\"prompt\": {\"description\": \"The *next user prompt* to continue the Codex "
    "conversation.\", \"type\": \"string\"},"
    "\"threadId\": {\"description\": \"The thread id for this Codex session. This field is "
    "required, but we keep it optional here for backward compatibility for clients that "
    "still use conversationId.\", \"type\": \"string\"}"
    "},"
    "\"required\": [\"prompt\"],"
    "\"type\": \"object\""
    "}";

static const char output_schema[] = "{\"type\": \"object\", \"properties\": {\"threadId\": "
                                    "{\"type\": \"string\"}, \"content\": {\"type\": "
                                    "\"string\"}}, \"required\": [\"threadId\", \"content\"]}";

/* It runs an agent that may change and delete files, run commands and reach the network. */
static const char annotations[] =
    "{\"title\": \"Codex Reply\", \"readOnlyHint\": false, \"destructiveHint\": true, "
    "\"idempotentHint\": false, \"openWorldHint\": true}";

/* A reply waiting for its thread's record. */
struct reply {
	struct tool_call call;
	char *prompt;
	char *thread_id;
};

static void reply_free(struct reply *r)
{
	free(r->prompt);
	free(r->thread_id);
	free(r);
}

/* Refuses with why, formatted; frees what it is given. */
static void refuse(struct reply *r, struct codex_options *opts, const char *why)
{
	if (opts)
		codex_options_clear(opts);
	mcp_request_reply(r->call.req, tool_error_result(why));
	reply_free(r);
}

static void thread_found(void *data, int found, const struct thread_record *rec, int alive,
                         const char *error)
{
	struct reply *r = data;
	const struct tool_call *call = &r->call;
	const char *thread_id = r->thread_id;
	struct codex_options opts;
	struct arg_error e;

	if (mcp_request_cancelled(call->req)) {
		refuse(r, NULL, "cancelled");
		return;
	}
	if (found != 1) {
		/* Another subject's thread is answered as one that does not exist. */
		snprintf(e.message, sizeof e.message,
		         found < 0 ? "cannot read thread %.200s from the database: %.200s"
		                   : "no thread %.200s",
		         thread_id, error ? error : "?");
		refuse(r, NULL, e.message);
		return;
	}
	/* One turn at a time: two readers of one thread would interleave its history. */
	if (runner_thread_busy(call->app->runner, thread_id)) {
		snprintf(e.message, sizeof e.message, "thread %.200s is busy", thread_id);
		refuse(r, NULL, e.message);
		return;
	}
	codex_options_from_json(rec->options, &opts);
	/* The rules may have changed since the thread began: its options must still pass. */
	if ((opts.cwd && confine_check(call, "cwd", opts.cwd, &e) != 0) ||
	    danger_check(call->app, opts.sandbox, opts.config, &e) != 0) {
		refuse(r, &opts, e.message);
		return;
	}
	struct task_spec spec = {.tool = "codex-reply",
	                         .options = &opts,
	                         .prompt = r->prompt,
	                         .prompt_len = strlen(r->prompt),
	                         .resume_thread = thread_id};
	if (alive < 0) {
		snprintf(
		    e.message, sizeof e.message,
		    "cannot tell whether replica %.200s, which holds thread %.100s, still runs: %s",
		    rec->owner, thread_id, error ? error : "?");
		refuse(r, &opts, e.message);
		return;
	}
	/* Another live replica holds the thread open: it runs the reply. */
	if (alive == 1) {
		tool_run_elsewhere(call, rec->owner, &spec);
		codex_options_clear(&opts);
		reply_free(r);
		return;
	}
	/* Its replica is gone: its session must be where this one's Codex can read it. */
	if (store_shared(call->app->store) && rec->owner &&
	    strcmp(rec->owner, call->app->instance) != 0 &&
	    !remote_session_here(call->app, thread_id)) {
		snprintf(
		    e.message, sizeof e.message,
		    "thread %.100s lives on replica %.200s, which is gone, and its Codex session "
		    "is not in this replica's CODEX_HOME/sessions: share that directory between "
		    "the replicas to continue threads across them",
		    thread_id, rec->owner);
		refuse(r, &opts, e.message);
		return;
	}
	tool_run_blocking(call, &spec, codex_task_result);
	codex_options_clear(&opts);
	reply_free(r);
}

static void call_codex_reply(const struct tool_call *call, json_t *args)
{
	const char *prompt, *thread_id, *alias;
	struct arg_error e;
	struct reply *r;

	/* A retry that answers what the run asked goes back to that run. */
	if (tool_resume_blocking(call, codex_task_result))
		return;

	if (arg_string(args, "prompt", true, &prompt, &e) ||
	    arg_string(args, "threadId", false, &thread_id, &e) ||
	    arg_string(args, "conversationId", false, &alias, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	if (!thread_id)
		thread_id = alias;
	if (!thread_id || !*thread_id) {
		mcp_request_reply(call->req, tool_error_result("threadId: is required"));
		return;
	}
	r = calloc(1, sizeof *r);
	if (!r || !(r->prompt = strdup(prompt)) || !(r->thread_id = strdup(thread_id))) {
		if (r)
			reply_free(r);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	r->call = *call;
	visible_thread_async(call->app, call_subject(call), thread_id, thread_found, r);
}

const struct tool_entry tool_codex_reply = {
    .name = "codex-reply",
    .title = "Codex Reply",
    .description = "Continue a Codex conversation by providing the thread id and prompt.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_codex_reply,
    .task_support = 1,
    .runs_codex = true,
};
