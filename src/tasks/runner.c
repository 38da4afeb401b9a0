#include "tasks/runner.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "proc/procfs.h"
#include "tasks/agent-log.h"
#include "tasks/writes.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/text.h"

struct task {
	struct task_record rec;
	struct runner *runner;
	struct task *next; /* in the queue, then in the running list */
	bool recording;    /* queued, its first record on its way to the store */
	bool admitting;    /* queued, asking the fleet for a place (cfg.admit) */
	bool admitted;
	bool told_fleet; /* its callers heard it waits for the fleet */
	struct task_group *group;
	struct task_observer *observers;

	struct codex_options options;
	char *prompt;
	size_t prompt_len;
	bool new_thread;
	unsigned timeout_s;

	struct codex_turn *turn;
	struct agent_log *log;
	uv_timer_t tick; /* initialised at submission, so the task is always freed by its close */
	bool in_running;
	uint64_t started_mono;
	uint64_t last_output_mono;
	uint64_t last_progress_mono;
	int64_t last_output_ms;

	enum task_ending ending;
	const char *signal_used;
	json_t *stall;    /* set while stalled */
	json_t *commands; /* [{command, exit_code}] */
	json_t *files;    /* paths changed, in order, each once */
	char *last_command;
	char last_message[256];
	bool finishing;
	task_result_fn result;
	size_t n_commands;
	bool paused;
	bool stall_killed;          /* ended by --kill-stalled-after, not by its timeout */
	struct question *questions; /* asked of a person, not answered yet */
	unsigned waiting;           /* how many */
	uint64_t waiting_mono;      /* since when */
	uint64_t waited_ms;         /* before that: time not counted against its timeout */
	unsigned asked, approved, declined, unasked;
	const struct task_place *place;
	char *place_root;
	bool preparing; /* its place is being made: it cannot start, nor end, until then */
	/*
	 * Offered to the fleet while it waits for a place here (cfg.offer); taken by
	 * another replica, it waits for word of which (taken), then follows that
	 * one's record (moved_to) until it ends, and writes none of its own.
	 */
	bool offered, taken;
	bool no_offer; /* taken from another replica's offer: not offered on */
	char *moved_to;
	enum task_ending kill_how;  /* a kill asked while it was offered or moved, for the taker */
	struct moved_read *reading; /* a read of its record on the store's thread */
	int64_t seen_activity;
};

/* A moved task's record, read off the loop; t is NULL once the task is gone. */
struct moved_read {
	struct task *t;
	char id[33];
	int found;
	struct task_record rec;
};

/* A task's place, made or looked at on the thread pool. */
struct place_work {
	uv_work_t req;
	struct task *t;
	char *root, *id, *cwd; /* the worker's own copies */
	char *cwd_out;
	json_t *info;
	int rc;
	char err[512];
};

struct question {
	uint64_t id;
	uint64_t asked_mono;
	struct question *next;
};

struct runner {
	struct runner_config cfg;
	char *log_dir;
	struct task *queue; /* FIFO */
	struct task *running;
	unsigned n_running;
	size_t n_live;
	bool scheduling; /* schedule() may be re-entered through a task that fails to start */
	bool reschedule;
	uv_timer_t drain; /* polls the client's backlog while runs are paused */
	bool draining;
	struct writes *writes; /* records on their way to the store */
	bool stopping;         /* no new work; a second stop kills at once */
	struct task *ending;   /* whose end its observers are being told */
	bool fleet_full;       /* admit() said no: not asked again until there may be room */
	uint64_t clock_loop;   /* runner_now_ms(): the loop's time it was read at ... */
	int64_t clock_ms;      /* ... and the wall clock then */
	struct task *moved;    /* taken by another replica: their callers wait here */
	void (*watch)(void *data, struct task *t);
	void *watch_data;
};

static void schedule(struct runner *r);
static void open_log(struct task *t);
static void finish(struct task *t, const struct codex_outcome *out);

enum {
	REPORT_MAX_ITEMS = 50,
	/* Past this much unsent output to the client, runs stop being read until it drains. */
	BACKLOG_HIGH = 4 << 20,
	BACKLOG_LOW = 1 << 20,
	/* The same for one call's own stream, where the transport has one per call. */
	CALL_BACKLOG_HIGH = 32 << 10,
	CALL_BACKLOG_LOW = 8 << 10,
	BACKLOG_POLL_MS = 5,
};

