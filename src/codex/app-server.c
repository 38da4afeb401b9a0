#include "codex/app-server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc/child.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/text.h"

enum { STDERR_TAIL = 512 };

struct app_server {
	struct app_server_config cfg;
	char *codex_path;
	struct child *child; /* while it runs */
	struct rpc_peer *peer;
	char last_stderr[STDERR_TAIL]; /* its last line there, to say why it died */
	bool freeing;
	void (*done)(void *data);
	void *done_data;
};

/* One message and its newline, in one write. */
static int peer_write(void *ctx, const char *text, size_t len)
{
	struct app_server *as = ctx;
	char *line;
	int rc;

	if (!as->child)
		return -EPIPE;
	if (!(line = malloc(len + 1)))
		return -ENOMEM;
	memcpy(line, text, len);
	line[len] = '\n';
	rc = child_write(as->child, line, len + 1);
	free(line);
	return rc;
}

static void peer_request(void *ctx, json_t *id, const char *method, json_t *params)
{
	struct app_server *as = ctx;

	as->cfg.request(as->cfg.data, id, method, params);
}

static void peer_notification(void *ctx, const char *method, json_t *params)
{
	struct app_server *as = ctx;

	as->cfg.notification(as->cfg.data, method, params);
}

static void peer_garbage(void *ctx, const char *why, const char *line, size_t len)
{
	(void)ctx;
	(void)line; /* not quoted: it may hold anything, secrets included */
	log_warn("app-server: %s (a line of %zu bytes)", why, len);
}

static void on_stdout(void *data, char *line, size_t len)
{
	struct app_server *as = data;

	if (as->peer)
		rpc_peer_receive(as->peer, line, len);
}

static void on_overflow(void *data, size_t max_line)
{
	(void)data;
	log_warn("app-server: a line longer than %zu bytes was dropped", max_line);
}

static void on_stderr(void *data, char *line, size_t len)
{
	struct app_server *as = data;
	/* Secrets are masked before anything is logged or kept. */
	char *masked = redact_active() ? redact(line) : NULL;
	char *clean = masked ? text_sanitize(masked, strlen(masked)) : text_sanitize(line, len);

	free(masked);
	if (!clean)
		return;
	log_debug("app-server: %s", clean);
	snprintf(as->last_stderr, sizeof as->last_stderr, "%s", clean);
	free(clean);
}

static void on_exited(void *data, int64_t status, int term_signal)
{
	struct app_server *as = data;
	char why[STDERR_TAIL + 128];
	int n = term_signal ? snprintf(why, sizeof why, "codex app-server was killed by signal %d",
	                               term_signal)
	                    : snprintf(why, sizeof why, "codex app-server exited with status %lld",
	                               (long long)status);

	/* A signal says why by itself; its last words before a kill are seldom about it. */
	if (!term_signal && as->last_stderr[0] && n > 0 && (size_t)n < sizeof why)
		snprintf(why + n, sizeof why - (size_t)n, ": %s", as->last_stderr);
	struct rpc_peer *peer = as->peer;

	/* Cleared first: an answer to what it left may start a new one at once. */
	as->child = NULL; /* it frees itself once this returns */
	as->peer = NULL;
	rpc_peer_close(peer, why);
	if (as->freeing) {
		void (*done)(void *) = as->done;
		void *done_data = as->done_data;
		free(as->codex_path);
		free(as);
		if (done)
			done(done_data);
		return;
	}
	log_warn("%s", why);
	as->cfg.exited(as->cfg.data, why);
}

static void on_initialized(void *data, json_t *result, json_t *error)
{
	(void)data;
	(void)result;
	/* Every request after it fails the same way: the callers say so. */
	if (error)
		log_warn("app-server: initialize failed: %s",
		         json_string_value(json_object_get(error, "message")));
}

