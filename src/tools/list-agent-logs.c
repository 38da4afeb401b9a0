/* Tool `list_agent_logs`: the newest agent logs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fleet.h"
#include "app/visible.h"
#include "tasks/agent-logs.h"
#include "tools/fleet-schemas.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"max_count\": {\"type\": \"integer\", \"minimum\": 1, \"description\": \"At most this "
    "many, newest first (default 20).\"}"
    "}, \"additionalProperties\": false}";

static const char output_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"total\": {\"type\": \"integer\"},"
    "\"showing\": {\"type\": \"integer\"},"
    "\"log_dir\": {\"type\": \"string\"},"
    "\"logs\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {"
    "\"path\": {\"type\": \"string\"},"
    "\"size_bytes\": {\"type\": \"integer\"},"
    "\"size_human\": {\"type\": \"string\"},"
    "\"modified\": " AGENT_TIME_TYPE
    "}, \"required\": [\"path\", \"size_bytes\", \"size_human\", \"modified\"]}}"
    "}, \"required\": [\"total\", \"showing\", \"log_dir\", \"logs\"]}";

/* It only reads the server's log directory. */
static const char annotations[] =
    "{\"title\": \"Agent logs\", \"readOnlyHint\": true, \"destructiveHint\": false, "
    "\"idempotentHint\": true, \"openWorldHint\": false}";

static const char *const known[] = {"max_count", NULL};

struct listing {
	struct tool_call call;
	json_int_t max_count;
};

/* The caller's agents' logs alone: another subject's are not there for it. */
static void listed(void *data, struct log_entry *entries, int n)
{
	struct listing *l = data;
	const char *log_dir = l->call.app->log_dir;
	json_t *logs = json_array();

	for (int i = 0; i < n && i < l->max_count; i++) {
		char path[PATH_MAX], human[32];
		snprintf(path, sizeof path, "%s/%s", log_dir, entries[i].name);
		human_size((double)entries[i].size, human, sizeof human);
		json_array_append_new(
		    logs, json_pack("{s:s, s:I, s:s, s:o}", "path", path, "size_bytes",
		                    (json_int_t)entries[i].size, "size_human", human, "modified",
		                    iso_time((int64_t)entries[i].modified * 1000)));
	}
	free(entries);
	mcp_request_reply(l->call.req,
	                  json_tool_result(json_pack("{s:i, s:I, s:s, s:o}", "total", n, "showing",
	                                             (json_int_t)json_array_size(logs), "log_dir",
	                                             log_dir, "logs", logs)));
	free(l);
}

static void call_list_agent_logs(const struct tool_call *call, json_t *args)
{
	json_int_t max_count;
	struct arg_error e;
	struct log_entry *entries;
	struct listing *l;
	int n;

	if (args_only(args, known, &e) ||
	    arg_integer(args, "max_count", 1, 100000, 20, &max_count, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	n = agent_logs_scan(call->app->log_dir, &entries, NULL);
	if (n < 0) {
		snprintf(e.message, sizeof e.message, "cannot read the log directory %s: %s",
		         call->app->log_dir, strerror(errno));
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	if (!(l = malloc(sizeof *l))) {
		free(entries);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	*l = (struct listing){*call, max_count};
	visible_logs_async(call->app, call_subject(call), entries, n, listed, l);
}

const struct tool_entry tool_list_agent_logs = {
    .name = "list_agent_logs",
    .title = "Agent logs",
    .description = "The newest agent log files, with their size and time. Each agent writes one "
                   "human-readable log; read it to follow what the agent does.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_list_agent_logs,
};
