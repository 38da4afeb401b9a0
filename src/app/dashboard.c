#include "app/dashboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/agents.h"
#include "app/app.h"
#include "app/approval.h"
#include "app/fleet.h"
#include "app/http-module.h"
#include "app/visible.h"
#include "util/log.h"
#include "util/text.h"

/* Activity is counted in SPARK_N buckets of SPARK_MS: the last five minutes. */
#define SPARK_N 30
#define SPARK_MS 10000
/* How much of an agent's log the page gets when it opens the agent. */
#define LOG_TAIL_BYTES (16 * 1024)
/* Agents the overview lists: the running ones and the most recent. */
#define OVERVIEW_AGENTS 50
/* kill_agent's default: SIGTERM, then SIGKILL 5 s later. */
#define KILL_GRACE_MS 5000

/* A task being watched, from its submission to its end. */
struct watched {
	struct app_dashboard *dash;
	struct task_observer observer;
	char id[64];
	unsigned counts[SPARK_N]; /* events per bucket, the newest last */
	int64_t newest;           /* which bucket counts[SPARK_N - 1] is (ms / SPARK_MS) */
	struct watched *next;
};

/* A question some client was asked, which the page can answer too. */
struct waiting {
	char task[64];
	uint64_t id;
	char *subject;
	json_t *view;
	struct waiting *next;
};

struct app_dashboard {
	struct app *app;
	struct dashboard *web; /* NULL once freed */
	struct watched *tasks;
	struct waiting *questions;
	unsigned reading; /* the page's reads of the store still on their way */
	bool closed;      /* freed once nothing above holds it */
};

/* Once closed, the last watch or read to end frees it. */
static void maybe_free(struct app_dashboard *dash)
{
	if (dash->closed && !dash->tasks && !dash->reading)
		free(dash);
}

static void publish(struct app_dashboard *dash, const char *subject, const char *event,
                    json_t *data /* stolen */)
{
	if (dash->web && data)
		dash->app->httpm->dashboard_publish(dash->web, subject, event, data);
	json_decref(data);
}

/* Whether a page would see what subject's agents do: most of the time none is open. */
static bool watched(const struct app_dashboard *dash, const char *subject)
{
	return dash->web && dash->app->httpm->dashboard_watched(dash->web, subject);
}

/* ---- activity ---- */

static void spark_shift(struct watched *w, int64_t bucket)
{
	int64_t by = bucket - w->newest;

	if (by <= 0)
		return;
	if (by >= SPARK_N) {
		memset(w->counts, 0, sizeof w->counts);
	} else {
		memmove(w->counts, w->counts + by, (SPARK_N - (size_t)by) * sizeof w->counts[0]);
		memset(w->counts + SPARK_N - by, 0, (size_t)by * sizeof w->counts[0]);
	}
	w->newest = bucket;
}

static json_t *spark_json(struct watched *w)
{
	json_t *a = json_array();

	spark_shift(w, store_now_ms() / SPARK_MS);
	for (size_t i = 0; i < SPARK_N; i++)
		json_array_append_new(a, json_integer(w->counts[i]));
	return a;
}

static struct watched *find_watched(struct app_dashboard *dash, const char *id)
{
	for (struct watched *w = dash->tasks; w; w = w->next)
		if (strcmp(w->id, id) == 0)
			return w;
	return NULL;
}

/* An agent as the page lists it: list_agent_tasks's view, with its activity. */
static json_t *agent_view(struct app_dashboard *dash, const struct task_record *rec,
                          const struct task *live)
{
	json_t *st = agent_status(rec, live, 0, 200);
	struct watched *w = find_watched(dash, rec->id);

	json_object_del(st, "report");
	if (w)
		json_object_set_new(st, "activity", spark_json(w));
	if (live)
		json_object_set_new(st, "waiting", json_integer(task_waiting(live)));
	return st;
}

/* ---- questions ---- */

static void drop_question(struct app_dashboard *dash, const char *task, uint64_t id, bool all)
{
	for (struct waiting **p = &dash->questions; *p;) {
		struct waiting *q = *p;
		if (strcmp(q->task, task) != 0 || (!all && q->id != id)) {
			p = &q->next;
			continue;
		}
		*p = q->next;
		publish(dash, q->subject, "settled",
		        json_pack("{s:s, s:I}", "task_id", q->task, "id", (json_int_t)q->id));
		free(q->subject);
		json_decref(q->view);
		free(q);
	}
}

