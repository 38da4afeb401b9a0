/* `codex-mcp show TASK`: one task as get_agent_status shows it: status, report, output. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "app/fleet.h"
#include "cli/cli.h"

static const char usage[] =
    "usage: codex-mcp show TASK [--json] [server options]\n"
    "\n"
    "One task of the server's store: its status, its report (exit code, tokens, the\n"
    "commands it ran, the files it changed), its worktree, its output and its log file.\n"
    "\n"
    "  --json            as get_agent_status answers, with the whole output\n"
    "\n"
    "Server options (--state-dir, --store, ...): see codex-mcp --help.\n";

static const struct option flags[] = {
    {"json", no_argument, NULL, CLI_OPT_JSON},
    {NULL, 0, NULL, 0},
};

struct show_cmd {
	const char *id;
	bool json;
};

static int show_flag(void *data, int c, const char *arg)
{
	(void)arg;
	if (c != CLI_OPT_JSON)
		return 1;
	((struct show_cmd *)data)->json = true;
	return 0;
}

static int show_args(void *data, char **args, int n)
{
	if (n != 1) {
		fputs(usage, stderr);
		return -1;
	}
	((struct show_cmd *)data)->id = args[0];
	return 0;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

static void print_report(FILE *out, const json_t *report)
{
	json_t *v, *usage_ = json_object_get(report, "usage");
	size_t i;

	if ((v = json_object_get(report, "exit_code")) && json_is_integer(v))
		fprintf(out, "Exit code: %lld\n", (long long)json_integer_value(v));
	if (json_is_object(usage_))
		fprintf(
		    out, "Tokens:    %lld in (%lld cached), %lld out\n",
		    (long long)json_integer_value(json_object_get(usage_, "input_tokens")),
		    (long long)json_integer_value(json_object_get(usage_, "cached_input_tokens")),
		    (long long)json_integer_value(json_object_get(usage_, "output_tokens")));
	if (json_array_size(v = json_object_get(report, "commands")) > 0) {
		fprintf(out, "Commands:\n");
		json_array_foreach(v, i, usage_)
		{
			json_t *code = json_object_get(usage_, "exit_code");
			fprintf(out, "  %s %s",
			        json_is_integer(code) && !json_integer_value(code) ? "✔" : "✘",
			        str(usage_, "command"));
			if (json_is_integer(code))
				fprintf(out, " (exit %lld)", (long long)json_integer_value(code));
			fputc('\n', out);
		}
	}
	fprintf(out, "Files changed:%s\n",
	        json_array_size(json_object_get(report, "files_changed")) ? "" : " none");
	json_array_foreach(json_object_get(report, "files_changed"), i, v)
	    fprintf(out, "  %s\n", json_string_value(v) ? json_string_value(v) : "?");
}

/* Strings of an array, one a line under a heading, or the heading with "none". */
static void print_list(FILE *out, const char *heading, const json_t *list)
{
	size_t i;
	json_t *v;

	fprintf(out, "  %s:%s\n", heading, json_array_size(list) ? "" : " none");
	json_array_foreach(list, i, v)
	    fprintf(out, "    %s\n", json_string_value(v) ? json_string_value(v) : "?");
}

/* Where the work is when the task ran in a worktree of its own: the agent's commits are
 * on its branch, not in the repository it was asked about. */
static void print_worktree(FILE *out, const json_t *wt)
{
	if (!json_is_object(wt))
		return;
	fprintf(out, "Worktree:  %s\n", str(wt, "path"));
	fprintf(out, "  Branch:  %s (from %s)\n", str(wt, "branch"), str(wt, "base_commit"));
	if (json_object_get(wt, "error"))
		fprintf(out, "  Error:   %s\n", str(wt, "error"));
	print_list(out, "Commits", json_object_get(wt, "commits"));
	print_list(out, "Files changed", json_object_get(wt, "files_changed"));
	print_list(out, "Uncommitted", json_object_get(wt, "uncommitted"));
}

static void print_fields(FILE *out, const json_t *st)
{
	json_t *report = json_object_get(st, "report");

	fprintf(out, "Task:      %s\n", str(st, "task_id"));
	fprintf(out, "Status:    %s\n", str(st, "status"));
	fprintf(out, "Tool:      %s\n", str(st, "tool"));
	fprintf(out, "Thread:    %s\n", str(st, "thread_id"));
	fprintf(out, "Cwd:       %s\n", str(st, "cwd"));
	fprintf(out, "Created:   %s\n", str(st, "created_at"));
	fprintf(out, "Started:   %s\n", str(st, "started_at"));
	if (json_object_get(st, "completed_at"))
		fprintf(out, "Completed: %s\n", str(st, "completed_at"));
	fprintf(out, "Elapsed:   %.1f s\n",
	        json_real_value(json_object_get(st, "elapsed_seconds")));
	fprintf(out, "Log file:  %s\n", str(st, "log_file"));
	print_worktree(out, json_object_get(st, "worktree"));
	if (json_is_object(report))
		print_report(out, report);
	if (json_object_get(st, "error"))
		fprintf(out, "Error:     %s\n", str(st, "error"));
	if (json_object_get(st, "output"))
		fprintf(out, "Output:\n%s\n", str(st, "output"));
}

/*
 * Everything shown goes through cli_sanitize: the output, the error and the commands are
 * what a model wrote, and a pager (less -R) or cat passes escapes on to the terminal.
 */
static void print_human(FILE *out, const json_t *st)
{
	char *text = NULL, *safe;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return;
	print_fields(mem, st);
	fclose(mem);
	if ((safe = cli_sanitize(text, len)))
		fputs(safe, out);
	free(safe);
	free(text);
}

int cli_show(int argc, char **argv)
{
	struct show_cmd c = {0};
	struct options_extra x = {usage, NULL, flags, show_flag, show_args, &c};
	struct task_record rec = {0};
	struct options o;
	struct store *s;
	char err[1024];
	int status = 0, found;

	if (cli_options(argc, argv, &o, &x, &status) != 0)
		return status;
	if (cli_store_open(&o, &s, err, sizeof err) != 0) {
		fprintf(stderr, "codex-mcp show: %s\n", err);
		options_free(&o);
		return 1;
	}
	found = store_get_task(s, c.id, &rec);
	if (found != 1) {
		fprintf(stderr, "codex-mcp show: %s\n",
		        found == 0 ? "no such task" : store_error(s));
		status = 1;
	} else {
		/* The whole output: get_agent_status pages it, a terminal has a pager. */
		json_t *st = agent_status(&rec, NULL, 0, (size_t)-1 / 2);
		if (c.json) {
			json_dumpf(st, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else {
			FILE *out = cli_page_begin();
			print_human(out, st);
			cli_page_end(out);
		}
		json_decref(st);
		task_record_clear(&rec);
	}
	store_close(s);
	options_free(&o);
	return status;
}
