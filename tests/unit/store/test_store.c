/*
 * The store's operations, against both implementations: SQLite always, and
 * PostgreSQL when CODEX_MCP_TEST_PG names a server to make databases on (the
 * tests start one: tests/pg/cluster.sh). Each test gets a database of its own.
 */
#include "unit.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "proc/procfs.h"
#include "store/store.h"

struct fixture {
	char *dir;  /* temporary directory, removed afterwards */
	char *path; /* dir/a/b/c/threads.db: the nested directories do not exist yet */
	char *url;  /* what the store opens: path, or a PostgreSQL database made for the test */
	char *db;   /* that database's name */
	struct store *store;
};

/* The PostgreSQL server the tests make databases on; NULL: SQLite only. */
static const char *pg_admin;

/* Runs sql on the server's admin database; fails the test if it fails. */
static void pg_admin_exec(const char *sql)
{
	PGconn *c = PQconnectdb(pg_admin);
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
}

/* pg_admin's URL with another database. */
static char *pg_url(const char *db)
{
	const char *slash = strrchr(pg_admin, '/');
	char *url;

	assert_non_null(slash);
	assert_true(asprintf(&url, "%.*s/%s", (int)(slash - pg_admin), pg_admin, db) > 0);
	return url;
}

static int setup(void **state)
{
	static unsigned made;
	struct fixture *f = calloc(1, sizeof *f);
	char sql[128];

	if (!f || !(f->dir = unit_mkdtemp()))
		return -1;
	if (asprintf(&f->path, "%s/a/b/c/threads.db", f->dir) < 0)
		return -1;
	if (pg_admin) {
		if (asprintf(&f->db, "store_%d_%u", (int)getpid(), made++) < 0)
			return -1;
		snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->db);
		pg_admin_exec(sql);
		f->url = pg_url(f->db);
	} else {
		f->url = strdup(f->path);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char sql[128];

	store_close(f->store);
	if (f->db) {
		snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", f->db);
		pg_admin_exec(sql);
	}
	unit_rm_rf(f->dir);
	free(f->dir);
	free(f->path);
	free(f->url);
	free(f->db);
	free(f);
	return 0;
}

static void open_store(struct fixture *f)
{
	char err[512] = "";

	if (store_open(f->url, &f->store, err, sizeof err) != 0)
		fail_msg("store_open(%s): %s", f->url, err);
	assert_non_null(f->store);
}

/* Runs sql on the fixture's database, behind the store's back. */
static void exec_raw(struct fixture *f, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	if (f->db) {
		PGconn *c = PQconnectdb(f->url);
		PGresult *res = PQexec(c, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		PQclear(res);
		PQfinish(c);
		return;
	}
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static json_t *options_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:{s:i, s:{s:b}}}", "cwd", "/w/project", "model", "gpt-5",
	                 "developer_instructions", "line one\nline \"two\" \xc3\xa9", "config", "n",
	                 1, "features", "web_search", 1);
}