static void on_asked(void *data, struct task *t, const struct codex_question *q)
{
	struct watched *w = data;
	const struct task_record *rec = task_record(t);
	struct waiting *held = calloc(1, sizeof *held);
	json_t *form = approval_elicitation(q, rec->cwd);

	if (!held || !form || (rec->subject && !(held->subject = strdup(rec->subject)))) {
		json_decref(form);
		free(held);
		return;
	}
	snprintf(held->task, sizeof held->task, "%s", rec->id);
	held->id = q->id;
	held->view = json_pack("{s:s, s:I, s:s, s:O, s:s?, s:s?, s:o}", "task_id", rec->id, "id",
	                       (json_int_t)q->id, "kind",
	                       q->kind == CODEX_ASK_COMMAND ? "command" : "file_change", "message",
	                       json_object_get(form, "message"), "cwd", q->cwd ? q->cwd : rec->cwd,
	                       "reason", q->reason, "asked_at", iso_time(store_now_ms()));
	json_decref(form);
	held->next = w->dash->questions;
	w->dash->questions = held;
	publish(w->dash, rec->subject, "approval", json_incref(held->view));
}

static void on_settled(void *data, struct task *t, uint64_t id)
{
	struct watched *w = data;

	drop_question(w->dash, task_record(t)->id, id, false);
}

/* ---- the watch ---- */

static void on_progress(void *data, struct task *t, const struct codex_event *ev,
                        const char *message)
{
	struct watched *w = data;
	const struct task_record *rec = task_record(t);

	if (ev) {
		/* Codex's own events are the activity; the runner's heartbeats are not. */
		int64_t now = runner_now_ms(w->dash->app->runner);
		spark_shift(w, now / SPARK_MS);
		w->counts[SPARK_N - 1]++;
		if (message && watched(w->dash, rec->subject))
			publish(w->dash, rec->subject, "log",
			        json_pack("{s:s, s:s, s:o}", "task_id", rec->id, "line", message,
			                  "at", iso_time(now)));
		return;
	}
	if (!watched(w->dash, rec->subject))
		return;
	json_t *view = agent_view(w->dash, rec, t);
	if (view && message)
		json_object_set_new(view, "message", json_string(message));
	publish(w->dash, rec->subject, "agent", view);
}

