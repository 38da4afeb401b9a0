#include "app/fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "app/confine.h"
#include "app/worktree.h"
#include "util/text.h"

static const char *const efforts[] = {"minimal", "low", "medium", "high", "xhigh", NULL};
static const char *const sandboxes[] = {"read-only", "workspace-write", "danger-full-access", NULL};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int agent_args_parse(const struct tool_call *call, const json_t *args, bool full,
                     struct agent_args *out, struct arg_error *e)
{
	struct app *app = call->app;
	static const char *const known_full[] = {"prompt",   "model",   "reasoning_effort",
	                                         "cwd",      "sandbox", "timeout_seconds",
	                                         "worktree", NULL};
	static const char *const known_item[] = {"prompt", "model",    "reasoning_effort",
	                                         "cwd",    "worktree", NULL};
	const char *model, *effort, *cwd, *sandbox = NULL;
	json_int_t timeout = 0;
	int worktree;

	memset(out, 0, sizeof *out);
	if (!json_is_object(args)) {
		snprintf(e->message, sizeof e->message, "each agent must be an object");
		return -1;
	}
	if (args_only(args, full ? known_full : known_item, e) ||
	    arg_string(args, "prompt", true, &out->prompt, e) ||
	    arg_string(args, "model", false, &model, e) ||
	    arg_enum(args, "reasoning_effort", efforts, &effort, e) ||
	    arg_string(args, "cwd", false, &cwd, e) ||
	    (full && arg_enum(args, "sandbox", sandboxes, &sandbox, e)) ||
	    (full && arg_integer(args, "timeout_seconds", 1, 7 * 86400, 0, &timeout, e)) ||
	    arg_bool(args, "worktree", &worktree, e))
		return -1;
	out->timeout_s = (unsigned)timeout;
	if (danger_check(app, sandbox, NULL, e) != 0)
		return -1;
	out->options.cwd = arg_resolve_dir("cwd", cwd ? cwd : app->cwd, app->cwd, e);
	if (!out->options.cwd || confine_check(call, "cwd", out->options.cwd, e) != 0)
		return -1;
	/* Checked now, so the caller hears it at once; git itself runs once the task exists. */
	if (worktree == 1 && !worktree_in_repo(out->options.cwd)) {
		snprintf(e->message, sizeof e->message,
		         "worktree: %s is not in a git repository (a worktree is made from one)",
		         out->options.cwd);
		return -1;
	}
	if (worktree == 1 && agent_worktrees_dir(app, out->worktrees, sizeof out->worktrees) != 0) {
		snprintf(e->message, sizeof e->message,
		         "worktree: the server has no state directory");
		return -1;
	}
	/* An agent's worktree, and its .git file, are the agent's: no worktree of one. */
	if (worktree == 1 && worktree_under_root(out->options.cwd, out->worktrees)) {
		snprintf(e->message, sizeof e->message,
		         "worktree: %s is inside the agents' worktrees: give the cwd of the "
		         "repository's own checkout",
		         out->options.cwd);
		return -1;
	}
	out->options.model = dup_or_null(model);
	out->options.reasoning_effort = dup_or_null(effort);
	/* An agent is there to change code: it may write in its cwd, and nowhere else. */
	out->options.sandbox = strdup(sandbox ? sandbox : "workspace-write");
	return 0;
}