static void test_open_creates_nested_dirs(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	char *dir;

	open_store(f);
	assert_true(asprintf(&dir, "%s/a/b/c", f->dir) > 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Private to the user. */
	assert_int_equal(st.st_mode & 077, 0);
	free(dir);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

static void test_open_existing_dir(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	char *path;

	/* A database right in a directory that already exists. */
	assert_true(asprintf(&path, "%s/threads.db", f->dir) > 0);
	assert_int_equal(store_open(path, &f->store, err, sizeof err), 0);
	free(path);
}

static void test_put_get_round_trip(void **state)
{
	struct fixture *f = *state;
	struct thread_record r;
	json_t *options = options_json();

	open_store(f);
	assert_int_equal(store_put_thread(f->store, "thread-1", options, "running", NULL, 1000), 0);
	assert_int_equal(store_get_thread(f->store, "thread-1", &r), 1);
	assert_string_equal(r.id, "thread-1");
	assert_string_equal(r.status, "running");
	assert_int_equal(r.created_at, 1000);
	assert_int_equal(r.last_used_at, 1000);
	assert_non_null(r.options);
	if (!json_equal(r.options, options)) {
		char *a = json_dumps(r.options, JSON_COMPACT),
		     *b = json_dumps(options, JSON_COMPACT);
		print_error("got %s\nwant %s\n", a, b);
		free(a);
		free(b);
		fail_msg("options differ");
	}
	thread_record_clear(&r);
	assert_null(r.id);
	assert_null(r.options);
	assert_null(r.status);
	json_decref(options);
}

static void test_put_empty_options(void **state)
{
	struct fixture *f = *state;
	struct thread_record r;
	json_t *options = json_object();

	open_store(f);
	assert_int_equal(store_put_thread(f->store, "t", options, "completed", NULL, 5), 0);
	assert_int_equal(store_get_thread(f->store, "t", &r), 1);
	assert_true(json_is_object(r.options));
	assert_int_equal(json_object_size(r.options), 0);
	thread_record_clear(&r);
	json_decref(options);
}

static void test_put_twice_keeps_created_at(void **state)
{
	struct fixture *f = *state;
	struct thread_record r;
	json_t *first = options_json();
	json_t *second = json_pack("{s:s}", "model", "o3");

	open_store(f);
	assert_int_equal(store_put_thread(f->store, "t", first, "running", NULL, 1000), 0);
	assert_int_equal(store_put_thread(f->store, "t", second, "completed", NULL, 2500), 0);
	assert_int_equal(store_get_thread(f->store, "t", &r), 1);
	assert_int_equal(r.created_at, 1000);
	assert_int_equal(r.last_used_at, 2500);
	assert_string_equal(r.status, "completed");
	assert_true(json_equal(r.options, second));
	thread_record_clear(&r);
	json_decref(first);
	json_decref(second);
}

static void test_set_status(void **state)
{
	struct fixture *f = *state;
	struct thread_record r;
	json_t *options = options_json();

	open_store(f);
	assert_int_equal(store_put_thread(f->store, "t", options, "running", NULL, 1000), 0);
	assert_int_equal(store_set_thread_status(f->store, "t", "cancelled", 3000), 0);
	assert_int_equal(store_get_thread(f->store, "t", &r), 1);
	assert_string_equal(r.status, "cancelled");
	assert_int_equal(r.created_at, 1000);
	assert_int_equal(r.last_used_at, 3000);
	assert_true(json_equal(r.options, options));
	thread_record_clear(&r);

	/* Setting the status of an unknown thread creates nothing. */
	assert_int_equal(store_set_thread_status(f->store, "ghost", "completed", 4000), 0);
	assert_int_equal(store_get_thread(f->store, "ghost", &r), 0);
	json_decref(options);
}

static void test_get_unknown(void **state)
{
	struct fixture *f = *state;
	struct thread_record r;
	json_t *options = json_object();

	open_store(f);
	memset(&r, 0x5a, sizeof r);
	assert_int_equal(store_get_thread(f->store, "nope", &r), 0);
	assert_null(r.id);
	assert_null(r.options);
	assert_null(r.status);
	/* Ids are exact. */
	assert_int_equal(store_put_thread(f->store, "abc", options, "running", NULL, 1), 0);
	assert_int_equal(store_get_thread(f->store, "ab", &r), 0);
	assert_int_equal(store_get_thread(f->store, "ABC", &r), 0);
	assert_int_equal(store_get_thread(f->store, "abc%", &r), 0);
	json_decref(options);
}

static void test_recover(void **state)
{
	struct fixture *f = *state;
	struct thread_record r;
	json_t *options = json_object();
	static const char *const ids[] = {"r1", "r2", "r3", "done", "gone", "stopped"};
	static const char *const statuses[] = {"running",   "running", "running",
	                                       "completed", "failed",  "cancelled"};

	open_store(f);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(
		    store_put_thread(f->store, ids[i], options, statuses[i], NULL, 100), 0);
	assert_int_equal(store_recover(f->store, 9000, NULL), 3);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(store_get_thread(f->store, ids[i], &r), 1);
		if (i < 3) {
			assert_string_equal(r.status, "failed");
			assert_int_equal(r.last_used_at, 9000);
		} else {
			assert_string_equal(r.status, statuses[i]);
			assert_int_equal(r.last_used_at, 100);
		}
		assert_int_equal(r.created_at, 100);
		thread_record_clear(&r);
	}
	/* Nothing left to recover. */
	assert_int_equal(store_recover(f->store, 9500, NULL), 0);
	json_decref(options);
}

static void put_task(struct store *s, int n, const char *status, int64_t created_at)
{
	struct task_record t = {.tool = "spawn_agents_parallel", .created_at = created_at};

	snprintf(t.id, sizeof t.id, "%032x", n);
	t.status = (char *)status;
	assert_int_equal(store_put_task(s, &t), 0);
}

struct seen {
	int count[40];
	int n;
};

static void count_task(void *data, const struct task_record *t)
{
	struct seen *seen = data;
	unsigned n;

	assert_int_equal(sscanf(t->id, "%x", &n), 1);
	assert_true(n < 40);
	seen->count[n]++;
	seen->n++;
}

/*
 * Tasks made in the same millisecond (spawn_agents_parallel), some updated
 * between two pages: paging still gives each one exactly once.
 */
static void test_pages_while_updated(void **state)
{
	struct fixture *f = *state;
	struct seen seen = {0};
	char *cursor = NULL, *next = NULL;
	int pages = 0;

	open_store(f);
	for (int i = 0; i < 30; i++)
		put_task(f->store, i, "queued", 5000);
	do {
		assert_int_equal(
		    store_page_tasks(f->store, NULL, cursor, 4, count_task, &seen, &next), 0);
		free(cursor);
		cursor = next;
		/* Tasks on pages already read and on pages still to come start and end. */
		for (int i = pages % 3; i < 30; i += 3)
			put_task(f->store, i, pages % 2 ? "running" : "completed", 5000);
		pages++;
	} while (cursor && pages < 20);
	assert_null(cursor);
	assert_int_equal(seen.n, 30);
	for (int i = 0; i < 30; i++)
		assert_int_equal(seen.count[i], 1);
}

/* A task keeps the time it was created whatever a later write of it says. */
static void test_task_update_keeps_created_at(void **state)
{
	struct fixture *f = *state;
	struct task_record t;

	open_store(f);
	put_task(f->store, 7, "queued", 5000);
	put_task(f->store, 7, "completed", 9000);
	assert_int_equal(store_get_task(f->store, "00000000000000000000000000000007", &t), 1);
	assert_string_equal(t.status, "completed");
	assert_int_equal(t.created_at, 5000);
	task_record_clear(&t);
}

/* No one is NULL or "" alike; a subject is only ever itself. */
static void test_subject_same(void **state)
{
	(void)state;
	assert_true(store_subject_same(NULL, NULL));
	assert_true(store_subject_same(NULL, ""));
	assert_true(store_subject_same("", NULL));
	assert_true(store_subject_same("token:00112233", "token:00112233"));
	assert_false(store_subject_same("token:00112233", "token:00112234"));
	assert_false(store_subject_same(NULL, "alice"));
	assert_false(store_subject_same("alice", ""));
	assert_false(store_subject_same("alice", "Alice"));
}

static void put_task_of(struct store *s, int n, const char *status, int64_t created_at,
                        const char *subject, const char *log_file)
{
	struct task_record t = {.tool = "spawn_agent_async", .created_at = created_at};

	snprintf(t.id, sizeof t.id, "%032x", n);
	t.status = (char *)status;
	t.subject = (char *)subject;
	t.log_file = (char *)log_file;
	assert_int_equal(store_put_task(s, &t), 0);
}

/* Tasks 0-5 are alice's, 10-12 bob's, 20-21 no one's (NULL and ""), each newest last. */
static void put_subjects_tasks(struct store *s)
{
	for (int i = 0; i < 6; i++)
		put_task_of(s, i, i % 2 ? "completed" : "running", 1000 + i, "alice", NULL);
	for (int i = 10; i < 13; i++)
		put_task_of(s, i, "completed", 1000 + i, "bob", NULL);
	put_task_of(s, 20, "failed", 1020, NULL, NULL);
	put_task_of(s, 21, "completed", 1021, "", NULL);
}

struct collected {
	char ids[16][33];
	int n;
};

static void collect(void *data, const struct task_record *t)
{
	struct collected *c = data;

	assert_true(c->n < 16);
	snprintf(c->ids[c->n++], sizeof c->ids[0], "%s", t->id);
}

static int id_number(const char *id)
{
	unsigned n;

	assert_int_equal(sscanf(id, "%x", &n), 1);
	return (int)n;
}

static void test_task_subject_round_trip(void **state)
{
	struct fixture *f = *state;
	struct task_record t, copy;

	open_store(f);
	put_subjects_tasks(f->store);
	assert_int_equal(store_get_task(f->store, "00000000000000000000000000000003", &t), 1);
	assert_string_equal(t.subject, "alice");
	assert_int_equal(task_record_copy(&copy, &t), 0);
	assert_string_equal(copy.subject, "alice");
	assert_ptr_not_equal(copy.subject, t.subject);
	task_record_clear(&copy);
	task_record_clear(&t);
	/* No one reads back as NULL, however it was written. */
	assert_int_equal(store_get_task(f->store, "00000000000000000000000000000014", &t), 1);
	assert_null(t.subject);
	task_record_clear(&t);
	assert_int_equal(store_get_task(f->store, "00000000000000000000000000000015", &t), 1);
	assert_null(t.subject);
	task_record_clear(&t);
	/* A later write never gives a task to someone else, nor to no one. */
	put_task_of(f->store, 3, "completed", 1003, "bob", NULL);
	put_task_of(f->store, 4, "completed", 1004, NULL, NULL);
	assert_int_equal(store_get_task(f->store, "00000000000000000000000000000003", &t), 1);
	assert_string_equal(t.subject, "alice");
	assert_string_equal(t.status, "completed");
	task_record_clear(&t);
	assert_int_equal(store_get_task(f->store, "00000000000000000000000000000004", &t), 1);
	assert_string_equal(t.subject, "alice");
	task_record_clear(&t);
}

/* A task's worktree is kept as written, read back by id and in listings, and copied. */
static void test_task_worktree_round_trip(void **state)
{
	struct fixture *f = *state;
	struct task_record t = {.tool = "spawn_agent", .status = "running", .created_at = 1000},
	                   back, copy;
	struct seen seen = {0};

	open_store(f);
	snprintf(t.id, sizeof t.id, "%032x", 7);
	t.worktree = json_pack("{s:s, s:s, s:[s]}", "path", "/state/worktrees/0007", "branch",
	                       "codex-mcp/00000000", "commits", "abc1234 add x");
	assert_int_equal(store_put_task(f->store, &t), 0);
	assert_int_equal(store_get_task(f->store, t.id, &back), 1);
	assert_true(json_equal(back.worktree, t.worktree));
	assert_int_equal(task_record_copy(&copy, &back), 0);
	assert_true(json_equal(copy.worktree, t.worktree));
	assert_ptr_not_equal(copy.worktree, back.worktree);
	task_record_clear(&copy);
	task_record_clear(&back);
	assert_int_equal(store_each_task(f->store, NULL, NULL, 10, count_task, &seen), 0);
	assert_int_equal(seen.n, 1);
	/* A task without one reads back without one. */
	json_decref(t.worktree);
	t.worktree = NULL;
	assert_int_equal(store_put_task(f->store, &t), 0);
	assert_int_equal(store_get_task(f->store, t.id, &back), 1);
	assert_null(back.worktree);
	task_record_clear(&back);
}

/* Each listing holds the subject's own tasks and nothing else. */
static void test_lists_filter_by_subject(void **state)
{
	struct fixture *f = *state;
	struct collected c;
	json_t *counts;

	open_store(f);
	put_subjects_tasks(f->store);

	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_task(f->store, "alice", NULL, 50, collect, &c), 0);
	assert_int_equal(c.n, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(id_number(c.ids[i]), 5 - i); /* newest first */

	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_task(f->store, "alice", "running", 50, collect, &c), 0);
	assert_int_equal(c.n, 3);
	for (int i = 0; i < c.n; i++)
		assert_int_equal(id_number(c.ids[i]) % 2, 0);

	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_task(f->store, "bob", "running", 50, collect, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(store_each_task(f->store, "bob", NULL, 2, collect, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(id_number(c.ids[0]), 12);

	/* No one, as NULL or as "": the tasks made without authentication. */
	for (int k = 0; k < 2; k++) {
		memset(&c, 0, sizeof c);
		assert_int_equal(store_each_task(f->store, k ? "" : NULL, NULL, 50, collect, &c),
		                 0);
		assert_int_equal(c.n, 2);
		assert_int_equal(id_number(c.ids[0]), 21);
		assert_int_equal(id_number(c.ids[1]), 20);
	}
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_task(f->store, "mallory", NULL, 50, collect, &c), 0);
	assert_int_equal(c.n, 0);

	counts = store_count_tasks(f->store, "alice");
	assert_int_equal(json_integer_value(json_object_get(counts, "running")), 3);
	assert_int_equal(json_integer_value(json_object_get(counts, "completed")), 3);
	assert_null(json_object_get(counts, "failed"));
	json_decref(counts);
	counts = store_count_tasks(f->store, NULL);
	assert_int_equal(json_integer_value(json_object_get(counts, "failed")), 1);
	assert_int_equal(json_integer_value(json_object_get(counts, "completed")), 1);
	assert_null(json_object_get(counts, "running"));
	json_decref(counts);
	counts = store_count_tasks(f->store, "mallory");
	assert_int_equal(json_object_size(counts), 0);
	json_decref(counts);
}

/* Pages of one subject's tasks: every one of them once, no one else's, whoever's are between. */
static void test_pages_filter_by_subject(void **state)
{
	struct fixture *f = *state;
	struct collected c = {0};
	char *cursor = NULL, *next = NULL;
	int pages = 0;

	open_store(f);
	put_subjects_tasks(f->store);
	do {
		assert_int_equal(store_page_tasks(f->store, "alice", cursor, 4, collect, &c, &next),
		                 0);
		free(cursor);
		cursor = next;
		pages++;
	} while (cursor && pages < 10);
	assert_null(cursor);
	assert_int_equal(pages, 2);
	assert_int_equal(c.n, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(id_number(c.ids[i]), 5 - i);

	/* Another subject's page starts nowhere near alice's and holds only its own. */
	memset(&c, 0, sizeof c);
	assert_int_equal(store_page_tasks(f->store, "bob", NULL, 50, collect, &c, &next), 0);
	assert_null(next);
	assert_int_equal(c.n, 3);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_page_tasks(f->store, "", NULL, 1, collect, &c, &next), 0);
	assert_non_null(next);
	assert_int_equal(c.n, 1);
	assert_int_equal(id_number(c.ids[0]), 21);
	assert_int_equal(store_page_tasks(f->store, NULL, next, 1, collect, &c, &cursor), 0);
	free(next);
	assert_null(cursor);
	assert_int_equal(c.n, 2);
	assert_int_equal(id_number(c.ids[1]), 20);
	/* A cursor is only a place: from alice's pages, bob reads none of her older tasks. */
	memset(&c, 0, sizeof c);
	assert_int_equal(store_page_tasks(f->store, "alice", NULL, 1, collect, &c, &next), 0);
	assert_non_null(next);
	assert_int_equal(store_page_tasks(f->store, "bob", next, 50, collect, &c, &cursor), 0);
	free(next);
	assert_null(cursor);
	assert_int_equal(c.n, 1);
	assert_int_equal(id_number(c.ids[0]), 5);
}

/* A thread is its starter's for good: updates and status changes keep the subject. */
static void test_thread_subject(void **state)
{
	struct fixture *f = *state;
	struct thread_record r;
	json_t *options = options_json();

	open_store(f);
	assert_int_equal(store_put_thread(f->store, "a", options, "running", "alice", 100), 0);
	assert_int_equal(store_put_thread(f->store, "n", options, "running", NULL, 100), 0);
	assert_int_equal(store_put_thread(f->store, "e", options, "running", "", 100), 0);
	assert_int_equal(store_get_thread(f->store, "a", &r), 1);
	assert_string_equal(r.subject, "alice");
	thread_record_clear(&r);
	assert_int_equal(store_get_thread(f->store, "n", &r), 1);
	assert_null(r.subject);
	thread_record_clear(&r);
	assert_int_equal(store_get_thread(f->store, "e", &r), 1);
	assert_null(r.subject);
	thread_record_clear(&r);

	assert_int_equal(store_put_thread(f->store, "a", options, "completed", "bob", 200), 0);
	assert_int_equal(store_set_thread_status(f->store, "a", "running", 300), 0);
	assert_int_equal(store_put_thread(f->store, "n", options, "completed", "bob", 200), 0);
	assert_int_equal(store_get_thread(f->store, "a", &r), 1);
	assert_string_equal(r.subject, "alice");
	assert_string_equal(r.status, "running");
	thread_record_clear(&r);
	assert_int_equal(store_get_thread(f->store, "n", &r), 1);
	assert_null(r.subject);
	thread_record_clear(&r);
	json_decref(options);
}

/* An agent log is its task's subject's; one no task names is no one's. */
static void test_log_visible(void **state)
{
	struct fixture *f = *state;

	open_store(f);
	put_task_of(f->store, 1, "completed", 100, "alice", "/logs/codex_agent_1_00000000.log");
	put_task_of(f->store, 2, "completed", 100, NULL, "/logs/codex_agent_2_00000000.log");
	assert_int_equal(store_log_visible(f->store, "alice", "/logs/codex_agent_1_00000000.log"),
	                 1);
	assert_int_equal(store_log_visible(f->store, "bob", "/logs/codex_agent_1_00000000.log"), 0);
	assert_int_equal(store_log_visible(f->store, NULL, "/logs/codex_agent_1_00000000.log"), 0);
	assert_int_equal(store_log_visible(f->store, NULL, "/logs/codex_agent_2_00000000.log"), 1);
	assert_int_equal(store_log_visible(f->store, "", "/logs/codex_agent_2_00000000.log"), 1);
	assert_int_equal(store_log_visible(f->store, "alice", "/logs/codex_agent_2_00000000.log"),
	                 0);
	assert_int_equal(store_log_visible(f->store, NULL, "/logs/codex_agent_9_00000000.log"), 1);
	assert_int_equal(store_log_visible(f->store, "alice", "/logs/codex_agent_9_00000000.log"),
	                 0);
}

/* Records a running task, as its server's runner does. */
static void put_running_task(struct store *s, const char *id, const char *thread_id,
                             const char *owner)
{
	struct task_record t = {.tool = "codex", .status = "running", .created_at = 100};

	snprintf(t.id, sizeof t.id, "%s", id);
	t.thread_id = (char *)thread_id;
	t.owner = (char *)owner;
	assert_int_equal(store_put_task(s, &t), 0);
}

/*
 * Another server on the same database: it records a running thread and a
 * running task on a second thread, writes a byte to ready, and then runs
 * until the pipe hold closes (ends at once when hold is NULL).
 */
static pid_t other_server(const char *path, const char *prefix, int ready, const int *hold)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s;
		char err[512], id[64], task[33], c;
		char *me = proc_instance_id(getpid());
		json_t *options = json_object();
		if (!me || store_open(path, &s, err, sizeof err) != 0)
			_exit(1);
		snprintf(id, sizeof id, "%s-thread", prefix);
		if (store_put_thread(s, id, options, "running", NULL, 100) != 0)
			_exit(1);
		snprintf(id, sizeof id, "%s-task-thread", prefix);
		if (store_put_thread(s, id, options, "running", NULL, 100) != 0)
			_exit(1);
		snprintf(task, sizeof task, "%s%032d", prefix, 0);
		put_running_task(s, task, id, me);
		store_close(s);
		json_decref(options);
		free(me);
		if (write(ready, "x", 1) != 1)
			_exit(1);
		if (hold && (close(hold[1]) != 0 || read(hold[0], &c, 1) != 0))
			_exit(1);
		_exit(0);
	}
	return pid;
}