static void on_finished(void *data, struct task *t)
{
	struct watched *w = data;
	struct app_dashboard *dash = w->dash;
	const struct task_record *rec = task_record(t);

	drop_question(dash, rec->id, 0, true);
	publish(dash, rec->subject, "agent", agent_view(dash, rec, NULL));
	for (struct watched **p = &dash->tasks; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	free(w);
	maybe_free(dash);
}

static void on_submitted(void *data, struct task *t)
{
	struct app_dashboard *dash = data;
	struct watched *w = calloc(1, sizeof *w);

	if (!w) {
		log_warn("dashboard: out of memory: task %s is not shown live", task_record(t)->id);
		return;
	}
	w->dash = dash;
	snprintf(w->id, sizeof w->id, "%s", task_record(t)->id);
	w->newest = store_now_ms() / SPARK_MS;
	/* No backlog: a page that reads slowly is cut off, it never slows a run. */
	w->observer = (struct task_observer){.progress = on_progress,
	                                     .finished = on_finished,
	                                     .settled = on_settled,
	                                     .asked = on_asked,
	                                     .data = w};
	w->next = dash->tasks;
	dash->tasks = w;
	task_observe(t, &w->observer);
}

/* ---- what the page asks ---- */

static const char *as_subject(const char *subject)
{
	return subject && *subject ? subject : NULL;
}

struct overview {
	struct app_dashboard *dash;
	char *subject;
	dashboard_reply_fn reply;
	void *data;
};

static void overview_listed(void *data, json_t *list, const char *error)
{
	struct overview *o = data;
	struct app_dashboard *dash = o->dash;
	json_t *approvals = json_array(), *task;
	size_t i;

	if (!list) {
		o->reply(o->data, 500, json_pack("{s:s}", "error", error));
		goto out;
	}
	/* The running ones carry their activity, as their events will. */
	json_array_foreach(json_object_get(list, "tasks"), i, task)
	{
		const char *id = json_string_value(json_object_get(task, "task_id"));
		struct watched *w = id ? find_watched(dash, id) : NULL;
		if (w)
			json_object_set_new(task, "activity", spark_json(w));
	}
	for (struct waiting *q = dash->questions; q; q = q->next)
		if (store_subject_same(q->subject, o->subject))
			json_array_append(approvals, q->view);
	o->reply(o->data, 200,
	         json_pack("{s:o, s:O, s:o, s:i, s:i}", "agents", list, "approvals", approvals,
	                   "now", iso_time(store_now_ms()), "spark_seconds", SPARK_MS / 1000,
	                   "stall_seconds", dash->app->opts->stall_s));
out:
	json_decref(approvals);
	free(o->subject);
	free(o);
	dash->reading--;
	maybe_free(dash);
}

static void do_overview(void *ctx, const char *subject, dashboard_reply_fn reply, void *data)
{
	struct app_dashboard *dash = ctx;
	struct overview *o = calloc(1, sizeof *o);

	if (!o || (as_subject(subject) && !(o->subject = strdup(subject)))) {
		free(o);
		reply(data, 503, json_pack("{s:s}", "error", "out of memory"));
		return;
	}
	*o = (struct overview){dash, o->subject, reply, data};
	dash->reading++;
	if (agents_list(dash->app, o->subject, NULL, OVERVIEW_AGENTS, overview_listed, o) != 0) {
		dash->reading--;
		free(o->subject);
		free(o);
		reply(data, 503, json_pack("{s:s}", "error", "out of memory"));
	}
}

/* The last lines of the agent's log, never through a symlink; "" when there is none. */
static json_t *log_tail(const char *path)
{
	char buf[LOG_TAIL_BYTES];
	struct stat st;
	ssize_t n = 0;
	int fd = path ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t from = st.st_size > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES : 0;
		n = pread(fd, buf, sizeof buf, from);
		if (n > 0 && from > 0) {
			/* The first line is cut: it goes. */
			char *nl = memchr(buf, '\n', (size_t)n);
			size_t skip = nl ? (size_t)(nl - buf) + 1 : 0;
			memmove(buf, buf + skip, (size_t)n - skip);
			n -= (ssize_t)skip;
		}
	}
	if (fd >= 0)
		close(fd);
	char *clean = text_sanitize(buf, n > 0 ? (size_t)n : 0);
	json_t *tail = json_string(clean ? clean : "");
	free(clean);
	return tail;
}

struct asked_agent {
	struct app_dashboard *dash;
	dashboard_reply_fn reply;
	void *data;
};

static void agent_found(void *data, int found, const struct task_record *rec, struct task *live,
                        const char *error)
{
	struct asked_agent *a = data;
	struct app_dashboard *dash = a->dash;

	dash->reading--;
	if (found != 1) {
		const char *why = found == 0 ? "no such agent" : error ? error : "?";
		a->reply(a->data, found == 0 ? 404 : 500, json_pack("{s:s}", "error", why));
	} else {
		/* get_agent_status's view, report and all, and the log's tail. */
		json_t *st = agent_status(rec, live, 0, 20000);
		struct watched *w = find_watched(dash, rec->id);
		if (w)
			json_object_set_new(st, "activity", spark_json(w));
		json_object_set_new(st, "log_tail", log_tail(rec->log_file));
		a->reply(a->data, 200, st);
	}
	free(a);
	maybe_free(dash);
}

/* Reads the agent as subject may see it, then fn answers the page's request. */
static void read_agent(struct app_dashboard *dash, const char *subject, const char *id,
                       visible_task_fn fn, dashboard_reply_fn reply, void *data)
{
	struct asked_agent *a = calloc(1, sizeof *a);

	if (!a) {
		reply(data, 503, json_pack("{s:s}", "error", "out of memory"));
		return;
	}
	*a = (struct asked_agent){dash, reply, data};
	dash->reading++;
	visible_task_async(dash->app, as_subject(subject), id, fn, a);
}

static void do_agent(void *ctx, const char *subject, const char *id, dashboard_reply_fn reply,
                     void *data)
{
	read_agent(ctx, subject, id, agent_found, reply, data);
}

/* A read, and what followed it, is over. */
static void asked_done(struct asked_agent *a)
{
	struct app_dashboard *dash = a->dash;

	free(a);
	dash->reading--;
	maybe_free(dash);
}

