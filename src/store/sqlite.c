#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "proc/procfs.h"
#include "store/store-int.h"
#include "util/log.h"
#include "util/paths.h"

/* SQLite, the store of one host: servers on it share the file, and /proc says who runs. */
struct sqlite_store {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *put_thread;
	sqlite3_stmt *set_thread_status;
	sqlite3_stmt *get_thread;
	sqlite3_stmt *put_task;
	sqlite3_stmt *get_task;
	sqlite3_stmt *log_subject;
	bool (*alive)(const char *owner); /* during store_recover() */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS threads ("
    "  id TEXT PRIMARY KEY,"
    "  cwd TEXT,"
    "  options TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  last_used_at INTEGER NOT NULL,"
    "  owner TEXT,"
    "  subject TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE TABLE IF NOT EXISTS tasks ("
    "  id TEXT PRIMARY KEY,"
    "  tool TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  thread_id TEXT,"
    "  cwd TEXT,"
    "  log_file TEXT,"
    "  output TEXT,"
    "  error TEXT,"
    "  report TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  started_at INTEGER,"
    "  completed_at INTEGER,"
    "  last_activity INTEGER,"
    "  pid INTEGER,"
    "  result TEXT,"
    "  ttl_ms INTEGER,"
    "  owner TEXT,"
    "  subject TEXT NOT NULL DEFAULT '',"
    "  worktree TEXT"
    ");"
    "CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status, created_at);"
    "CREATE INDEX IF NOT EXISTS tasks_by_creation ON tasks (created_at);"
    /* Every listing is one subject's: its tasks, newest first, or those in one status. */
    "CREATE INDEX IF NOT EXISTS tasks_by_subject ON tasks (subject, created_at);"
    "CREATE INDEX IF NOT EXISTS tasks_by_subject_status ON tasks (subject, status, created_at);"
    /* Whose an agent log is: the task that names it. */
    "CREATE INDEX IF NOT EXISTS tasks_by_log_file ON tasks (log_file);";

enum { SCHEMA_VERSION = 7 };

/*
 * Start-up may wait for another server's migration to commit; once serving,
 * a write must not hold up the event loop for long.
 */
enum { BUSY_MS = 250 };

static int open_busy_ms = 5000;

void store_set_open_wait(int ms)
{
	open_busy_ms = ms;
}

/*
 * Columns added since version 2, in order. A column is added only where it is
 * missing, so a database whose version an older server wrote back still opens.
 */
static const struct {
	const char *table, *column, *type;
} added_columns[] = {
    {"tasks", "result", "TEXT"}, /* version 3 */
    {"tasks", "ttl_ms", "INTEGER"},
    {"tasks", "owner", "TEXT"},   /* version 4 */
    {"threads", "owner", "TEXT"}, /* version 5 */
    /* version 6: who made it; '' for no one (no authentication), as every older record */
    {"tasks", "subject", "TEXT NOT NULL DEFAULT ''"},
    {"threads", "subject", "TEXT NOT NULL DEFAULT ''"},
    {"tasks", "worktree", "TEXT"}, /* version 7: the git worktree a task works in */
};

#define TASK_COLUMNS                                                                               \
	"id, tool, status, thread_id, cwd, log_file, output, error, report, created_at, "          \
	"started_at, completed_at, last_activity, pid, result, ttl_ms, owner, subject, worktree"

#define subject_text store_subject_text

/* Keeps SQLite's word on a failure, which a ROLLBACK after it would replace. */
static int failed(struct sqlite_store *s, int rc)
{
	snprintf(s->base.error, sizeof s->base.error, "%s", sqlite3_errmsg(s->db));
	return rc;
}

/* Reads the schema version into *v; returns an SQLite code. */
static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int(q, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	return rc;
}

/* Adds the column unless the table has it already or does not exist yet. */
static int add_column(sqlite3 *db, const char *table, const char *column, const char *type)
{
	sqlite3_stmt *q;
	char *sql;
	int rc = sqlite3_prepare_v2(
	    db, "SELECT COUNT(*), COALESCE(SUM(name = ?2), 0) FROM pragma_table_info(?1)", -1, &q,
	    NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, column, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		bool exists = sqlite3_column_int(q, 0) > 0, has = sqlite3_column_int(q, 1) > 0;
		rc = SQLITE_OK;
		if (exists && !has) {
			sql = sqlite3_mprintf("ALTER TABLE \"%w\" ADD COLUMN \"%w\" %s", table,
			                      column, type);
			rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
			sqlite3_free(sql);
		}
	}
	sqlite3_finalize(q);
	return rc;
}

/*
 * Brings an older database to this version in one transaction: servers
 * started at once migrate it once between them, and a crash part way leaves
 * it as it was.
 */
static int upgrade(struct sqlite_store *s)
{
	int rc, v = 0;
	char *set_version;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return failed(s, rc);
	/* Another server may have migrated it while this one waited for the lock. */
	rc = user_version(s->db, &v);
	if (rc == SQLITE_OK && v < SCHEMA_VERSION) {
		for (size_t i = 0;
		     rc == SQLITE_OK && i < sizeof added_columns / sizeof added_columns[0]; i++)
			rc = add_column(s->db, added_columns[i].table, added_columns[i].column,
			                added_columns[i].type);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
		set_version = sqlite3_mprintf("PRAGMA user_version = %d", SCHEMA_VERSION);
		if (rc == SQLITE_OK)
			rc = set_version ? sqlite3_exec(s->db, set_version, NULL, NULL, NULL)
			                 : SQLITE_NOMEM;
		sqlite3_free(set_version);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		failed(s, rc);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

/* owner_alive(owner) in SQL: whether the server named still runs, as store_recover() is told. */
static void owner_alive(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sqlite_store *s = sqlite3_user_data(ctx);
	const char *owner = (const char *)sqlite3_value_text(argv[0]);

	(void)argc;
	sqlite3_result_int(ctx, owner && s->alive && s->alive(owner));
}

static int prepare(struct sqlite_store *s, sqlite3_stmt **stmt, const char *sql)
{
	return sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
}

static void sq_close(struct store *base);

static int sq_open(const char *path, struct store **out, char *err, size_t err_size)
{
	struct sqlite_store *s = calloc(1, sizeof *s);
	char dir[PATH_MAX];
	char *slash;
	int rc, version = 0;

	if (!s) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	/* The same name the runner gives this server in its tasks. */
	if (store_base_init(&s->base, &store_sqlite_ops, false) != 0) {
		snprintf(err, err_size, "out of memory");
		sq_close(&s->base);
		return -1;
	}
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		char why[400];
		if (make_private_dirs(dir, why, sizeof why) != 0) {
			snprintf(err, err_size, "the state directory: %s", why);
			sq_close(&s->base);
			return -1;
		}
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(s->db, open_busy_ms);
	/*
	 * WAL with NORMAL sync survives a crash of this process; each write is one transaction.
	 * Turning a new file to WAL needs it alone, and SQLite answers BUSY at once, without
	 * the busy handler, while another server starting with it holds the file too: start-up
	 * tries again until the open's wait is used up.
	 */
	for (int waited = 0; rc == SQLITE_OK; waited += 10) {
		rc = sqlite3_exec(
		    s->db,
		    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
		    /* A small page cache: memory stays flat however long the history. */
		    "PRAGMA cache_size=-512;",
		    NULL, NULL, NULL);
		if (rc != SQLITE_BUSY || waited >= open_busy_ms)
			break;
		sqlite3_sleep(10);
		rc = SQLITE_OK;
	}
	/*
	 * A database already at this version needs no write at all: start-up stays
	 * quick. One a newer server wrote is left as it is.
	 */
	if (rc == SQLITE_OK)
		rc = user_version(s->db, &version);
	if (rc == SQLITE_OK && version < SCHEMA_VERSION)
		rc = upgrade(s);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(s->db, BUSY_MS);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(s->db, "owner_alive", 1,
		                                SQLITE_UTF8 | SQLITE_DIRECTONLY, s, owner_alive,
		                                NULL, NULL, NULL);
	/* A thread stays the subject's that started it. */
	if (rc == SQLITE_OK)
		rc = prepare(s, &s->put_thread,
		             "INSERT INTO threads (id, cwd, options, status, created_at, "
		             "last_used_at, owner, subject) "
		             "VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7) "
		             "ON CONFLICT(id) DO UPDATE SET cwd = ?2, options = ?3, status = ?4, "
		             "last_used_at = ?5, owner = ?6");
	if (rc == SQLITE_OK)
		rc = prepare(s, &s->set_thread_status,
		             "UPDATE threads SET status = ?2, last_used_at = ?3, owner = ?4 "
		             "WHERE id = ?1");
	if (rc == SQLITE_OK)
		rc = prepare(s, &s->get_thread,
		             "SELECT options, status, created_at, last_used_at, subject, owner "
		             "FROM threads WHERE id = ?1");
	if (rc == SQLITE_OK)
		/*
		 * An update keeps the row, its rowid and its creation time: the list
		 * cursor is (created_at, rowid), and a new rowid would move a task
		 * across it between two pages. The subject is the creator's, for good.
		 */
		rc = prepare(
		    s, &s->put_task,
		    "INSERT INTO tasks (" TASK_COLUMNS ") VALUES "
		    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
		    "?18, ?19) "
		    "ON CONFLICT(id) DO UPDATE SET tool = excluded.tool, status = excluded.status, "
		    "thread_id = excluded.thread_id, cwd = excluded.cwd, "
		    "log_file = excluded.log_file, output = excluded.output, "
		    "error = excluded.error, report = excluded.report, "
		    "started_at = excluded.started_at, completed_at = excluded.completed_at, "
		    "last_activity = excluded.last_activity, pid = excluded.pid, "
		    "result = excluded.result, ttl_ms = excluded.ttl_ms, owner = excluded.owner, "
		    "worktree = excluded.worktree");
	if (rc == SQLITE_OK)
		rc = prepare(s, &s->get_task, "SELECT " TASK_COLUMNS " FROM tasks WHERE id = ?1");
	if (rc == SQLITE_OK)
		rc = prepare(s, &s->log_subject,
		             "SELECT subject FROM tasks WHERE log_file = ?1 LIMIT 1");
	if (rc != SQLITE_OK) {
		snprintf(err, err_size, "cannot open the database %s: %s", path,
		         s->base.error[0] ? s->base.error
		         : s->db          ? sqlite3_errmsg(s->db)
		                          : sqlite3_errstr(rc));
		sq_close(&s->base);
		return -1;
	}
	*out = &s->base;
	return 0;
}

static void sq_close(struct store *base)
{
	struct sqlite_store *s = (struct sqlite_store *)base;

	sqlite3_finalize(s->put_thread);
	sqlite3_finalize(s->set_thread_status);
	sqlite3_finalize(s->get_thread);
	sqlite3_finalize(s->put_task);
	sqlite3_finalize(s->get_task);
	sqlite3_finalize(s->log_subject);
	sqlite3_close(s->db);
	store_base_free(&s->base);
	free(s);
}

static int step_done(struct sqlite_store *s, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE) {
		failed(s, rc);
		log_error("database write failed: %s", s->base.error);
		return -1;
	}
	return 0;
}

static void bind_text_or_null(sqlite3_stmt *q, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static int sq_put_thread(struct store *base, const char *id, const json_t *options,
                         const char *status, const char *subject, int64_t now)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
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
	bind_text_or_null(s->put_thread, 6, s->base.owner);
	sqlite3_bind_text(s->put_thread, 7, subject_text(subject), -1, SQLITE_STATIC);
	rc = step_done(s, s->put_thread);
	free(text);
	return rc;
}

static int sq_set_thread_status(struct store *base, const char *id, const char *status, int64_t now)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_bind_text(s->set_thread_status, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->set_thread_status, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->set_thread_status, 3, now);
	bind_text_or_null(s->set_thread_status, 4, s->base.owner);
	return step_done(s, s->set_thread_status);
}

/* A lookup by id: 1 and read() when found, 0 when not, -1 on error. */
static int lookup(struct sqlite_store *s, sqlite3_stmt *q, const char *id,
                  void (*read)(sqlite3_stmt *q, const char *id, void *out), void *out)
{
	int rc, found = 0;

	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		read(q, id, out);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		failed(s, rc);
		log_error("database read failed: %s", s->base.error);
		found = -1;
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return found;
}

static char *column_dup(sqlite3_stmt *q, int i)
{
	const unsigned char *v = sqlite3_column_text(q, i);
	return v ? strdup((const char *)v) : NULL;
}

/* The subject column: NULL for no one. */
static char *column_subject(sqlite3_stmt *q, int i)
{
	const unsigned char *v = sqlite3_column_text(q, i);
	return v && *v ? strdup((const char *)v) : NULL;
}

static void read_thread(sqlite3_stmt *q, const char *id, void *data)
{
	struct thread_record *out = data;
	const char *options = (const char *)sqlite3_column_text(q, 0);
	const char *status = (const char *)sqlite3_column_text(q, 1);

	out->id = strdup(id);
	out->options = options ? json_loads(options, 0, NULL) : NULL;
	if (!out->options)
		out->options = json_object();
	out->status = strdup(status ? status : "");
	out->created_at = sqlite3_column_int64(q, 2);
	out->last_used_at = sqlite3_column_int64(q, 3);
	out->subject = column_subject(q, 4);
	out->owner = column_dup(q, 5);
}

static int sq_get_thread(struct store *base, const char *id, struct thread_record *out)
{
	struct sqlite_store *s = (struct sqlite_store *)base;

	return lookup(s, s->get_thread, id, read_thread, out);
}

static void bind_time(sqlite3_stmt *q, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(q, i, v);
	else
		sqlite3_bind_null(q, i);
}

static int sq_put_task(struct store *base, const struct task_record *t)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *q = s->put_task;
	char *report = t->report ? json_dumps(t->report, JSON_COMPACT) : NULL;
	char *result = t->result ? json_dumps(t->result, JSON_COMPACT) : NULL;
	char *worktree = t->worktree ? json_dumps(t->worktree, JSON_COMPACT) : NULL;
	int rc;

	sqlite3_bind_text(q, 1, t->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, t->tool ? t->tool : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, t->status ? t->status : "", -1, SQLITE_STATIC);
	bind_text_or_null(q, 4, t->thread_id);
	bind_text_or_null(q, 5, t->cwd);
	bind_text_or_null(q, 6, t->log_file);
	bind_text_or_null(q, 7, t->output);
	bind_text_or_null(q, 8, t->error);
	bind_text_or_null(q, 9, report);
	sqlite3_bind_int64(q, 10, t->created_at);
	bind_time(q, 11, t->started_at);
	bind_time(q, 12, t->completed_at);
	bind_time(q, 13, t->last_activity);
	bind_time(q, 14, t->pid);
	bind_text_or_null(q, 15, result);
	bind_time(q, 16, t->ttl_ms);
	bind_text_or_null(q, 17, t->owner);
	sqlite3_bind_text(q, 18, subject_text(t->subject), -1, SQLITE_STATIC);
	bind_text_or_null(q, 19, worktree);
	rc = step_done(s, q);
	free(report);
	free(result);
	free(worktree);
	return rc;
}

static json_t *column_json(sqlite3_stmt *q, int i)
{
	const char *text = (const char *)sqlite3_column_text(q, i);
	return text ? json_loads(text, 0, NULL) : NULL;
}

static void read_task(sqlite3_stmt *q, struct task_record *t)
{
	const unsigned char *id = sqlite3_column_text(q, 0);

	memset(t, 0, sizeof *t);
	snprintf(t->id, sizeof t->id, "%s", id ? (const char *)id : "");
	t->tool = column_dup(q, 1);
	t->status = column_dup(q, 2);
	t->thread_id = column_dup(q, 3);
	t->cwd = column_dup(q, 4);
	t->log_file = column_dup(q, 5);
	t->output = column_dup(q, 6);
	t->error = column_dup(q, 7);
	t->report = column_json(q, 8);
	t->created_at = sqlite3_column_int64(q, 9);
	t->started_at = sqlite3_column_int64(q, 10);
	t->completed_at = sqlite3_column_int64(q, 11);
	t->last_activity = sqlite3_column_int64(q, 12);
	t->pid = sqlite3_column_int64(q, 13);
	t->result = column_json(q, 14);
	t->ttl_ms = sqlite3_column_int64(q, 15);
	t->owner = column_dup(q, 16);
	t->subject = column_subject(q, 17);
	t->worktree = column_json(q, 18);
}

static void read_task_by_id(sqlite3_stmt *q, const char *id, void *out)
{
	(void)id;
	read_task(q, out);
}

static int sq_get_task(struct store *base, const char *id, struct task_record *out)
{
	struct sqlite_store *s = (struct sqlite_store *)base;

	return lookup(s, s->get_task, id, read_task_by_id, out);
}

static int sq_each_task(struct store *base, const char *subject, const char *status, int limit,
                        void (*fn)(void *data, const struct task_record *t), void *data)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(s->db,
	                        status ? "SELECT " TASK_COLUMNS " FROM tasks "
	                                 "WHERE subject = ?3 AND status = ?1 "
	                                 "ORDER BY created_at DESC, rowid DESC LIMIT ?2"
	                               : "SELECT " TASK_COLUMNS " FROM tasks WHERE subject = ?3 "
	                                 "ORDER BY created_at DESC, rowid DESC LIMIT ?2",
	                        -1, &q, NULL);
	if (rc != SQLITE_OK)
		return failed(s, -1);
	if (status)
		sqlite3_bind_text(q, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, limit);
	sqlite3_bind_text(q, 3, subject_text(subject), -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct task_record t;
		read_task(q, &t);
		fn(data, &t);
		task_record_clear(&t);
	}
	if (rc != SQLITE_DONE)
		failed(s, rc);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static json_t *sq_count_tasks(struct store *base, const char *subject)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *q;
	json_t *counts = json_object();

