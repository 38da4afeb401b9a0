#include "app/replica.h"

#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/remote.h"
#include "util/log.h"

/* Runs asked to stop elsewhere are looked for this often, even when no wake-up came. */
enum { TICK_MS = 1000 };

/* What other replicas asked of this one, or what it took from their offers. */
struct asked {
	enum { ASKED_STOP, ASKED_RUN, ASKED_MOVED, ASKED_OFFERED } kind;
	char *id, *what; /* how to stop it, the request, or who took it */
	struct asked *next;
};

/* Offers taken in one round, at most: a replica takes what it has room for, a few at once. */
enum { TAKE_MAX = 4 };

/*
 * One round with the database, made on the store's thread: the lease renewed,
 * others' runs ended, and what was asked of this replica taken. One at a time.
 */
struct round {
	struct replica *r;
	int64_t now;
	bool renew, sweep;
	unsigned take; /* offered runs this replica has room for */
	int leased, swept;
	char lease_error[256];
	struct asked *asked, **asked_tail; /* in the order asked: a cancel may follow its run */
};

struct replica {
	struct app *app;
	uv_timer_t timer;
	int64_t leased_at, swept_at;
	int64_t held_since; /* the lease renewed without a failure since then */
	bool lease_failing;
	bool in_round;               /* a round on the store's thread */
	bool again;                  /* another round wanted after it ... */
	bool want_renew, want_sweep; /* ... and what it must do: nothing asked for is dropped */
	bool stopped;                /* a round in flight frees the replica */
};

static void add(struct asked ***tail, int kind, const char *id, const char *what)
{
	struct asked *a = calloc(1, sizeof *a);

	if (!a || !(a->id = strdup(id)) || !(a->what = strdup(what))) {
		if (a)
			free(a->id);
		free(a);
		log_error("task %s: asked of this replica, but out of memory", id);
		return;
	}
	a->kind = kind;
	**tail = a;
	*tail = &a->next;
}

static void asked(void *data, const char *id, const char *kind, const char *body)
{
	struct round *d = data;

	if (strcmp(kind, "cancel") == 0)
		add(&d->asked_tail, ASKED_STOP, id, body);
	else if (strcmp(kind, "run") == 0)
		add(&d->asked_tail, ASKED_RUN, id, body);
	else if (strcmp(kind, "moved") == 0)
		add(&d->asked_tail, ASKED_MOVED, id, body);
}

/* On the store's thread. */
static int round_work(struct store *s, void *data)
{
	struct round *d = data;
	int rc = 0;

	if (d->renew && (d->leased = store_lease(s, d->now)) != 0)
		snprintf(d->lease_error, sizeof d->lease_error, "%s", store_error(s));
	if (d->sweep)
		d->swept = store_recover(s, d->now, NULL);
	if (store_take_asked(s, asked, d) != 0)
		rc = -1;
	/* Then runs others offered, for the places free here. */
	for (unsigned i = 0; i < d->take; i++) {
		char *id, *request;
		int took = store_take_offer(s, (int)d->r->app->opts->fleet_max_agents,
		                            remote_can_run, d->r->app, &id, &request);
		if (took == 1)
			add(&d->asked_tail, ASKED_OFFERED, id, request);
		free(id);
		free(request);
		if (took != 1) {
			if (took < 0)
				rc = -1;
			break;
		}
	}
	return rc;
}

static void stop_run(struct app *app, const char *id, const char *how)
{
	struct task *t = runner_find(app->runner, id);

	if (!t && remote_stop_taking(id, how))
		return; /* handed over a moment ago: it ends before it starts */
	if (!t)
		return; /* ended meanwhile: its record says so */
	log_info("task %s: stopping it, as another replica asked", id);
	task_kill(t, strcmp(how, "killed") == 0 ? TASK_KILLED : TASK_CANCELLED,
	          app->opts->kill_grace_ms);
}

static void free_asked(struct asked *a)
{
	while (a) {
		struct asked *next = a->next;
		free(a->id);
		free(a->what);
		free(a);
		a = next;
	}
}

static void start_round(struct replica *r, bool renew, bool sweep);

