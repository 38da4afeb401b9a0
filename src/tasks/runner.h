/*
 * Every Codex run is a task, and every task goes through the runner: it is
 * recorded when submitted, queued behind the server-wide cap (and its
 * group's), started, watched for stalls and timeouts, killed on request,
 * and recorded again when it ends. Tools watch tasks through observers.
 */
#ifndef CODEX_MCP_RUNNER_H
#define CODEX_MCP_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <uv.h>

#include "codex/backend.h"
#include "store/store.h"

struct runner;
struct task;

/* The fleet's word on a queued task: RUNNER_ADMIT_*, and owner, who took it (TAKEN). */
typedef void (*runner_verdict_fn)(struct task *t, int verdict, const char *owner);

struct runner_config {
	uv_loop_t *loop;
	struct codex_backend *backend;
	struct store *store;
	const char *log_dir;
	size_t log_max_bytes;
	unsigned max_running;          /* server-wide cap */
	unsigned default_timeout_s;    /* 0: none */
	unsigned stall_s;              /* quiet this long: stalled */
	unsigned kill_stalled_after_s; /* 0: never */
	unsigned heartbeat_ms;         /* observers hear at least this often */
	unsigned kill_grace_ms;
	unsigned approval_timeout_s; /* a question no one answers is declined then; 0: never */
	void (*idle)(void *data);    /* the last task ended */
	void *idle_data;
	size_t (*backlog)(void *data); /* bytes not yet sent to the client; may be NULL */
	const char *owner;             /* this server, in the records of its tasks */
	/*
	 * A limit beyond this server's (may be NULL): asked, in the queue's order, whether
	 * t may start; answer(t, RUNNER_ADMIT_YES) takes its place, RUNNER_ADMIT_NO waits
	 * for runner_fleet_room(), RUNNER_ADMIT_TAKEN says another replica took it from its
	 * offer (runner_moved() follows). answer may be called before admit returns.
	 */
	void (*admit)(void *data, struct task *t, runner_verdict_fn answer);
	void *admit_data; /* also withdraw's */
	/*
	 * With offer: a kill of offered task t, asked of the fleet (answer: YES when it was
	 * still this server's, its record now status and its offer gone; TAKEN with the
	 * taker; NO when the store cannot say). answer may be called before it returns.
	 */
	void (*withdraw)(void *data, struct task *t, const char *status, runner_verdict_fn answer);
	/*
	 * Offers t, queued here behind max_running, to replicas with room (may be NULL):
	 * once per task, only for tasks that need nothing of this server (task_request()).
	 */
	void (*offer)(void *data, struct task *t);
	void *offer_data;
	void *backlog_data;
};

/* Runs started by one spawn_agents_parallel call share a limit of their own. */
struct task_group {
	unsigned max_running;
	unsigned running;
};

enum task_ending {
	TASK_ENDED_NATURALLY,
	TASK_KILLED,    /* kill_agent */
	TASK_TIMED_OUT, /* its timeout, or a stall past the limit */
	TASK_CANCELLED, /* the client cancelled the call */
	TASK_STOPPED,   /* the server is stopping */
};

struct task_observer {
	/*
	 * Something a person can follow happened: ev is the Codex event, or
	 * NULL for the runner's own news (queued, started, stalled, working).
	 */
	void (*progress)(void *data, struct task *t, const struct codex_event *ev,
	                 const char *message);
	/* The store took the task's first record: it is queued, or starts now (may be NULL). */
	void (*recorded)(void *data, struct task *t);
	/* The task ended; it is freed once every observer has returned. */
	void (*finished)(void *data, struct task *t);
	/*
	 * Bytes of the task's news still on their way to this observer's client (may be
	 * NULL): the run stops being read while they pile up.
	 */
	size_t (*backlog)(void *data);
	/*
	 * Codex waits for a person's answer (may be NULL). Returns true when this observer
	 * will ask its client: the answer comes back through task_answer(). Observers are
	 * offered it in turn; when none takes it, it is declined.
	 */
	bool (*ask)(void *data, struct task *t, const struct codex_question *q);
	/* Whether this observer's client could answer a question now (may be NULL: no). */
	bool (*can_ask)(void *data);
	/* Question id was answered, by anyone, or expired: what still asks it can stop. */
	void (*settled)(void *data, struct task *t, uint64_t id);
	/*
	 * Another observer took question q (may be NULL): it waits for a person, and
	 * anyone who can show it may answer it too with task_answer(); the first wins.
	 */
	void (*asked)(void *data, struct task *t, const struct codex_question *q);
	void *data;
	struct task_observer *next; /* the runner's */
};

/*
 * A place of its own a task works in (a git worktree: app/worktree.h), made once
 * its id is known and looked at once it has ended. Both wait for programs (a
 * checkout may take seconds), so both run on libuv's thread pool, touching only
 * their arguments.
 */
struct task_place {
	/* Makes it from cwd: *cwd_out (malloc'd) is where the run works, *info what the
	 * record keeps of it. 0, or -errno with err. */
	int (*make)(const char *root, const char *id, const char *cwd, char **cwd_out,
	            json_t **info, char *err, size_t err_size);
	/* Adds to info what the run left there. */
	void (*look)(json_t *info);
};

/* The CallToolResult a task answers with once it has ended (new reference). */
typedef json_t *(*task_result_fn)(const struct task *t);