static void assert_thread_status(struct store *s, const char *id, const char *status)
{
	struct thread_record r;

	assert_int_equal(store_get_thread(s, id, &r), 1);
	if (strcmp(r.status, status) != 0)
		fail_msg("thread %s is %s, not %s", id, r.status, status);
	thread_record_clear(&r);
}

static void assert_task_status(struct store *s, const char *prefix, const char *status)
{
	struct task_record t;
	char id[33];

	snprintf(id, sizeof id, "%s%032d", prefix, 0);
	assert_int_equal(store_get_task(s, id, &t), 1);
	if (strcmp(t.status, status) != 0)
		fail_msg("task %s is %s, not %s", id, t.status, status);
	task_record_clear(&t);
}

/*
 * Two other servers share the database: one still runs, one is gone. A
 * server starting now ends only what the gone one left running; once the
 * other stops too, its threads and tasks are ended as well.
 */
static void test_recover_other_servers(void **state)
{
	struct fixture *f = *state;
	json_t *options = json_object();
	int ready[2], hold[2], status;
	char c;

	open_store(f);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	pid_t live = other_server(f->path, "a", ready[1], hold);
	pid_t gone = other_server(f->path, "b", ready[1], NULL);
	close(hold[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(waitpid(gone, &status, 0), gone);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Threads an older version recorded name no owner: a task on them tells. */
	assert_int_equal(store_put_thread(f->store, "old-live", options, "running", NULL, 100), 0);
	assert_int_equal(store_put_thread(f->store, "old-gone", options, "running", NULL, 100), 0);
	exec_raw(f, "UPDATE threads SET owner = NULL WHERE id LIKE 'old-%'");
	char *live_owner = proc_instance_id(live);
	assert_non_null(live_owner);
	put_running_task(f->store, "c0000000000000000000000000000000", "old-live", live_owner);
	put_running_task(f->store, "d0000000000000000000000000000000", "old-gone", "1:1");

	/* The gone server's two threads and task, the ownerless thread and its task. */
	assert_int_equal(store_recover(f->store, 9000, proc_instance_alive), 5);
	assert_thread_status(f->store, "a-thread", "running");
	assert_thread_status(f->store, "a-task-thread", "running");
	assert_task_status(f->store, "a", "running");
	assert_thread_status(f->store, "old-live", "running");
	assert_task_status(f->store, "c", "running");
	assert_thread_status(f->store, "b-thread", "failed");
	assert_thread_status(f->store, "b-task-thread", "failed");
	assert_task_status(f->store, "b", "failed");
	assert_thread_status(f->store, "old-gone", "failed");
	assert_task_status(f->store, "d", "failed");

	/* The live one stops. */
	close(hold[1]);
	assert_int_equal(waitpid(live, &status, 0), live);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(store_recover(f->store, 9500, proc_instance_alive), 5);
	assert_thread_status(f->store, "a-thread", "failed");
	assert_thread_status(f->store, "a-task-thread", "failed");
	assert_task_status(f->store, "a", "failed");
	assert_thread_status(f->store, "old-live", "failed");
	assert_task_status(f->store, "c", "failed");
	close(ready[0]);
	close(ready[1]);
	free(live_owner);
	json_decref(options);
}

/* The threads a server records are its own: another's recovery leaves them while it runs. */
static void test_recover_keeps_own_threads(void **state)
{
	struct fixture *f = *state;
	json_t *options = json_object();

	open_store(f);
	assert_int_equal(store_put_thread(f->store, "mine", options, "running", NULL, 100), 0);
	assert_int_equal(store_put_thread(f->store, "replied", options, "completed", NULL, 100), 0);
	/* A thread a gone server started: a reply this server runs makes it its own. */
	exec_raw(f, "UPDATE threads SET owner = '1:1' WHERE id = 'replied'");
	assert_int_equal(store_set_thread_status(f->store, "replied", "running", 200), 0);
	/* Where servers share the store, a lease says this one runs. */
	assert_int_equal(store_lease(f->store, 150), 0);
	assert_int_equal(store_recover(f->store, 9000, proc_instance_alive), 0);
	assert_thread_status(f->store, "mine", "running");
	assert_thread_status(f->store, "replied", "running");
	json_decref(options);
}

/*
 * A recovery that fails part way changes nothing, and says why: the error is
 * not the word of the ROLLBACK after it.
 */
static void test_recover_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	json_t *options = json_object();

	open_store(f);
	assert_int_equal(store_put_thread(f->store, "t", options, "running", NULL, 100), 0);
	put_running_task(f->store, "e0000000000000000000000000000000", "t", "1:1");
	put_running_task(f->store, "f0000000000000000000000000000000", NULL, "1:1");
	exec_raw(f, f->db ? "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
	                    "RAISE EXCEPTION 'refused here'; END $$ LANGUAGE plpgsql; "
	                    "CREATE TRIGGER refuse BEFORE UPDATE ON tasks FOR EACH ROW "
	                    "WHEN (NEW.id LIKE 'f%') EXECUTE FUNCTION refuse()"
	                  : "CREATE TRIGGER refuse BEFORE UPDATE ON tasks "
	                    "WHEN NEW.id LIKE 'f%' BEGIN SELECT RAISE(ABORT, 'refused here'); END");
	assert_int_equal(store_recover(f->store, 9000, NULL), -1);
	assert_non_null(strstr(store_error(f->store), "refused here"));
	assert_thread_status(f->store, "t", "running");
	assert_task_status(f->store, "e", "running");
	assert_task_status(f->store, "f", "running");

	exec_raw(f, f->db ? "DROP TRIGGER refuse ON tasks" : "DROP TRIGGER refuse");
	assert_int_equal(store_recover(f->store, 9000, NULL), 3);
	assert_thread_status(f->store, "t", "failed");
	assert_task_status(f->store, "e", "failed");
	assert_task_status(f->store, "f", "failed");
	json_decref(options);
}

static void test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct thread_record r;
	json_t *options = options_json();

	open_store(f);
	assert_int_equal(store_put_thread(f->store, "keep", options, "running", NULL, 1234), 0);
	assert_int_equal(store_set_thread_status(f->store, "keep", "completed", 2345), 0);
	store_close(f->store);
	f->store = NULL;

	open_store(f);
	assert_int_equal(store_get_thread(f->store, "keep", &r), 1);
	assert_string_equal(r.status, "completed");
	assert_int_equal(r.created_at, 1234);
	assert_int_equal(r.last_used_at, 2345);
	assert_true(json_equal(r.options, options));
	thread_record_clear(&r);
	json_decref(options);
}

