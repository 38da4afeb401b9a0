/* The `codex exec --json` backend: one Codex process per turn. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codex/argv.h"
#include "codex/backend.h"
#include "codex/fold.h"
#include "codex/launch.h"
#include "proc/child.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/text.h"

enum { STDERR_TAIL = 2048 };

struct exec_backend {
	uv_loop_t *loop;
	struct codex_launch launch;
	size_t max_event_line;
};

struct codex_turn {
	struct exec_backend *backend;
	struct child *child;
	struct codex_turn_hooks hooks;
	struct codex_fold fold;
	bool cancelled;
	char tail[STDERR_TAIL + 1]; /* the last lines of Codex's stderr */
	size_t tail_len;
	unsigned dropped_lines;
};

static void on_stdout_line(void *data, char *line, size_t len)
{
	struct codex_turn *t = data;
	struct codex_event ev;
	/* Secrets are masked before anything is cut or quoted from the line. */
	char *masked = redact_active() ? redact(line) : NULL;

	if (masked) {
		line = masked;
		len = strlen(masked);
	}

	if (codex_event_parse(line, len, &ev) != 0) {
		log_debug("codex printed a line that is not an event (%zu bytes)", len);
		free(masked);
		return;
	}
	if (codex_fold_event(&t->fold, &ev) != 0)
		log_warn("out of memory: an event of codex was not kept");
	if (t->hooks.event)
		t->hooks.event(t->hooks.data, &ev);
	codex_event_clear(&ev);
	free(masked);
}

static void on_stdout_overflow(void *data, size_t max_line)
{
	struct codex_turn *t = data;

	t->dropped_lines++;
	log_warn("codex printed a line longer than %zu bytes; it was skipped", max_line);
}

static void on_stderr_line(void *data, char *line, size_t len)
{
	struct codex_turn *t = data;
	char *masked = redact_active() ? redact(line) : NULL;

	if (masked) {
		line = masked;
		len = strlen(masked);
	}

	log_debug("codex stderr: %.*s", (int)(len > 500 ? 500 : len), line);
	if (t->hooks.stderr_line)
		t->hooks.stderr_line(t->hooks.data, line, len);
	if (len > STDERR_TAIL / 2)
		len = STDERR_TAIL / 2;
	/* Keep whole recent lines: drop the oldest until this one fits. */
	while (t->tail_len + len + 1 > STDERR_TAIL) {
		char *nl = memchr(t->tail, '\n', t->tail_len);
		size_t drop = nl ? (size_t)(nl - t->tail) + 1 : t->tail_len;
		memmove(t->tail, t->tail + drop, t->tail_len - drop);
		t->tail_len -= drop;
	}
	memcpy(t->tail + t->tail_len, line, len);
	t->tail_len += len;
	t->tail[t->tail_len++] = '\n';
	t->tail[t->tail_len] = '\0';
	free(masked);
}

static char *describe_failure(struct codex_turn *t, int64_t exit_status, int term_signal)
{
	char *tail = text_sanitize(t->tail, t->tail_len);
	size_t n = tail ? strlen(tail) : 0;
	char head[128];
	char *msg;

	while (n > 0 && tail[n - 1] == '\n')
		tail[--n] = '\0';
	if (term_signal)
		snprintf(head, sizeof head, "codex was killed by signal %d", term_signal);
	else if (exit_status != 0)
		snprintf(head, sizeof head, "codex exited with status %lld",
		         (long long)exit_status);
	else
		snprintf(head, sizeof head, "codex exited without finishing the turn");
	msg = malloc(strlen(head) + n + 3);
	if (msg)
		sprintf(msg, "%s%s%s", head, n ? ": " : "", n ? tail : "");
	free(tail);
	return msg;
}