/* Back on the loop. */
static void round_done(void *data, int rc, const char *error)
{
	struct round *d = data;
	struct replica *r = d->r;
	struct app *app = r->app;

	r->in_round = false;
	if (r->stopped) {
		free_asked(d->asked);
		free(d);
		free(r);
		return;
	}
	if (d->renew && d->leased != 0) {
		/* Once an outage: the next tick tries again. */
		if (!r->lease_failing)
			log_warn("cannot renew this replica's lease: %s", d->lease_error);
		r->lease_failing = true;
	} else if (d->renew) {
		if (r->lease_failing)
			log_info("this replica's lease is renewed again");
		/* Failed, or late past the lease (a database that stalled): others may have
		 * thought this one gone, and it must hold its lease anew before judging them. */
		if (r->lease_failing || d->now - r->leased_at > store_lease_ms(app->store))
			r->held_since = d->now;
		r->lease_failing = false;
		r->leased_at = d->now;
	}
	if (d->sweep && d->swept > 0)
		log_info("%d task(s) of replicas whose lease ran out were ended", d->swept);
	if (rc != 0)
		log_warn("cannot read what was asked of this replica: %s", error ? error : "?");
	for (struct asked *a = d->asked; a; a = a->next) {
		switch (a->kind) {
		case ASKED_RUN:
			remote_run_taken(app, a->id, a->what);
			break;
		case ASKED_STOP:
			stop_run(app, a->id, a->what);
			break;
		case ASKED_MOVED:
			runner_moved(app->runner, a->id, a->what);
			break;
		case ASKED_OFFERED:
			remote_run_offered(app, a->id, a->what);
			break;
		}
	}
	free_asked(d->asked);
	free(d);
	/* Runs of other replicas may have ended: a queue waiting on the fleet asks again. */
	runner_fleet_room(app->runner);
	if (r->again) {
		r->again = false;
		start_round(r, false, false);
	}
}

static void start_round(struct replica *r, bool renew, bool sweep)
{
	struct round *d;

	r->want_renew |= renew;
	r->want_sweep |= sweep;
	if (r->in_round) {
		r->again = true; /* asked while the last round is out: one more after it */
		return;
	}
	if (!(d = calloc(1, sizeof *d)))
		return;
	d->r = r;
	d->now = store_now_ms();
	d->renew = r->want_renew;
	/* Fleet mode: places free here take runs others offered. */
	if (r->app->opts->fleet_max_agents && !r->app->stopping) {
		d->take = runner_room(r->app->runner);
		d->take = d->take > TAKE_MAX ? TAKE_MAX : d->take;
	}
	d->sweep = r->want_sweep;
	r->want_renew = r->want_sweep = false;
	if (d->sweep)
		r->swept_at = d->now;
	d->asked_tail = &d->asked;
	r->in_round = true;
	if (store_submit(r->app->store, round_work, round_done, d) != 0) {
		r->in_round = false;
		free(d);
	}
}

static void on_wake(void *data)
{
	struct app *app = data;

	if (app->replica)
		start_round(app->replica, false, false);
}

static void on_tick(uv_timer_t *h)
{
	struct replica *r = h->data;
	int64_t now = store_now_ms(), lease = store_lease_ms(r->app->store);
	/* A third of the lease: two renewals may fail before others think this one gone. */
	bool renew = r->lease_failing || now - r->leased_at >= lease / 3;
	/*
	 * Others are judged only by a replica that has held its own lease a whole lease
	 * time: after the database was away, every lease looks run out until each
	 * replica has renewed its own.
	 */
	bool sweep =
	    now - r->swept_at >= lease / 2 && !r->lease_failing && now - r->held_since >= lease;

	start_round(r, renew, sweep);
	runner_flush_activity(r->app->runner);
}

/* A run asking the fleet for a place, or, killed while offered, to be withdrawn. */
struct claim {
	struct task *t;
	runner_verdict_fn answer;
	char id[64];
	const char *status; /* withdrawing: its record's status now */
	int max;
	int got;
	char *owner; /* who took it, when another replica did */
};

/* Taken by another replica: which one, from the record. */
static void read_taker(struct store *s, struct claim *c)
{
	struct task_record rec;

	if (store_get_task(s, c->id, &rec) == 1) {
		c->owner = rec.owner ? strdup(rec.owner) : NULL;
		task_record_clear(&rec);
	}
}

static int claim_work(struct store *s, void *data)
{
	struct claim *c = data;

	c->got = c->status ? store_withdraw_offer(s, c->id, c->status)
	                   : store_claim_run(s, c->id, c->max);
	if (c->got == 2)
		read_taker(s, c);
	return c->got < 0 ? -1 : 0;
}

