/*
 * PostgreSQL, the store replicas on many hosts share: the same records as
 * SQLite's, and a lease per server, in the database's own clock, that says
 * which servers still run. Built into codex-mcp-postgres.so, loaded only for
 * a postgresql:// store, so a server on SQLite never maps libpq.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/store-int.h"
#include "util/log.h"

struct pg_store {
	struct store base;
	PGconn *conn;
	bool in_transaction; /* a lost connection then loses the transaction: no second try */
	bool once;           /* a statement that must not run twice (it takes rows away) */
	char *url;
	struct watch *watch; /* the LISTEN connection, while store_watch() runs */
};

/*
 * A second connection, LISTENing on the loop for cancels asked of this server.
 * Its handles are its own: a poll per connection, closed when the connection
 * goes, and a timer; unwatch closes them, and the last close frees it.
 */
struct watch {
	uv_loop_t *loop;
	PGconn *conn;
	enum { WATCH_DOWN, WATCH_CONNECTING, WATCH_LISTEN_SENT, WATCH_LISTENING } state;
	uv_poll_t *poll; /* on conn's socket, fd, while there is one */
	int fd;
	uv_timer_t again; /* reconnects after the database went away */
	int open_handles;
	char channel[64];
	char offers[64];
	void (*wake)(void *data);
	void *data;
	char *url;
	bool lost; /* said once an outage */
};

extern const struct store_ops codex_mcp_postgres_store;

/* The database's clock, in ms since the epoch: leases of servers on many hosts agree on it. */
#define DB_NOW "(extract(epoch from clock_timestamp()) * 1000)::bigint"

/*
 * Each step brings the schema one version on; a database records the steps it
 * has taken in codex_mcp_schema, and servers started together take them once,
 * behind an advisory lock.
 */
static const char *const migrations[] = {
    /* 1 */
    "CREATE TABLE threads ("
    "  id TEXT PRIMARY KEY,"
    "  cwd TEXT,"
    "  options TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  last_used_at BIGINT NOT NULL,"
    "  owner TEXT,"
    "  subject TEXT NOT NULL DEFAULT ''"
    ");"
    /* seq orders tasks made in the same millisecond, as SQLite's rowid does. */
    "CREATE TABLE tasks ("
    "  id TEXT PRIMARY KEY,"
    "  seq BIGSERIAL NOT NULL UNIQUE,"
    "  tool TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  thread_id TEXT,"
    "  cwd TEXT,"
    "  log_file TEXT,"
    "  output TEXT,"
    "  error TEXT,"
    "  report TEXT,"
    "  created_at BIGINT NOT NULL,"
    "  started_at BIGINT,"
    "  completed_at BIGINT,"
    "  last_activity BIGINT,"
    "  pid BIGINT,"
    "  result TEXT,"
    "  ttl_ms BIGINT,"
    "  owner TEXT,"
    "  subject TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX tasks_by_subject ON tasks (subject, created_at, seq);"
    "CREATE INDEX tasks_by_subject_status ON tasks (subject, status, created_at, seq);"
    "CREATE INDEX tasks_live ON tasks (owner) WHERE status IN ('queued', 'running');"
    "CREATE INDEX tasks_by_log_file ON tasks (log_file);"
    "CREATE INDEX tasks_by_thread ON tasks (thread_id);"
    "CREATE TABLE replicas ("
    "  id TEXT PRIMARY KEY,"
    "  started_at BIGINT NOT NULL,"
    "  lease_until BIGINT NOT NULL"
    ");"
    /*
     * What one replica asks of another, kept until that one takes it: a run to
     * stop ("cancel", body: how), or a run on a thread it holds ("run", body: the
     * request).
     */
    "CREATE TABLE asked ("
    "  task_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  asked_at BIGINT NOT NULL,"
    "  PRIMARY KEY (task_id, kind)"
    ");"
    "CREATE INDEX asked_of ON asked (owner);",
    /* 2: the git worktree a task works in (app/worktree.h) */
    "ALTER TABLE tasks ADD COLUMN worktree TEXT;",
};
enum { SCHEMA_VERSION = sizeof migrations / sizeof migrations[0] };
/* Any numbers of ours: the advisory locks the migrations and the fleet's count take. */
enum { MIGRATION_LOCK = 0x636f6465, FLEET_LOCK = 0x666c6565 };

#define CONNECT_TIMEOUT "10"
/* A database the network lost answers nothing: a call on it fails after this, not never. */
#define TCP_TIMEOUT_MS "15000"

#define TASK_COLUMNS                                                                               \
	"id, tool, status, thread_id, cwd, log_file, output, error, report, created_at, "          \
	"started_at, completed_at, last_activity, pid, result, ttl_ms, owner, subject, worktree"

static void set_error(struct pg_store *s, const char *what, const char *why)
{
	size_t n;

	snprintf(s->base.error, sizeof s->base.error, "%s%s%s", what ? what : "", what ? ": " : "",
	         why && *why ? why : "unknown error");
	/* libpq ends its messages with a newline. */
	n = strlen(s->base.error);
	while (n > 0 && (s->base.error[n - 1] == '\n' || s->base.error[n - 1] == ' '))
		s->base.error[--n] = '\0';
}

