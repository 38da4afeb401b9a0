/* Tool `cleanup_old_logs`: delete agent logs older than some days, in the log dir only. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "app/fleet.h"
#include "app/visible.h"
#include "tasks/agent-logs.h"
#include "tools/fleet-schemas.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"days\": {\"type\": \"integer\", \"minimum\": 1, \"description\": \"Delete logs not "
    "changed for this many days (default 7).\"},"
    "\"dry_run\": {\"type\": \"boolean\", \"description\": \"Only say what would go (default "
    "true).\"}"
    "}, \"additionalProperties\": false}";

static const char output_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"deleted_count\": {\"type\": \"integer\", \"description\": \"Or, in a dry run, would "
    "be.\"},"
    "\"freed_bytes\": {\"type\": \"integer\"},"
    "\"freed_human\": {\"type\": \"string\"},"
    "\"files\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"
    "\"dry_run\": {\"type\": \"boolean\"}"
    "}, \"required\": [\"deleted_count\", \"freed_bytes\", \"freed_human\", \"files\", "
    "\"dry_run\"]}";

/* It deletes logs unless dry_run; a second call finds them gone. */
static const char annotations[] =
    "{\"title\": \"Clean up old logs\", \"readOnlyHint\": false, \"destructiveHint\": true, "
    "\"idempotentHint\": true, \"openWorldHint\": false}";

static const char *const known[] = {"days", "dry_run", NULL};

struct cleaning {
	struct tool_call call;
	int dry_run;
	int dfd;
};

/* entries: the old logs that are the caller's; only those are its to delete. */
static void chosen(void *data, struct log_entry *entries, int n)
{
	struct cleaning *c = data;
	json_t *files = json_array();
	int64_t freed = 0;
	char human[32];

	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		/* Relative to the directory we scanned: nothing else can be reached. */
		if (!c->dry_run && unlinkat(c->dfd, entries[i].name, 0) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", c->call.app->log_dir, entries[i].name);
		json_array_append_new(files, json_string(path));
		freed += entries[i].size;
	}
	if (c->dfd >= 0)
		close(c->dfd);
	free(entries);
	human_size((double)freed, human, sizeof human);
	mcp_request_reply(
	    c->call.req, json_tool_result(json_pack("{s:I, s:I, s:s, s:o, s:b}", "deleted_count",
	                                            (json_int_t)json_array_size(files),
	                                            "freed_bytes", (json_int_t)freed, "freed_human",
	                                            human, "files", files, "dry_run", c->dry_run)));
	free(c);
}

static void call_cleanup_old_logs(const struct tool_call *call, json_t *args)
{
	json_int_t days;
	int dry_run, dfd = -1, n, old = 0;
	struct arg_error e;
	struct log_entry *entries;
	struct cleaning *c;

	if (args_only(args, known, &e) || arg_integer(args, "days", 1, 36500, 7, &days, &e) ||
	    arg_bool(args, "dry_run", &dry_run, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	dry_run = dry_run != 0; /* absent (-1) means a dry run */
	n = agent_logs_scan(call->app->log_dir, &entries, &dfd);
	if (n < 0) {
		snprintf(e.message, sizeof e.message, "cannot read the log directory %s: %s",
		         call->app->log_dir, strerror(errno));
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	time_t cutoff = time(NULL) - (time_t)days * 86400;
	for (int i = 0; i < n; i++)
		if (entries[i].modified < cutoff)
			entries[old++] = entries[i];
	if (!(c = malloc(sizeof *c))) {
		if (dfd >= 0)
			close(dfd);
		free(entries);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	*c = (struct cleaning){*call, dry_run, dfd};
	visible_logs_async(call->app, call_subject(call), entries, old, chosen, c);
}

const struct tool_entry tool_cleanup_old_logs = {
    .name = "cleanup_old_logs",
    .title = "Clean up old logs",
    .description = "Delete agent logs not changed for `days` days (at least 1). A dry run, the "
                   "default, only lists them. Only the server's own log files in its log "
                   "directory are touched; symlinks are never followed.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_cleanup_old_logs,
};
