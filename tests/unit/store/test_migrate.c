/*
 * Opening a database an older version made: servers started at once, and a
 * server that dies or fails part way through the migration.
 */
#include "unit.h"

#include <sys/wait.h>

#include <sqlite3.h>

#include "store/store.h"

enum { CURRENT_VERSION = 7, CRASHED = 77 };

/* The tables as versions 2 and 3 made them, with a thread and a task in each. */
static const char old_tables[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE threads (id TEXT PRIMARY KEY, cwd TEXT, options TEXT NOT NULL,"
    "  status TEXT NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL);"
    "CREATE TABLE tasks (id TEXT PRIMARY KEY, tool TEXT NOT NULL, status TEXT NOT NULL,"
    "  thread_id TEXT, cwd TEXT, log_file TEXT, output TEXT, error TEXT, report TEXT,"
    "  created_at INTEGER NOT NULL, started_at INTEGER, completed_at INTEGER,"
    "  last_activity INTEGER, pid INTEGER);"
    "CREATE INDEX tasks_by_status ON tasks (status, created_at);"
    "CREATE INDEX tasks_by_creation ON tasks (created_at);"
    "INSERT INTO threads VALUES ('old-thread', '/w', '{\"cwd\":\"/w\"}', 'completed', 100, 200);"
    "INSERT INTO tasks (id, tool, status, thread_id, created_at, output) VALUES"
    "  ('0123456789abcdef0123456789abcdef', 'codex', 'completed', 'old-thread', 100, 'old');";
static const char version_2[] = "PRAGMA user_version = 2;";
static const char version_3[] = "ALTER TABLE tasks ADD COLUMN result TEXT;"
                                "ALTER TABLE tasks ADD COLUMN ttl_ms INTEGER;"
                                "PRAGMA user_version = 3;";

/* Every column a version added since 2: a migrated database has all, an old one none. */
static const char *const added[][2] = {
    {"tasks", "result"},  {"tasks", "ttl_ms"},    {"tasks", "owner"},    {"threads", "owner"},
    {"tasks", "subject"}, {"threads", "subject"}, {"tasks", "worktree"},
};
enum { N_ADDED = sizeof added / sizeof added[0] };

/*
 * A VFS over the default one that faults on a chosen write: the process dies
 * there (a crash) or the write fails with an I/O error.
 */
static sqlite3_vfs fault_vfs;
static sqlite3_vfs *real_vfs;
/* The default VFS gives a database and its WAL different methods: each gets a faulting copy. */
static struct {
	const sqlite3_io_methods *real;
	sqlite3_io_methods fault;
} methods[4];
static int writes_left; /* the write that brings this to 0 faults; 0 is off */
static bool crash;

static int fault_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	size_t i = 0;

	if (writes_left > 0 && --writes_left == 0) {
		if (crash)
			_exit(CRASHED);
		return SQLITE_IOERR_WRITE;
	}
	while (f->pMethods != &methods[i].fault)
		i++;
	return methods[i].real->xWrite(f, buf, n, off);
}

static int fault_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	int rc = real_vfs->xOpen(real_vfs, name, f, flags, out);
	size_t i = 0;

	(void)vfs;
	if (rc != SQLITE_OK || !f->pMethods)
		return rc;
	while (i < 4 && methods[i].real && methods[i].real != f->pMethods)
		i++;
	assert_true(i < 4);
	if (!methods[i].real) {
		methods[i].real = f->pMethods;
		methods[i].fault = *f->pMethods;
		methods[i].fault.xWrite = fault_write;
	}
	f->pMethods = &methods[i].fault;
	return rc;
}

static void install_fault_vfs(void)
{
	if (real_vfs)
		return;
	real_vfs = sqlite3_vfs_find(NULL);
	assert_non_null(real_vfs);
	fault_vfs = *real_vfs;
	fault_vfs.zName = "fault";
	fault_vfs.pNext = NULL;
	fault_vfs.xOpen = fault_open;
	assert_int_equal(sqlite3_vfs_register(&fault_vfs, 1), SQLITE_OK);
}

