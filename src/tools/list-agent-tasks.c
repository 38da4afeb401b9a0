/* Tool `list_agent_tasks`: every task the server knows, newest first, from the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fleet.h"
#include "app/visible.h"
#include "tools/fleet-schemas.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"status\": {\"type\": \"string\", \"enum\": [\"queued\", \"running\", \"completed\", "
    "\"failed\", \"killed\", \"timed_out\", \"cancelled\"]},"
    "\"limit\": {\"type\": \"integer\", \"minimum\": 1, \"description\": \"At most this many "
    "tasks (default 50).\"}"
    "}, \"additionalProperties\": false}";

static const char output_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"total\": {\"type\": \"integer\"},"
    "\"queued\": {\"type\": \"integer\"},"
    "\"running\": {\"type\": \"integer\"},"
    "\"completed\": {\"type\": \"integer\"},"
    "\"failed\": {\"type\": \"integer\"},"
    "\"killed\": {\"type\": \"integer\"},"
    "\"timed_out\": {\"type\": \"integer\"},"
    "\"cancelled\": {\"type\": \"integer\"},"
    "\"tasks\": {\"type\": \"array\", \"items\": " AGENT_TASK_TYPE "}"
    "}, \"required\": [\"total\", \"queued\", \"running\", \"completed\", \"failed\", "
    "\"killed\", \"timed_out\", \"cancelled\", \"tasks\"]}";

/* It only reads what the server knows of its tasks. */
static const char annotations[] =
    "{\"title\": \"Agent tasks\", \"readOnlyHint\": true, \"destructiveHint\": false, "
    "\"idempotentHint\": true, \"openWorldHint\": false}";

static const char *const known[] = {"status", "limit", NULL};
static const char *const *const statuses = agent_statuses;

/* A listing: read on the store's thread, answered on the loop. */
struct listing {
	struct app *app;
	struct mcp_request *req;
	char *subject;
	const char *status; /* an entry of statuses[], or NULL */
	int limit;
	json_t *counts;
	struct task_record *recs;
	size_t n;
};

static void keep(void *data, const struct task_record *rec)
{
	struct listing *l = data;

	if (task_record_copy(&l->recs[l->n], rec) == 0)
		l->n++;
}

/* On the store's thread: nothing of the loop's is touched. */
static int read_listing(struct store *s, void *data)
{
	struct listing *l = data;

	/* The caller's own tasks: another subject's are neither listed nor counted. */
	l->counts = store_count_tasks(s, l->subject);
	return store_each_task(s, l->subject, l->status, l->limit, keep, l);
}

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		task_record_clear(&l->recs[i]);
	free(l->recs);
	json_decref(l->counts);
	free(l->subject);
	free(l);
}

static void answer_listing(void *data, int rc, const char *error)
{
	struct listing *l = data;
	json_t *result, *tasks;
	char message[400];

	if (rc != 0) {
		snprintf(message, sizeof message, "cannot read the tasks: the database: %s",
		         error ? error : "?");
		mcp_request_reply(l->req, tool_error_result(message));
		listing_free(l);
		return;
	}
	tasks = json_array();
	for (size_t i = 0; i < l->n; i++) {
		/* A live task's record, or one on its way to the store, is fresher than the stored.
		 */
		struct task *live = runner_find(l->app->runner, l->recs[i].id);
		const struct task_record *kept = runner_unsaved(l->app->runner, l->recs[i].id);
		json_array_append_new(tasks, agent_listing_entry(live   ? task_record(live)
		                                                 : kept ? kept
		                                                        : &l->recs[i],
		                                                 live));
	}
	result = agent_listing(l->counts, tasks);
	mcp_request_reply(l->req, json_tool_result(result));
	listing_free(l);
}

static void call_list_agent_tasks(const struct tool_call *call, json_t *args)
{
	const char *status, *subject = call_subject(call);
	json_int_t limit;
	struct arg_error e;
	struct listing *l;

	if (args_only(args, known, &e) || arg_enum(args, "status", statuses, &status, &e) ||
	    arg_integer(args, "limit", 1, 100000, 50, &limit, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	l = calloc(1, sizeof *l);
	if (!l || !(l->recs = calloc((size_t)limit, sizeof *l->recs)) ||
	    (subject && !(l->subject = strdup(subject)))) {
		if (l)
			free(l->recs);
		free(l);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	l->app = call->app;
	l->req = call->req;
	l->limit = (int)limit;
	/* The arguments go with the call: the table's own string is kept. */
	for (const char *const *s = statuses; status && *s; s++)
		if (strcmp(*s, status) == 0)
			l->status = *s;
	if (store_submit_read(call->app->store, read_listing, answer_listing, l) != 0) {
		listing_free(l);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
	}
}

const struct tool_entry tool_list_agent_tasks = {
    .name = "list_agent_tasks",
    .title = "Agent tasks",
    .description = "Every agent task the server has run, newest first, also those from before "
                   "a restart, with counts by status. Output is cut to 200 characters here; "
                   "get_agent_status pages through the rest.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_list_agent_tasks,
};
