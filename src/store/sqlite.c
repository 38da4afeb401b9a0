#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "store/store.h"

struct store {
	sqlite3 *db;
	sqlite3_stmt *put_thread;
	sqlite3_stmt *set_thread_status;
	sqlite3_stmt *get_thread;
};

static const char schema[] = "CREATE TABLE IF NOT EXISTS threads ("
                             "  id TEXT PRIMARY KEY,"
                             "  cwd TEXT,"
                             "  options TEXT NOT NULL,"
                             "  status TEXT NOT NULL,"
                             "  created_at INTEGER NOT NULL,"
                             "  last_used_at INTEGER NOT NULL"
                             ");"
                             "PRAGMA user_version = 1;";

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* mkdir -p, private to the user: the database holds prompts' working directories. */
static int make_dirs(const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof path)
		return -1;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int prepare(struct store *s, sqlite3_stmt **stmt, const char *sql)
{
	return sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
}

int store_open(const char *path, struct store **out, char *err, size_t err_size)
{
	struct store *s = calloc(1, sizeof *s);
	char dir[PATH_MAX];
	char *slash;
	int rc;

	if (!s) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (make_dirs(dir) != 0) {
			snprintf(err, err_size, "cannot create the state directory %s: %s", dir,
			         strerror(errno));
			free(s);
			return -1;
		}
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(s->db, 2000);
	/* WAL with NORMAL sync survives a crash of this process; each write is one transaction. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
		                  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = prepare(s, &s->put_thread,
		             "INSERT INTO threads (id, cwd, options, status, created_at, "
		             "last_used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
		             "ON CONFLICT(id) DO UPDATE SET cwd = ?2, options = ?3, status = ?4, "
		             "last_used_at = ?5");
	if (rc == SQLITE_OK)
		rc = prepare(s, &s->set_thread_status,
		             "UPDATE threads SET status = ?2, last_used_at = ?3 WHERE id = ?1");
	if (rc == SQLITE_OK)
		rc = prepare(s, &s->get_thread,
		             "SELECT options, status, created_at, last_used_at FROM threads "
		             "WHERE id = ?1");
	if (rc != SQLITE_OK) {
		snprintf(err, err_size, "cannot open the database %s: %s", path,
		         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->put_thread);
	sqlite3_finalize(s->set_thread_status);
	sqlite3_finalize(s->get_thread);
	sqlite3_close(s->db);
	free(s);
}

static int step_done(struct store *s, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE) {
		log_error("database write failed: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

int store_put_thread(struct store *s, const char *id, const json_t *options, const char *status,
                     int64_t now)
{
	char *text = json_dumps(options, JSON_COMPACT);
	const char *cwd = json_string_value(json_object_get(options, "cwd"));
	int rc;

	if (!text)
		return -1;
	sqlite3_bind_text(s->put_thread, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->put_thread, 2, cwd, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->put_thread, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->put_thread, 4, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->put_thread, 5, now);
	rc = step_done(s, s->put_thread);
	free(text);
	return rc;
}

int store_set_thread_status(struct store *s, const char *id, const char *status, int64_t now)
{
	sqlite3_bind_text(s->set_thread_status, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->set_thread_status, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->set_thread_status, 3, now);
	return step_done(s, s->set_thread_status);
}

int store_get_thread(struct store *s, const char *id, struct thread_record *out)
{
	sqlite3_stmt *q = s->get_thread;
	int rc, found = 0;

	memset(out, 0, sizeof *out);
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *options = (const char *)sqlite3_column_text(q, 0);
		const char *status = (const char *)sqlite3_column_text(q, 1);
		out->id = strdup(id);
		out->options = options ? json_loads(options, 0, NULL) : NULL;
		if (!out->options)
			out->options = json_object();
		out->status = strdup(status ? status : "");
		out->created_at = sqlite3_column_int64(q, 2);
		out->last_used_at = sqlite3_column_int64(q, 3);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		log_error("database read failed: %s", sqlite3_errmsg(s->db));
		found = -1;
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return found;
}

void thread_record_clear(struct thread_record *r)
{
	free(r->id);
	json_decref(r->options);
	free(r->status);
	memset(r, 0, sizeof *r);
}

int store_recover(struct store *s, int64_t now)
{
	sqlite3_stmt *q;
	int changed = -1;

	if (sqlite3_prepare_v2(s->db,
	                       "UPDATE threads SET status = 'failed', last_used_at = ?1 "
	                       "WHERE status = 'running'",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, now);
	if (sqlite3_step(q) == SQLITE_DONE)
		changed = sqlite3_changes(s->db);
	sqlite3_finalize(q);
	return changed;
}