static void claimed(void *data, int rc, const char *error)
{
	struct claim *c = data;

	/* A store that cannot say keeps the run waiting: the limit is not broken unseen. */
	if (rc != 0)
		log_warn("task %s: cannot ask the fleet %s: %s", c->id,
		         c->status ? "to withdraw its offer" : "for a place", error ? error : "?");
	c->answer(c->t,
	          rc != 0       ? RUNNER_ADMIT_NO
	          : c->got == 1 ? RUNNER_ADMIT_YES
	          : c->got == 2 ? RUNNER_ADMIT_TAKEN
	                        : RUNNER_ADMIT_NO,
	          c->owner);
	free(c->owner);
	free(c);
}

static void ask_fleet(struct app *app, struct task *t, const char *status, runner_verdict_fn answer)
{
	struct claim *c = calloc(1, sizeof *c);

	if (!c) {
		answer(t, RUNNER_ADMIT_NO, NULL);
		return;
	}
	*c = (struct claim){
	    .t = t, .answer = answer, .status = status, .max = (int)app->opts->fleet_max_agents};
	snprintf(c->id, sizeof c->id, "%s", task_record(t)->id);
	if (store_submit(app->store, claim_work, claimed, c) != 0) {
		free(c);
		answer(t, RUNNER_ADMIT_NO, NULL);
	}
}

void replica_admit(void *data, struct task *t, runner_verdict_fn answer)
{
	ask_fleet(data, t, NULL, answer);
}

void replica_withdraw(void *data, struct task *t, const char *status, runner_verdict_fn answer)
{
	ask_fleet(data, t, status, answer);
}

/* A run offered to the fleet, off the loop. */
struct offer {
	char id[33];
	char *request;
};

static int offer_work(struct store *s, void *data)
{
	struct offer *o = data;

	return store_offer_run(s, o->id, o->request);
}

static void offered(void *data, int rc, const char *error)
{
	struct offer *o = data;

	/* Not offered, it still runs here once there is room. */
	if (rc != 0)
		log_warn("task %s: cannot offer it to other replicas: %s", o->id,
		         error ? error : "?");
	else
		log_debug("task %s: offered to replicas with room", o->id);
	free(o->request);
	free(o);
}

void replica_offer(void *data, struct task *t)
{
	struct app *app = data;
	json_t *req = task_request(t);
	struct offer *o = req ? calloc(1, sizeof *o) : NULL;

	if (o && (o->request = json_dumps(req, JSON_COMPACT))) {
		snprintf(o->id, sizeof o->id, "%s", task_record(t)->id);
		if (store_submit(app->store, offer_work, offered, o) == 0)
			o = NULL;
	}
	if (o) {
		log_warn("task %s: cannot offer it to other replicas: out of memory",
		         task_record(t)->id);
		free(o->request);
		free(o);
	}
	json_decref(req);
}

int replica_start(struct app *app)
{
	struct replica *r;

	if (!store_shared(app->store))
		return 0;
	r = calloc(1, sizeof *r);
	if (!r) {
		log_error("out of memory");
		return -1;
	}
	r->app = app;
	r->leased_at = r->swept_at = r->held_since = store_now_ms();
	uv_timer_init(app->loop, &r->timer);
	r->timer.data = r;
	uv_timer_start(&r->timer, on_tick, TICK_MS, TICK_MS);
	/* It does not keep the loop alive: the server stops when its clients are done. */
	uv_unref((uv_handle_t *)&r->timer);
	app->replica = r;
	if (store_watch(app->store, app->loop, on_wake, app) != 0)
		log_warn("no wake-ups (%s): what others ask is looked for every second",
		         store_error(app->store));
	return 0;
}

static void closed(uv_handle_t *h)
{
	struct replica *r = h->data;

	/* A round still out frees it when it comes back. */
	if (r->in_round)
		r->stopped = true;
	else
		free(r);
}

void replica_stop(struct app *app)
{
	struct replica *r = app->replica;

	if (!r)
		return;
	app->replica = NULL;
	store_unwatch(app->store);
	if (store_release(app->store) != 0)
		log_warn("cannot give this replica's lease up: %s", store_error(app->store));
	uv_close((uv_handle_t *)&r->timer, closed);
}
