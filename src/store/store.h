/*
 * Durable state: the threads the server has started, and the options each
 * runs with, so codex-reply works across restarts. One interface; SQLite
 * stands behind it.
 */
#ifndef CODEX_MCP_STORE_H
#define CODEX_MCP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct store;

struct thread_record {
	char *id;
	json_t *options;    /* codex_options_to_json() */
	char *status;       /* running, completed, failed, cancelled */
	int64_t created_at; /* ms since the epoch */
	int64_t last_used_at;
};

/* Opens or creates the database, making its directory. Returns 0 or -1 with err. */
int store_open(const char *path, struct store **out, char *err, size_t err_size);
void store_close(struct store *s);

/* Records a thread, or updates one already known (its creation time stays). */
int store_put_thread(struct store *s, const char *id, const json_t *options, const char *status,
                     int64_t now);
int store_set_thread_status(struct store *s, const char *id, const char *status, int64_t now);
/* Returns 1 and fills out when found, 0 when not, -1 on error. */
int store_get_thread(struct store *s, const char *id, struct thread_record *out);
void thread_record_clear(struct thread_record *r);

/* A run the last server left "running" can only have been cut off. Returns rows changed. */
int store_recover(struct store *s, int64_t now);

int64_t store_now_ms(void);

#endif
