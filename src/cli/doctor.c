/*
 * `codex-mcp doctor`: what a server started with the same options would use, and
 * whether a `codex` call would work there. A ✘ says why and how to fix it.
 */
#include "cli/doctor.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/fleet.h"
#include "app/http-module.h"
#include "cli/cli.h"
#include "tasks/agent-logs.h"
#include "tools/tool.h"

static const char usage[] =
    "usage: codex-mcp doctor [server options]\n"
    "\n"
    "Checks what a server started with the same options would use: the Codex found and\n"
    "its version, the backend, the authentication Codex will use, its sandbox, the state\n"
    "directory and its database, the log directory, and the HTTP settings when given.\n"
    "Exits 0 when a codex call would work, else 1 with the reason and the fix.\n"
    "\n"
    "Server options (--codex-bin, --state-dir, --store, --backend, --http, ...): see\n"
    "codex-mcp --help.\n";

void doctor_say(struct doctor *d, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		d->failures++;
	fputs(ok ? "✔ " : "✘ ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

void doctor_fix(struct doctor *d, const char *fmt, ...)
{
	va_list ap;

	(void)d;
	fputs("  fix: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* Whether a file can be made in dir: the server writes its database and logs there. */
static int probe_write(const char *dir)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof path, "%s/.codex-mcp-doctor-XXXXXX", dir) >= (int)sizeof path)
		return -ENAMETOOLONG;
	if ((fd = mkstemp(path)) < 0)
		return -errno;
	close(fd);
	unlink(path);
	return 0;
}

/* dir as the server would use it (making it, 0700, when missing): 1 when it exists, 0 when it
 * would be made, -1 when neither (said). */
static int check_dir(struct doctor *d, const char *what, const char *flag, const char *dir)
{
	char at[4096];
	struct stat st;
	int rc;

	snprintf(at, sizeof at, "%s", dir);
	/* The nearest part of the path that exists is where the server starts making it. */
	while (stat(at, &st) != 0) {
		char *slash = strrchr(at, '/');
		if ((errno != ENOENT && errno != ENOTDIR) || strcmp(at, "/") == 0 ||
		    strcmp(at, ".") == 0) {
			doctor_say(d, false, "%s: cannot look at %s: %s", what, at,
			           strerror(errno));
			doctor_fix(d, "pass %s a directory the server may own", flag);
			return -1;
		}
		if (!slash)
			snprintf(at, sizeof at, ".");
		else
			slash[slash == at] = '\0';
	}
	if (!S_ISDIR(st.st_mode)) {
		doctor_say(d, false, "%s: %s cannot be used: %s is not a directory", what, dir, at);
		doctor_fix(d, "pass %s a directory the server may own", flag);
		return -1;
	}
	if (strcmp(at, dir) == 0 && st.st_uid != geteuid()) {
		doctor_say(d, false, "%s: %s belongs to another user (uid %lu)", what, dir,
		           (unsigned long)st.st_uid);
		doctor_fix(d, "pass %s a directory of your own", flag);
		return -1;
	}
	if ((rc = probe_write(at)) != 0) {
		if (strcmp(at, dir) == 0)
			doctor_say(d, false, "%s: %s cannot be written: %s", what, dir,
			           strerror(-rc));
		else
			doctor_say(d, false, "%s: %s cannot be made in %s: %s", what, dir, at,
			           strerror(-rc));
		doctor_fix(d, "pass %s a directory the server may write in", flag);
		return -1;
	}
	return strcmp(at, dir) == 0;
}

/* The database the server would open: SQLite in the state directory, or --store. */
static void check_database(struct doctor *d)
{
	char *shown = cli_store_display(d->opts), err[1024];
	struct store *s;
	int rc = cli_store_open(d->opts, &s, err, sizeof err);

	if (rc == 0) {
		doctor_say(d, true, "database: %s (%s) opens", shown ? shown : "?", store_kind(s));
		store_close(s);
	} else if (rc == -ENOENT) {
		doctor_say(d, true, "database: %s, made at the server's first start", shown);
	} else if (rc == -ENOTDIR) {
		doctor_say(d, false, "database: %s", err);
		doctor_fix(d, "make that directory, or pass --store a file in one that exists");
	} else {
		doctor_say(d, false, "database: %s", err);
		doctor_fix(d, "check --store, or that the database is reachable and the user may "
		              "write it");
	}
	free(shown);
}

void doctor_state(struct doctor *d)
{
	const struct options *o = d->opts;
	int state = -1, logs;

	if (!o->state_dir) {
		doctor_say(d, false, "state directory: none: HOME is not set");
		doctor_fix(d, "pass --state-dir DIR, or set HOME");
	} else if ((state = check_dir(d, "state directory", "--state-dir", o->state_dir)) >= 0) {
		doctor_say(d, true, "state directory: %s%s", o->state_dir,
		           state ? "" : " (made at the server's first start)");
	}
	if (state >= 0 || o->store)
		check_database(d);
	if (!o->log_dir || (logs = check_dir(d, "agent logs", "--log-dir", o->log_dir)) < 0)
		return;
	struct log_entry *list = NULL;
	int n = logs ? agent_logs_scan(o->log_dir, &list, NULL) : 0;
	double bytes = 0;
	char size[32];
	for (int i = 0; i < n; i++)
		bytes += (double)list[i].size;
	free(list);
	human_size(bytes, size, sizeof size);
	doctor_say(d, true, "agent logs: %s: %d file(s), %s", o->log_dir, n < 0 ? 0 : n, size);
}

/* The options the server refuses at start: the tools, and the directories runs work in. */
void doctor_options(struct doctor *d)
{
	const struct options *o = d->opts;
	char err[512], *real;

	if (tools_init(o->tools, err, sizeof err) != 0) {
		doctor_say(d, false, "--tools %s: %s", o->tools, err);
		doctor_fix(d, "--tools compat, fleet, all, or a comma list of tool names");
	}
	tools_free();
	if (o->agent_cwd) {
		bool ok = (real = realpath(o->agent_cwd, NULL)) != NULL;
		doctor_say(d, ok, "runs work in %s%s%s", o->agent_cwd, ok ? "" : ": ",
		           ok ? "" : strerror(errno));
		if (!ok)
			doctor_fix(d, "pass --agent-cwd a directory that exists");
		free(real);
	}
	for (size_t i = 0; i < o->n_allow_dirs; i++) {
		if ((real = realpath(o->allow_dirs[i], NULL))) {
			free(real);
			continue;
		}
		doctor_say(d, false, "--allow-dir %s: %s", o->allow_dirs[i], strerror(errno));
		doctor_fix(d, "pass --allow-dir a directory that exists");
	}
}

/* --http and its authentication, as the server would take them at start. */
void doctor_http(struct doctor *d)
{
	const struct http_options *h = &d->opts->http;
	const struct http_module *m;
	struct http_address addr;
	char err[1024], where[300];
	int fd;

	if (!h->listen)
		return;
	if (!(m = module_load(HTTP_MODULE_FILE, HTTP_MODULE_SYMBOL, err, sizeof err))) {
		doctor_say(d, false, "HTTP: %s", err);
		doctor_fix(d, "install codex-mcp-http.so beside codex-mcp");
		return;
	}
	/*
	 * In use is a ✘ even when it is this server that listens: doctor judges a server
	 * started with these flags, and that one would not start. It cannot tell our server
	 * from another program there, so it says which to look for.
	 */
	if ((fd = m->listen(h->listen, &addr, err, sizeof err)) == -EADDRINUSE) {
		doctor_say(d, false, "HTTP: --http %s: in use (is a server already running there?)",
		           h->listen);
		doctor_fix(d, "if codex-mcp runs there, clients can use it as it is; else another "
		              "HOST:PORT, or stop what listens there");
		return;
	}
	if (fd < 0) {
		doctor_say(d, false, "HTTP: --http %s: %s", h->listen, err);
		doctor_fix(d, "another HOST:PORT, or stop what listens there");
		return;
	}
	close(fd);
	size_t n = strlen(h->listen);
	m->address_format(&addr, where, sizeof where);
	if (h->public_url)
		doctor_say(d, true, "HTTP: %s is free; clients reach MCP at %s", h->listen,
		           h->public_url);
	else if (strcmp(h->listen, "0") == 0 || (n > 2 && strcmp(h->listen + n - 2, ":0") == 0))
		doctor_say(d, true, "HTTP: %s: the server will take a free port", h->listen);
	else
		doctor_say(d, true, "HTTP: %s is free: MCP at http://%s/mcp", h->listen, where);
	if (h->token_file) {
		bool ok = access(h->token_file, R_OK) == 0;
		doctor_say(d, ok, "HTTP authentication: bearer tokens from %s%s", h->token_file,
		           ok ? "" : ": cannot be read");
		if (!ok)
			doctor_fix(d, "make --http-token-file a file the server may read");
	}
	if (h->oauth_issuer)
		doctor_say(d, true, "HTTP authentication: JWTs of %s (keys %s%s)", h->oauth_issuer,
		           h->oauth_jwks ? "from " : "fetched from the issuer",
		           h->oauth_jwks ? h->oauth_jwks : "");
	if (!h->token_file && !h->oauth_issuer && !addr.loopback) {
		doctor_say(d, false,
		           "HTTP authentication: none, and %s is reachable from other "
		           "machines: the server refuses to start so",
		           h->listen);
		doctor_fix(d, "--http-token-file or --oauth-issuer, or bind 127.0.0.1");
	} else if (!h->token_file && !h->oauth_issuer) {
		doctor_say(d, true, "HTTP authentication: none (loopback only)");
	}
}

int cli_doctor(int argc, char **argv)
{
	struct options_extra x = {.usage = usage};
	struct options o;
	struct doctor d = {.opts = &o};
	int status = 0;

	if (cli_options(argc, argv, &o, &x, &status) != 0)
		return status;
	if (codex_launch_init(&d.launch, o.codex_bin, o.env) != 0) {
		options_free(&o);
		return 1;
	}
	doctor_codex(&d);
	if (d.codex_ok) {
		doctor_backend(&d);
		doctor_auth(&d);
		doctor_sandbox(&d);
	}
	doctor_options(&d);
	doctor_state(&d);
	doctor_http(&d);
	if (d.failures)
		printf("\n%d problem(s): a codex call would not work here; the fixes are above.\n",
		       d.failures);
	else
		printf("\nAll good: a codex call would work here.\n");
	codex_launch_clear(&d.launch);
	options_free(&o);
	return d.failures ? 1 : 0;
}