static PGresult *exec_once(struct pg_store *s, const char *sql, int n, const char *const *params)
{
	return n ? PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0)
	         : PQexec(s->conn, sql);
}

/*
 * Runs one statement; NULL on failure, with store_error() saying why. A
 * connection lost (a restart of the database) is made again, once, and the
 * statement runs again: every write here may run twice to the same effect.
 */
static PGresult *run(struct pg_store *s, const char *sql, int n, const char *const *params)
{
	PGresult *res = exec_once(s, sql, n, params);
	ExecStatusType st = PQresultStatus(res);

	if ((st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) && !s->in_transaction && !s->once &&
	    PQstatus(s->conn) == CONNECTION_BAD) {
		PQclear(res);
		PQreset(s->conn);
		if (PQstatus(s->conn) != CONNECTION_OK) {
			set_error(s, "the database connection is lost", PQerrorMessage(s->conn));
			return NULL;
		}
		log_info("reconnected to the database");
		res = exec_once(s, sql, n, params);
		st = PQresultStatus(res);
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		set_error(s, NULL, PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* A statement whose rows do not matter: 0, or -1. */
static int run_done(struct pg_store *s, const char *sql, int n, const char *const *params)
{
	PGresult *res = run(s, sql, n, params);

	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

/* Texts for the int64 parameters of one statement. */
struct numbers {
	char text[8][24];
	int used;
};

static const char *num(struct numbers *b, int64_t v)
{
	char *out = b->text[b->used++];
	snprintf(out, sizeof b->text[0], "%" PRId64, v);
	return out;
}

/* 0 is "not yet" in a record, NULL in the database. */
static const char *num_or_null(struct numbers *b, int64_t v)
{
	return v ? num(b, v) : NULL;
}

static int begin(struct pg_store *s)
{
	int rc = run_done(s, "BEGIN", 0, NULL);

	s->in_transaction = rc == 0;
	return rc;
}

/* Commits when rc is 0, else rolls back keeping the first failure's words; returns rc. */
static int end(struct pg_store *s, int rc)
{
	char why[sizeof s->base.error];

	if (rc == 0)
		rc = run_done(s, "COMMIT", 0, NULL);
	if (rc != 0) {
		snprintf(why, sizeof why, "%s", s->base.error);
		PQclear(PQexec(s->conn, "ROLLBACK"));
		snprintf(s->base.error, sizeof s->base.error, "%s", why);
	}
	s->in_transaction = false;
	return rc;
}

static int schema_version(struct pg_store *s, int *v)
{
	PGresult *res = run(s, "SELECT version FROM codex_mcp_schema", 0, NULL);

	if (!res)
		return -1;
	*v = PQntuples(res) > 0 ? atoi(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	return 0;
}

/*
 * Brings the schema to this version in one transaction: a crash part way
 * leaves it as it was, and a server waiting on the lock finds the work done.
 */
static int migrate(struct pg_store *s)
{
	char lock[64], set[96];
	int v = 0, rc;

	snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d)", MIGRATION_LOCK);
	rc = begin(s);
	if (rc == 0)
		rc = run_done(s, lock, 0, NULL);
	if (rc == 0)
		rc = run_done(
		    s, "CREATE TABLE IF NOT EXISTS codex_mcp_schema (version INTEGER NOT NULL)", 0,
		    NULL);
	if (rc == 0)
		rc = schema_version(s, &v);
	for (int i = v; rc == 0 && i < SCHEMA_VERSION; i++)
		rc = run_done(s, migrations[i], 0, NULL);
	if (rc == 0 && v < SCHEMA_VERSION) {
		snprintf(set, sizeof set,
		         "DELETE FROM codex_mcp_schema; INSERT INTO codex_mcp_schema VALUES (%d)",
		         SCHEMA_VERSION);
		rc = run_done(s, set, 0, NULL);
	}
	return end(s, rc);
}

static void pg_close(struct store *base)
{
	struct pg_store *s = (struct pg_store *)base;

	if (s->conn)
		PQfinish(s->conn);
	free(s->url);
	store_base_free(&s->base);
	free(s);
}

static int pg_open(const char *url, struct store **out, char *err, size_t err_size)
{
	/* The URL's own settings come last and win; a server does not wait for ever to start. */
	static const char *const keys[] = {"connect_timeout", "tcp_user_timeout",
	                                   "application_name", "dbname", NULL};
	const char *values[] = {CONNECT_TIMEOUT, TCP_TIMEOUT_MS, "codex-mcp", url, NULL};
	struct pg_store *s = calloc(1, sizeof *s);
	int v = 0;

	if (!s || store_base_init(&s->base, &codex_mcp_postgres_store, true) != 0) {
		snprintf(err, err_size, "out of memory");
		if (s)
			pg_close(&s->base);
		return -1;
	}
	s->url = strdup(url);
	s->conn = PQconnectdbParams(keys, values, 1);
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		set_error(s, NULL, s->conn ? PQerrorMessage(s->conn) : "out of memory");
		snprintf(err, err_size, "cannot connect to the PostgreSQL store: %s",
		         s->base.error);
		pg_close(&s->base);
		return -1;
	}
	/* One at a version this server knows needs no lock and no write. */
	if (schema_version(s, &v) != 0)
		v = 0; /* no schema table yet */
	if (v > SCHEMA_VERSION)
		log_warn(
		    "the PostgreSQL store's schema (version %d) is newer than this server's (%d)",
		    v, (int)SCHEMA_VERSION);
	if (v < SCHEMA_VERSION && migrate(s) != 0) {
		snprintf(err, err_size, "cannot set up the PostgreSQL store: %s", s->base.error);
		pg_close(&s->base);
		return -1;
	}
	*out = &s->base;
	return 0;
}

static int pg_put_thread(struct store *base, const char *id, const json_t *options,
                         const char *status, const char *subject, int64_t now)
{
	struct pg_store *s = (struct pg_store *)base;
	struct numbers b = {0};
	char *text = json_dumps(options, JSON_COMPACT);
	const char *params[7] = {id,
	                         json_string_value(json_object_get(options, "cwd")),
	                         text,
	                         status,
	                         NULL,
	                         s->base.owner,
	                         store_subject_text(subject)};
	int rc;

	if (!text)
		return -1;
	params[4] = num(&b, now);
	/* A thread stays the subject's that started it. */
	rc = run_done(s,
	              "INSERT INTO threads (id, cwd, options, status, created_at, last_used_at, "
	              "owner, subject) VALUES ($1, $2, $3, $4, $5, $5, $6, $7) "
	              "ON CONFLICT (id) DO UPDATE SET cwd = $2, options = $3, status = $4, "
	              "last_used_at = $5, owner = $6",
	              7, params);
	free(text);
	return rc;
}

static int pg_set_thread_status(struct store *base, const char *id, const char *status, int64_t now)
{
	struct pg_store *s = (struct pg_store *)base;
	struct numbers b = {0};
	const char *params[4] = {id, status, num(&b, now), s->base.owner};

	return run_done(
	    s, "UPDATE threads SET status = $2, last_used_at = $3, owner = $4 WHERE id = $1", 4,
	    params);
}

static char *field(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : strdup(PQgetvalue(res, row, col));
}

static int64_t field_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static json_t *field_json(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : json_loads(PQgetvalue(res, row, col), 0, NULL);
}

/* The subject column: NULL for no one. */
static char *field_subject(const PGresult *res, int row, int col)
{
	const char *v = PQgetvalue(res, row, col);
	return v && *v ? strdup(v) : NULL;
}

static int pg_get_thread(struct store *base, const char *id, struct thread_record *out)
{
	struct pg_store *s = (struct pg_store *)base;
	const char *params[1] = {id};
	PGresult *res = run(s,
	                    "SELECT options, status, created_at, last_used_at, subject, owner "
	                    "FROM threads WHERE id = $1",
	                    1, params);

	if (!res)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	out->id = strdup(id);
	out->options = field_json(res, 0, 0);
	if (!out->options)
		out->options = json_object();
	out->status = strdup(PQgetvalue(res, 0, 1));
	out->created_at = field_int(res, 0, 2);
	out->last_used_at = field_int(res, 0, 3);
	out->subject = field_subject(res, 0, 4);
	out->owner = field(res, 0, 5);
	PQclear(res);
	return 1;
}

static int pg_put_task(struct store *base, const struct task_record *t)
{
	struct pg_store *s = (struct pg_store *)base;
	struct numbers b = {0};
	char *report = t->report ? json_dumps(t->report, JSON_COMPACT) : NULL;
	char *result = t->result ? json_dumps(t->result, JSON_COMPACT) : NULL;
	char *worktree = t->worktree ? json_dumps(t->worktree, JSON_COMPACT) : NULL;
	const char *params[19] = {
	    t->id,
	    t->tool ? t->tool : "",
	    t->status ? t->status : "",
	    t->thread_id,
	    t->cwd,
	    t->log_file,
	    t->output,
	    t->error,
	    report,
	    num(&b, t->created_at),
	    num_or_null(&b, t->started_at),
	    num_or_null(&b, t->completed_at),
	    num_or_null(&b, t->last_activity),
	    num_or_null(&b, t->pid),
	    result,
	    num_or_null(&b, t->ttl_ms),
	    t->owner,
	    store_subject_text(t->subject),
	    worktree,
	};
	int rc;

	/* An update keeps the row's seq and creation time, and its subject, the creator's. */
	rc =
	    run_done(s,
	             "INSERT INTO tasks (" TASK_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
	             "$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) "
	             "ON CONFLICT (id) DO UPDATE SET tool = excluded.tool, "
	             "status = excluded.status, thread_id = excluded.thread_id, "
	             "cwd = excluded.cwd, log_file = excluded.log_file, "
	             "output = excluded.output, error = excluded.error, "
	             "report = excluded.report, started_at = excluded.started_at, "
	             "completed_at = excluded.completed_at, "
	             "last_activity = excluded.last_activity, pid = excluded.pid, "
	             "result = excluded.result, ttl_ms = excluded.ttl_ms, owner = excluded.owner, "
	             "worktree = excluded.worktree",
	             19, params);
	if (rc != 0)
		log_error("database write failed: %s", s->base.error);
	free(report);
	free(result);
	free(worktree);
	return rc;
}

static void read_task(const PGresult *res, int row, struct task_record *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->id, sizeof t->id, "%s", PQgetvalue(res, row, 0));
	t->tool = field(res, row, 1);
	t->status = field(res, row, 2);
	t->thread_id = field(res, row, 3);
	t->cwd = field(res, row, 4);
	t->log_file = field(res, row, 5);
	t->output = field(res, row, 6);
	t->error = field(res, row, 7);
	t->report = field_json(res, row, 8);
	t->created_at = field_int(res, row, 9);
	t->started_at = field_int(res, row, 10);
	t->completed_at = field_int(res, row, 11);
	t->last_activity = field_int(res, row, 12);
	t->pid = field_int(res, row, 13);
	t->result = field_json(res, row, 14);
	t->ttl_ms = field_int(res, row, 15);
	t->owner = field(res, row, 16);
	t->subject = field_subject(res, row, 17);
	t->worktree = field_json(res, row, 18);
}

static int pg_get_task(struct store *base, const char *id, struct task_record *out)
{
	struct pg_store *s = (struct pg_store *)base;
	const char *params[1] = {id};
	PGresult *res = run(s, "SELECT " TASK_COLUMNS " FROM tasks WHERE id = $1", 1, params);
	int found;

	if (!res) {
		log_error("database read failed: %s", s->base.error);
		return -1;
	}
	found = PQntuples(res) > 0;
	if (found)
		read_task(res, 0, out);
	PQclear(res);
	return found;
}

/* Calls fn for each of at most limit rows; returns how many it called it for. */
static int each_row(const PGresult *res, int limit,
                    void (*fn)(void *data, const struct task_record *t), void *data)
{
	int n = 0;

	for (; n < PQntuples(res) && n < limit; n++) {
		struct task_record t;
		read_task(res, n, &t);
		fn(data, &t);
		task_record_clear(&t);
	}
	return n;
}

static int pg_each_task(struct store *base, const char *subject, const char *status, int limit,
                        void (*fn)(void *data, const struct task_record *t), void *data)
{
	struct pg_store *s = (struct pg_store *)base;
	struct numbers b = {0};
	const char *params[3] = {store_subject_text(subject), num(&b, limit), status};
	PGresult *res = run(s,
	                    status ? "SELECT " TASK_COLUMNS " FROM tasks WHERE subject = $1 AND "
	                             "status = $3 ORDER BY created_at DESC, seq DESC LIMIT $2"
	                           : "SELECT " TASK_COLUMNS " FROM tasks WHERE subject = $1 "
	                             "ORDER BY created_at DESC, seq DESC LIMIT $2",
	                    status ? 3 : 2, params);

	if (!res)
		return -1;
	each_row(res, limit, fn, data);
	PQclear(res);
	return 0;
}

static json_t *pg_count_tasks(struct store *base, const char *subject)
{
	struct pg_store *s = (struct pg_store *)base;
	const char *params[1] = {store_subject_text(subject)};
	json_t *counts = json_object();
	PGresult *res = run(
	    s, "SELECT status, COUNT(*) FROM tasks WHERE subject = $1 GROUP BY status", 1, params);

	for (int i = 0; res && i < PQntuples(res); i++)
		json_object_set_new(counts, PQgetvalue(res, i, 0),
		                    json_integer(field_int(res, i, 1)));
	PQclear(res);
	return counts;
}

static int pg_page_tasks(struct store *base, const char *subject, const char *cursor, int limit,
                         void (*fn)(void *data, const struct task_record *t), void *data,
                         char **next)
{
	struct pg_store *s = (struct pg_store *)base;
	struct numbers b = {0};
	long long created, seq;
	const char *params[4];
	PGresult *res;
	int n;

	if (store_cursor_parse(cursor, &created, &seq) != 0)
		return -1;
	params[0] = store_subject_text(subject);
	params[1] = num(&b, created);
	params[2] = num(&b, seq);
	params[3] = num(&b, limit + 1); /* one more says whether a next page exists */
	res = run(s,
	          "SELECT " TASK_COLUMNS ", seq FROM tasks WHERE subject = $1 AND "
	          "(created_at, seq) < ($2, $3) ORDER BY created_at DESC, seq DESC LIMIT $4",
	          4, params);
	if (!res)
		return -1;
	n = each_row(res, limit, fn, data);
	if (PQntuples(res) > limit && n > 0)
		*next = store_cursor_make(field_int(res, n - 1, 9), field_int(res, n - 1, 19));
	PQclear(res);
	return 0;
}

static int pg_log_visible(struct store *base, const char *subject, const char *log_file)
{
	struct pg_store *s = (struct pg_store *)base;
	const char *params[1] = {log_file};
	PGresult *res = run(s, "SELECT subject FROM tasks WHERE log_file = $1 LIMIT 1", 1, params);
	int visible;

	if (!res)
		return -1;
	/* No task names it: no one's. */
	visible = store_subject_same(PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : NULL, subject);
	PQclear(res);
	return visible;
}

static int pg_expire_tasks(struct store *base, int64_t now)
{
	struct pg_store *s = (struct pg_store *)base;
	struct numbers b = {0};
	const char *params[1] = {num(&b, now)};
	PGresult *res = run(s,
	                    "DELETE FROM tasks WHERE ttl_ms > 0 AND created_at + ttl_ms < $1 "
	                    "AND status NOT IN ('queued', 'running')",
	                    1, params);
	int deleted;

	if (!res)
		return -1;
	deleted = atoi(PQcmdTuples(res));
	PQclear(res);
	return deleted;
}

static int pg_lease(struct store *base, int64_t now)
{
	struct pg_store *s = (struct pg_store *)base;
	struct numbers b = {0};
	const char *params[3] = {s->base.owner, num(&b, now), num(&b, s->base.lease_ms)};

	(void)now;
	return run_done(s,
	                "INSERT INTO replicas (id, started_at, lease_until) "
	                "VALUES ($1, $2, " DB_NOW " + $3) "
	                "ON CONFLICT (id) DO UPDATE SET lease_until = " DB_NOW " + $3",
	                3, params);
}

static int pg_release(struct store *base)
{
	struct pg_store *s = (struct pg_store *)base;
	const char *params[1] = {s->base.owner};

	return run_done(s, "DELETE FROM replicas WHERE id = $1", 1, params);
}

static int pg_owner_alive(struct store *base, const char *owner, int64_t now)
{
	struct pg_store *s = (struct pg_store *)base;
	const char *params[1] = {owner};
	PGresult *res;
	int alive;

	(void)now;
	res = run(s, "SELECT 1 FROM replicas WHERE id = $1 AND lease_until > " DB_NOW, 1, params);
	if (!res)
		return -1;
	alive = PQntuples(res) > 0;
	PQclear(res);
	return alive;
}

/*
 * A run belongs to a live server while that server's lease lasts. alive() is
 * not asked: a pid on this host says nothing of a server on another.
 */
static int pg_recover(struct store *base, int64_t now, bool (*alive)(const char *owner))
{
	static const char *const marks[] = {
	    "UPDATE threads SET status = 'failed', last_used_at = $1 "
	    "WHERE status = 'running' AND NOT EXISTS (SELECT 1 FROM replicas r "
	    "  WHERE r.id = threads.owner AND r.lease_until > " DB_NOW ") "
	    "AND NOT EXISTS (SELECT 1 FROM tasks t JOIN replicas r ON r.id = t.owner "
	    "  WHERE t.thread_id = threads.id AND t.status IN ('queued', 'running') "
	    "  AND r.lease_until > " DB_NOW ")",
	    "UPDATE tasks SET status = 'failed', error = 'server stopped', completed_at = $1, "
	    "pid = NULL WHERE status IN ('queued', 'running') AND NOT EXISTS ("
	    "  SELECT 1 FROM replicas r WHERE r.id = tasks.owner AND r.lease_until > " DB_NOW ")",
	    /* Servers long gone leave no row behind. */
	    "DELETE FROM replicas WHERE lease_until < " DB_NOW " - 86400000",
	};
	struct pg_store *s = (struct pg_store *)base;
	struct numbers b = {0};
	const char *params[1] = {num(&b, now)};
	int changed = 0, rc;

	(void)alive;
	rc = begin(s);
	/* All or nothing: a failure part way must not leave half the records ended. */
	for (size_t i = 0; rc == 0 && i < sizeof marks / sizeof marks[0]; i++) {
		PGresult *res = run(s, marks[i], i < 2 ? 1 : 0, params);
		if (!res) {
			rc = -1;
			break;
		}
		if (i < 2)
			changed += atoi(PQcmdTuples(res));
		PQclear(res);
	}
	return end(s, rc) == 0 ? changed : -1;
}

/* The channel a server is woken on: a hash of its name, as channel names are short. */
static void channel_of(const char *owner, char *out, size_t size)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)owner; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	snprintf(out, size, "codex_mcp_%016" PRIx64, h);
}

