/*
 * The store's front: chooses the implementation a URL names, calls through its
 * table, and keeps what every implementation shares (records in memory, the
 * list cursor, this server's name).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc/procfs.h"
#include "store/store-int.h"
#include "util/module.h"

enum { DEFAULT_LEASE_MS = 30000 };

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int store_open(const char *url, struct store **out, char *err, size_t err_size)
{
	const struct store_ops *ops = &store_sqlite_ops;
	const char *target = url;

	/* *out is left as it was on failure. */
	if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
		ops = module_load(STORE_POSTGRES_FILE, STORE_POSTGRES_SYMBOL, err, err_size);
		if (!ops)
			return -1;
	} else if (starts_with(url, "sqlite:")) {
		target = url + strlen("sqlite:");
		/* sqlite:///abs/path, as other programs write it, is the same file. */
		if (starts_with(target, "//"))
			target += 2;
	} else if (strstr(url, "://")) {
		snprintf(err, err_size,
		         "unknown store URL scheme: use sqlite:PATH or postgresql://...");
		return -1;
	}
	if (!*target) {
		snprintf(err, err_size, "the store URL names no database");
		return -1;
	}
	return ops->open(target, out, err, err_size);
}

/* The last call's word on a failure, for the thread that made it: two threads call the store. */
static _Thread_local char last_error[sizeof((struct store *)0)->error];

void store_lock(struct store *s)
{
	pthread_mutex_lock(&s->lock);
	s->error[0] = '\0';
}

void store_unlock(struct store *s)
{
	memcpy(last_error, s->error, sizeof last_error);
	pthread_mutex_unlock(&s->lock);
}

int store_base_init(struct store *s, const struct store_ops *ops, bool with_host)
{
	char host[256] = "";
	char *id = proc_instance_id(getpid());
	pthread_mutexattr_t attr;

	/* Recursive: a call's callback (a listing's rows) may call the store again. */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	s->lock_made = true;

	s->ops = ops;
	s->lease_ms = DEFAULT_LEASE_MS;
	if (!id)
		return -ENOMEM;
	if (!with_host) {
		s->owner = id;
		return 0;
	}
	/* Pids repeat across hosts: a shared store names the host too. */
	if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "unknown");
	if (asprintf(&s->owner, "%s/%s", host, id) < 0)
		s->owner = NULL;
	free(id);
	return s->owner ? 0 : -ENOMEM;
}

