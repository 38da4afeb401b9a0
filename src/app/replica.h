/*
 * This server as one replica of several sharing a store: it renews its lease,
 * ends what replicas whose lease ran out left running, stops the runs other
 * replicas ask it to, and records its runs' activity for them to read. Nothing
 * to do on a store no other host shares.
 */
#ifndef CODEX_MCP_REPLICA_H
#define CODEX_MCP_REPLICA_H

#include <stdbool.h>

#include "tasks/runner.h"

struct app;

/* Starts it on the app's loop when the store is shared; 0, or -1 (logged). */
int replica_start(struct app *app);
/* Stops it: its handles close on the loop's next run. */
void replica_stop(struct app *app);

/*
 * The runner's admit() under --fleet-max-agents: whether the fleet has room for
 * t, asked of the shared store off the loop (data: the app).
 */
void replica_admit(void *data, struct task *t, runner_verdict_fn answer);
/* The runner's withdraw(): a kill of an offered run, settled with the fleet's lock. */
void replica_withdraw(void *data, struct task *t, const char *status, runner_verdict_fn answer);
/*
 * The runner's offer() under --fleet-max-agents: t, waiting for a place here, is
 * offered through the store to replicas with room, which take it in their rounds.
 */
void replica_offer(void *data, struct task *t);

#endif
