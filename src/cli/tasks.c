/* `codex-mcp tasks`: the tasks in the store, newest first, as list_agent_tasks shows them. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/fleet.h"
#include "cli/cli.h"

static const char usage[] =
    "usage: codex-mcp tasks [--status STATUS] [--limit N] [--json] [--watch] [server options]\n"
    "\n"
    "The tasks in the server's store, newest first: SQLite in --state-dir, or --store.\n"
    "\n"
    "  --status STATUS   only these: queued, running, completed, failed, killed,\n"
    "                    timed_out, cancelled\n"
    "  --limit N         at most N tasks (50)\n"
    "  --json            as list_agent_tasks answers: {total, <status>: count, tasks}\n"
    "  --watch           show it again as it changes, until interrupted\n"
    "  --subject SUB     the tasks of an authenticated client (a JWT's sub, or\n"
    "                    token:<hex>); without it, those of clients without authentication\n"
    "\n"
    "Server options (--state-dir, --store, ...): see codex-mcp --help.\n";

static const struct option flags[] = {
    {"status", required_argument, NULL, CLI_OPT_STATUS},
    {"limit", required_argument, NULL, CLI_OPT_LIMIT},
    {"json", no_argument, NULL, CLI_OPT_JSON},
    {"watch", no_argument, NULL, CLI_OPT_WATCH},
    {"subject", required_argument, NULL, CLI_OPT_SUBJECT},
    {NULL, 0, NULL, 0},
};

struct tasks_cmd {
	const char *status; /* an entry of agent_statuses, or NULL */
	const char *subject;
	int limit;
	bool json, watch;
	/* What was read */
	struct task_record *recs;
	size_t n;
};

static int tasks_flag(void *data, int c, const char *arg)
{
	struct tasks_cmd *t = data;
	char *end;
	long n;

	switch (c) {
	case CLI_OPT_STATUS:
		for (const char *const *s = agent_statuses; *s; s++)
			if (strcmp(*s, arg) == 0)
				t->status = *s;
		if (t->status)
			return 0;
		fprintf(stderr, "codex-mcp tasks: --status: \"%s\" is not a status\n", arg);
		return -1;
	case CLI_OPT_LIMIT:
		n = strtol(arg, &end, 10);
		if (*arg && !*end && n >= 1 && n <= 100000) {
			t->limit = (int)n;
			return 0;
		}
		fprintf(stderr, "codex-mcp tasks: --limit: expected a number from 1 to 100000\n");
		return -1;
	case CLI_OPT_JSON:
		t->json = true;
		return 0;
	case CLI_OPT_WATCH:
		t->watch = true;
		return 0;
	case CLI_OPT_SUBJECT:
		t->subject = arg;
		return 0;
	default:
		return 1;
	}
}

static void keep(void *data, const struct task_record *rec)
{
	struct tasks_cmd *t = data;

	if (task_record_copy(&t->recs[t->n], rec) == 0)
		t->n++;
}

static void forget(struct tasks_cmd *t)
{
	for (size_t i = 0; i < t->n; i++)
		task_record_clear(&t->recs[i]);
	t->n = 0;
}

/* Reads the listing: the records into t, the answer as list_agent_tasks gives it. */
static json_t *read_listing(struct store *s, struct tasks_cmd *t, char *err, size_t err_size)
{
	json_t *counts, *tasks;

	forget(t);
	counts = store_count_tasks(s, t->subject);
	if (!counts || store_each_task(s, t->subject, t->status, t->limit, keep, t) != 0) {
		snprintf(err, err_size, "cannot read the tasks: %s", store_error(s));
		json_decref(counts);
		return NULL;
	}
	tasks = json_array();
	for (size_t i = 0; i < t->n; i++)
		json_array_append_new(tasks, agent_listing_entry(&t->recs[i], NULL));
	json_t *listing = agent_listing(counts, tasks);
	json_decref(counts);
	return listing;
}