void store_base_free(struct store *s)
{
	if (s->lock_made)
		pthread_mutex_destroy(&s->lock);
	free(s->owner);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

const char *store_kind(const struct store *s)
{
	return s->ops->kind;
}

const char *store_owner(const struct store *s)
{
	return s->owner;
}

bool store_shared(const struct store *s)
{
	return s->ops->lease != NULL;
}

void store_set_lease_ms(struct store *s, int64_t ms)
{
	s->lease_ms = ms > 0 ? ms : DEFAULT_LEASE_MS;
}

int64_t store_lease_ms(const struct store *s)
{
	return s->lease_ms;
}

int store_lease(struct store *s, int64_t now)
{
	int rc;

	store_lock(s);
	rc = s->ops->lease ? s->ops->lease(s, now) : 0;
	store_unlock(s);
	return rc;
}

int store_release(struct store *s)
{
	int rc;

	store_lock(s);
	rc = s->ops->release ? s->ops->release(s) : 0;
	store_unlock(s);
	return rc;
}

int store_owner_alive(struct store *s, const char *owner, int64_t now)
{
	if (!owner)
		return 0;
	if (!s->ops->owner_alive)
		return proc_instance_alive(owner);
	int rc;
	store_lock(s);
	rc = s->ops->owner_alive(s, owner, now);
	store_unlock(s);
	return rc;
}

static int ask(struct store *s, const char *owner, const char *id, const char *kind,
               const char *body)
{
	int rc;

	store_lock(s);
	rc = s->ops->ask ? s->ops->ask(s, owner, id, kind, body) : -ENOTSUP;
	store_unlock(s);
	return rc;
}

int store_ask_cancel(struct store *s, const char *owner, const char *id, const char *how)
{
	return ask(s, owner, id, "cancel", how);
}

int store_hand_over(struct store *s, const char *owner, const char *id, const char *request)
{
	return ask(s, owner, id, "run", request);
}

int store_offer_run(struct store *s, const char *id, const char *request)
{
	return ask(s, STORE_ANYONE, id, "offer", request);
}

int store_withdraw_offer(struct store *s, const char *id, const char *status)
{
	int rc;

	if (!s->ops->withdraw_offer)
		return -ENOTSUP;
	store_lock(s);
	rc = s->ops->withdraw_offer(s, id, status);
	store_unlock(s);
	return rc;
}

int store_take_offer(struct store *s, int max, bool (*can_run)(void *data, const char *request),
                     void *data, char **id, char **request)
{
	int rc;

	*id = *request = NULL;
	if (!s->ops->take_offer)
		return -ENOTSUP;
	store_lock(s);
	rc = s->ops->take_offer(s, max, can_run, data, id, request);
	store_unlock(s);
	return rc;
}

int store_take_asked(struct store *s,
                     void (*fn)(void *data, const char *id, const char *kind, const char *body),
                     void *data)
{
	int rc;

	store_lock(s);
	rc = s->ops->take_asked ? s->ops->take_asked(s, fn, data) : 0;
	store_unlock(s);
	return rc;
}

int store_watch(struct store *s, uv_loop_t *loop, void (*wake)(void *data), void *data)
{
	return s->ops->watch ? s->ops->watch(s, loop, wake, data) : 0;
}

void store_unwatch(struct store *s)
{
	if (s->ops->unwatch)
		s->ops->unwatch(s);
}

char *store_url_password(const char *url)
{
	const char *p = strstr(url, "://"), *end, *colon, *at;

	/* postgresql://user:password@host/..., or ?password=... among the parameters. */
	if (p) {
		p += 3;
		end = p + strcspn(p, "/?");
		at = memchr(p, '@', (size_t)(end - p));
		colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
		if (colon && at > colon + 1)
			return strndup(colon + 1, (size_t)(at - colon - 1));
	}
	for (p = url; (p = strstr(p, "password")); p++) {
		/* A URL's ?password=, or libpq's keyword form: "host=x password = 'secret'". */
		bool url_param = p > url && (p[-1] == '?' || p[-1] == '&');
		bool keyword = !strstr(url, "://") && (p == url || p[-1] == ' ' || p[-1] == '\t');
		const char *v = p + strlen("password");
		if (!url_param && !keyword)
			continue;
		v += keyword ? strspn(v, " \t") : 0;
		if (*v++ != '=')
			continue;
		if (url_param)
			return strndup(v, strcspn(v, "&"));
		v += strspn(v, " \t");
		if (*v == '\'')
			return strndup(v + 1, strcspn(v + 1, "'"));
		return strndup(v, strcspn(v, " \t"));
	}
	return NULL;
}

const char *store_error(struct store *s)
{
	(void)s;
	return last_error[0] ? last_error : "unknown error";
}

int store_put_thread(struct store *s, const char *id, const json_t *options, const char *status,
                     const char *subject, int64_t now)
{
	int rc;

	store_lock(s);
	rc = s->ops->put_thread(s, id, options, status, subject, now);
	store_unlock(s);
	return rc;
}

int store_set_thread_status(struct store *s, const char *id, const char *status, int64_t now)
{
	int rc;

	store_lock(s);
	rc = s->ops->set_thread_status(s, id, status, now);
	store_unlock(s);
	return rc;
}

int store_get_thread(struct store *s, const char *id, struct thread_record *out)
{
	memset(out, 0, sizeof *out);
	int rc;

	store_lock(s);
	rc = s->ops->get_thread(s, id, out);
	store_unlock(s);
	return rc;
}

int store_put_task(struct store *s, const struct task_record *t)
{
	int rc;

	store_lock(s);
	rc = s->ops->put_task(s, t);
	store_unlock(s);
	return rc;
}

int store_get_task(struct store *s, const char *id, struct task_record *out)
{
	memset(out, 0, sizeof *out);
	int rc;

	store_lock(s);
	rc = s->ops->get_task(s, id, out);
	store_unlock(s);
	return rc;
}

int store_each_task(struct store *s, const char *subject, const char *status, int limit,
                    void (*fn)(void *data, const struct task_record *t), void *data)
{
	int rc;

	store_lock(s);
	rc = s->ops->each_task(s, subject, status, limit, fn, data);
	store_unlock(s);
	return rc;
}

json_t *store_count_tasks(struct store *s, const char *subject)
{
	json_t *counts;

	store_lock(s);
	counts = s->ops->count_tasks(s, subject);
	store_unlock(s);
	return counts;
}

int store_page_tasks(struct store *s, const char *subject, const char *cursor, int limit,
                     void (*fn)(void *data, const struct task_record *t), void *data, char **next)
{
	*next = NULL;
	int rc;

	store_lock(s);
	rc = s->ops->page_tasks(s, subject, cursor, limit, fn, data, next);
	store_unlock(s);
	return rc;
}

bool store_can_claim(const struct store *s)
{
	return s->ops->claim_run != NULL;
}

int store_claim_run(struct store *s, const char *id, int max)
{
	int rc;

	if (!s->ops->claim_run)
		return -ENOTSUP;
	store_lock(s);
	rc = s->ops->claim_run(s, id, max);
	store_unlock(s);
	return rc;
}

int store_log_visible(struct store *s, const char *subject, const char *log_file)
{
	int rc;

	store_lock(s);
	rc = s->ops->log_visible(s, subject, log_file);
	store_unlock(s);
	return rc;
}

int store_expire_tasks(struct store *s, int64_t now)
{
	int rc;

	store_lock(s);
	rc = s->ops->expire_tasks(s, now);
	store_unlock(s);
	return rc;
}

int store_recover(struct store *s, int64_t now, bool (*alive)(const char *owner))
{
	int rc;

	store_lock(s);
	rc = s->ops->recover(s, now, alive);
	store_unlock(s);
	return rc;
}

const char *store_subject_text(const char *subject)
{
	return subject ? subject : "";
}

bool store_subject_same(const char *a, const char *b)
{
	return strcmp(store_subject_text(a), store_subject_text(b)) == 0;
}

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int store_cursor_parse(const char *cursor, long long *created, long long *seq)
{
	int used = 0;

	*created = *seq = INT64_MAX;
	if (!cursor)
		return 0;
	if (sscanf(cursor, "%llx.%llx%n", created, seq, &used) != 2 || cursor[used] != '\0' ||
	    *created < 0 || *seq < 0)
		return -1;
	return 0;
}

char *store_cursor_make(long long created, long long seq)
{
	char *out;

	return asprintf(&out, "%llx.%llx", created, seq) < 0 ? NULL : out;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int task_record_copy(struct task_record *dst, const struct task_record *src)
{
	*dst = *src;
	dst->tool = dup_or_null(src->tool);
	dst->status = dup_or_null(src->status);
	dst->thread_id = dup_or_null(src->thread_id);
	dst->cwd = dup_or_null(src->cwd);
	dst->log_file = dup_or_null(src->log_file);
	dst->output = dup_or_null(src->output);
	dst->error = dup_or_null(src->error);
	dst->owner = dup_or_null(src->owner);
	dst->subject = dup_or_null(src->subject);
	dst->report = src->report ? json_deep_copy(src->report) : NULL;
	dst->result = src->result ? json_deep_copy(src->result) : NULL;
	dst->worktree = src->worktree ? json_deep_copy(src->worktree) : NULL;
	if ((src->tool && !dst->tool) || (src->status && !dst->status) ||
	    (src->output && !dst->output) || (src->result && !dst->result) ||
	    (src->worktree && !dst->worktree) || (src->subject && !dst->subject)) {
		task_record_clear(dst);
		return -1;
	}
	return 0;
}

void task_record_clear(struct task_record *t)
{
	free(t->tool);
	free(t->status);
	free(t->thread_id);
	free(t->cwd);
	free(t->log_file);
	free(t->output);
	free(t->error);
	json_decref(t->report);
	json_decref(t->result);
	json_decref(t->worktree);
	free(t->owner);
	free(t->subject);
	memset(t, 0, sizeof *t);
}

void thread_record_clear(struct thread_record *r)
{
	free(r->id);
	json_decref(r->options);
	free(r->status);
	free(r->subject);
	free(r->owner);
	memset(r, 0, sizeof *r);
}
