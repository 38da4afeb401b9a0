/*
 * Durable state: the threads the server has started, and the options each
 * runs with, so codex-reply works across restarts, and every task. One
 * interface; SQLite (one host) or PostgreSQL (replicas on many hosts) stands
 * behind it, each a table of operations (store-int.h).
 */
#ifndef CODEX_MCP_STORE_H
#define CODEX_MCP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct store;
struct uv_loop_s;

/*
 * Every thread and task belongs to the subject of the caller that made it: who
 * the transport authenticated (a JWT's sub, a static token's "token:<hex>"), or
 * no one (NULL) without authentication. A caller sees a record only when the
 * subjects are the same; NULL and "" are the same, no one. Listings take the
 * caller's subject and return that subject's records alone.
 */
bool store_subject_same(const char *a, const char *b);

struct thread_record {
	char *id;
	json_t *options;    /* codex_options_to_json() */
	char *status;       /* running, completed, failed, cancelled */
	int64_t created_at; /* ms since the epoch */
	int64_t last_used_at;
	char *subject; /* who started it; NULL: no one */
	char *owner;   /* the server that last ran it (store_owner()); NULL for an old record */
};

/*
 * Opens or creates the store url names: "sqlite:PATH" or a bare path (SQLite,
 * making its directory), or "postgresql://..." / "postgres://..." (libpq's URL,
 * loaded from codex-mcp-postgres.so). Returns 0 or -1 with err, which never
 * holds the URL's password.
 */
int store_open(const char *url, struct store **out, char *err, size_t err_size);
/* "sqlite" or "postgresql". */
const char *store_kind(const struct store *s);
/* This server as the records it owns name it: "<pid>:<start time>", with its host for PostgreSQL.
 */
const char *store_owner(const struct store *s);

/*
 * Servers on other hosts may share this store (PostgreSQL): who owns a run is
 * then told by a lease each server renews, not by /proc.
 */
bool store_shared(const struct store *s);
/* How long a lease lasts unless renewed (30 s unless set). */
void store_set_lease_ms(struct store *s, int64_t ms);
int64_t store_lease_ms(const struct store *s);
/* Renews this server's lease. 0, or -1 (store_error() says why); a no-op where not shared. */
int store_lease(struct store *s, int64_t now);
/* Gives this server's lease up, as it stops: others need not wait for it to run out. */
int store_release(struct store *s);
/* Whether the server owner names still runs: 1, 0, or -1 when the store cannot say. */
int store_owner_alive(struct store *s, const char *owner, int64_t now);

/*
 * A run another server owns is cancelled through the store (shared stores
 * only), how being what the run's status becomes ("killed", "cancelled"):
 * the request is recorded, so a wake-up lost (the database restarting)
 * loses no cancel, and its owner woken. 0, -1 on error, -ENOTSUP where not
 * shared.
 */
int store_ask_cancel(struct store *s, const char *owner, const char *id, const char *how);
/* The same on the store's thread (store_submit()); a failure is logged, no more. */
void store_ask_cancel_later(struct store *s, const char *owner, const char *id, const char *how);
/*
 * A fleet-wide limit on runs, counted in a shared store: 1 when fewer than max
 * runs of live servers are running (task id is marked running, taking the
 * place, and its offer withdrawn), 0 when not, 2 when another server took the
 * task from its offer (store_take_offer()), -1 on error (-ENOTSUP: the store
 * is not shared).
 */
int store_claim_run(struct store *s, const char *id, int max);
/*
 * Queued work any server with room may take (shared stores only): task id,
 * recorded already as the caller's, is offered with request, what another
 * server needs to run it (JSON text). Every watching server is woken. 0, -1.
 */
int store_offer_run(struct store *s, const char *id, const char *request);
/*
 * A kill of an offered task id, settled with the fleet's lock: 1 when it was still
 * this server's (its offer is gone, and its record's status is status now, so no
 * server can take it), 2 when another server took it, -1 on error (-ENOTSUP where
 * not shared).
 */
int store_withdraw_offer(struct store *s, const char *id, const char *status);
/* The owner that names every server in store_offer_run()'s requests. */
#define STORE_ANYONE "*"
/*
 * Takes the oldest run another live server offered, which can_run(data,
 * request) accepts here, while fewer than max runs of live servers run: the
 * task becomes this server's, and the one that offered it is asked "moved"
 * (body: this server) to let it go. 1 with *id and *request (malloc'd), 0 when
 * none was taken, -1 on error (-ENOTSUP where not shared). can_run runs with
 * the store held: it must be quick and touch no store.
 */
int store_take_offer(struct store *s, int max, bool (*can_run)(void *data, const char *request),
                     void *data, char **id, char **request);
bool store_can_claim(const struct store *s);

/*
 * Calls wake() on loop when a cancel is asked of this server; store_unwatch()
 * stops it (before the loop's last run: it closes handles). 0, or -1.
 */
int store_watch(struct store *s, struct uv_loop_s *loop, void (*wake)(void *data), void *data);
/*
 * A run handed to the server owner (shared stores only): a thread another
 * replica holds is continued there. request is what that server needs to run
 * it (JSON text); the task's record is the caller's to write first. Woken
 * like a cancel. 0, -1 on error, -ENOTSUP where not shared.
 */
int store_hand_over(struct store *s, const char *owner, const char *id, const char *request);
/*
 * Takes what other servers asked of this one, oldest first: fn gets the task
 * id, the kind ("cancel" with how, "run" with the request, or "moved" with the
 * server that took an offered run), and its body.
 * 0 or -1.
 */