static int pg_ask(struct store *base, const char *owner, const char *id, const char *kind,
                  const char *body)
{
	struct pg_store *s = (struct pg_store *)base;
	struct numbers b = {0};
	char channel[64];
	const char *params[6] = {id, kind, owner, body, num(&b, store_now_ms()), channel};

	channel_of(owner, channel, sizeof channel);
	/* The notification goes out when the request is committed, never before. */
	return run_done(s,
	                "WITH kept AS (INSERT INTO asked (task_id, kind, owner, body, asked_at) "
	                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (task_id, kind) DO UPDATE SET "
	                "owner = $3, body = $4, asked_at = $5) SELECT pg_notify($6, $1)",
	                6, params);
}

/* A transaction that holds the fleet's lock: what counts or moves runs, one at a time. */
static int begin_fleet(struct pg_store *s)
{
	char lock[64];
	int rc = begin(s);

	snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d)", FLEET_LOCK);
	/* A failure is the caller's to end, as with begin(). */
	return rc == 0 ? run_done(s, lock, 0, NULL) : rc;
}

/* Whether task id is still this server's: 1, 0 (another's), or -1; under the fleet's lock. */
static int still_mine(struct pg_store *s, const char *id)
{
	const char *params[1] = {id};
	PGresult *res = run(s, "SELECT owner FROM tasks WHERE id = $1", 1, params);
	int mine;

	if (!res)
		return -1;
	mine = !(PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) &&
	         strcmp(PQgetvalue(res, 0, 0), s->base.owner) != 0);
	PQclear(res);
	return mine;
}