struct task_spec {
	const char *id; /* NULL: a new random one */
	const char *tool;
	task_result_fn result;         /* kept in the record, for tasks/result; NULL: none */
	int64_t ttl_ms;                /* an MCP task's lifetime; 0 keeps the record */
	struct codex_options *options; /* taken over, left zeroed */
	const char *prompt;
	size_t prompt_len;
	const char *resume_thread; /* NULL: a new thread */
	unsigned timeout_s;        /* 0: the server's default */
	struct task_group *group;  /* NULL: only the server's cap */
	const char *subject;       /* who asks (see store.h); its task and thread are its own */
	int64_t created_at;        /* an MCP task's, recorded already; 0: now */
	const struct task_place *place; /* NULL: it works in options->cwd */
	bool taken;                     /* taken from another replica's offer: not offered on */
	const char *place_root;         /* where place->make() makes it */
};

struct runner *runner_new(const struct runner_config *cfg);
/* Closes the runner's handle; it is freed as the loop runs once more. */
void runner_free(struct runner *r);

/*
 * Records the task, then starts or queues it once the store has taken the
 * record (obs->recorded); when the store refuses it, or does not answer in
 * time, the task ends failed "cannot record the task" without starting. obs,
 * if given, is attached first so it hears everything. Returns NULL with err
 * when the task cannot be made, or when the server is stopping.
 */
struct task *runner_submit(struct runner *r, struct task_spec *spec, struct task_observer *obs,
                           char *err, size_t err_size);

/* The last state of a task the store has not taken yet (on its way, or refused), or NULL. */
const struct task_record *runner_unsaved(struct runner *r, const char *id);
/* The final record of a task whose observers are being told it ended (from finished), or NULL. */
const struct task_record *runner_ended(struct runner *r, const char *id);
/* The store's word when it refused the newest state of the task last tried, else NULL. */
const char *runner_save_failed(struct runner *r, const char *id);
/*
 * Writes a task's record, for records the runner does not keep itself, on the
 * store's thread (tasks/writes.h): what the store refuses is kept and tried
 * again, and read from runner_unsaved() meanwhile. Returns 0.
 */
int runner_save(struct runner *r, const struct task_record *rec);

/*
 * Calls fn with every task as it is submitted, before it can start or end, so a
 * watcher of the whole fleet can observe it (fn NULL: none).
 */
void runner_watch(struct runner *r, void (*fn)(void *data, struct task *t), void *data);

/* A task still queued or running, or NULL. */
struct task *runner_find(struct runner *r, const char *id);
bool runner_thread_busy(struct runner *r, const char *thread_id);
void runner_each(struct runner *r, void (*fn)(void *data, struct task *t), void *data);
/*
 * Records the last activity of each running task that has been active since
 * its record was last written: servers sharing the store read it from there.
 */
void runner_flush_activity(struct runner *r);
size_t runner_live(const struct runner *r);
/* The wall clock (store_now_ms()) as of the loop's time: read once per turn of the loop. */
int64_t runner_now_ms(struct runner *r);
/* Runs elsewhere may have ended: the queue asks admit() again. */
void runner_fleet_room(struct runner *r);
enum { RUNNER_ADMIT_NO, RUNNER_ADMIT_YES, RUNNER_ADMIT_TAKEN };
/*
 * Replica owner took queued task id from its offer: the task leaves the queue, and
 * its callers follow its record, which owner writes, until it ends; a kill is asked
 * of owner.
 */
void runner_moved(struct runner *r, const char *id, const char *owner);
/* How many more runs would start now: places free, less the queue. */
unsigned runner_room(const struct runner *r);
/*
 * What another replica needs to run offered task t: tool, prompt, options,
 * timeout_s, ttl_ms, created_at and subject (new reference, or NULL).
 */
json_t *task_request(const struct task *t);

void task_observe(struct task *t, struct task_observer *obs);
void task_unobserve(struct task *t, struct task_observer *obs);

/*
 * Answers question id of a running task (see task_observer.ask). Returns 0, or -ENOENT
 * when the task no longer waits for it.
 */
int task_answer(struct task *t, uint64_t id, enum codex_decision d);
/*
 * Adds prompt to the task's running turn. 0, and done follows once with NULL or why it was
 * not taken; -ENOENT when it does not run, -ENOTSUP when its backend cannot, -EAGAIN when
 * its turn has not started yet or is stopping.
 */
int task_steer(struct task *t, const char *prompt, void (*done)(void *data, const char *error),
               void *data);
/* Questions asked and not answered yet: while there are, its clocks stand still. */
unsigned task_waiting(const struct task *t);

/* Stops a task: SIGTERM to its group, SIGKILL after grace_ms (0: at once). */
void task_kill(struct task *t, enum task_ending why, unsigned grace_ms);
/*
 * Stops everything, for shutdown, and refuses new tasks from then on; idle()
 * follows once the last one is reaped. Called again, it kills at once.
 */
void runner_stop_all(struct runner *r);

/* The durable view, kept current while the task lives. */
const struct task_record *task_record(const struct task *t);
const char *task_signal_used(const struct task *t); /* NULL until killed */
int64_t task_last_output(const struct task *t);     /* ms since the epoch */
json_t *task_stall_report(const struct task *t);    /* borrowed; NULL when not stalled */

/* A fresh id: 128 random bits in hex. Returns 0, or -1 when the kernel has no randomness. */
int task_new_id(char out[33]);

#endif
