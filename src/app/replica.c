#include "app/replica.h"

#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/remote.h"
#include "util/log.h"

/* Runs asked to stop elsewhere are looked for this often, even when no wake-up came. */
enum { TICK_MS = 1000 };

struct replica {
	struct app *app;
	uv_timer_t timer;
	int64_t leased_at, swept_at;
	int64_t held_since; /* the lease renewed without a failure since then */
	bool lease_failing;
};

static void stop_run(void *data, const char *id, const char *how)
{
	struct app *app = data;
	struct task *t = runner_find(app->runner, id);

	if (!t)
		return; /* ended meanwhile: its record says so */
	log_info("task %s: stopping it, as another replica asked", id);
	task_kill(t, strcmp(how, "killed") == 0 ? TASK_KILLED : TASK_CANCELLED,
	          app->opts->kill_grace_ms);
}

static void run_handed(void *data, const char *id, const char *request)
{
	remote_run_taken(data, id, request);
}

/* What other replicas asked of this one: runs to stop, and runs on threads it holds. */
static void take_asked(void *data)
{
	struct app *app = data;

	if (store_take_cancels(app->store, stop_run, app) != 0 ||
	    store_take_runs(app->store, run_handed, app) != 0)
		log_warn("cannot read what was asked of this replica: %s", store_error(app->store));
}

static void renew(struct replica *r, int64_t now)
{
	struct app *app = r->app;

	if (store_lease(app->store, now) != 0) {
		/* Once an outage: the next tick tries again. */
		if (!r->lease_failing)
			log_warn("cannot renew this replica's lease: %s", store_error(app->store));
		r->lease_failing = true;
		return;
	}
	if (r->lease_failing) {
		log_info("this replica's lease is renewed again");
		r->held_since = now;
	}
	r->lease_failing = false;
	r->leased_at = now;
}

static void on_tick(uv_timer_t *h)
{
	struct replica *r = h->data;
	struct app *app = r->app;
	int64_t now = store_now_ms(), lease = store_lease_ms(app->store);

	/* A third of the lease: two renewals may fail before others think this one gone. */
	if (r->lease_failing || now - r->leased_at >= lease / 3)
		renew(r, now);
	/*
	 * Others are judged only by a replica that has held its own lease a whole lease
	 * time: after the database was away, every lease looks run out until each
	 * replica has renewed its own.
	 */
	if (now - r->swept_at >= lease / 2 && !r->lease_failing && now - r->held_since >= lease) {
		int n = store_recover(app->store, now, NULL);
		if (n > 0)
			log_info("%d task(s) of replicas whose lease ran out were ended", n);
		r->swept_at = now;
	}
	take_asked(app);
	runner_flush_activity(app->runner);
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
	if (store_watch(app->store, app->loop, take_asked, app) != 0)
		log_warn("no wake-ups (%s): what others ask is looked for every second",
		         store_error(app->store));
	return 0;
}

static void closed(uv_handle_t *h)
{
	free(h->data);
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