int task_new_id(char out[33])
{
	unsigned char bytes[16];
	size_t got = 0;

	while (got < sizeof bytes) {
		ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

struct runner *runner_new(const struct runner_config *cfg)
{
	struct runner *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->cfg = *cfg;
	r->log_dir = strdup(cfg->log_dir);
	uv_timer_init(cfg->loop, &r->drain);
	r->drain.data = r;
	uv_unref((uv_handle_t *)&r->drain);
	r->writes = writes_new(cfg->loop, cfg->store);
	if (r->cfg.max_running == 0)
		r->cfg.max_running = 1;
	return r;
}

static void runner_closed(uv_handle_t *h)
{
	struct runner *r = h->data;

	free(r->log_dir);
	free(r);
}

void runner_free(struct runner *r)
{
	if (!r)
		return;
	/* What is on its way to the store gets there, or is said lost. */
	writes_free(r->writes);
	uv_close((uv_handle_t *)&r->drain, runner_closed);
}

static void set_status(struct task *t, const char *status)
{
	free(t->rec.status);
	t->rec.status = strdup(status);
}

int runner_save(struct runner *r, const struct task_record *rec)
{
	writes_task(r->writes, rec, NULL, NULL);
	return 0;
}

static void save(struct task *t)
{
	/* Another replica's now: its record is that one's to write. */
	if (!t->taken)
		runner_save(t->runner, &t->rec);
}

/* As save(), for a thread: a state not yet written is merged with this one, never reordered. */
static void save_thread(struct runner *r, const char *id, json_t *options, const char *status,
                        const char *subject)
{
	writes_thread(r->writes, id, options, status, subject, store_now_ms());
}

const struct task_record *runner_unsaved(struct runner *r, const char *id)
{
	return writes_pending(r->writes, id);
}

const struct task_record *runner_ended(struct runner *r, const char *id)
{
	return r->ending && strcmp(r->ending->rec.id, id) == 0 ? &r->ending->rec : NULL;
}

const char *runner_save_failed(struct runner *r, const char *id)
{
	return writes_failed(r->writes, id);
}

static void tell(struct task *t, const struct codex_event *ev, const char *message)
{
	char *masked = message && redact_active() ? redact(message) : NULL;

	if (masked)
		message = masked;
	t->last_progress_mono = uv_now(t->runner->cfg.loop);
	for (struct task_observer *o = t->observers; o; o = o->next)
		if (o->progress)
			o->progress(o->data, t, ev, message);
	free(masked);
}

static void list_remove(struct task **head, struct task *t)
{
	for (struct task **p = head; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			t->next = NULL;
			return;
		}
	}
}

static void remember_thread(struct task *t, const char *status)
{
	json_t *options = NULL;

	if (!t->rec.thread_id)
		return;
	/* A new thread is recorded with its options; a resumed one only changes status. */
	if (t->new_thread && !(options = codex_options_to_json(&t->options))) {
		log_error("could not record thread %s: out of memory", t->rec.thread_id);
		return;
	}
	save_thread(t->runner, t->rec.thread_id, options, status, t->rec.subject);
	json_decref(options);
}

static void task_freed(uv_handle_t *h)
{
	struct task *t = h->data;

	task_record_clear(&t->rec);
	codex_options_clear(&t->options);
	free(t->prompt);
	free(t->last_command);
	free(t->place_root);
	free(t->moved_to);
	json_decref(t->stall);
	json_decref(t->commands);
	json_decref(t->files);
	free(t);
}

static const char *ending_status(enum task_ending e, enum codex_turn_status s)
{
	switch (e) {
	case TASK_KILLED:
		return "killed";
	case TASK_TIMED_OUT:
		return "timed_out";
	case TASK_CANCELLED:
		return "cancelled";
	case TASK_STOPPED:
		return "failed";
	default:
		return s == CODEX_TURN_COMPLETED ? "completed" : "failed";
	}
}

static json_t *build_report(struct task *t, const struct codex_outcome *out)
{
	uint64_t ms = t->started_mono ? uv_now(t->runner->cfg.loop) - t->started_mono : 0;
	json_t *report =
	    json_pack("{s:s, s:f, s:{s:I, s:I, s:I, s:I}, s:O, s:O}", "status", t->rec.status,
	              "duration_seconds", (double)ms / 1000.0, "usage", "input_tokens",
	              (json_int_t)out->usage.input_tokens, "cached_input_tokens",
	              (json_int_t)out->usage.cached_input_tokens, "output_tokens",
	              (json_int_t)out->usage.output_tokens, "reasoning_output_tokens",
	              (json_int_t)out->usage.reasoning_output_tokens, "commands", t->commands,
	              "files_changed", t->files);

	if (!report)
		return NULL;
	if (t->n_commands > json_array_size(t->commands))
		json_object_set_new(report, "commands_total",
		                    json_integer((json_int_t)t->n_commands));
	if (t->asked || t->unasked)
		json_object_set_new(report, "approvals",
		                    json_pack("{s:i, s:i, s:i, s:i}", "asked", t->asked, "approved",
		                              t->approved, "declined", t->declined,
		                              "declined_unasked", t->unasked));
	if (out->term_signal)
		json_object_set_new(report, "signal", json_integer(out->term_signal));
	else if (t->started_mono && out->exited)
		json_object_set_new(report, "exit_code", json_integer(out->exit_status));
	/* Whatever backend produced the events, the report is masked as a whole. */
	if (redact_active()) {
		json_t *masked = redact_json(report);
		json_decref(report);
		report = masked;
	}
	return report;
}

/* Codex's last message, masked, and what the caller must know of approvals it never saw. */
static char *with_approval_note(const struct task *t, const char *message)
{
	char note[200], *out, *masked = redact(message);
	int n;

	if (!t->unasked || !masked)
		return masked;
	n = snprintf(note, sizeof note,
	             "%s[codex-mcp: %u approval%s needed and declined: this client cannot answer "
	             "elicitation requests]",
	             masked[0] ? "\n\n" : "", t->unasked, t->unasked == 1 ? " was" : "s were");
	if (n < 0 || !(out = malloc(strlen(masked) + (size_t)n + 1)))
		return masked;
	sprintf(out, "%s%s", masked, note);
	free(masked);
	return out;
}

static void drop_questions(struct task *t)
{
	while (t->questions) {
		struct question *q = t->questions;
		t->questions = q->next;
		free(q);
	}
	t->waiting = 0;
}

/*
 * The end of a task, once its last record has been written (or the store has
 * not taken it in time): its callers are answered after the record says what
 * they are told, and a stopping server waits for it.
 */
static void saved_at_end(void *data, bool saved)
{
	struct task *t = data;
	struct runner *r = t->runner;

	(void)saved; /* runner_save_failed() tells whoever must know */
	r->n_live--;
	/* An observer may unobserve itself (or others) as it is told. */
	struct task *outer = r->ending;
	r->ending = t;
	while (t->observers) {
		struct task_observer *o = t->observers;
		t->observers = o->next;
		o->next = NULL;
		if (o->finished)
			o->finished(o->data, t);
	}
	r->ending = outer;
	uv_close((uv_handle_t *)&t->tick, task_freed);

	r->fleet_full = false; /* a place in the fleet, too */
	schedule(r);
	if (r->n_live == 0 && r->cfg.idle)
		r->cfg.idle(r->cfg.idle_data);
}

/* The answer and the last record, once everything the task did is known. */
static void record_end(struct task *t)
{
	if (t->result && !t->rec.result)
		t->rec.result = t->result(t);
	if (t->taken) {
		saved_at_end(t, true);
		return;
	}
	/* Last: the write may be answered at once, and t with it. */
	writes_task(t->runner->writes, &t->rec, saved_at_end, t);
}

static void place_work_free(struct place_work *w)
{
	free(w->root);
	free(w->id);
	free(w->cwd);
	free(w->cwd_out);
	json_decref(w->info);
	free(w);
}

static void look_work(uv_work_t *req)
{
	struct place_work *w = req->data;

	w->t->place->look(w->info);
}

static void looked(uv_work_t *req, int status)
{
	struct place_work *w = req->data;
	struct task *t = w->t;

	(void)status;
	json_decref(t->rec.worktree);
	t->rec.worktree = w->info;
	w->info = NULL;
	place_work_free(w);
	record_end(t);
}

/* Looks at what the run left in its place, off the loop; 0 when record_end() follows. */
static int look_at_place(struct task *t)
{
	struct place_work *w;

	if (!t->rec.worktree || !t->place || !t->place->look || !(w = calloc(1, sizeof *w)))
		return -1;
	w->req.data = w;
	w->t = t;
	w->info = json_deep_copy(t->rec.worktree);
	if (w->info && uv_queue_work(t->runner->cfg.loop, &w->req, look_work, looked) == 0)
		return 0;
	place_work_free(w);
	return -1;
}

/* The one way a task ends, whether it ran or not. */
static void finish(struct task *t, const struct codex_outcome *out)
{
	struct runner *r = t->runner;
	const char *reason = out->error;

	t->finishing = true;
	t->turn = NULL;
	drop_questions(t); /* what was asked went with the turn */
	if (t->in_running) {
		list_remove(&r->running, t);
		r->n_running--;
		if (t->group)
			t->group->running--;
	} else {
		list_remove(&r->queue, t);
		list_remove(&r->moved, t); /* taken, and told where as it ends */
	}
	uv_timer_stop(&t->tick);
	if (t->reading)
		t->reading->t = NULL;

	set_status(t, ending_status(t->ending, out->status));
	if (t->ending == TASK_STOPPED && t->taken)
		reason = "server is stopping; the task goes on on the replica that took it, where "
		         "any replica reads it";
	else if (t->ending == TASK_STOPPED)
		reason = "server stopped";
	else if (t->ending == TASK_TIMED_OUT)
		reason = t->stall_killed ? "killed after stalling" : "timed out";
	else if (t->ending == TASK_KILLED)
		reason = "killed by kill_agent";
	else if (!reason && t->ending == TASK_CANCELLED)
		reason = t->in_running ? "cancelled by the client"
		                       : "cancelled by the client before it started";
	else if (!reason)
		reason = t->rec.status; /* a failure must say something */
	if (!t->rec.thread_id && out->thread_id)
		t->rec.thread_id = strdup(out->thread_id);
	free(t->rec.output);
	t->rec.output = with_approval_note(t, out->final_message);
	free(t->rec.error);
	t->rec.error = strcmp(t->rec.status, "completed") == 0 ? NULL : redact(reason);
	json_decref(t->rec.report);
	t->rec.report = build_report(t, out);
	t->rec.completed_at = store_now_ms();
	t->rec.last_activity = t->last_output_ms ? t->last_output_ms : t->rec.created_at;
	remember_thread(t, t->rec.status);

	if (out->term_signal)
		agent_log_printf(t->log, "ended: %s (killed by signal %d)", t->rec.status,
		                 out->term_signal);
	else if (!out->exited)
		agent_log_printf(t->log, "ended: %s%s%s", t->rec.status, t->rec.error ? ": " : "",
		                 t->rec.error ? t->rec.error : "");
	else
		agent_log_printf(t->log, "ended: %s (exit status %lld)%s%s", t->rec.status,
		                 (long long)out->exit_status, t->rec.error ? ": " : "",
		                 t->rec.error ? t->rec.error : "");
	agent_log_close(t->log);
	t->log = NULL;
	log_info("task %s %s", t->rec.id, t->rec.status);
	if (look_at_place(t) != 0)
		record_end(t);
}

static void record_event(struct task *t, const struct codex_event *ev)
{
	if (ev->type == CODEX_EVENT_THREAD_STARTED && ev->thread_id && !t->rec.thread_id) {
		t->rec.thread_id = strdup(ev->thread_id);
		remember_thread(t, "running");
		save(t);
	}
	if (ev->item_type == CODEX_ITEM_COMMAND && ev->command) {
		if (ev->type == CODEX_EVENT_ITEM_STARTED) {
			free(t->last_command);
			t->last_command = strdup(ev->command);
		} else if (ev->type == CODEX_EVENT_ITEM_COMPLETED) {
			/* A run may run a million commands; the report keeps the first ones. */
			if (json_array_size(t->commands) < REPORT_MAX_ITEMS) {
				size_t len =
				    text_utf8_prefix(ev->command, strlen(ev->command), 240);
				json_t *entry = json_pack("{s:s%}", "command", ev->command, len);
				if (ev->has_exit_code)
					json_object_set_new(entry, "exit_code",
					                    json_integer(ev->exit_code));
				json_array_append_new(t->commands, entry);
			}
			t->n_commands++;
		}
	}
	if (ev->item_type == CODEX_ITEM_FILE_CHANGE && ev->type == CODEX_EVENT_ITEM_COMPLETED) {
		size_t i;
		json_t *change;
		json_array_foreach(ev->changes, i, change)
		{
			json_t *path = json_object_get(change, "path");
			size_t k;
			json_t *seen;
			bool known = false;
			json_array_foreach(t->files, k, seen) known =
			    known || json_equal(seen, path);
			if (json_is_string(path) && !known &&
			    json_array_size(t->files) < REPORT_MAX_ITEMS)
				json_array_append(t->files, path);
		}
	}
}

static size_t client_backlog(const struct runner *r)
{
	return r->cfg.backlog ? r->cfg.backlog(r->cfg.backlog_data) : 0;
}

/* The most that one of the task's observers has still to deliver. */
static size_t call_backlog(const struct task *t)
{
	size_t most = 0;

	for (const struct task_observer *o = t->observers; o; o = o->next)
		if (o->backlog) {
			size_t n = o->backlog(o->data);
			most = n > most ? n : most;
		}
	return most;
}

static void drain_poll(uv_timer_t *h)
{
	struct runner *r = h->data;
	bool waiting = false;

	if (client_backlog(r) > BACKLOG_LOW)
		return;
	for (struct task *t = r->running; t; t = t->next) {
		if (!t->paused || !t->turn)
			continue;
		if (call_backlog(t) > CALL_BACKLOG_LOW) {
			waiting = true;
			continue;
		}
		t->paused = false;
		codex_turn_resume(r->cfg.backend, t->turn);
	}
	if (!waiting) {
		uv_timer_stop(h);
		r->draining = false;
	}
}

/*
 * A client slower than Codex must not make us buffer without bound: stop reading for a
 * while. The whole client's backlog pauses every run; a call's own stream, its run.
 */
static void throttle(struct task *t)
{
	struct runner *r = t->runner;
	size_t call = 0, all = 0;

	if (t->paused || !t->turn ||
	    ((call = call_backlog(t)) < CALL_BACKLOG_HIGH &&
	     (all = client_backlog(r)) < BACKLOG_HIGH))
		return;
	t->paused = true;
	log_debug("task %s paused: the client has not read %zu bytes yet", t->rec.id,
	          call > all ? call : all);
	codex_turn_pause(r->cfg.backend, t->turn);
	if (!r->draining) {
		r->draining = true;
		uv_timer_start(&r->drain, drain_poll, BACKLOG_POLL_MS, BACKLOG_POLL_MS);
	}
}

static void on_event(void *data, const struct codex_event *ev)
{
	struct task *t = data;
	char message[512];

	t->last_output_mono = uv_now(t->runner->cfg.loop);
	t->last_output_ms = runner_now_ms(t->runner);
	if (t->ending != TASK_ENDED_NATURALLY) {
		/* Being stopped: its output is read only so that it can be reaped. */
		record_event(t, ev);
		return;
	}
	if (t->stall) {
		json_decref(t->stall);
		t->stall = NULL;
		agent_log_printf(t->log, "output again after a stall");
	}
	record_event(t, ev);
	if (codex_event_describe(ev, t->options.cwd, message, sizeof message)) {
		/* Only a cut needs care not to split a character. */
		size_t len = strlen(message);
		size_t keep = len < sizeof t->last_message
		                  ? len
		                  : text_utf8_prefix(message, len, sizeof t->last_message - 1);
		memcpy(t->last_message, message, keep);
		t->last_message[keep] = '\0';
		/* One line per event, short enough that a flood does not become a flood of log. */
		agent_log_line(t->log, message,
		               len <= 240 ? len : text_utf8_prefix(message, len, 240));
		tell(t, ev, message);
	} else {
		tell(t, ev, NULL);
	}
	throttle(t);
}

static void on_stderr(void *data, const char *line, size_t len)
{
	struct task *t = data;

	t->last_output_mono = uv_now(t->runner->cfg.loop);
	t->last_output_ms = runner_now_ms(t->runner);
	agent_log_printf(t->log, "stderr: %.*s", (int)(len > 2000 ? 2000 : len), line);
}

static void on_done(void *data, const struct codex_outcome *out)
{
	struct task *t = data;

	if (t->signal_used && out->term_signal == SIGKILL)
		t->signal_used = "SIGKILL"; /* SIGTERM was not enough */
	finish(t, out);
}

/* Gives Codex the answer to question id, and tells whoever still asks it. */
static int settle(struct task *t, uint64_t id, enum codex_decision d)
{
	struct runner *r = t->runner;
	struct question **p = &t->questions, *q;

	while (*p && (*p)->id != id)
		p = &(*p)->next;
	if (!(q = *p))
		return -ENOENT;
	*p = q->next;
	free(q);
	codex_turn_answer(r->cfg.backend, t->turn, id, d);
	if (--t->waiting == 0) {
		uint64_t now = uv_now(r->cfg.loop);
		t->waited_ms += now - t->waiting_mono;
		t->last_output_mono = now; /* quiet while a person thought is no stall */
	}
	for (struct task_observer *o = t->observers; o; o = o->next)
		if (o->settled)
			o->settled(o->data, t, id);
	return 0;
}

/* Unanswered past --approval-timeout: declined, so nothing waits for good. */
static void expire_questions(struct task *t, uint64_t now)
{
	uint64_t limit = (uint64_t)t->runner->cfg.approval_timeout_s * 1000;
	struct question *q = t->questions;

	while (limit && q) {
		struct question *next = q->next;
		if (now - q->asked_mono >= limit) {
			agent_log_printf(t->log, "an approval went unanswered for %us: declined",
			                 t->runner->cfg.approval_timeout_s);
			t->declined++;
			settle(t, q->id, CODEX_DECLINE);
			tell(t, NULL, "an approval went unanswered: declined");
			next = t->questions; /* settle changed the list */
		}
		q = next;
	}
}

/* A question someone took: the other observers may show it, unless it was answered already. */
static void announce(struct task *t, const struct codex_question *q)
{
	struct question *held = t->questions;

	while (held && held->id != q->id)
		held = held->next;
	for (struct task_observer *o = t->observers; held && o; o = o->next)
		if (o->asked)
			o->asked(o->data, t, q);
}

static void on_ask(void *data, const struct codex_question *q)
{
	struct task *t = data;
	struct runner *r = t->runner;
	char message[400];

	if (q->kind == CODEX_ASK_COMMAND)
		snprintf(message, sizeof message, "waiting for approval to run: %.300s",
		         q->command ? q->command : "a command");
	else
		snprintf(message, sizeof message, "waiting for approval to change files");
	text_sanitize_inplace(message);
	struct question *held = calloc(1, sizeof *held);

	/* Held first: an observer may be answered before its ask returns. */
	if (held) {
		*held = (struct question){q->id, uv_now(r->cfg.loop), t->questions};
		t->questions = held;
		if (t->waiting++ == 0)
			t->waiting_mono = held->asked_mono;
	}
	for (struct task_observer *o = t->observers; held && o; o = o->next) {
		if (!o->ask || t->ending != TASK_ENDED_NATURALLY || !o->ask(o->data, t, q))
			continue;
		t->asked++;
		agent_log_printf(t->log, "%s", message);
		tell(t, NULL, message);
		announce(t, q);
		return;
	}
	t->unasked++;
	agent_log_printf(t->log, "declined, with nobody to ask: %s", message + 8);
	tell(t, NULL, "an approval was needed and declined: the client cannot answer");
	if (held)
		settle(t, q->id, CODEX_DECLINE);
	else
		codex_turn_answer(r->cfg.backend, t->turn, q->id, CODEX_DECLINE);
}

int task_answer(struct task *t, uint64_t id, enum codex_decision d)
{
	static const char *const said[] = {"approved", "approved for the session", "declined",
	                                   "cancelled"};
	int rc;

	if (!t->turn)
		return -ENOENT;
	if ((rc = settle(t, id, d)) != 0)
		return rc;
	if (d == CODEX_ACCEPT || d == CODEX_ACCEPT_FOR_SESSION)
		t->approved++;
	else
		t->declined++;
	agent_log_printf(t->log, "%s", said[d]);
	tell(t, NULL, said[d]);
	return 0;
}

int task_steer(struct task *t, const char *prompt, void (*done)(void *data, const char *error),
               void *data)
{
	int rc;

	if (!t->turn || t->ending != TASK_ENDED_NATURALLY)
		return t->turn ? -EAGAIN : -ENOENT;
	rc = codex_turn_steer(t->runner->cfg.backend, t->turn, prompt, done, data);
	if (rc == 0)
		agent_log_printf(t->log, "steered: a message of %zu bytes", strlen(prompt));
	return rc;
}

unsigned task_waiting(const struct task *t)
{
	return t->waiting;
}

static void stalled(struct task *t, uint64_t quiet_ms)
{
	pid_t pid = codex_turn_host(t->runner->cfg.backend, t->turn);
	json_t *procs = pid ? proc_tree_report(pid) : NULL;
	char message[600];

	t->stall = json_pack("{s:b, s:I, s:o?, s:s?}", "stalled", 1, "quiet_seconds",
	                     (json_int_t)(quiet_ms / 1000), "process", procs, "last_command",
	                     t->last_command);
	if (t->stall && redact_active()) {
		json_t *masked = redact_json(t->stall);
		json_decref(t->stall);
		t->stall = masked;
	}
	const char *state = json_string_value(json_object_get(procs, "state"));

	snprintf(message, sizeof message, "stalled: no output for %llus%s%s%s%.300s",
	         (unsigned long long)(quiet_ms / 1000), pid ? "; codex is " : "",
	         pid ? (state ? state : "gone") : "", t->last_command ? "; last command: " : "",
	         t->last_command ? t->last_command : "");
	agent_log_printf(t->log, "%s", message);
	log_warn("task %s %s", t->rec.id, message);
	tell(t, NULL, message);
}

static void on_tick(uv_timer_t *h)
{
	struct task *t = h->data;
	struct runner *r = t->runner;
	uint64_t now = uv_now(r->cfg.loop);
	uint64_t quiet;

	agent_log_flush(t->log);
	if (!t->turn || t->ending != TASK_ENDED_NATURALLY)
		return;
	/* Not reading a run paused for its client is our doing, and a person's thinking
	 * is theirs: neither is a stall, nor counts against the timeout. */
	if (t->waiting)
		expire_questions(t, now);
	if (t->paused || t->waiting)
		t->last_output_mono = now;
	quiet = now - t->last_output_mono;
	if (!t->stall && r->cfg.stall_s && quiet >= (uint64_t)r->cfg.stall_s * 1000)
		stalled(t, quiet);
	uint64_t waited = t->waited_ms + (t->waiting ? now - t->waiting_mono : 0);
	if (t->timeout_s && now - t->started_mono - waited >= (uint64_t)t->timeout_s * 1000) {
		agent_log_printf(t->log, "timed out after %us", t->timeout_s);
		task_kill(t, TASK_TIMED_OUT, r->cfg.kill_grace_ms);
		return;
	}
	if (t->stall && r->cfg.kill_stalled_after_s &&
	    quiet >= (uint64_t)(r->cfg.stall_s + r->cfg.kill_stalled_after_s) * 1000) {
		agent_log_printf(t->log, "killed: stalled for %llus",
		                 (unsigned long long)(quiet / 1000));
		t->stall_killed = true;
		task_kill(t, TASK_TIMED_OUT, r->cfg.kill_grace_ms);
		return;
	}
	if (now - t->last_progress_mono >= r->cfg.heartbeat_ms) {
		char message[400];
		snprintf(message, sizeof message, "working (%llus)%s%s",
		         (unsigned long long)((now - t->started_mono) / 1000),
		         t->last_message[0] ? ", last: " : "", t->last_message);
		text_sanitize_inplace(message);
		tell(t, NULL, message);
	}
}

static void open_log(struct task *t)
{
	char err[512], queued[40];
	time_t at = (time_t)(t->rec.created_at / 1000);
	struct tm tm;

	if (!t->rec.log_file)
		return;
	t->log = agent_log_open(t->rec.log_file, t->runner->cfg.log_max_bytes, err, sizeof err);
	if (!t->log) {
		log_warn("task %s runs without a log: %s", t->rec.id, err);
		return;
	}
	gmtime_r(&at, &tm);
	strftime(queued, sizeof queued, "%Y-%m-%dT%H:%M:%SZ", &tm);
	agent_log_printf(t->log, "task %s (%s) queued at %s%s%s", t->rec.id, t->rec.tool, queued,
	                 t->rec.thread_id ? " for thread " : "",
	                 t->rec.thread_id ? t->rec.thread_id : "");
}

static void start(struct task *t)
{
	struct runner *r = t->runner;
	struct codex_turn_request req = {
	    .options = &t->options,
	    .prompt = t->prompt,
	    .prompt_len = t->prompt_len,
	    .thread_id = t->new_thread ? NULL : t->rec.thread_id,
	};
	struct codex_turn_hooks hooks = {
	    .event = on_event, .stderr_line = on_stderr, .done = on_done, .ask = on_ask, .data = t};
	char *error = NULL;
	char message[128];

	open_log(t);
	list_remove(&r->queue, t);
	t->next = r->running;
	r->running = t;
	t->in_running = true;
	r->n_running++;
	if (t->group)
		t->group->running++;
	t->started_mono = t->last_output_mono = t->last_progress_mono = uv_now(r->cfg.loop);
	t->rec.started_at = t->last_output_ms = runner_now_ms(r);

	if (codex_turn_start(r->cfg.backend, &req, &hooks, &t->turn, &error) != 0) {
		struct codex_outcome out = {.status = CODEX_TURN_FAILED,
		                            .error = error ? error : "cannot start Codex",
		                            .final_message = ""};
		agent_log_printf(t->log, "cannot start: %s", out.error);
		t->started_mono = 0; /* it never ran: no duration, no exit code */
		finish(t, &out);
		free(error);
		return;
	}
	set_status(t, "running");
	t->rec.pid = codex_turn_pid(r->cfg.backend, t->turn);
	save(t);
	/* A new thread is recorded once Codex names it; a resumed one is known already. */
	if (!t->new_thread)
		remember_thread(t, "running");
	if (t->rec.pid)
		snprintf(message, sizeof message, "started (pid %lld)", (long long)t->rec.pid);
	else
		snprintf(message, sizeof message, "started");
	agent_log_printf(t->log, "%s in %s", message, t->options.cwd ? t->options.cwd : ".");
	tell(t, NULL, message);

	/* A quarter second: a stall or a timeout is noticed within that of happening. */
	unsigned every = r->cfg.heartbeat_ms < 250 ? r->cfg.heartbeat_ms : 250;
	uv_timer_start(&t->tick, on_tick, every, every);
}

/* A run of the thread is running (or, with stopping, also one being stopped). */
static bool thread_running(struct runner *r, const char *thread_id, bool stopping)
{
	for (struct task *t = r->running; t; t = t->next)
		if (t->rec.thread_id && strcmp(t->rec.thread_id, thread_id) == 0 &&
		    (stopping || t->ending == TASK_ENDED_NATURALLY))
			return true;
	return false;
}

static void move_away(struct task *t);
static void end_taken(struct task *t);
static void withdraw(struct task *t);

/*
 * Another replica took t from its offer (owner, when known): t follows it there,
 * or, on a stopping server, ends here while the run goes on there.
 */
static void taken_by(struct task *t, const char *owner)
{
	struct runner *r = t->runner;

	t->taken = true;
	if (!t->moved_to && owner)
		t->moved_to = strdup(owner);
	if (r->stopping)
		end_taken(t);
	else if (t->moved_to)
		move_away(t);
	/* else runner_moved() says where */
	schedule(r);
}

/* The fleet's answer for a queued task (cfg.admit): RUNNER_ADMIT_*. */
static void admitted(struct task *t, int verdict, const char *owner)
{
	struct runner *r = t->runner;
	bool yes = verdict == RUNNER_ADMIT_YES;

	t->admitting = false;
	if (verdict == RUNNER_ADMIT_TAKEN || t->taken) {
		taken_by(t, owner);
		return;
	}
	if (t->ending != TASK_ENDED_NATURALLY && t->offered && !yes && r->cfg.withdraw) {
		withdraw(t); /* no place, so its offer stands: it must be withdrawn */
		return;
	}
	if (t->ending != TASK_ENDED_NATURALLY) {
		/* Stopped while it asked: it ends without starting. A place it took is freed by
		 * its record, which ends. */
		struct codex_outcome out = {.status = CODEX_TURN_CANCELLED, .final_message = ""};
		open_log(t);
		agent_log_printf(t->log, "removed from the queue");
		finish(t, &out);
		return;
	}
	if (yes) {
		t->admitted = true;
	} else {
		r->fleet_full = true;
		if (!t->told_fleet) {
			t->told_fleet = true;
			tell(t, NULL,
			     "queued: the fleet runs as many agents as --fleet-max-agents allows");
		}
	}
	schedule(r);
}

static bool status_terminal(const char *status)
{
	return status && strcmp(status, "queued") != 0 && strcmp(status, "running") != 0;
}

/*
 * A moved task ends with its owner's record (rec), or, when rec is NULL, with
 * why; its callers are told, and nothing is written: the record is the owner's.
 */
static void end_moved(struct task *t, const struct task_record *rec, const char *why)
{
	struct runner *r = t->runner;
	char id[sizeof t->rec.id];

	t->finishing = true;
	list_remove(&r->moved, t);
	uv_timer_stop(&t->tick);
	if (t->reading)
		t->reading->t = NULL;
	snprintf(id, sizeof id, "%s", t->rec.id);
	if (rec) {
		task_record_clear(&t->rec);
		if (task_record_copy(&t->rec, rec) == 0) {
			saved_at_end(t, true);
			return;
		}
		snprintf(t->rec.id, sizeof t->rec.id, "%s", id);
		why = "out of memory";
	}
	set_status(t, "failed");
	free(t->rec.error);
	t->rec.error = strdup(why);
	json_decref(t->rec.result);
	t->rec.result = NULL; /* built from the error, by record_end() */
	t->rec.completed_at = store_now_ms();
	record_end(t);
}

static int read_work(struct store *s, void *data)
{
	struct moved_read *m = data;

	m->found = store_get_task(s, m->id, &m->rec);
	return m->found < 0 ? -1 : 0;
}

static void read_done(void *data, int rc, const char *error)
{
	struct moved_read *m = data;
	struct task *t = m->t;
	char message[300];

	if (t)
		t->reading = NULL;
	if (!t || rc != 0) {
		if (t)
			log_debug("task %s: cannot read its record for now: %s", m->id,
			          error ? error : "?");
		if (m->found == 1)
			task_record_clear(&m->rec);
		free(m);
		return;
	}
	if (m->found == 0) {
		end_moved(t, NULL, "its record is gone");
	} else if (status_terminal(m->rec.status)) {
		end_moved(t, &m->rec, NULL);
	} else if (m->rec.last_activity != t->seen_activity) {
		/* Its replica records activity every second: that is progress here. */
		t->seen_activity = m->rec.last_activity;
		snprintf(message, sizeof message, "%s on replica %.200s", m->rec.status,
		         t->moved_to);
		tell(t, NULL, message);
	}
	if (m->found == 1)
		task_record_clear(&m->rec);
	free(m);
}

/* A moved task's record is looked at this often: it is all there is to see of it here. */
enum { MOVED_POLL_MS = 250 };

static void look_moved(uv_timer_t *h)
{
	struct task *t = h->data;
	struct moved_read *m;

	/* One read at a time: a slow database slows the looking, no more. */
	if (t->reading || !(m = calloc(1, sizeof *m)))
		return;
	m->t = t;
	snprintf(m->id, sizeof m->id, "%s", t->rec.id);
	t->reading = m;
	if (store_submit_read(t->runner->cfg.store, read_work, read_done, m) != 0) {
		t->reading = NULL;
		free(m);
	}
}

/* A moved task is stopped where it runs; it ends here once its record says so. */
static void stop_moved(struct task *t)
{
	store_ask_cancel_later(t->runner->cfg.store, t->moved_to, t->rec.id,
	                       t->kill_how == TASK_KILLED ? "killed" : "cancelled");
}

/* The task, taken, leaves the queue for the list of moved ones; its callers hear where. */
static void move_away(struct task *t)
{
	struct runner *r = t->runner;
	char message[300];

	list_remove(&r->queue, t);
	t->next = r->moved;
	r->moved = t;
	free(t->rec.owner);
	t->rec.owner = strdup(t->moved_to);
	log_info("task %s: taken by replica %s, which has room", t->rec.id, t->moved_to);
	snprintf(message, sizeof message,
	         "queued: taken by replica %.200s, which has room; it runs there", t->moved_to);
	tell(t, NULL, message);
	uv_timer_start(&t->tick, look_moved, MOVED_POLL_MS, MOVED_POLL_MS);
	/* Killed while it was being taken: it is stopped where it went. */
	if (t->kill_how != TASK_ENDED_NATURALLY)
		stop_moved(t);
}

void runner_moved(struct runner *r, const char *id, const char *owner)
{
	struct task *t;

	for (t = r->queue; t && strcmp(t->rec.id, id) != 0; t = t->next)
		;
	if (!t || t->turn || t->moved_to || !(t->moved_to = strdup(owner))) {
		if (!t)
			log_debug("task %s: taken by replica %s, but it is not queued here", id,
			          owner);
		return;
	}
	t->taken = true;
	/* Asking the fleet for it now: the answer moves it (admitted(), withdrawn()). */
	if (!t->admitting)
		taken_by(t, owner);
}

unsigned runner_room(const struct runner *r)
{
	unsigned waiting = 0;

	for (const struct task *t = r->queue; t; t = t->next)
		waiting += !t->taken;
	return r->n_running + waiting < r->cfg.max_running
	           ? r->cfg.max_running - r->n_running - waiting
	           : 0;
}

json_t *task_request(const struct task *t)
{
	json_t *options = codex_options_to_json(&t->options);
	json_t *req = options ? json_pack("{s:s, s:s%, s:o, s:I, s:I, s:I, s:s?}", "tool",
	                                  t->rec.tool, "prompt", t->prompt, t->prompt_len,
	                                  "options", options, "timeout_s", (json_int_t)t->timeout_s,
	                                  "ttl_ms", (json_int_t)t->rec.ttl_ms, "created_at",
	                                  (json_int_t)t->rec.created_at, "subject", t->rec.subject)
	                      : NULL;

	return req;
}

void runner_fleet_room(struct runner *r)
{
	if (!r->fleet_full)
		return;
	r->fleet_full = false;
	schedule(r);
}

/* Whether another replica could run t: a new thread, in no group, working in its cwd. */
static bool offerable(const struct task *t)
{
	const char *policy = t->options.approval_policy;

	if (!t->new_thread || t->group || t->place || t->offered || t->no_offer || t->recording ||
	    t->admitting || t->preparing || t->taken || t->turn ||
	    t->ending != TASK_ENDED_NATURALLY)
		return false;
	/* Questions reach only the callers here: a run whose callers could answer stays. */
	if (policy && strcmp(policy, "never") == 0)
		return true;
	for (const struct task_observer *o = t->observers; o; o = o->next)
		if (o->can_ask && o->can_ask(o->data))
			return false;
	return true;
}

/* Runs that wait for a place here are offered to replicas that may have one (cfg.offer). */
static void offer_waiting(struct runner *r)
{
	if (!r->cfg.offer || r->stopping || r->n_running < r->cfg.max_running)
		return;
	for (struct task *t = r->queue; t; t = t->next)
		if (offerable(t)) {
			t->offered = true;
			r->cfg.offer(r->cfg.offer_data, t);
		}
}

static void schedule(struct runner *r)
{
	if (r->scheduling) {
		r->reschedule = true;
		return;
	}
	r->scheduling = true;
	do {
		r->reschedule = false;
		struct task *t = r->queue;
		while (t && r->n_running < r->cfg.max_running) {
			/* Runs start in the order they came: none before an older one is recorded.
			 */
			if (t->recording)
				break;
			if (t->taken || (t->offered && t->ending != TASK_ENDED_NATURALLY)) {
				t = t->next; /* another replica's, or being withdrawn */
				continue;
			}
			/* A reply waits for its thread's run that is still being stopped. */
			if (t->preparing ||
			    (t->group && t->group->running >= t->group->max_running) ||
			    (!t->new_thread && t->rec.thread_id &&
			     thread_running(r, t->rec.thread_id, true))) {
				t = t->next;
				continue;
			}
			/* The fleet's limit, in the queue's order: the next waits for this one. */
			if (r->cfg.admit && !t->admitted) {
				if (!t->admitting && !r->fleet_full) {
					t->admitting = true;
					r->cfg.admit(r->cfg.admit_data, t, admitted);
				}
				break;
			}
			start(t);
			t = r->queue; /* the queue changed under us */
		}
	} while (r->reschedule);
	r->scheduling = false;
	offer_waiting(r);
}

static void make_work(uv_work_t *req)
{
	struct place_work *w = req->data;

	w->rc =
	    w->t->place->make(w->root, w->id, w->cwd, &w->cwd_out, &w->info, w->err, sizeof w->err);
}

/* Its place is made (or not): the task may start, or ends without starting. */
static void made(uv_work_t *req, int status)
{
	struct place_work *w = req->data;
	struct task *t = w->t;
	struct runner *r = t->runner;
	bool stopped = t->ending != TASK_ENDED_NATURALLY;
	char why[600];
	struct codex_outcome out = {.status = w->rc ? CODEX_TURN_FAILED : CODEX_TURN_CANCELLED,
	                            .error = w->rc ? why : NULL,
	                            .final_message = ""};

	(void)status;
	snprintf(why, sizeof why, "cannot make the agent's worktree: %s", w->err);
	t->preparing = false;
	if (w->rc == 0) {
		/* Made, even for a task stopped meanwhile: its record names it, for pruning. */
		free(t->options.cwd);
		t->options.cwd = w->cwd_out;
		w->cwd_out = NULL;
		free(t->rec.cwd);
		t->rec.cwd = strdup(t->options.cwd);
		t->rec.worktree = w->info;
		w->info = NULL;
	}
	if (stopped || w->rc != 0) {
		open_log(t); /* its log says what became of it */
		agent_log_printf(t->log, "%s", w->rc ? why : "removed from the queue");
		finish(t, &out);
	} else {
		save(t);
	}
	place_work_free(w);
	schedule(r);
}

/* Makes the task's place off the loop; the task waits in the queue meanwhile. */
static void prepare(struct task *t)
{
	struct place_work *w = calloc(1, sizeof *w);
	struct codex_outcome out = {.status = CODEX_TURN_FAILED,
	                            .error = "cannot make the agent's worktree: out of memory",
	                            .final_message = ""};

	if (w) {
		w->req.data = w;
		w->t = t;
		w->root = strdup(t->place_root ? t->place_root : "");
		w->id = strdup(t->rec.id);
		w->cwd = strdup(t->options.cwd ? t->options.cwd : ".");
	}
	if (w && w->root && w->id && w->cwd &&
	    uv_queue_work(t->runner->cfg.loop, &w->req, make_work, made) == 0) {
		t->preparing = true;
		return;
	}
	if (w)
		place_work_free(w);
	finish(t, &out);
}

/*
 * A task runs only once its record is taken: what the store cannot keep, the
 * server does not start. Killed or stopped meanwhile, it ends without starting.
 */
static void first_recorded(void *data, bool saved)
{
	struct task *t = data;
	struct runner *r = t->runner;
	char why[400];

	t->recording = false;
	if (t->ending != TASK_ENDED_NATURALLY || !saved) {
		const char *store_word = writes_failed(r->writes, t->rec.id);
		struct codex_outcome out = {.status = CODEX_TURN_CANCELLED, .final_message = ""};
		if (!saved && t->ending == TASK_ENDED_NATURALLY) {
			snprintf(why, sizeof why, "cannot record the task: %s",
			         store_word ? store_word : "the database did not answer in time");
			out = (struct codex_outcome){.status = CODEX_TURN_FAILED, .error = why};
		}
		open_log(t); /* its log says what became of it */
		agent_log_printf(t->log, "not started: %s",
		                 out.error ? out.error : "stopped before it was recorded");
		finish(t, &out);
		return;
	}
	/* Its place (a worktree) is made once it is recorded, so that its record names it. */
	if (t->place)
		prepare(t);
	schedule(r);
	/* Told once it started, or is queued. An observer may unobserve itself as it is told. */
	for (struct task_observer *o = t->observers, *next; o; o = next) {
		next = o->next;
		if (o->recorded)
			o->recorded(o->data, t);
	}
	/* Even a task that failed to start stays readable until the loop turns. */
	if (!t->in_running && !t->finishing)
		tell(t, NULL,
		     t->preparing ? "making its worktree"
		                  : "queued: the server is running as many agents as it may");
}

struct task *runner_submit(struct runner *r, struct task_spec *spec, struct task_observer *obs,
                           char *err, size_t err_size)
{
	struct task *t;

	if (r->stopping) {
		snprintf(err, err_size, "server is stopping");
		return NULL;
	}
	t = calloc(1, sizeof *t);
	if (t && spec->id)
		snprintf(t->rec.id, sizeof t->rec.id, "%s", spec->id);
	if (!t || (!spec->id && task_new_id(t->rec.id) != 0)) {
		snprintf(err, err_size, t ? "no randomness for a task id" : "out of memory");
		free(t);
		return NULL;
	}
	t->runner = r;
	uv_timer_init(r->cfg.loop, &t->tick);
	t->tick.data = t;
	t->options = *spec->options;
	memset(spec->options, 0, sizeof *spec->options);
	t->prompt = malloc(spec->prompt_len + 1);
	if (t->prompt) {
		memcpy(t->prompt, spec->prompt, spec->prompt_len);
		t->prompt[spec->prompt_len] = '\0';
	}
	t->prompt_len = spec->prompt_len;
	t->new_thread = spec->resume_thread == NULL;
	t->timeout_s = spec->timeout_s ? spec->timeout_s : r->cfg.default_timeout_s;
	t->group = spec->group;
	t->result = spec->result;
	t->rec.ttl_ms = spec->ttl_ms;
	t->commands = json_array();
	t->files = json_array();
	t->rec.tool = strdup(spec->tool);
	t->rec.owner = r->cfg.owner ? strdup(r->cfg.owner) : NULL;
	t->rec.subject = spec->subject && *spec->subject ? strdup(spec->subject) : NULL;
	bool no_subject = spec->subject && *spec->subject && !t->rec.subject; /* out of memory */
	t->rec.status = strdup("queued");
	t->rec.thread_id = spec->resume_thread ? strdup(spec->resume_thread) : NULL;
	t->rec.cwd = t->options.cwd ? strdup(t->options.cwd) : NULL;
	t->place = spec->place;
	t->no_offer = spec->taken;
	t->place_root = spec->place_root ? strdup(spec->place_root) : NULL;
	/* An MCP task recorded a moment ago keeps the time it was created. */
	t->rec.created_at = t->rec.last_activity =
	    spec->created_at ? spec->created_at : store_now_ms();
	/* Named now, for the caller; opened when the run starts, so a queue holds no files. */
	t->rec.log_file = agent_log_name(r->log_dir, t->rec.id);
	if (!t->prompt || !t->rec.tool || !t->rec.status || !t->commands || !t->files ||
	    no_subject) {
		snprintf(err, err_size, "cannot record the task: out of memory");
		agent_log_close(t->log);
		uv_close((uv_handle_t *)&t->tick, task_freed);
		return NULL;
	}
	if (obs)
		task_observe(t, obs);
	if (r->watch)
		r->watch(r->watch_data, t);
	/* Append: the queue starts runs in the order they came, each once it is recorded. */
	t->recording = true;
	struct task **tail = &r->queue;
	while (*tail)
		tail = &(*tail)->next;
	*tail = t;
	r->n_live++;
	/* Last: the write may be answered at once. */
	writes_task(r->writes, &t->rec, first_recorded, t);
	return t;
}

void runner_watch(struct runner *r, void (*fn)(void *data, struct task *t), void *data)
{
	r->watch = fn;
	r->watch_data = data;
}

struct task *runner_find(struct runner *r, const char *id)
{
	for (struct task *t = r->running; t; t = t->next)
		if (strcmp(t->rec.id, id) == 0)
			return t;
	for (struct task *t = r->queue; t; t = t->next)
		if (strcmp(t->rec.id, id) == 0)
			return t;
	return NULL;
}

/* A run that is being stopped does not make its thread busy: the next waits for its end. */
bool runner_thread_busy(struct runner *r, const char *thread_id)
{
	for (struct task *t = r->queue; t; t = t->next)
		if (t->rec.thread_id && strcmp(t->rec.thread_id, thread_id) == 0)
			return true;
	return thread_running(r, thread_id, false);
}

void runner_each(struct runner *r, void (*fn)(void *data, struct task *t), void *data)
{
	for (struct task *t = r->running; t; t = t->next)
		fn(data, t);
	for (struct task *t = r->queue; t; t = t->next)
		fn(data, t);
}

void runner_flush_activity(struct runner *r)
{
	for (struct task *t = r->running; t; t = t->next) {
		if (!t->last_output_ms || t->last_output_ms <= t->rec.last_activity || t->finishing)
			continue;
		t->rec.last_activity = t->last_output_ms;
		save(t);
	}
}

int64_t runner_now_ms(struct runner *r)
{
	uint64_t loop = uv_now(r->cfg.loop);

	/* A busy loop reads thousands of events in one turn: one clock read serves them. */
	if (loop != r->clock_loop || !r->clock_ms) {
		r->clock_loop = loop;
		r->clock_ms = store_now_ms();
	}
	return r->clock_ms;
}

size_t runner_live(const struct runner *r)
{
	return r->n_live;
}

void task_observe(struct task *t, struct task_observer *obs)
{
	obs->next = t->observers;
	t->observers = obs;
}

void task_unobserve(struct task *t, struct task_observer *obs)
{
	for (struct task_observer **p = &t->observers; *p; p = &(*p)->next) {
		if (*p == obs) {
			*p = obs->next;
			obs->next = NULL;
			return;
		}
	}
}

static void withdrawn(struct task *t, int verdict, const char *owner);

/* Asks the fleet to withdraw killed, offered t (cfg.withdraw). */
static void withdraw(struct task *t)
{
	struct runner *r = t->runner;

	if (t->admitting || t->finishing)
		return;
	t->admitting = true;
	r->cfg.withdraw(r->cfg.admit_data, t, ending_status(t->ending, CODEX_TURN_FAILED),
	                withdrawn);
}

static void withdraw_again(uv_timer_t *h)
{
	withdraw(h->data);
}

/*
 * The store's word on an offered task being killed: it ends here, or the taker
 * stops it. While the store cannot say, it stays offered for all the store knows,
 * and is asked again each second: ended here, it could be taken and run elsewhere.
 * A stopping server cannot wait.
 */
static void withdrawn(struct task *t, int verdict, const char *owner)
{
	struct codex_outcome out = {.status = CODEX_TURN_CANCELLED, .final_message = ""};

	t->admitting = false;
	if (verdict == RUNNER_ADMIT_TAKEN || t->taken) {
		taken_by(t, owner);
		return;
	}
	if (verdict != RUNNER_ADMIT_YES && !t->runner->stopping) {
		uv_timer_start(&t->tick, withdraw_again, 1000, 0);
		return;
	}
	open_log(t);
	agent_log_printf(t->log, "removed from the queue");
	finish(t, &out);
}

void task_kill(struct task *t, enum task_ending why, unsigned grace_ms)
{
	if (t->finishing)
		return;
	if (t->ending == TASK_ENDED_NATURALLY || why == TASK_STOPPED)
		t->ending = why;
	if (why != TASK_STOPPED && t->kill_how == TASK_ENDED_NATURALLY)
		t->kill_how = why;
	if (t->moved_to && !t->admitting && why == TASK_STOPPED) {
		/* The server stops, not the run: it goes on where it was taken. */
		end_moved(t, NULL,
		          "server is stopping; the task goes on on the replica that took it, "
		          "where any replica reads it");
		return;
	}
	if (t->moved_to && !t->admitting) {
		stop_moved(t);
		return;
	}
	if (t->taken)
		return; /* stopped where it goes, once it is known where (move_away(), end_taken())
		         */
	if (t->recording || t->admitting)
		return; /* it ends, unstarted, once the store has answered for it */
	if (t->offered && t->runner->cfg.withdraw) {
		/*
		 * Offered, it may be taken at this moment: the fleet's lock says whether it
		 * still is this server's, and ends its record and offer at once (withdrawn()),
		 * or the taker's to stop.
		 */
		withdraw(t);
		return;
	}
	if (t->preparing)
		return; /* it ends as soon as its place is made */
	if (!t->turn) {
		/* Still queued: it ends without ever starting. */
		struct codex_outcome out = {.status = CODEX_TURN_CANCELLED, .final_message = ""};
		open_log(t); /* its log says what became of it */
		agent_log_printf(t->log, "removed from the queue");
		finish(t, &out);
		return;
	}
	t->signal_used = grace_ms == 0 ? "SIGKILL" : "SIGTERM";
	agent_log_printf(t->log, "stopping with %s", t->signal_used);
	codex_turn_cancel(t->runner->cfg.backend, t->turn, grace_ms);
	if (t->paused) {
		/* Paused for a slow client, its output would never reach its end: read it away. */
		t->paused = false;
		codex_turn_resume(t->runner->cfg.backend, t->turn);
	}
}

/*
 * A task taken by another replica ends here as the server stops; the run goes on
 * there, unless it was killed meanwhile.
 */
static void end_taken(struct task *t)
{
	struct codex_outcome out = {.status = CODEX_TURN_CANCELLED, .final_message = ""};

	if (t->kill_how != TASK_ENDED_NATURALLY && t->moved_to)
		stop_moved(t);
	t->ending = TASK_STOPPED;
	finish(t, &out);
}

static struct task *first_taken(struct task *t)
{
	while (t && !(t->taken && !t->admitting && !t->finishing))
		t = t->next;
	return t;
}

/* The first task of the queue that is not being prepared. */
static struct task *first_startable(struct task *t)
{
	while (t && (t->preparing || t->recording || t->admitting || t->taken))
		t = t->next;
	return t;
}

void runner_stop_all(struct runner *r)
{
	/* Stopping must finish within two seconds, whatever the grace setting; asked twice, now. */
	unsigned grace = r->stopping ? 0 : r->cfg.kill_grace_ms > 800 ? 800 : r->cfg.kill_grace_ms;

	struct task *t;

	r->stopping = true;
	/* Those being recorded or prepared end once the store or git has answered. */
	while ((t = first_startable(r->queue)))
		task_kill(t, TASK_STOPPED, 0);
	for (t = r->queue; t; t = t->next)
		task_kill(t, TASK_STOPPED, 0);
	for (t = r->running; t; t = t->next)
		task_kill(t, TASK_STOPPED, grace);
	while (r->moved)
		task_kill(r->moved, TASK_STOPPED, 0);
	/* Taken, but not told where yet: their callers hear the run goes on elsewhere. */
	while ((t = first_taken(r->queue)))
		end_taken(t);
	if (r->n_live == 0 && r->cfg.idle)
		r->cfg.idle(r->cfg.idle_data);
}

const struct task_record *task_record(const struct task *t)
{
	return &t->rec;
}

const char *task_signal_used(const struct task *t)
{
	return t->signal_used;
}

int64_t task_last_output(const struct task *t)
{
	return t->last_output_ms;
}

json_t *task_stall_report(const struct task *t)
{
	return t->stall;
}