int store_take_asked(struct store *s,
                     void (*fn)(void *data, const char *id, const char *kind, const char *body),
                     void *data);
void store_unwatch(struct store *s);
/*
 * The store's own thread. Once started, calls queued with store_submit() run
 * there in order, and done(data, rc, error) comes back on loop in the same
 * order (error: the store's word when rc is not 0). Without the thread, work
 * and done run at once, before store_submit() returns. Every other call may
 * still be made from the loop: it waits for the one the thread is making.
 */
typedef int (*store_work_fn)(struct store *s, void *data);
typedef void (*store_done_fn)(void *data, int rc, const char *error);
int store_start_thread(struct store *s, struct uv_loop_s *loop);
/* 0, or -ENOMEM (nothing was queued). */
int store_submit(struct store *s, store_work_fn work, store_done_fn done, void *data);
/*
 * A read: as store_submit(), but made at once on the loop where the store's reads
 * take microseconds (SQLite), and on its thread where they cross a network.
 */
int store_submit_read(struct store *s, store_work_fn work, store_done_fn done, void *data);
/* Waits until everything queued has run, and calls what is done for it. */
void store_drain(struct store *s);
/* Drains, then ends the thread; its handle closes as the loop runs on. */
void store_stop_thread(struct store *s);

/* The password in a store URL, to keep out of logs (malloc'd), or NULL. */
char *store_url_password(const char *url);
/*
 * How long store_open() waits for another server's lock (5000 ms unless set):
 * servers started together migrate one after the other.
 */
void store_set_open_wait(int ms);
void store_close(struct store *s);

/*
 * Records a thread, or updates one already known (its creation time and its
 * subject stay). Both make it this process's, by the name proc_instance_id()
 * gives it: a server recovering meanwhile leaves it alone while this one runs.
 */
int store_put_thread(struct store *s, const char *id, const json_t *options, const char *status,
                     const char *subject, int64_t now);
int store_set_thread_status(struct store *s, const char *id, const char *status, int64_t now);
/* Returns 1 and fills out when found, 0 when not, -1 on error. */
int store_get_thread(struct store *s, const char *id, struct thread_record *out);
void thread_record_clear(struct thread_record *r);

/*
 * Every Codex run is a task. The record is written when the run is
 * submitted, so no run is ever lost, and again when it starts and ends.
 */
struct task_record {
	char id[33]; /* 128 random bits, hex */
	char *tool;  /* the tool that started it */
	char *status;
	char *thread_id;
	char *cwd;
	char *log_file;
	char *output; /* the final agent message */
	char *error;
	json_t *report;     /* exit code, duration, usage, commands, files changed */
	json_t *result;     /* the CallToolResult the run answered with, once ended */
	json_t *worktree;   /* the git worktree it works in (app/worktree.h), or NULL */
	int64_t ttl_ms;     /* an MCP task's lifetime from creation; 0 keeps it */
	char *owner;        /* the server running it: "<pid>:<start time>" */
	char *subject;      /* who made it, kept from the first write on; NULL: no one */
	int64_t created_at; /* ms since the epoch; 0 when not yet */
	int64_t started_at;
	int64_t completed_at;
	int64_t last_activity;
	int64_t pid;
};

int store_put_task(struct store *s, const struct task_record *t);
/* Returns 1 and fills out when found, 0 when not, -1 on error. */
int store_get_task(struct store *s, const char *id, struct task_record *out);
/*
 * The subject's tasks, newest first; status NULL for all; calls fn for each of
 * at most limit records.
 */
int store_each_task(struct store *s, const char *subject, const char *status, int limit,
                    void (*fn)(void *data, const struct task_record *t), void *data);
/* Number of the subject's tasks in each status, as {status: count}. */
json_t *store_count_tasks(struct store *s, const char *subject);

/*
 * One page of the subject's tasks, newest first. cursor is NULL for the first
 * page, else what the previous page set in *next (malloc'd, NULL after the
 * last page). Returns 0, or -1 when the cursor is not one of ours.
 */
int store_page_tasks(struct store *s, const char *subject, const char *cursor, int limit,
                     void (*fn)(void *data, const struct task_record *t), void *data, char **next);

/*
 * Whether the agent log at log_file (as a task record names it) is the subject's:
 * 1 when the task that wrote it is, or when no task names it and the subject is
 * no one; 0 when not; -1 when the records cannot be read.
 */
int store_log_visible(struct store *s, const char *subject, const char *log_file);

/* Deletes ended tasks whose ttl has passed. Returns how many. */
int store_expire_tasks(struct store *s, int64_t now);
void task_record_clear(struct task_record *t);
/* A deep copy; returns 0, or -1 when out of memory (dst is then cleared). */
int task_record_copy(struct task_record *dst, const struct task_record *src);

/*
 * Runs a server left queued or running, when that server is gone, can only
 * have been cut off: they become failed, "server stopped", and so do its
 * running threads unless a live server runs a task on them. alive() says
 * whether an owner still runs (NULL: none does); a shared store asks the
 * leases instead. All or nothing; returns the rows changed, or -1.
 */
int store_recover(struct store *s, int64_t now, bool (*alive)(const char *owner));
/* What went wrong last, in the database's words. */
const char *store_error(struct store *s);

int64_t store_now_ms(void);

#endif