	if (sqlite3_prepare_v2(s->db,
	                       "SELECT status, COUNT(*) FROM tasks WHERE subject = ?1 "
	                       "GROUP BY status",
	                       -1, &q, NULL) != SQLITE_OK)
		return counts;
	sqlite3_bind_text(q, 1, subject_text(subject), -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW)
		json_object_set_new(counts, (const char *)sqlite3_column_text(q, 0),
		                    json_integer(sqlite3_column_int64(q, 1)));
	sqlite3_finalize(q);
	return counts;
}

static int sq_page_tasks(struct store *base, const char *subject, const char *cursor, int limit,
                         void (*fn)(void *data, const struct task_record *t), void *data,
                         char **next)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	long long created, rowid, last_created = 0, last_rowid = 0;
	sqlite3_stmt *q;
	int rc, n = 0;

	/* The cursor is where the last page ended: its creation time and rowid. */
	if (store_cursor_parse(cursor, &created, &rowid) != 0)
		return -1;
	rc = sqlite3_prepare_v2(s->db,
	                        "SELECT " TASK_COLUMNS ", rowid FROM tasks "
	                        "WHERE subject = ?4 AND (created_at, rowid) < (?1, ?2) "
	                        "ORDER BY created_at DESC, rowid DESC LIMIT ?3",
	                        -1, &q, NULL);
	if (rc != SQLITE_OK)
		return failed(s, -1);
	sqlite3_bind_int64(q, 1, created);
	sqlite3_bind_int64(q, 2, rowid);
	sqlite3_bind_int(q, 3, limit + 1); /* one more says whether a next page exists */
	sqlite3_bind_text(q, 4, subject_text(subject), -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct task_record t;
		if (n == limit) {
			*next = store_cursor_make(last_created, last_rowid);
			break;
		}
		read_task(q, &t);
		last_created = t.created_at;
		last_rowid = sqlite3_column_int64(q, 19);
		fn(data, &t);
		task_record_clear(&t);
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		failed(s, rc);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int sq_log_visible(struct store *base, const char *subject, const char *log_file)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *q = s->log_subject;
	int rc, visible;

	sqlite3_bind_text(q, 1, log_file, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		visible = store_subject_same((const char *)sqlite3_column_text(q, 0), subject);
	else if (rc == SQLITE_DONE)
		visible = store_subject_same(NULL, subject); /* no task names it: no one's */
	else
		visible = failed(s, -1);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return visible;
}

static int sq_expire_tasks(struct store *base, int64_t now)
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	sqlite3_stmt *q;
	int deleted = -1;

	if (sqlite3_prepare_v2(s->db,
	                       "DELETE FROM tasks WHERE ttl_ms > 0 AND created_at + ttl_ms < ?1 "
	                       "AND status NOT IN ('queued', 'running')",
	                       -1, &q, NULL) != SQLITE_OK)
		return failed(s, -1);
	sqlite3_bind_int64(q, 1, now);
	if (sqlite3_step(q) == SQLITE_DONE)
		deleted = sqlite3_changes(s->db);
	else
		failed(s, -1);
	sqlite3_finalize(q);
	return deleted;
}

