#include "cli/cli.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
    {"doctor", cli_doctor},
    {"tasks", cli_tasks},
    {"show", cli_show},
    {"logs", cli_logs},
};

bool cli_is_command(const char *word)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(word, commands[i].name) == 0)
			return true;
	return false;
}

int cli_main(int argc, char **argv)
{
	/* A pager that quits (q in less, or one that never started) must not kill us mid-write:
	 * the write fails with EPIPE instead, and what is left goes nowhere. */
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	return 2;
}

int cli_options(int argc, char **argv, struct options *o, const struct options_extra *x,
                int *exit_status)
{
	switch (options_parse_extra(argc, argv, o, x)) {
	case OPTIONS_RUN:
		/* The server's own progress is not the command's output: warnings and errors only.
		 */
		log_set_stderr_level(o->log_level == LOG_INFO ? LOG_WARNING : o->log_level);
		return 0;
	case OPTIONS_EXIT_OK:
		*exit_status = 0;
		break;
	case OPTIONS_EXIT_USAGE:
		*exit_status = 2;
		break;
	}
	options_free(o);
	return -1;
}

/* The SQLite file a store URL names, or NULL for another kind. */
static const char *sqlite_path(const char *url)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return strncmp(url + 7, "//", 2) == 0 ? url + 9 : url + 7;
	return strstr(url, "://") ? NULL : url;
}

/*
 * Why an SQLite file is not there: -ENOENT when the server would make it, -ENOTDIR when
 * its directory is missing too (the server would fail). A string taken for a path may be
 * a libpq keyword string with a password in it: it is shown as cli_store_display does.
 */
static int missing_database(const struct options *o, const char *file, char *err, size_t err_size)
{
	struct options shown_opts = *o;
	char *copy = strdup(file), *shown;
	struct stat st;
	bool has_dir = copy && stat(dirname(copy), &st) == 0 && S_ISDIR(st.st_mode);

	free(copy);
	shown_opts.store = o->store ? (char *)file : NULL;
	shown = cli_store_display(&shown_opts);
	/* Without --store, the server makes the state directory itself. */
	if (o->store && !has_dir) {
		snprintf(err, err_size,
		         "no directory for the database %s: the server cannot make it",
		         shown ? shown : "?");
		free(shown);
		return -ENOTDIR;
	}
	snprintf(err, err_size, "no database at %s: no server has run with this %s",
	         shown ? shown : "?", o->store ? "--store" : "--state-dir");
	free(shown);
	return -ENOENT;
}

int cli_store_open(const struct options *o, struct store **out, char *err, size_t err_size)
{
	char db[4096];
	const char *url = o->store, *file;
	struct stat st;

	if (!url) {
		if (!o->state_dir) {
			snprintf(err, err_size, "no state directory: set --state-dir or HOME");
			return -EINVAL;
		}
		snprintf(db, sizeof db, "%s/codex-mcp.db", o->state_dir);
		url = db;
	}
	/* Looking must not make a database the server has never written. */
	file = sqlite_path(url);
	if (file && stat(file, &st) != 0)
		return missing_database(o, file, err, err_size);
	if (store_open(url, out, err, err_size) != 0)
		return -EIO;
	return 0;
}