static void test_open_parent_is_file(void **state)
{
	struct fixture *f = *state;
	struct store *s = (struct store *)1;
	char err[512] = "";
	char *file, *path;

	assert_true(asprintf(&file, "%s/plainfile", f->dir) > 0);
	assert_int_equal(unit_write_file(file, "x", 1), 0);

	/* The database's directory is a regular file. */
	assert_true(asprintf(&path, "%s/threads.db", file) > 0);
	assert_int_equal(store_open(path, &s, err, sizeof err), -1);
	assert_true(strlen(err) > 0);
	assert_ptr_equal(s, (struct store *)1);
	free(path);

	/* A directory further up is a regular file. */
	err[0] = '\0';
	assert_true(asprintf(&path, "%s/sub/dir/threads.db", file) > 0);
	assert_int_equal(store_open(path, &s, err, sizeof err), -1);
	assert_true(strlen(err) > 0);
	assert_ptr_equal(s, (struct store *)1);
	free(path);
	free(file);
}

static void test_open_corrupt_file(void **state)
{
	struct fixture *f = *state;
	struct store *s = (struct store *)1;
	char err[512] = "";
	char *path;
	char garbage[8192];

	for (size_t i = 0; i < sizeof garbage; i++)
		garbage[i] = (char)("not a database "[i % 15] ^ (i / 15 % 3));
	assert_true(asprintf(&path, "%s/threads.db", f->dir) > 0);
	assert_int_equal(unit_write_file(path, garbage, sizeof garbage), 0);
	assert_int_equal(store_open(path, &s, err, sizeof err), -1);
	assert_true(strlen(err) > 0);
	assert_ptr_equal(s, (struct store *)1);
	free(path);
}