int agent_worktrees_dir(const struct app *app, char *buf, size_t size)
{
	if (!app->opts->state_dir ||
	    snprintf(buf, size, "%s/worktrees", app->opts->state_dir) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

static const struct task_place worktree_place = {.make = worktree_make, .look = worktree_look};

void agent_spec_place(const struct agent_args *a, struct task_spec *spec)
{
	if (a->worktrees[0]) {
		spec->place = &worktree_place;
		spec->place_root = a->worktrees;
	}
}

json_t *json_tool_result(json_t *object)
{
	char *text = json_dumps(object, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_t *result = tool_text_result(text ? text : "{}", object);

	free(text);
	return result;
}

json_t *iso_time(int64_t ms)
{
	char buf[40];
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0)
		return json_null();
	gmtime_r(&secs, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ".%03dZ", (int)(ms % 1000));
	return json_string(buf);
}

void human_size(double bytes, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
	int u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

/* Byte offsets of character offset..offset+limit in a UTF-8 string. */
static void utf8_slice(const char *s, size_t offset, size_t limit, size_t *from, size_t *to,
                       size_t *chars)
{
	size_t i = 0, c = 0;

	*from = *to = strlen(s);
	for (; s[i]; c++) {
		if (c == offset)
			*from = i;
		if (c == offset + limit)
			*to = i;
		i++;
		while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
	}
	if (c <= offset)
		*from = i;
	if (c <= offset + limit)
		*to = i;
	*chars = c;
}

bool agent_status_terminal(const char *status)
{
	return strcmp(status, "queued") != 0 && strcmp(status, "running") != 0;
}

json_t *agent_status(const struct task_record *rec, const struct task *live, size_t offset,
                     size_t limit)
{
	int64_t now = store_now_ms();
	int64_t end = rec->completed_at ? rec->completed_at : now;
	int64_t since = rec->started_at ? rec->started_at : rec->created_at;
	int64_t activity =
	    live && task_last_output(live) ? task_last_output(live) : rec->last_activity;
	json_t *st = json_pack(
	    "{s:s, s:s, s:s, s:o, s:o, s:f, s:o, s:s?, s:s?, s:s?}", "task_id", rec->id, "status",
	    rec->status, "tool", rec->tool ? rec->tool : "", "created_at",
	    iso_time(rec->created_at), "started_at", iso_time(rec->started_at), "elapsed_seconds",
	    (double)(end - since) / 1000.0, "last_activity", iso_time(activity), "log_file",
	    rec->log_file, "thread_id", rec->thread_id, "cwd", rec->cwd);

	if (!st)
		return NULL;
	if (rec->completed_at)
		json_object_set_new(st, "completed_at", iso_time(rec->completed_at));
	if (live && strcmp(rec->status, "running") == 0 && rec->pid)
		json_object_set_new(st, "pid", json_integer(rec->pid));
	if (live && task_stall_report(live)) {
		json_object_set_new(st, "stalled", json_true());
		json_object_set(st, "stall", task_stall_report(live));
	} else if (live) {
		json_object_set_new(st, "stalled", json_false());
	}
	if (rec->output && *rec->output) {
		size_t from, to, chars;
		utf8_slice(rec->output, offset, limit, &from, &to, &chars);
		json_object_set_new(st, "output", json_stringn(rec->output + from, to - from));
		json_object_set_new(st, "output_chars", json_integer((json_int_t)chars));
		json_object_set_new(st, "output_offset", json_integer((json_int_t)offset));
		if (offset + limit < chars)
			json_object_set_new(st, "next_offset",
			                    json_integer((json_int_t)(offset + limit)));
	}
	if (rec->error)
		json_object_set_new(st, "error", json_string(rec->error));
	if (rec->report)
		json_object_set(st, "report", rec->report);
	if (rec->worktree)
		json_object_set(st, "worktree", rec->worktree);
	return st;
}

const char *const agent_statuses[] = {"queued", "running",   "completed", "failed",
                                      "killed", "timed_out", "cancelled", NULL};

json_t *agent_listing_entry(const struct task_record *rec, const struct task *live)
{
	json_t *st = agent_status(rec, live, 0, 200);

	json_object_del(st, "report");
	return st;
}

json_t *agent_listing(const json_t *counts, json_t *tasks)
{
	json_t *result = json_object();
	json_int_t total = 0;

	for (const char *const *s = agent_statuses; *s; s++) {
		json_int_t n = json_integer_value(json_object_get(counts, *s));
		json_object_set_new(result, *s, json_integer(n));
		total += n;
	}
	json_object_set_new(result, "total", json_integer(total));
	json_object_set_new(result, "tasks", tasks);
	return result;
}

/* "\nWorktree: PATH (branch B): 1 commit, 2 files changed, 2 uncommitted", or "". */
static char *worktree_line(const json_t *wt)
{
	const char *path = json_string_value(json_object_get(wt, "path"));
	const char *branch = json_string_value(json_object_get(wt, "branch"));
	size_t commits = json_array_size(json_object_get(wt, "commits"));
	size_t files = json_array_size(json_object_get(wt, "files_changed"));
	size_t uncommitted = json_array_size(json_object_get(wt, "uncommitted"));
	char *line = NULL;

	/* Clients that read only the text must still learn where the work is. */
	if (!path || !branch ||
	    asprintf(&line,
	             "\nWorktree: %s (branch %s): %zu commit%s, %zu file%s changed, %zu "
	             "uncommitted",
	             path, branch, commits, commits == 1 ? "" : "s", files, files == 1 ? "" : "s",
	             uncommitted) < 0)
		line = NULL;
	return line ? line : strdup("");
}

/* The final message, then where the log is; the full report in structuredContent. */
json_t *agent_task_result(const struct task *t)
{
	const struct task_record *rec = task_record(t);
	json_t *report = agent_status(rec, NULL, 0, (size_t)-1 / 2);
	bool ok = strcmp(rec->status, "completed") == 0;
	const char *body = ok ? (rec->output ? rec->output : "") : (rec->error ? rec->error : "");
	char *text = NULL, *wt = worktree_line(rec->worktree);
	json_t *result;

	if (asprintf(&text, "%s%s%s\n\nTask: %s (%s)\nLog file: %s%s", ok ? "" : "Agent ",
	             ok ? "" : rec->status, ok ? body : (body[0] ? ": " : ""), rec->id, rec->status,
	             rec->log_file ? rec->log_file : "(none)", wt ? wt : "") < 0)
		text = NULL;
	if (!ok && text && body[0]) {
		/* "Agent failed: why" reads better than the bare error. */
		free(text);
		if (asprintf(&text, "Agent %s: %s\n\nTask: %s\nLog file: %s%s", rec->status, body,
		             rec->id, rec->log_file ? rec->log_file : "(none)", wt ? wt : "") < 0)
			text = NULL;
	}
	free(wt);
	result = tool_text_result(text ? text : body, report);
	if (result && !ok)
		json_object_set_new(result, "isError", json_true());
	free(text);
	return result;
}