/* The runs of live replicas, but for task except (its own place is not counted twice). */
static int running_count(struct pg_store *s, const char *except, int *n)
{
	const char *params[1] = {except};
	PGresult *res =
	    run(s,
	        "SELECT count(*) FROM tasks t WHERE t.status = 'running' AND t.id <> $1 "
	        "AND EXISTS (SELECT 1 FROM replicas r WHERE r.id = t.owner "
	        "AND r.lease_until > " DB_NOW ")",
	        1, params);

	if (!res)
		return -1;
	*n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/*
 * Whether the fleet has room for one more run: the runs of live replicas are
 * counted and this one is marked running in one transaction, which the fleet's
 * lock serializes, so that two replicas never both take the last place.
 */
static int pg_claim_run(struct store *base, const char *id, int max)
{
	struct pg_store *s = (struct pg_store *)base;
	const char *params[1] = {id};
	int rc, room = 0;

	rc = begin_fleet(s);
	/* Offered, it may have been taken by a replica with room: it is that one's now. */
	if (rc == 0) {
		int mine = still_mine(s, id);
		if (mine < 0)
			rc = -1;
		else if (!mine)
			room = 2;
	}
	if (rc == 0 && room == 0 && (rc = running_count(s, id, &room)) == 0)
		room = room < max;
	if (rc == 0 && room == 1)
		rc = run_done(
		    s,
		    "WITH offer AS (DELETE FROM asked WHERE task_id = $1 AND kind = 'offer') "
		    "UPDATE tasks SET status = 'running' WHERE id = $1",
		    1, params);
	rc = end(s, rc);
	return rc == 0 ? room : -1;
}

static int pg_withdraw_offer(struct store *base, const char *id, const char *status)
{
	struct pg_store *s = (struct pg_store *)base;
	const char *params[2] = {id, status};
	int rc, mine = 0;

	rc = begin_fleet(s);
	if (rc == 0 && (mine = still_mine(s, id)) < 0)
		rc = -1;
	/* Its status ends with the offer: a replica that looks next finds nothing to take. */
	if (rc == 0 && mine)
		rc = run_done(
		    s,
		    "WITH offer AS (DELETE FROM asked WHERE task_id = $1 AND kind = 'offer') "
		    "UPDATE tasks SET status = $2 WHERE id = $1 AND status = 'queued'",
		    2, params);
	rc = end(s, rc);
	return rc == 0 ? (mine ? 1 : 2) : -1;
}

/*
 * Takes the oldest run another live replica offered that can_run() accepts,
 * when the fleet has room: the offer goes, the task becomes this server's, and
 * the one that offered it is told, in one transaction behind the fleet's lock,
 * so that the offering replica's own claim (pg_claim_run) and this never both
 * win.
 */
static int pg_take_offer(struct store *base, int max,
                         bool (*can_run)(void *data, const char *request), void *data, char **id,
                         char **request)
{
	struct pg_store *s = (struct pg_store *)base;
	const char *me[1] = {s->base.owner};
	PGresult *res = NULL;
	int rc, running = 0, took = 0;

	rc = begin_fleet(s);
	/* Offers of runs that ended, or started where they were, are old news. */
	if (rc == 0)
		rc = run_done(
		    s,
		    "DELETE FROM asked a WHERE a.kind = 'offer' AND NOT EXISTS "
		    "(SELECT 1 FROM tasks t WHERE t.id = a.task_id AND t.status = 'queued')",
		    0, NULL);
	/* Runs it took and has not started yet hold places too. */
	if (rc == 0)
		rc = running_count(s, "", &running);
	if (rc == 0 &&
	    (res = run(s, "SELECT count(*) FROM tasks WHERE owner = $1 AND status = 'queued'", 1,
	               me))) {
		running += atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
		res = NULL;
	} else if (rc == 0) {
		rc = -1;
	}
	if (rc == 0 && running < max &&
	    !(res = run(s,
	                "SELECT a.task_id, a.body, t.owner FROM asked a JOIN tasks t ON t.id = "
	                "a.task_id WHERE a.kind = 'offer' AND t.owner <> $1 AND EXISTS (SELECT 1 "
	                "FROM replicas r WHERE r.id = t.owner AND r.lease_until > " DB_NOW ") "
	                "ORDER BY a.asked_at LIMIT 64",
	                1, me)))
		rc = -1;
	for (int i = 0; rc == 0 && res && !took && i < PQntuples(res); i++) {
		const char *task = PQgetvalue(res, i, 0), *body = PQgetvalue(res, i, 1);
		const char *params[3] = {task, PQgetvalue(res, i, 2), s->base.owner};
		PGresult *moved;

		if (!can_run(data, body))
			continue;
		moved =
		    run(s,
		        "WITH offer AS (DELETE FROM asked WHERE task_id = $1 AND kind = 'offer') "
		        "UPDATE tasks SET owner = $3 WHERE id = $1 AND owner = $2 "
		        "AND status = 'queued'",
		        3, params);
		if (!moved) {
			rc = -1;
			break;
		}
		took = strcmp(PQcmdTuples(moved), "1") == 0;
		PQclear(moved);
		if (took && (rc = pg_ask(base, params[1], task, "moved", s->base.owner)) == 0 &&
		    (!(*id = strdup(task)) || !(*request = strdup(body)))) {
			set_error(s, NULL, "out of memory");
			rc = -1;
		}
	}
	PQclear(res);
	rc = end(s, rc);
	if (rc != 0 || !took) {
		free(*id);
		free(*request);
		*id = *request = NULL;
	}
	return rc == 0 ? took : -1;
}

static int pg_take_asked(struct store *base,
                         void (*fn)(void *data, const char *id, const char *kind, const char *body),
                         void *data)
{
	struct pg_store *s = (struct pg_store *)base;
	const char *params[1] = {s->base.owner};
	PGresult *res;

	/*
	 * Oldest first: a cancel asked after a run was handed over comes after it. Not run
	 * twice: had a lost connection taken the rows with it, a second try would find none
	 * (a failed try leaves them, for the next round).
	 */
	s->once = true;
	res = run(s,
	          "WITH taken AS (DELETE FROM asked WHERE owner = $1 "
	          "RETURNING task_id, kind, body, asked_at) "
	          "SELECT task_id, kind, body FROM taken ORDER BY asked_at",
	          1, params);
	s->once = false;
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
		fn(data, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	PQclear(res);
	return 0;
}

static void watch_free_if_done(struct watch *w)
{
	if (--w->open_handles > 0)
		return;
	if (w->conn)
		PQfinish(w->conn);
	free(w->url);
	free(w);
}

static void poll_closed(uv_handle_t *h)
{
	struct watch *w = h->data;

	free(h);
	watch_free_if_done(w);
}

static void timer_closed(uv_handle_t *h)
{
	watch_free_if_done(h->data);
}

/* Stops polling the connection's socket, which must happen before the socket closes. */
static void watch_stop_poll(struct watch *w)
{
	if (!w->poll)
		return;
	uv_poll_stop(w->poll);
	uv_close((uv_handle_t *)w->poll, poll_closed);
	w->poll = NULL;
}

static void watch_connect(struct watch *w);

static void watch_again(uv_timer_t *h)
{
	watch_connect(h->data);
}

/* The connection is gone: try again in a second; a cancel asked meanwhile waits in its table. */
static void watch_lost(struct watch *w, const char *why)
{
	if (!w->lost)
		log_warn("store: lost the wake-up connection (%s); reconnecting", why);
	w->lost = true;
	watch_stop_poll(w);
	PQfinish(w->conn);
	w->conn = NULL;
	w->state = WATCH_DOWN;
	uv_timer_start(&w->again, watch_again, 1000, 0);
}

static void watch_timed_out(uv_timer_t *h)
{
	watch_lost(h->data, "no answer within " CONNECT_TIMEOUT " s");
}

static void watch_event(uv_poll_t *h, int status, int events);

/* Waits for events on the connection's socket; libpq may move to another one while it connects. */
static int watch_poll(struct watch *w, int events)
{
	int fd = PQsocket(w->conn);

	if (fd < 0)
		return -1;
	/*
	 * While it connects, libpq may close its socket and open another, perhaps under the
	 * same number: a handle made afresh each step never watches a closed socket.
	 */
	if (w->poll && (w->fd != fd || w->state == WATCH_CONNECTING))
		watch_stop_poll(w);
	if (!w->poll) {
		w->poll = malloc(sizeof *w->poll);
		if (!w->poll || uv_poll_init(w->loop, w->poll, fd) != 0) {
			free(w->poll);
			w->poll = NULL;
			return -1;
		}
		w->poll->data = w;
		w->fd = fd;
		w->open_handles++;
		/* Like the timer, it never keeps the loop alive: the server ends when its clients
		 * do. */
		uv_unref((uv_handle_t *)w->poll);
	}
	return uv_poll_start(w->poll, events, watch_event);
}

/* A step of the connection, as libpq asks: nothing here waits on the network. */
static void watch_step(struct watch *w)
{
	char listen[160];

	switch (PQconnectPoll(w->conn)) {
	case PGRES_POLLING_READING:
		if (watch_poll(w, UV_READABLE) != 0)
			watch_lost(w, "cannot poll its socket");
		return;
	case PGRES_POLLING_WRITING:
		if (watch_poll(w, UV_WRITABLE) != 0)
			watch_lost(w, "cannot poll its socket");
		return;
	case PGRES_POLLING_OK:
		break;
	default:
		watch_lost(w, PQerrorMessage(w->conn));
		return;
	}
	/* Its own channel, and the one every replica hears runs offered on. */
	snprintf(listen, sizeof listen, "LISTEN %s; LISTEN %s", w->channel, w->offers);
	if (PQsetnonblocking(w->conn, 1) != 0 || !PQsendQuery(w->conn, listen) ||
	    PQflush(w->conn) != 0 || watch_poll(w, UV_READABLE) != 0) {
		watch_lost(w, PQerrorMessage(w->conn));
		return;
	}
	w->state = WATCH_LISTEN_SENT;
}

/* The answer to LISTEN: 1 once it came, 0 while it has not, -1 when it failed. */
static int listen_answered(struct watch *w)
{
	PGresult *res;

	while (!PQisBusy(w->conn)) {
		res = PQgetResult(w->conn);
		if (!res)
			return 1;
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}

static void watch_event(uv_poll_t *h, int status, int events)
{
	struct watch *w = h->data;
	PGnotify *n;
	bool woken = false;
	int answered;

	(void)events;
	if (status < 0) {
		watch_lost(w, uv_strerror(status));
		return;
	}
	if (w->state == WATCH_CONNECTING) {
		watch_step(w);
		return;
	}
	if (!PQconsumeInput(w->conn)) {
		watch_lost(w, PQerrorMessage(w->conn));
		return;
	}
	if (w->state == WATCH_LISTEN_SENT) {
		if ((answered = listen_answered(w)) < 0) {
			watch_lost(w, PQerrorMessage(w->conn));
			return;
		}
		if (answered == 0)
			return;
		uv_timer_stop(&w->again); /* the deadline */
		w->state = WATCH_LISTENING;
		if (w->lost)
			log_info("store: the wake-up connection is back");
		w->lost = false;
		woken = true; /* for what was asked while it was away */
	}
	while ((n = PQnotifies(w->conn))) {
		woken = true;
		PQfreemem(n);
	}
	if (woken)
		w->wake(w->data);
}

/*
 * Connects without waiting: at start-up, and each second while the database is
 * away, within the connect timeout (libpq leaves it to the caller here).
 */
static void watch_connect(struct watch *w)
{
	static const char *const keys[] = {"tcp_user_timeout", "application_name", "dbname", NULL};
	const char *values[] = {TCP_TIMEOUT_MS, "codex-mcp-watch", w->url, NULL};

	w->conn = PQconnectStartParams(keys, values, 1);
	if (!w->conn || PQstatus(w->conn) == CONNECTION_BAD) {
		watch_lost(w, w->conn ? PQerrorMessage(w->conn) : "out of memory");
		return;
	}
	w->state = WATCH_CONNECTING;
	uv_timer_start(&w->again, watch_timed_out, (uint64_t)atoi(CONNECT_TIMEOUT) * 1000, 0);
	/* libpq's first step is to write. */
	if (watch_poll(w, UV_WRITABLE) != 0)
		watch_lost(w, "cannot poll its socket");
}

static int pg_watch(struct store *base, uv_loop_t *loop, void (*wake)(void *data), void *data)
{
	struct pg_store *s = (struct pg_store *)base;
	struct watch *w = calloc(1, sizeof *w);

	if (!w || !(w->url = strdup(s->url))) {
		free(w);
		set_error(s, NULL, "out of memory");
		return -1;
	}
	channel_of(s->base.owner, w->channel, sizeof w->channel);
	channel_of(STORE_ANYONE, w->offers, sizeof w->offers);
	w->loop = loop;
	w->wake = wake;
	w->data = data;
	uv_timer_init(loop, &w->again);
	uv_unref((uv_handle_t *)&w->again);
	w->again.data = w;
	w->open_handles = 1;
	s->watch = w;
	watch_connect(w);
	return 0;
}

static void pg_unwatch(struct store *base)
{
	struct pg_store *s = (struct pg_store *)base;
	struct watch *w = s->watch;

	if (!w)
		return;
	s->watch = NULL;
	watch_stop_poll(w);
	uv_close((uv_handle_t *)&w->again, timer_closed);
}

const struct store_ops codex_mcp_postgres_store = {
    .kind = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .put_thread = pg_put_thread,
    .set_thread_status = pg_set_thread_status,
    .get_thread = pg_get_thread,
    .put_task = pg_put_task,
    .get_task = pg_get_task,
    .each_task = pg_each_task,
    .count_tasks = pg_count_tasks,
    .page_tasks = pg_page_tasks,
    .log_visible = pg_log_visible,
    .expire_tasks = pg_expire_tasks,
    .recover = pg_recover,
    .lease = pg_lease,
    .release = pg_release,
    .owner_alive = pg_owner_alive,
    .claim_run = pg_claim_run,
    .take_offer = pg_take_offer,
    .withdraw_offer = pg_withdraw_offer,
    .ask = pg_ask,
    .take_asked = pg_take_asked,
    .watch = pg_watch,
    .unwatch = pg_unwatch,
};