static void test_open_path_is_directory(void **state)
{
	struct fixture *f = *state;
	struct store *s = (struct store *)1;
	char err[512] = "";

	assert_int_equal(store_open(f->dir, &s, err, sizeof err), -1);
	assert_true(strlen(err) > 0);
}

static void test_now_ms(void **state)
{
	(void)state;
	int64_t a = store_now_ms();
	int64_t b = store_now_ms();

	/* After 2020 and not going backwards. */
	assert_true(a > INT64_C(1577836800000));
	assert_true(b >= a);
}

/* A server on another host, in effect: a child with a store of its own, and a running task. */
static pid_t replica(struct fixture *f, int64_t lease_ms, int ready, char *owner, size_t size)
{
	int names[2];
	pid_t pid;

	assert_int_equal(pipe(names), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s;
		char err[512], id[33];
		if (store_open(f->url, &s, err, sizeof err) != 0)
			_exit(1);
		store_set_lease_ms(s, lease_ms);
		if (store_lease(s, store_now_ms()) != 0)
			_exit(2);
		snprintf(id, sizeof id, "%.8x%024d", (unsigned)getpid(), 0);
		put_running_task(s, id, NULL, store_owner(s));
		if (write(names[1], store_owner(s), strlen(store_owner(s))) < 0)
			_exit(3);
		store_close(s);
		_exit(write(ready, "x", 1) == 1 ? 0 : 4);
	}
	close(names[1]);
	ssize_t n = read(names[0], owner, size - 1);
	assert_true(n > 0);
	owner[n] = '\0';
	close(names[0]);
	return pid;
}