/* Another replica was asked to stop its run: the page sees the end on its stream. */
static void kill_asked(void *data, int rc, const char *error)
{
	struct asked_agent *a = data;

	a->reply(a->data, rc == 0 ? 202 : 500,
	         rc == 0 ? json_pack("{s:b}", "stopping", 1) : json_pack("{s:s}", "error", error));
	asked_done(a);
}

static void kill_found(void *data, int found, const struct task_record *rec, struct task *live,
                       const char *error)
{
	struct asked_agent *a = data;

	if (found != 1) {
		const char *why = found == 0 ? "no such agent" : error ? error : "?";
		a->reply(a->data, found == 0 ? 404 : 500, json_pack("{s:s}", "error", why));
		asked_done(a);
		return;
	}
	/* As kill_agent does; the end shows on the event stream, as the agent's status. */
	switch (agent_stop(a->dash->app, rec, live, KILL_GRACE_MS, NULL)) {
	case AGENT_STOPPING:
		a->reply(a->data, 202, json_pack("{s:s, s:b}", "task_id", rec->id, "stopping", 1));
		break;
	case AGENT_ELSEWHERE:
		if (agent_ask_stop(a->dash->app, rec->owner, rec->id, kill_asked, a) == 0)
			return;
		a->reply(a->data, 503, json_pack("{s:s}", "error", "out of memory"));
		break;
	case AGENT_WAS_OVER:
		a->reply(a->data, 409,
		         json_pack("{s:s, s:s, s:s}", "task_id", rec->id, "status", rec->status,
		                   "error", "it had already ended"));
		break;
	}
	asked_done(a);
}

static void do_kill(void *ctx, const char *subject, const char *id, dashboard_reply_fn reply,
                    void *data)
{
	read_agent(ctx, subject, id, kill_found, reply, data);
}

static void do_answer(void *ctx, const char *subject, const char *task, uint64_t question,
                      const char *decision, dashboard_reply_fn reply, void *data)
{
	struct app_dashboard *dash = ctx;
	struct task *t = runner_find(dash->app->runner, task);
	enum codex_decision d = strcmp(decision, "accept") == 0 ? CODEX_ACCEPT : CODEX_DECLINE;

	/* Another subject's question is answered as one that does not exist. */
	if (!t || !store_subject_same(task_record(t)->subject, as_subject(subject))) {
		reply(data, 404, json_pack("{s:s}", "error", "no such approval"));
		return;
	}
	/* Whoever answers first wins: the client's form is withdrawn (settled). */
	if (task_answer(t, question, d) != 0) {
		reply(data, 409, json_pack("{s:s}", "error", "it was answered already"));
		return;
	}
	reply(data, 200,
	      json_pack("{s:s, s:I, s:s}", "task_id", task, "id", (json_int_t)question, "decision",
	                decision));
}

int app_dashboard_start(struct app *app, struct mcp_http_routes *routes)
{
	struct app_dashboard *dash = calloc(1, sizeof *dash);
	char err[256];

	if (!dash)
		return -ENOMEM;
	dash->app = app;
	struct dashboard_config cfg = {
	    .loop = app->loop,
	    .auth = {app->auth, app->authm ? app->authm->check : NULL,
	             app->authm ? app->authm->metadata : NULL},
	    .keepalive_s = app->opts->http.keepalive_s,
	    .app = {do_overview, do_agent, do_kill, do_answer, dash},
	};
	int rc = app->httpm->dashboard_new(&cfg, &dash->web, err, sizeof err);
	if (rc != 0) {
		log_error("%s", err);
		free(dash);
		return rc;
	}
	app->dashboard = dash;
	runner_watch(app->runner, on_submitted, dash);
	*routes = (struct mcp_http_routes){app->httpm->dashboard_handle, dash->web};
	return 0;
}

void app_dashboard_stop(struct app *app)
{
	if (app->dashboard && app->dashboard->web)
		app->httpm->dashboard_stop(app->dashboard->web);
}

void app_dashboard_free(struct app *app)
{
	struct app_dashboard *dash = app->dashboard;

	if (!dash)
		return;
	runner_watch(app->runner, NULL, NULL);
	app->httpm->dashboard_free(dash->web);
	dash->web = NULL;
	while (dash->questions)
		drop_question(dash, dash->questions->task, 0, true);
	/* Runs still watched (none, once the runner is idle) and reads on their way keep it. */
	app->dashboard = NULL;
	dash->closed = true;
	maybe_free(dash);
}
