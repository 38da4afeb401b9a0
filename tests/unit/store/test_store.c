#include "unit.h"

#include <sys/stat.h>

#include "store/store.h"

struct fixture {
	char *dir;  /* temporary directory, removed afterwards */
	char *path; /* dir/a/b/c/threads.db: the nested directories do not exist yet */
	struct store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f || !(f->dir = unit_mkdtemp()))
		return -1;
	if (asprintf(&f->path, "%s/a/b/c/threads.db", f->dir) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->store);
	unit_rm_rf(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static void open_store(struct fixture *f)
{
	char err[512] = "";

	if (store_open(f->path, &f->store, err, sizeof err) != 0)
		fail_msg("store_open(%s): %s", f->path, err);
	assert_non_null(f->store);
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
	assert_int_equal(store_put_thread(f->store, "thread-1", options, "running", 1000), 0);
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
	assert_int_equal(store_put_thread(f->store, "t", options, "completed", 5), 0);
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
	assert_int_equal(store_put_thread(f->store, "t", first, "running", 1000), 0);
	assert_int_equal(store_put_thread(f->store, "t", second, "completed", 2500), 0);
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
	assert_int_equal(store_put_thread(f->store, "t", options, "running", 1000), 0);
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
	assert_int_equal(store_put_thread(f->store, "abc", options, "running", 1), 0);
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
		assert_int_equal(store_put_thread(f->store, ids[i], options, statuses[i], 100), 0);
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
		assert_int_equal(store_page_tasks(f->store, cursor, 4, count_task, &seen, &next),
		                 0);
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

static void test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct thread_record r;
	json_t *options = options_json();

	open_store(f);
	assert_int_equal(store_put_thread(f->store, "keep", options, "running", 1234), 0);
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

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_open_creates_nested_dirs),
	    T(test_open_existing_dir),
	    T(test_put_get_round_trip),
	    T(test_put_empty_options),
	    T(test_put_twice_keeps_created_at),
	    T(test_set_status),
	    T(test_get_unknown),
	    T(test_recover),
	    T(test_reopen_keeps_data),
	    T(test_pages_while_updated),
	    T(test_task_update_keeps_created_at),
	    T(test_open_parent_is_file),
	    T(test_open_corrupt_file),
	    T(test_open_path_is_directory),
	    cmocka_unit_test(test_now_ms),
	};
	return cmocka_run_group_tests_name("store/store", tests, NULL, NULL);
}