static int wait_ok(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void assert_task_of(struct store *s, pid_t pid, const char *status, const char *error)
{
	struct task_record t;
	char id[33];

	snprintf(id, sizeof id, "%.8x%024d", (unsigned)pid, 0);
	assert_int_equal(store_get_task(s, id, &t), 1);
	assert_string_equal(t.status, status);
	if (error)
		assert_string_equal(t.error, error);
	task_record_clear(&t);
}

/*
 * Servers on other hosts are alive while their lease lasts, and not a moment
 * longer, whatever /proc says: one whose lease has run out is gone, and its
 * runs are ended; one whose lease lasts keeps them, though its process ended.
 */
static void test_pg_leases(void **state)
{
	struct fixture *f = *state;
	char holding[256], lapsed[256], sql[512];
	int ready[2];
	char c;

	open_store(f);
	assert_true(strchr(store_owner(f->store), '/') != NULL); /* names its host */
	assert_true(store_shared(f->store));
	assert_int_equal(pipe(ready), 0);
	pid_t a = replica(f, 60000, ready[1], holding, sizeof holding);
	pid_t b = replica(f, 60000, ready[1], lapsed, sizeof lapsed);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(wait_ok(a), 0);
	assert_int_equal(wait_ok(b), 0);

	assert_int_equal(store_owner_alive(f->store, holding, 0), 1);
	assert_int_equal(store_owner_alive(f->store, lapsed, 0), 1);
	assert_int_equal(store_owner_alive(f->store, "nowhere/1:1", 0), 0);
	assert_int_equal(store_recover(f->store, 9000, NULL), 0);

	/* b's lease runs out: as if it had not renewed it for the lease time. */
	snprintf(sql, sizeof sql,
	         "UPDATE replicas SET lease_until = lease_until - 60001 WHERE id = '%s'", lapsed);
	exec_raw(f, sql);
	assert_int_equal(store_owner_alive(f->store, lapsed, 0), 0);
	assert_int_equal(store_recover(f->store, 9000, NULL), 1);
	assert_task_of(f->store, a, "running", NULL);
	assert_task_of(f->store, b, "failed", "server stopped");
	close(ready[0]);
	close(ready[1]);
}

/* A lease lasts the time the server set, in the database's clock. */
static void test_pg_lease_runs_out(void **state)
{
	struct fixture *f = *state;
	char owner[256];
	int ready[2], polls = 0;
	char c;

	open_store(f);
	assert_int_equal(pipe(ready), 0);
	pid_t a = replica(f, 50, ready[1], owner, sizeof owner);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(wait_ok(a), 0);
	/* Polled: the database's clock says when 50 ms have passed. */
	while (store_owner_alive(f->store, owner, 0) == 1 && polls++ < 5000)
		usleep(1000);
	assert_int_equal(store_owner_alive(f->store, owner, 0), 0);
	assert_int_equal(store_recover(f->store, 9000, NULL), 1);
	assert_task_of(f->store, a, "failed", "server stopped");
	close(ready[0]);
	close(ready[1]);
}

/* One number the database answers sql with, behind the store's back (PostgreSQL). */
static int count_raw(struct fixture *f, const char *sql)
{
	PGconn *c = PQconnectdb(f->url);
	PGresult *res = PQexec(c, sql);
	int n;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	return n;
}

static bool codex_only(void *data, const char *request)
{
	++*(int *)data;
	return strstr(request, "\"codex\"") != NULL;
}

static void put_queued_task(struct store *s, const char *id)
{
	struct task_record t = {.tool = "codex", .status = "queued", .created_at = 100};

	snprintf(t.id, sizeof t.id, "%s", id);
	t.owner = (char *)store_owner(s);
	assert_int_equal(store_put_task(s, &t), 0);
}

/*
 * Work offered by a live replica is taken by another with room: only what the
 * taker can run, only while the fleet has room, once; the task becomes the
 * taker's and the offering replica is told. The offering replica's own claim
 * then says it was taken, and a claim of its own withdraws its offer.
 */
static void test_pg_offers(void **state)
{
	struct fixture *f = *state;
	char other[256], sql[512], first[33], mine[33];
	char *id, *request;
	int ready[2], seen = 0;
	struct task_record t;
	char c;

	open_store(f);
	store_set_lease_ms(f->store, 60000);
	assert_int_equal(store_lease(f->store, store_now_ms()), 0);
	assert_int_equal(pipe(ready), 0);
	pid_t a = replica(f, 60000, ready[1], other, sizeof other);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(wait_ok(a), 0);
	snprintf(first, sizeof first, "%.8x%024d", (unsigned)a, 0);
	snprintf(sql, sizeof sql, "UPDATE tasks SET status = 'queued' WHERE id = '%s'", first);
	exec_raw(f, sql);

	/* What this server cannot run stays offered; so does all while the fleet is full. */
	assert_int_equal(store_offer_run(f->store, first, "{\"tool\":\"other\"}"), 0);
	assert_int_equal(store_take_offer(f->store, 4, codex_only, &seen, &id, &request), 0);
	assert_int_equal(seen, 1);
	assert_null(id);
	assert_int_equal(store_offer_run(f->store, first, "{\"tool\":\"codex\"}"), 0);
	assert_int_equal(store_take_offer(f->store, 0, codex_only, &seen, &id, &request), 0);

	assert_int_equal(store_take_offer(f->store, 4, codex_only, &seen, &id, &request), 1);
	assert_string_equal(id, first);
	assert_string_equal(request, "{\"tool\":\"codex\"}");
	free(id);
	free(request);
	assert_int_equal(store_get_task(f->store, first, &t), 1);
	assert_string_equal(t.owner, store_owner(f->store));
	assert_string_equal(t.status, "queued");
	task_record_clear(&t);
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM asked WHERE kind = 'moved' AND owner = '%s' AND body = '%s'",
	         other, store_owner(f->store));
	assert_int_equal(count_raw(f, sql), 1);
	assert_int_equal(store_take_offer(f->store, 4, codex_only, &seen, &id, &request), 0);
	/* Its taker's own claim counts it as its own. */
	assert_int_equal(store_claim_run(f->store, first, 4), 1);

	/* An offer of this server's own: taken by another (its owner changed), a claim says so. */
	snprintf(mine, sizeof mine, "%.8x%024d", (unsigned)getpid(), 1);
	put_queued_task(f->store, mine);
	assert_int_equal(store_offer_run(f->store, mine, "{\"tool\":\"codex\"}"), 0);
	snprintf(sql, sizeof sql, "UPDATE tasks SET owner = '%s' WHERE id = '%s'", other, mine);
	exec_raw(f, sql);
	assert_int_equal(store_claim_run(f->store, mine, 4), 2);
	/* Not taken, a claim of its own withdraws the offer. */
	snprintf(sql, sizeof sql, "UPDATE tasks SET owner = '%s' WHERE id = '%s'",
	         store_owner(f->store), mine);
	exec_raw(f, sql);
	assert_int_equal(store_claim_run(f->store, mine, 4), 1);
	assert_int_equal(count_raw(f, "SELECT count(*) FROM asked WHERE kind = 'offer'"), 0);

	/* A kill withdraws an offer of its own and ends the record in one step; a taken one is
	 * the taker's. */
	put_queued_task(f->store, mine);
	assert_int_equal(store_offer_run(f->store, mine, "{\"tool\":\"codex\"}"), 0);
	assert_int_equal(store_withdraw_offer(f->store, mine, "killed"), 1);
	assert_int_equal(store_get_task(f->store, mine, &t), 1);
	assert_string_equal(t.status, "killed");
	task_record_clear(&t);
	assert_int_equal(count_raw(f, "SELECT count(*) FROM asked WHERE kind = 'offer'"), 0);
	snprintf(sql, sizeof sql, "UPDATE tasks SET owner = '%s' WHERE id = '%s'", other, mine);
	exec_raw(f, sql);
	assert_int_equal(store_withdraw_offer(f->store, mine, "killed"), 2);
	close(ready[0]);
	close(ready[1]);
}

