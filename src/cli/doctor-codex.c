/* doctor: the Codex found, the backend, the authentication it will use, its sandbox. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "cli/doctor.h"
#include "codex/app-server.h"
#include "codex/locate.h"

int doctor_version_compare(const char *a, const char *b)
{
	unsigned x[3] = {0}, y[3] = {0};
	const char *digits = a + strcspn(a, "0123456789");

	if (sscanf(digits, "%u.%u.%u", &x[0], &x[1], &x[2]) < 2 ||
	    sscanf(b, "%u.%u.%u", &y[0], &y[1], &y[2]) < 2)
		return -2;
	for (int i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* The first line of s, without its newline, in buf. */
static const char *first_line(const char *s, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s", (int)strcspn(s, "\r\n"), s);
	return buf;
}

/*
 * The line of a Codex's stderr that says why it failed: its "Error: ..." or what follows
 * "panicked at", else the first line that is no warning.
 */
static const char *why_line(const char *s, char *buf, size_t size)
{
	const char *said = NULL;

	for (const char *l = s; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n')) {
		if (strncmp(l, "Error", 5) == 0)
			return first_line(l, buf, size);
		if (strstr(first_line(l, buf, size), "panicked at") && l[strcspn(l, "\n")])
			return first_line(l + strcspn(l, "\n") + 1, buf, size);
		if (!said && strncmp(l, "WARNING", 7) != 0 && l[0] != '\n')
			said = l;
	}
	return first_line(said ? said : s, buf, size);
}

/* What `codex --version` says, "codex-cli 0.169.0", into line; 0, or -1 with why in line. */
static int codex_version(struct doctor *d, char *line, size_t size)
{
	char *argv[] = {d->launch.path, "--version", NULL};
	struct doctor_run r;
	int rc = doctor_run(argv, d->launch.env, NULL, 10000, &r);

	if (rc == 0 && !r.timed_out && r.exit_status == 0 &&
	    doctor_version_compare(r.out, "0.0.0") != -2) {
		first_line(r.out, line, size);
		return 0;
	}
	if (rc != 0)
		snprintf(line, size, "%s", uv_strerror(rc));
	else if (r.timed_out)
		snprintf(line, size, "it took over 10 s");
	else
		why_line(r.err[0] ? r.err : r.out, line, size);
	return -1;
}

void doctor_codex(struct doctor *d)
{
	char err[1024], line[256];
	char *found = codex_locate(d->opts->codex_bin, &d->via_npm, err, sizeof err);
	bool located = found != NULL;

	free(found);
	if (!located || codex_launch_resolve(&d->launch, err, sizeof err) != 0) {
		doctor_say(d, false, "Codex: %s", err);
		doctor_fix(d, "install Codex (npm install -g @openai/codex), or pass --codex-bin "
		              "PATH to the one to run");
		return;
	}
	if (codex_version(d, line, sizeof line) != 0) {
		doctor_say(d, false, "Codex at %s did not say its version: %s", d->launch.path,
		           line);
		doctor_fix(d, "check that `%s --version` works, or pass --codex-bin another Codex",
		           d->launch.path);
		return;
	}
	const char *version = line + strcspn(line, "0123456789");
	if (doctor_version_compare(version, CODEX_MIN_VERSION) < 0) {
		doctor_say(d, false, "Codex %s at %s is too old: codex-mcp needs %s or newer",
		           version, d->launch.path, CODEX_MIN_VERSION);
		doctor_fix(d,
		           "npm install -g @openai/codex@latest, or pass --codex-bin a newer one");
		return;
	}
	d->codex_ok = true;
	doctor_say(d, true, "Codex %s at %s%s", version, d->launch.path,
	           d->via_npm ? " (npm's wrapper seen through: the native binary it would start)"
	                      : "");
}

void doctor_backend(struct doctor *d)
{
	char err[512];
	int has = codex_launch_has_app_server(&d->launch, err, sizeof err);

	d->has_app_server = has == 1;
	switch (d->opts->backend) {
	case BACKEND_EXEC:
		doctor_say(d, true,
		           "backend: exec (--backend exec): a codex exec process per turn");
		break;
	case BACKEND_APP_SERVER:
		doctor_say(d, has == 1, "backend: app-server (--backend app-server)%s",
		           has == 1 ? ": one warm codex app-server for every turn"
		                    : ", but this Codex has no app-server");
		if (has != 1)
			doctor_fix(d, "--backend exec, or a newer Codex");
		break;
	case BACKEND_AUTO:
		doctor_say(d, true, "backend: %s (auto: this Codex %s app-server)",
		           has == 1 ? "app-server" : "exec", has == 1 ? "has" : "has no");
		break;
	}
}

/* Codex's own word on its config and its login, asked of `codex app-server`. */
struct asking {
	uv_loop_t *loop;
	struct app_server *as;
	uv_timer_t timer;
	json_t *config, *account;
	char why[512];
	int pending;
};

static void ignore_note(void *data, const char *method, json_t *params)
{
	(void)data, (void)method, (void)params;
}

static void refuse(void *data, json_t *id, const char *method, json_t *params)
{
	struct asking *a = data;

	(void)method, (void)params;
	app_server_reply_error(a->as, id, -32601, "not asked here");
}