/* One line per task, cut to the terminal, at most rows of them (0: all); then the counts. */
static void print_human(FILE *out, const struct tasks_cmd *t, const json_t *listing, size_t rows)
{
	size_t shown = rows && rows < t->n ? rows : t->n;
	int width = cli_columns();
	int64_t now = store_now_ms();
	char line[1024], age[32];
	json_t *tasks = json_object_get(listing, "tasks");

	snprintf(line, sizeof line, "%-32s  %-9s  %-7s  %7s  %-11s  %s", "TASK", "STATUS",
	         "STARTED", "ELAPSED", "TOOL", "OUTPUT");
	cli_print_fit(out, line, width);
	for (size_t i = 0; i < shown; i++) {
		const struct task_record *r = &t->recs[i];
		json_t *e = json_array_get(tasks, i);
		const char *text = json_string_value(json_object_get(e, "output"));
		if (!text || strcmp(r->status, "completed") != 0)
			text = r->error ? r->error : text;
		cli_age(r->started_at ? r->started_at : r->created_at, now, age, sizeof age);
		snprintf(line, sizeof line, "%-32s  %-9s  %-7s  %6.1fs  %-11s  %s", r->id,
		         r->status, age, json_real_value(json_object_get(e, "elapsed_seconds")),
		         r->tool ? r->tool : "-", text ? text : "");
		cli_print_fit(out, line, width);
	}
	int n = snprintf(line, sizeof line, "%lld task(s)",
	                 (long long)json_integer_value(json_object_get(listing, "total")));
	const char *sep = ": ";
	for (const char *const *s = agent_statuses; *s && n < (int)sizeof line; s++) {
		json_int_t c = json_integer_value(json_object_get(listing, *s));
		if (c > 0) {
			n += snprintf(line + n, sizeof line - (size_t)n, "%s%lld %s", sep,
			              (long long)c, *s);
			sep = ", ";
		}
	}
	if (shown <
	    (size_t)json_integer_value(json_object_get(listing, t->status ? t->status : "total")))
		snprintf(line + n, sizeof line - (size_t)n, " (the newest %zu shown; --limit N)",
		         shown);
	cli_print_fit(out, line, width);
}

/* What a watcher shows again when it changes: which tasks, and where each is. */
static char *signature(const struct tasks_cmd *t)
{
	size_t size = t->n * 80 + 1;
	char *sig = calloc(1, size);
	size_t at = 0;

	for (size_t i = 0; sig && i < t->n; i++)
		at += (size_t)snprintf(sig + at, size - at, "%s %s %lld\n", t->recs[i].id,
		                       t->recs[i].status, (long long)t->recs[i].completed_at);
	return sig;
}

static void show(struct tasks_cmd *t, json_t *listing, bool again)
{
	if (t->json) {
		/* One line each time, for a program to read as they come. */
		json_dumpf(listing, stdout, JSON_COMPACT | (t->watch ? 0 : JSON_INDENT(2)));
		fputc('\n', stdout);
		fflush(stdout);
		return;
	}
	if (t->watch) {
		/* On a terminal the list is drawn again in place, as high as the screen. */
		int rows = cli_rows();
		if (rows)
			fputs("\033[H\033[2J", stdout);
		else if (again)
			fputc('\n', stdout);
		print_human(stdout, t, listing, rows > 3 ? (size_t)rows - 3 : rows ? 1 : 0);
		fflush(stdout);
		return;
	}
	FILE *out = cli_page_begin();
	print_human(out, t, listing, 0);
	cli_page_end(out);
}

/* Until interrupted: every second, shown again when it changed (on a terminal, always). */
static int watch(struct store *s, struct tasks_cmd *t)
{
	char err[512], *last = NULL;
	bool tty = isatty(STDOUT_FILENO) && !t->json;

	for (;;) {
		json_t *listing = read_listing(s, t, err, sizeof err);
		char *sig;
		if (!listing) {
			fprintf(stderr, "codex-mcp tasks: %s\n", err);
			free(last);
			return 1;
		}
		sig = signature(t);
		if (tty || !last || !sig || strcmp(sig, last) != 0)
			show(t, listing, last != NULL);
		json_decref(listing);
		free(last);
		last = sig;
		sleep(1);
	}
}

int cli_tasks(int argc, char **argv)
{
	struct tasks_cmd t = {.limit = 50};
	struct options_extra x = {usage, NULL, flags, tasks_flag, NULL, &t};
	struct options o;
	struct store *s;
	char err[1024];
	int status = 0;

	if (cli_options(argc, argv, &o, &x, &status) != 0)
		return status;
	if (cli_store_open(&o, &s, err, sizeof err) != 0) {
		fprintf(stderr, "codex-mcp tasks: %s\n", err);
		options_free(&o);
		return 1;
	}
	t.recs = calloc((size_t)t.limit, sizeof *t.recs);
	if (!t.recs) {
		status = 1;
	} else if (t.watch) {
		status = watch(s, &t);
	} else {
		json_t *listing = read_listing(s, &t, err, sizeof err);
		if (listing)
			show(&t, listing, false);
		else
			fprintf(stderr, "codex-mcp tasks: %s\n", err);
		status = listing ? 0 : 1;
		json_decref(listing);
	}
	forget(&t);
	free(t.recs);
	store_close(s);
	options_free(&o);
	return status;
}