static void on_exited(void *data, int64_t exit_status, int term_signal)
{
	struct codex_turn *t = data;
	struct codex_outcome out;
	/* Only the exit can say why a turn that said nothing failed. */
	char *failure = t->fold.completed && !t->fold.turn_error
	                    ? NULL
	                    : describe_failure(t, exit_status, term_signal);

	codex_fold_outcome(&t->fold, t->cancelled, failure, &out);
	out.exited = true;
	out.exit_status = exit_status;
	out.term_signal = term_signal;
	t->hooks.done(t->hooks.data, &out);
	free(failure);
	codex_fold_clear(&t->fold);
	free(t);
}

static int exec_start(void *impl, const struct codex_turn_request *req,
                      const struct codex_turn_hooks *hooks, struct codex_turn **out, char **error)
{
	struct exec_backend *b = impl;
	char message[1024];
	char **argv;
	struct codex_turn *t;
	int rc;

	*error = NULL;
	if (codex_launch_resolve(&b->launch, message, sizeof message) != 0) {
		*error = strdup(message);
		return -1;
	}
	if (access(b->launch.path, X_OK) != 0) {
		snprintf(message, sizeof message, "cannot run Codex at %s: %s", b->launch.path,
		         strerror(errno));
		*error = strdup(message);
		return -1;
	}
	argv = codex_exec_argv(req, message, sizeof message);
	if (!argv) {
		*error = strdup(message);
		return -1;
	}
	t = calloc(1, sizeof *t);
	if (!t) {
		codex_argv_free(argv);
		*error = strdup("out of memory");
		return -1;
	}
	t->backend = b;
	t->hooks = *hooks;
	if (codex_fold_init(&t->fold, req->thread_id) != 0) {
		codex_argv_free(argv);
		free(t);
		*error = strdup("out of memory");
		return -1;
	}

	struct child_spec spec = {
	    .file = b->launch.path,
	    .argv = argv,
	    .env = b->launch.env,
	    .stdin_data = req->prompt,
	    .stdin_len = req->prompt_len,
	    .max_line = b->max_event_line,
	};
	struct child_hooks child_hooks = {
	    .stdout_line = on_stdout_line,
	    .stdout_overflow = on_stdout_overflow,
	    .stderr_line = on_stderr_line,
	    .exited = on_exited,
	    .data = t,
	};
	rc = child_spawn(b->loop, &spec, &child_hooks, &t->child);
	codex_argv_free(argv);
	if (rc != 0) {
		snprintf(message, sizeof message, "cannot start Codex: %s", uv_strerror(rc));
		*error = strdup(message);
		codex_fold_clear(&t->fold);
		free(t);
		return -1;
	}
	*out = t;
	return 0;
}

static void exec_cancel(struct codex_turn *t, unsigned grace_ms)
{
	t->cancelled = true;
	child_terminate(t->child, grace_ms);
}

static pid_t exec_pid(const struct codex_turn *t)
{
	return child_pid(t->child);
}

static void exec_pause(struct codex_turn *t)
{
	child_pause(t->child);
}

static void exec_resume(struct codex_turn *t)
{
	child_resume(t->child);
}

static void exec_free(void *impl, void (*done)(void *data), void *data)
{
	struct exec_backend *b = impl;

	/* Each turn's process belongs to its turn, which the runner has ended already. */
	codex_launch_clear(&b->launch);
	free(b);
	if (done)
		done(data);
}

static const struct codex_backend_ops exec_ops = {
    .start = exec_start,
    .cancel = exec_cancel,
    .pid = exec_pid,
    .pause = exec_pause,
    .resume = exec_resume,
    .free = exec_free,
};

int codex_exec_backend_new(const struct codex_exec_config *cfg, struct codex_backend *out)
{
	struct exec_backend *b = calloc(1, sizeof *b);

	if (!b)
		return -1;
	b->loop = cfg->loop;
	b->max_event_line = cfg->max_event_line;
	if (codex_launch_init(&b->launch, cfg->codex_path, cfg->extra_env) != 0) {
		codex_launch_clear(&b->launch);
		free(b);
		return -1;
	}
	out->ops = &exec_ops;
	out->impl = b;
	return 0;
}