static void gone(void *data, const char *why)
{
	struct asking *a = data;

	if (!a->why[0])
		snprintf(a->why, sizeof a->why, "codex app-server %s", why);
}

static void stop_asking(struct asking *a)
{
	struct app_server *as = a->as;

	if (!as)
		return;
	a->as = NULL;
	uv_close((uv_handle_t *)&a->timer, NULL);
	app_server_free(as, 1000, NULL, NULL);
}

/* Ends it from the loop: an answer may come from inside the app-server's own callbacks. */
static void finish(uv_timer_t *t)
{
	stop_asking(t->data);
}

static void answered(struct asking *a, json_t **slot, json_t *result, json_t *error)
{
	if (result)
		*slot = json_incref(result);
	else if (!a->why[0])
		snprintf(a->why, sizeof a->why, "codex app-server: %s",
		         json_string_value(json_object_get(error, "message"))
		             ? json_string_value(json_object_get(error, "message"))
		             : "no answer");
	if (--a->pending == 0 && a->as)
		uv_timer_start(&a->timer, finish, 0, 0);
}

static void got_config(void *data, json_t *result, json_t *error)
{
	struct asking *a = data;
	answered(a, &a->config, result ? json_object_get(result, "config") : NULL, error);
}

static void got_account(void *data, json_t *result, json_t *error)
{
	struct asking *a = data;
	answered(a, &a->account, result, error);
}

static void ask_too_long(uv_timer_t *t)
{
	struct asking *a = t->data;

	snprintf(a->why, sizeof a->why, "codex app-server did not answer in 30 s");
	stop_asking(a);
}

static int ask_app_server(struct doctor *d, struct asking *a)
{
	uv_loop_t loop;
	char err[512];
	struct app_server_config cfg = {.loop = &loop,
	                                .codex_path = d->launch.path,
	                                .env = d->launch.env,
	                                .client_version = CODEX_MCP_VERSION,
	                                .max_line = 32u << 20,
	                                .notification = ignore_note,
	                                .request = refuse,
	                                .exited = gone,
	                                .data = a};

	if (uv_loop_init(&loop) != 0 || app_server_new(&cfg, &a->as) != 0)
		return -1;
	a->loop = &loop;
	uv_timer_init(&loop, &a->timer);
	a->timer.data = a;
	uv_timer_start(&a->timer, ask_too_long, 30000, 0);
	a->pending = 2;
	if (app_server_request(a->as, "config/read", json_object(), got_config, a, NULL, err,
	                       sizeof err) != 0 ||
	    app_server_request(a->as, "account/read", json_object(), got_account, a, NULL, err,
	                       sizeof err) != 0) {
		snprintf(a->why, sizeof a->why, "%s", err);
		uv_timer_start(&a->timer, finish, 0, 0);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return 0;
}

void doctor_auth(struct doctor *d)
{
	struct asking a = {0};

	if (!d->has_app_server) {
		/* An older Codex has no way to say more than this. */
		char *argv[] = {d->launch.path, "login", "status", NULL};
		struct doctor_run r;
		/* libuv says exit status 0 for a process a signal ended: killed on the clock, or
		 * crashed, it said nothing about a login. */
		bool in = doctor_run(argv, d->launch.env, NULL, 10000, &r) == 0 &&
		          r.exit_status == 0 && !r.timed_out && !r.term_signal;
		doctor_say(d, in, "authentication: %s (codex login status)",
		           in ? "logged in" : "not logged in");
		if (!in)
			doctor_fix(d, "codex login, or set OPENAI_API_KEY for the server");
		return;
	}
	if (ask_app_server(d, &a) != 0 || !a.config || !a.account) {
		doctor_say(d, false, "authentication: cannot ask Codex: %s",
		           a.why[0] ? a.why : "codex app-server did not start");
		doctor_fix(d, "run `%s app-server` by hand to see why it fails", d->launch.path);
	} else {
		doctor_auth_judge(d, a.config, a.account, d->launch.env);
	}
	json_decref(a.config);
	json_decref(a.account);
}

void doctor_sandbox(struct doctor *d)
{
	char *argv[] = {d->launch.path, "sandbox", "--", "/bin/echo", "codex-mcp-sandbox-ok", NULL};
	/* Where runs work by default; a --agent-cwd that is not there is said by itself. */
	const char *cwd =
	    d->opts->agent_cwd && access(d->opts->agent_cwd, X_OK) == 0 ? d->opts->agent_cwd : NULL;
	char line[512];
	struct doctor_run r;
	int rc = doctor_run(argv, d->launch.env, cwd, 30000, &r);
	bool ok = rc == 0 && r.exit_status == 0 && strstr(r.out, "codex-mcp-sandbox-ok");

	if (ok) {
		doctor_say(d, true, "sandbox: `codex sandbox` ran a command");
		return;
	}
	doctor_say(d, false, "sandbox: `codex sandbox -- /bin/echo` failed: %s",
	           rc != 0         ? uv_strerror(rc)
	           : r.timed_out   ? "it took over 30 s"
	           : r.term_signal ? "killed by a signal"
	                           : why_line(r.err[0] ? r.err : r.out, line, sizeof line));
	doctor_fix(d,
	           "install bubblewrap (apt-get install bubblewrap); keep CODEX_HOME out of /tmp, "
	           "where Codex will not set up its sandbox helper");
}