static int start(struct app_server *as, char *err, size_t err_size)
{
	char *argv[] = {as->codex_path, "app-server", NULL};
	struct child_spec spec = {.file = as->codex_path,
	                          .argv = argv,
	                          .env = as->cfg.env,
	                          .keep_stdin = true,
	                          .max_line = as->cfg.max_line};
	struct child_hooks hooks = {.stdout_line = on_stdout,
	                            .stdout_overflow = on_overflow,
	                            .stderr_line = on_stderr,
	                            .exited = on_exited,
	                            .data = as};
	struct rpc_peer_handler h = {peer_write, peer_request, peer_notification, peer_garbage, as};
	int rc;

	if ((rc = rpc_peer_new(&h, &as->peer)) != 0) {
		snprintf(err, err_size, "out of memory");
		return rc;
	}
	if ((rc = child_spawn(as->cfg.loop, &spec, &hooks, &as->child)) != 0) {
		snprintf(err, err_size, "cannot start codex app-server: %s", uv_strerror(rc));
		rpc_peer_close(as->peer, err);
		as->peer = NULL;
		as->child = NULL;
		return -ECHILD;
	}
	as->last_stderr[0] = '\0';
	/* It reads in order: what follows initialize waits behind it, so nothing waits here. */
	json_t *params = json_pack("{s:{s:s, s:s}}", "clientInfo", "name", "codex-mcp", "version",
	                           as->cfg.client_version ? as->cfg.client_version : "0");
	rc = rpc_peer_request(as->peer, "initialize", params, on_initialized, as, NULL);
	if (rc == 0)
		rc = rpc_peer_notify(as->peer, "initialized", NULL);
	if (rc != 0) {
		snprintf(err, err_size, "cannot talk to codex app-server: %s", strerror(-rc));
		child_terminate(as->child, 0);
		return rc;
	}
	log_info("codex app-server started (pid %ld)", (long)child_pid(as->child));
	return 0;
}

int app_server_new(const struct app_server_config *cfg, struct app_server **out)
{
	struct app_server *as = calloc(1, sizeof *as);

	if (!as || !(as->codex_path = strdup(cfg->codex_path))) {
		free(as);
		return -ENOMEM;
	}
	as->cfg = *cfg;
	as->cfg.codex_path = as->codex_path;
	*out = as;
	return 0;
}

int app_server_request(struct app_server *as, const char *method, json_t *params, rpc_answer_fn fn,
                       void *data, int64_t *id_out, char *err, size_t err_size)
{
	int rc = 0;

	if (as->freeing || (!as->child && (rc = start(as, err, err_size)) != 0)) {
		json_decref(params);
		if (as->freeing)
			snprintf(err, err_size, "the server is stopping");
		return as->freeing ? -ESHUTDOWN : rc;
	}
	if ((rc = rpc_peer_request(as->peer, method, params, fn, data, id_out)) != 0)
		snprintf(err, err_size, "cannot talk to codex app-server: %s", strerror(-rc));
	return rc;
}

void app_server_forget(struct app_server *as, int64_t id)
{
	if (as->peer)
		rpc_peer_forget(as->peer, id);
}

int app_server_reply(struct app_server *as, const json_t *id, json_t *result)
{
	if (!as->peer) {
		json_decref(result);
		return -EPIPE;
	}
	return rpc_peer_reply(as->peer, id, result);
}

int app_server_reply_error(struct app_server *as, const json_t *id, int code, const char *message)
{
	return as->peer ? rpc_peer_reply_error(as->peer, id, code, message) : -EPIPE;
}

pid_t app_server_pid(const struct app_server *as)
{
	return as->child ? child_pid(as->child) : 0;
}

void app_server_free(struct app_server *as, unsigned grace_ms, void (*done)(void *data), void *data)
{
	as->freeing = true;
	as->done = done;
	as->done_data = data;
	if (as->child) {
		child_close_stdin(as->child);
		child_terminate(as->child, grace_ms);
		return;
	}
	free(as->codex_path);
	free(as);
	if (done)
		done(data);
}