/* The database restarting under a server (here: its connection cut) costs no write. */
static void test_pg_reconnects(void **state)
{
	struct fixture *f = *state;
	struct task_record t;
	char sql[256];

	open_store(f);
	put_task(f->store, 1, "running", 100);
	snprintf(sql, sizeof sql,
	         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' "
	         "AND pid <> pg_backend_pid()",
	         f->db);
	pg_admin_exec(sql);
	put_task(f->store, 1, "completed", 100);
	assert_int_equal(store_get_task(f->store, "00000000000000000000000000000001", &t), 1);
	assert_string_equal(t.status, "completed");
	task_record_clear(&t);
}

/* A server that cannot reach its database says so, and never with the URL's password. */
static void test_pg_unreachable(void **state)
{
	struct store *s = (struct store *)1;
	char err[512] = "";

	(void)state;
	assert_int_equal(
	    store_open("postgresql://codex:sekrit-pass@127.0.0.1:1/none", &s, err, sizeof err), -1);
	assert_ptr_equal(s, (struct store *)1);
	assert_non_null(strstr(err, "cannot connect to the PostgreSQL store"));
	assert_null(strstr(err, "sekrit"));
	assert_int_equal(store_open("mysql://x/y", &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown store URL scheme"));
}

/* Servers started together on a new database make its schema once between them. */
static void test_pg_migrate_together(void **state)
{
	struct fixture *f = *state;
	pid_t kids[6];

	for (int i = 0; i < 6; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			struct store *s;
			char err[512];
			if (store_open(f->url, &s, err, sizeof err) != 0) {
				fprintf(stderr, "%s\n", err);
				_exit(1);
			}
			put_task(s, i, "queued", 100 + i);
			store_close(s);
			_exit(0);
		}
	}
	for (int i = 0; i < 6; i++)
		assert_int_equal(wait_ok(kids[i]), 0);
	open_store(f);
	struct seen seen = {0};
	assert_int_equal(store_each_task(f->store, NULL, NULL, 100, count_task, &seen), 0);
	assert_int_equal(seen.n, 6);
}

/* A database made before tasks had a worktree (schema 1) gets the column, its tasks kept. */
static void test_pg_migrates_to_worktree(void **state)
{
	struct fixture *f = *state;
	struct task_record t;

	open_store(f);
	put_task(f->store, 1, "completed", 100);
	store_close(f->store);
	f->store = NULL;
	exec_raw(f,
	         "ALTER TABLE tasks DROP COLUMN worktree; UPDATE codex_mcp_schema SET version = 1");
	open_store(f);
	assert_int_equal(store_get_task(f->store, "00000000000000000000000000000001", &t), 1);
	assert_null(t.worktree);
	t.worktree = json_pack("{s:s}", "branch", "codex-mcp/00000000");
	assert_int_equal(store_put_task(f->store, &t), 0);
	task_record_clear(&t);
	assert_int_equal(store_get_task(f->store, "00000000000000000000000000000001", &t), 1);
	assert_string_equal(json_string_value(json_object_get(t.worktree, "branch")),
	                    "codex-mcp/00000000");
	assert_string_equal(t.status, "completed");
	task_record_clear(&t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* What both implementations must do alike. */
static const struct CMUnitTest common[] = {
    T(test_put_get_round_trip),
    T(test_put_empty_options),
    T(test_put_twice_keeps_created_at),
    T(test_set_status),
    T(test_get_unknown),
    T(test_recover),
    T(test_recover_keeps_own_threads),
    T(test_recover_all_or_nothing),
    T(test_reopen_keeps_data),
    T(test_pages_while_updated),
    T(test_task_update_keeps_created_at),
    cmocka_unit_test(test_subject_same),
    T(test_task_subject_round_trip),
    T(test_task_worktree_round_trip),
    T(test_lists_filter_by_subject),
    T(test_pages_filter_by_subject),
    T(test_thread_subject),
    T(test_log_visible),
    cmocka_unit_test(test_now_ms),
};

/* A file on this host, and servers on it told apart by /proc. */
static const struct CMUnitTest sqlite_only[] = {
    T(test_open_creates_nested_dirs), T(test_open_existing_dir), T(test_recover_other_servers),
    T(test_open_parent_is_file),      T(test_open_corrupt_file), T(test_open_path_is_directory),
};

/* Servers on many hosts, told apart by leases. */
static const struct CMUnitTest postgres_only[] = {
    T(test_pg_leases),           T(test_pg_lease_runs_out),
    T(test_pg_reconnects),       cmocka_unit_test(test_pg_unreachable),
    T(test_pg_migrate_together), T(test_pg_migrates_to_worktree),
    T(test_pg_offers),
};

int main(void)
{
	int failed;

	pg_admin = getenv("CODEX_MCP_TEST_PG");
	if (pg_admin && *pg_admin) {
		failed = cmocka_run_group_tests_name("store/postgres", common, NULL, NULL);
		return failed + cmocka_run_group_tests_name("store/postgres-only", postgres_only,
		                                            NULL, NULL);
	}
	pg_admin = NULL;
	failed = cmocka_run_group_tests_name("store/sqlite", common, NULL, NULL);
	return failed + cmocka_run_group_tests_name("store/sqlite-only", sqlite_only, NULL, NULL);
}
