/*
 * What a store implementation provides: its operations, in a table, and the
 * part of struct store every implementation shares (it comes first in each).
 * store.c chooses the implementation from the URL and calls through the table.
 */
#ifndef CODEX_MCP_STORE_INT_H
#define CODEX_MCP_STORE_INT_H

#include <pthread.h>

#include <uv.h>

#include "store/store.h"

struct store_ops {
	const char *kind;  /* "sqlite", "postgresql" */
	bool reads_inline; /* a read takes microseconds: the loop makes it itself
	                      (store_submit_read) */
	/* Opens what target names (a path, a libpq URL); 0, or -1 with err. */
	int (*open)(const char *target, struct store **out, char *err, size_t err_size);
	void (*close)(struct store *s);
	int (*put_thread)(struct store *s, const char *id, const json_t *options,
	                  const char *status, const char *subject, int64_t now);
	int (*set_thread_status)(struct store *s, const char *id, const char *status, int64_t now);
	int (*get_thread)(struct store *s, const char *id, struct thread_record *out);
	int (*put_task)(struct store *s, const struct task_record *t);
	int (*get_task)(struct store *s, const char *id, struct task_record *out);
	int (*each_task)(struct store *s, const char *subject, const char *status, int limit,
	                 void (*fn)(void *data, const struct task_record *t), void *data);
	json_t *(*count_tasks)(struct store *s, const char *subject);
	int (*page_tasks)(struct store *s, const char *subject, const char *cursor, int limit,
	                  void (*fn)(void *data, const struct task_record *t), void *data,
	                  char **next);
	int (*log_visible)(struct store *s, const char *subject, const char *log_file);
	int (*expire_tasks)(struct store *s, int64_t now);
	int (*recover)(struct store *s, int64_t now, bool (*alive)(const char *owner));
	/* Optional: this server's lease, for stores that servers on several hosts share. */
	int (*lease)(struct store *s, int64_t now);
	int (*release)(struct store *s);
	/* Optional: whether owner holds a lease now; without it, alive() decides. */
	int (*owner_alive)(struct store *s, const char *owner, int64_t now);
	/* Optional, with lease: cancels asked of one server by another, and a wake-up for them. */
	/* What one server asks of another: kind "cancel" (body: how) or "run" (the request). */
	int (*ask)(struct store *s, const char *owner, const char *id, const char *kind,
	           const char *body);
	int (*take_asked)(struct store *s,
	                  void (*fn)(void *data, const char *id, const char *kind,
	                             const char *body),
	                  void *data);
	/* Optional, with lease: marks task id running when fewer than max live runs are. */
	int (*claim_run)(struct store *s, const char *id, int max);
	/* Optional, with claim_run: store_withdraw_offer(), store_take_offer(). */
	int (*withdraw_offer)(struct store *s, const char *id, const char *status);
	int (*take_offer)(struct store *s, int max,
	                  bool (*can_run)(void *data, const char *request), void *data, char **id,
	                  char **request);
	int (*watch)(struct store *s, uv_loop_t *loop, void (*wake)(void *data), void *data);

	void (*unwatch)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	pthread_mutex_t lock; /* one call at a time: the loop's and the thread's */
	bool lock_made;
	struct store_queue *queue; /* the store's thread, once started (queue.c) */
	char *owner;               /* this server, as the records name it */
	int64_t lease_ms;          /* how long a lease lasts unless renewed */
	char error[256];           /* the implementation's word on the last failure */
};

void store_lock(struct store *s);
void store_unlock(struct store *s);

/* Fills the shared part: owner is proc_instance_id(), on this host. */
int store_base_init(struct store *s, const struct store_ops *ops, bool with_host);
void store_base_free(struct store *s);

/* In the database no one is '', in memory NULL. */
const char *store_subject_text(const char *subject);

/*
 * A list cursor: where the last page ended, "<created_at>.<sequence>" in hex.
 * 0 with the values (INT64_MAX both for no cursor), -1 when it is not ours.
 */
int store_cursor_parse(const char *cursor, long long *created, long long *seq);
char *store_cursor_make(long long created, long long seq);

extern const struct store_ops store_sqlite_ops;

/* The PostgreSQL module's table: codex-mcp-postgres.so exports it under this name. */
#define STORE_POSTGRES_SYMBOL "codex_mcp_postgres_store"
#define STORE_POSTGRES_FILE "codex-mcp-postgres.so"

#endif