/* s with every occurrence of what replaced by with (malloc'd). */
static char *replace_all(const char *s, const char *what, const char *with)
{
	size_t n = strlen(what), count = 0;
	char *out, *o;

	for (const char *p = s; (p = strstr(p, what)); p += n)
		count++;
	if (!(out = malloc(strlen(s) + count * strlen(with) + 1)))
		return NULL;
	for (o = out; *s;) {
		if (strncmp(s, what, n) == 0) {
			o = stpcpy(o, with);
			s += n;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

char *cli_store_display(const struct options *o)
{
	char *password, *shown;

	if (!o->store) {
		if (!o->state_dir || asprintf(&shown, "%s/codex-mcp.db", o->state_dir) < 0)
			return NULL;
		return shown;
	}
	/* Everywhere it appears: a user named as the password must not show it either. */
	password = store_url_password(o->store);
	shown = password && *password ? replace_all(o->store, password, "[redacted]")
	                              : strdup(o->store);
	free(password);
	return shown;
}

/* Whether a program of that name is on PATH. */
static bool on_path(const char *name)
{
	const char *path = getenv("PATH");
	char file[4096];

	for (const char *p = path ? path : ""; *p;
	     p += strcspn(p, ":") + (p[strcspn(p, ":")] != 0)) {
		int n = (int)strcspn(p, ":");
		snprintf(file, sizeof file, "%.*s/%s", n, p, name);
		if (n > 0 && access(file, X_OK) == 0)
			return true;
	}
	return false;
}

bool cli_pager_usable(const char *pager)
{
	char name[1024];
	size_t n;

	pager += strspn(pager, " \t");
	n = strcspn(pager, " \t");
	if (n == 0 || n >= sizeof name || (n == 3 && strncmp(pager, "cat", 3) == 0))
		return false;
	snprintf(name, sizeof name, "%.*s", (int)n, pager);
	return strchr(name, '/') ? access(name, X_OK) == 0 : on_path(name);
}

FILE *cli_page_begin(void)
{
	const char *pager = getenv("PAGER");
	FILE *p;

	/* A PAGER that names no program would take the output and show nothing: the shell
	 * popen runs only says "not found". Then stdout it is. */
	if (!isatty(STDOUT_FILENO) || !cli_pager_usable(pager ? pager : "less"))
		return stdout;
	/* less quits at once when all fits, and keeps colours and the screen as they were. */
	setenv("LESS", "FRX", 0);
	p = popen(pager ? pager : "less", "w");
	return p ? p : stdout;
}

void cli_page_end(FILE *out)
{
	if (out == stdout)
		fflush(stdout);
	else
		pclose(out);
}

int cli_columns(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env && atoi(env) > 0)
		return atoi(env);
	return 0;
}

/* Bytes of s before its character number n (UTF-8), at most len. */
static size_t chars_to_bytes(const char *s, size_t len, int n)
{
	size_t i = 0;

	for (; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80 && n-- == 0)
			break;
	return i;
}

int cli_rows(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 0;
}

/* The bytes of a control character to show instead of it, or NULL to keep s[0] as it is. */
static const char *placeholder(const unsigned char *s, size_t left, char caret[3], size_t *len)
{
	*len = 1;
	if ((s[0] < 0x20 && s[0] != '\n' && s[0] != '\t') || s[0] == 0x7f) {
		caret[0] = '^';
		caret[1] = s[0] == 0x7f ? '?' : (char)(s[0] + 0x40);
		caret[2] = '\0';
		return caret;
	}
	/* C1 controls (U+0080..U+009F, CSI among them) are two bytes in UTF-8. */
	if (s[0] == 0xc2 && left > 1 && s[1] >= 0x80 && s[1] <= 0x9f) {
		*len = 2;
		return "\xef\xbf\xbd";
	}
	return NULL;
}

char *cli_sanitize(const char *s, size_t len)
{
	/* The longest placeholder is 3 bytes for 1 (U+FFFD for 2, ^X for 1). */
	char *out = malloc(len * 3 + 1), *o = out, caret[3];

	for (size_t i = 0, n; out && i < len; i += n) {
		const char *p = placeholder((const unsigned char *)s + i, len - i, caret, &n);
		if (p)
			o = stpcpy(o, p);
		else
			*o++ = s[i];
	}
	if (out)
		*o = '\0';
	return out;
}

void cli_print_fit(FILE *out, const char *text, int width)
{
	size_t first = strcspn(text, "\r\n");
	bool more = text[first] != '\0';
	char *safe = cli_sanitize(text, first);
	const char *s = safe ? safe : "";
	size_t line = strlen(s);
	int chars = 0;

	/* Columns are counted in characters: UTF-8 continuation bytes take none. */
	for (size_t i = 0; i < line; i++)
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	if (width <= 0 || (chars + more <= width))
		fprintf(out, "%.*s%s\n", (int)line, s, more ? "…" : "");
	else
		fprintf(out, "%.*s…\n", (int)chars_to_bytes(s, line, width - 1), s);
	free(safe);
}

void cli_age(int64_t ms, int64_t now, char *buf, size_t size)
{
	int64_t s = (now - ms) / 1000;

	if (ms <= 0)
		snprintf(buf, size, "-");
	else if (s < 60)
		snprintf(buf, size, "%llds ago", (long long)(s < 0 ? 0 : s));
	else if (s < 3600)
		snprintf(buf, size, "%lldm ago", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, size, "%lldh ago", (long long)(s / 3600));
	else
		snprintf(buf, size, "%lldd ago", (long long)(s / 86400));
}