struct fixture {
	char *dir;
	char *path;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f || !(f->dir = unit_mkdtemp()))
		return -1;
	if (asprintf(&f->path, "%s/codex-mcp.db", f->dir) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	writes_left = 0;
	unit_rm_rf(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static void exec_raw(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* Removes the database and its WAL files, and writes one as the given version made it. */
static void make_old_db(const char *path, int version)
{
	char *file;

	for (size_t i = 0; i < 3; i++) {
		assert_true(asprintf(&file, "%s%s", path, (const char *[]){"", "-wal", "-shm"}[i]) >
		            0);
		unlink(file);
		free(file);
	}
	exec_raw(path, old_tables);
	exec_raw(path, version == 2 ? version_2 : version_3);
}

/* The version, and how many of the added columns there are. */
static int read_schema(const char *path, int *n_added)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	int version = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	*n_added = 0;
	for (size_t i = 0; i < N_ADDED; i++) {
		assert_int_equal(sqlite3_prepare_v2(db,
		                                    "SELECT COUNT(*) FROM pragma_table_info(?1) "
		                                    "WHERE name = ?2",
		                                    -1, &q, NULL),
		                 SQLITE_OK);
		sqlite3_bind_text(q, 1, added[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, added[i][1], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		*n_added += sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return version;
}

/* Opens the store, checks the old records are there, and uses the new columns. */
static void assert_current_and_whole(const char *path)
{
	struct store *s;
	struct thread_record th;
	struct task_record t, got;
	char err[512] = "";
	int n_added;

	if (store_open(path, &s, err, sizeof err) != 0)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_get_thread(s, "old-thread", &th), 1);
	assert_string_equal(th.status, "completed");
	/* Made before anyone authenticated: no one's. */
	assert_null(th.subject);
	thread_record_clear(&th);
	assert_int_equal(store_get_task(s, "0123456789abcdef0123456789abcdef", &got), 1);
	assert_string_equal(got.output, "old");
	assert_null(got.subject);
	task_record_clear(&got);
	json_t *counts = store_count_tasks(s, NULL);
	assert_true(json_integer_value(json_object_get(counts, "completed")) >= 1);
	json_decref(counts);
	counts = store_count_tasks(s, "someone");
	assert_int_equal(json_object_size(counts), 0);
	json_decref(counts);
	memset(&t, 0, sizeof t);
	snprintf(t.id, sizeof t.id, "%s", "fedcba9876543210fedcba9876543210");
	t.tool = "codex";
	t.status = "queued";
	t.created_at = 300;
	t.ttl_ms = 1000;
	t.owner = "1:2";
	t.subject = "token:0123456789abcdef";
	assert_int_equal(store_put_task(s, &t), 0);
	assert_int_equal(store_get_task(s, t.id, &got), 1);
	assert_string_equal(got.owner, "1:2");
	assert_string_equal(got.subject, "token:0123456789abcdef");
	assert_int_equal(got.ttl_ms, 1000);
	task_record_clear(&got);
	store_close(s);
	assert_int_equal(read_schema(path, &n_added), CURRENT_VERSION);
	assert_int_equal(n_added, N_ADDED);
}

/* Runs children that each open the store at the same moment; all must succeed. */
static void open_at_once(const char *path, int n)
{
	pid_t pids[16];
	int go[2];

	assert_true(n <= 16);
	/* Each waits its turn however slow the machine (valgrind is): what is tested is that
	 * every one gets through, not how quickly. */
	store_set_open_wait(120000);
	assert_int_equal(pipe(go), 0);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct store *s;
			char err[512] = "", c;
			close(go[1]);
			/* Blocks until the parent closes its end: all start together. */
			if (read(go[0], &c, 1) != 0)
				_exit(2);
			if (store_open(path, &s, err, sizeof err) != 0) {
				fprintf(stderr, "child %d: %s\n", i, err);
				_exit(1);
			}
			store_close(s);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < n; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

static void test_servers_upgrade_at_once(void **state)
{
	struct fixture *f = *state;

	/* A race is not certain to show in one round. */
	for (int round = 0; round < 5; round++) {
		make_old_db(f->path, round % 2 ? 2 : 3);
		open_at_once(f->path, 6);
		assert_current_and_whole(f->path);
	}
}

static void test_servers_create_at_once(void **state)
{
	struct fixture *f = *state;
	struct store *s;
	char err[512] = "";
	int n_added;

	for (int round = 0; round < 3; round++) {
		char *path;
		assert_true(asprintf(&path, "%s/fresh-%d.db", f->dir, round) > 0);
		open_at_once(path, 6);
		assert_int_equal(read_schema(path, &n_added), CURRENT_VERSION);
		assert_int_equal(n_added, N_ADDED);
		assert_int_equal(store_open(path, &s, err, sizeof err), 0);
		store_close(s);
		free(path);
	}
}

/*
 * A server dies at each write of its start in turn: the database is then
 * either still the old version, with none of the new columns, or wholly the
 * new one, and the next start always succeeds.
 */
static void test_crash_at_each_write(void **state)
{
	struct fixture *f = *state;
	int k, n_added, old_seen = 0;

	install_fault_vfs();
	for (k = 1; k < 500; k++) {
		int status, version;
		pid_t pid;

		make_old_db(f->path, 2);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct store *s;
			char err[512];
			crash = true;
			writes_left = k;
			if (store_open(f->path, &s, err, sizeof err) != 0)
				_exit(1);
			store_close(s);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != CRASHED) {
			/* The k-th write never came: the start went through whole. */
			assert_int_equal(WEXITSTATUS(status), 0);
			break;
		}
		version = read_schema(f->path, &n_added);
		if (version == 2) {
			assert_int_equal(n_added, 0);
			old_seen++;
		} else {
			assert_int_equal(version, CURRENT_VERSION);
			assert_int_equal(n_added, N_ADDED);
		}
		assert_current_and_whole(f->path);
	}
	assert_true(k < 500);
	/* The crashes did land inside the migration. */
	assert_true(old_seen > 0);
}

/* A write that fails part way: the start fails with a reason, and the next one succeeds. */
static void test_write_error_at_each_write(void **state)
{
	struct fixture *f = *state;
	int k, n_added, failures = 0;

	install_fault_vfs();
	crash = false;
	for (k = 1; k < 500; k++) {
		struct store *s;
		char err[512] = "";
		int rc, version;

		make_old_db(f->path, 2);
		writes_left = k;
		rc = store_open(f->path, &s, err, sizeof err);
		if (rc == 0)
			store_close(s);
		bool faulted = writes_left == 0;
		writes_left = 0;
		if (!faulted) {
			assert_int_equal(rc, 0);
			break;
		}
		if (rc != 0) {
			assert_true(strlen(err) > 0);
			failures++;
		}
		version = read_schema(f->path, &n_added);
		assert_true(version == 2 || version == CURRENT_VERSION);
		assert_int_equal(n_added, version == 2 ? 0 : N_ADDED);
		assert_current_and_whole(f->path);
	}
	assert_true(k < 500);
	assert_true(failures > 0);
}

/*
 * An older server that opened a migrated database wrote its own version back:
 * the columns are there already, and the next start still succeeds.
 */
static void test_version_written_back(void **state)
{
	struct fixture *f = *state;
	struct store *s;
	char err[512] = "";

	make_old_db(f->path, 3);
	assert_int_equal(store_open(f->path, &s, err, sizeof err), 0);
	store_close(s);
	exec_raw(f->path, "PRAGMA user_version = 3;");
	assert_current_and_whole(f->path);
}

/* A newer server's database keeps its version: this one does not write it back. */
static void test_newer_version_kept(void **state)
{
	struct fixture *f = *state;
	struct store *s;
	char err[512] = "";
	int n_added;

	make_old_db(f->path, 3);
	assert_int_equal(store_open(f->path, &s, err, sizeof err), 0);
	store_close(s);
	exec_raw(f->path, "PRAGMA user_version = 99;");
	assert_int_equal(store_open(f->path, &s, err, sizeof err), 0);
	store_close(s);
	assert_int_equal(read_schema(f->path, &n_added), 99);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_servers_upgrade_at_once), T(test_servers_create_at_once),
	    T(test_crash_at_each_write),     T(test_write_error_at_each_write),
	    T(test_version_written_back),    T(test_newer_version_kept),
	};
	return cmocka_run_group_tests_name("store/migrate", tests, NULL, NULL);
}