static int sq_recover(struct store *base, int64_t now, bool (*alive)(const char *owner))
{
	struct sqlite_store *s = (struct sqlite_store *)base;
	static const char *const marks[] = {
	    /*
	     * A thread is another server's to end while that server runs: the one
	     * that last ran it, or one running a task on it (a thread an older
	     * version recorded names no owner).
	     */
	    "UPDATE threads SET status = 'failed', last_used_at = ?1 "
	    "WHERE status = 'running' AND NOT owner_alive(owner) AND NOT EXISTS ("
	    "  SELECT 1 FROM tasks WHERE tasks.thread_id = threads.id"
	    "  AND tasks.status IN ('queued', 'running') AND owner_alive(tasks.owner))",
	    "UPDATE tasks SET status = 'failed', error = 'server stopped', completed_at = ?1, "
	    "pid = NULL WHERE status IN ('queued', 'running') AND NOT owner_alive(owner)",
	};
	sqlite3_stmt *q;
	int changed = 0, rc;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return failed(s, -1);
	s->alive = alive;
	/* All or nothing: a failure part way must not leave half the records ended. */
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof marks / sizeof marks[0]; i++) {
		q = NULL;
		rc = sqlite3_prepare_v2(s->db, marks[i], -1, &q, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(q, 1, now);
			rc = sqlite3_step(q);
			if (rc == SQLITE_DONE) {
				rc = SQLITE_OK;
				changed += sqlite3_changes(s->db);
			}
		}
		if (rc != SQLITE_OK)
			failed(s, rc);
		sqlite3_finalize(q);
	}
	s->alive = NULL;
	if (rc == SQLITE_OK && (rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
		failed(s, rc);
	if (rc != SQLITE_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return changed;
}

const struct store_ops store_sqlite_ops = {
    .kind = "sqlite",
    /*
     * A read of a local WAL database takes microseconds and never waits on a writer:
     * handing it to the store's thread cost more than it saved (in the HTTP load
     * benchmark, 36,000 requests/s fell to 20,500 and peak memory rose from 20 to 42 MiB).
     */
    .reads_inline = true,
    .open = sq_open,
    .close = sq_close,
    .put_thread = sq_put_thread,
    .set_thread_status = sq_set_thread_status,
    .get_thread = sq_get_thread,
    .put_task = sq_put_task,
    .get_task = sq_get_task,
    .each_task = sq_each_task,
    .count_tasks = sq_count_tasks,
    .page_tasks = sq_page_tasks,
    .log_visible = sq_log_visible,
    .expire_tasks = sq_expire_tasks,
    .recover = sq_recover,
};
