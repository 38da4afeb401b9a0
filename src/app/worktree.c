#include "app/worktree.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "app/options.h"
#include "store/store.h"
#include "util/paths.h"

enum {
	OUT_MAX = 4 << 20, /* more of git's output than any answer here needs */
	ERR_MAX = 2048,
	QUICK_MS = 60 * 1000,     /* a query: rev-parse, status, log */
	CHECKOUT_MS = 600 * 1000, /* making or removing a worktree writes a whole tree */
	LIST_MAX = 200,           /* commits and files a report names */
};

/* One git run on a loop of its own: its output so far, and how it ended. */
struct git_run {
	uv_process_t proc;
	uv_pipe_t out, err;
	uv_timer_t timer;
	char *buf;
	size_t len, cap;
	char msg[ERR_MAX];
	size_t msg_len;
	char scratch[65536]; /* what a read fills */
	int64_t status;
	int signal;
	bool timed_out;
};

static void on_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
	struct git_run *g = h->data;

	(void)want;
	*buf = uv_buf_init(g->scratch, sizeof g->scratch);
}

static void keep(char **buf, size_t *len, size_t *cap, size_t max, const char *data, size_t n)
{
	if (*len + n > max)
		n = max - *len;
	if (*len + n + 1 > *cap) {
		size_t want = (*len + n + 1) * 2;
		char *bigger = realloc(*buf, want);
		if (!bigger)
			return;
		*buf = bigger;
		*cap = want;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct git_run *g = s->data;

	if (n < 0) {
		uv_close((uv_handle_t *)s, NULL);
		return;
	}
	if (s == (uv_stream_t *)&g->out) {
		keep(&g->buf, &g->len, &g->cap, OUT_MAX, buf->base, (size_t)n);
	} else {
		size_t room = sizeof g->msg - 1 - g->msg_len,
		       take = (size_t)n < room ? (size_t)n : room;
		memcpy(g->msg + g->msg_len, buf->base, take);
		g->msg_len += take;
		g->msg[g->msg_len] = '\0';
	}
}

static void on_git_exit(uv_process_t *p, int64_t status, int signal)
{
	struct git_run *g = p->data;

	g->status = status;
	g->signal = signal;
	uv_timer_stop(&g->timer);
	uv_close((uv_handle_t *)p, NULL);
	uv_close((uv_handle_t *)&g->timer, NULL);
}

static void on_timeout(uv_timer_t *t)
{
	struct git_run *g = t->data;

	g->timed_out = true;
	uv_process_kill(&g->proc, SIGKILL);
}

/* git's first line of complaint, without its "fatal: " */
static void git_failed(const struct git_run *g, const char *what, char *err, size_t err_size)
{
	const char *m = g->msg;
	size_t n;

	if (strncmp(m, "fatal: ", 7) == 0 || strncmp(m, "error: ", 7) == 0)
		m += 7;
	n = strcspn(m, "\n");
	if (g->timed_out)
		snprintf(err, err_size, "git %s took too long", what);
	else if (n)
		snprintf(err, err_size, "git %s: %.*s", what, (int)n, m);
	else if (g->signal)
		snprintf(err, err_size, "git %s was killed by signal %d", what, g->signal);
	else
		snprintf(err, err_size, "git %s exited with status %lld", what,
		         (long long)g->status);
}

/* The git command args run, for messages: what follows -C DIR, -c NAME=VALUE and --options. */
static const char *subcommand(const char *const args[])
{
	size_t i = 0;

	while (args[i] && (strcmp(args[i], "-C") == 0 || strcmp(args[i], "-c") == 0 ||
	                   strncmp(args[i], "--", 2) == 0))
		i += strncmp(args[i], "--", 2) != 0 && args[i + 1] ? 2 : 1;
	return args[i] ? args[i] : "";
}

extern char **environ;

/*
 * The server's environment less every GIT_ variable: GIT_DIR, GIT_WORK_TREE,
 * GIT_INDEX_FILE or GIT_CONFIG_PARAMETERS set around the server would point git
 * at another repository, or give it config of someone else's choosing. Git asks
 * no one: an editor or a password prompt would outlive its time limit.
 */
static char **clean_env(void)
{
	static char *const never_ask[] = {"GIT_EDITOR=true", "GIT_SEQUENCE_EDITOR=true",
	                                  "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=true"};
	size_t n = 0, kept = 0, extra = sizeof never_ask / sizeof *never_ask;
	char **env;

	while (environ[n])
		n++;
	if (!(env = calloc(n + extra + 1, sizeof *env)))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "GIT_", 4) != 0)
			env[kept++] = environ[i];
	for (size_t i = 0; i < extra; i++)
		env[kept++] = never_ask[i];
	return env;
}

/*
 * Config that would have git run a command of the repository's choosing: hooks
 * (post-checkout on worktree add) and the fsmonitor. A repository an earlier
 * agent could write must not run code in the server, outside any sandbox.
 */
static const char *const no_commands[] = {"-c", "core.hooksPath=/dev/null", "-c",
                                          "core.fsmonitor=false"};
enum { NO_COMMANDS = sizeof no_commands / sizeof no_commands[0] };

static int spawn_git(uv_loop_t *loop, struct git_run *g, const char *const args[])
{
	const char *argv[40] = {"git"};
	size_t n = 1, i = 0;
	char **env = clean_env();
	int rc;

	for (; i < NO_COMMANDS; i++)
		argv[n++] = no_commands[i];
	for (i = 0; args[i] && n < sizeof argv / sizeof argv[0] - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	uv_stdio_container_t stdio[3] = {
	    {.flags = UV_IGNORE},
	    {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&g->out},
	    {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&g->err},
	};
	uv_process_options_t po = {.file = "git",
	                           .args = (char **)argv,
	                           .exit_cb = on_git_exit,
	                           .stdio = stdio,
	                           .stdio_count = 3,
	                           .env = env};
	uv_pipe_init(loop, &g->out, 0);
	uv_pipe_init(loop, &g->err, 0);
	g->out.data = g->err.data = g->proc.data = g;
	/* Out of memory for a copy: an empty environment, never the server's whole one. */
	static char *none[] = {NULL};
	if (!env)
		po.env = none;
	rc = uv_spawn(loop, &g->proc, &po);
	free(env); /* uv_spawn() returns once the child has exec'd, or failed to */
	return rc;
}

/* worktree_git(), and the length of the output, which -z fills with NULs. */
static int run_git(const char *const args[], unsigned timeout_ms, char **out, size_t *out_len,
                   char *err, size_t err_size)
{
	uv_loop_t loop;
	struct git_run g = {0};
	int rc;

	if (out)
		*out = NULL;
	if ((rc = uv_loop_init(&loop)) != 0) {
		snprintf(err, err_size, "git %s: %s", subcommand(args), uv_strerror(rc));
		return rc;
	}
	rc = spawn_git(&loop, &g, args);
	if (rc == 0) {
		uv_timer_init(&loop, &g.timer);
		g.timer.data = &g;
		uv_timer_start(&g.timer, on_timeout, timeout_ms, 0);
		uv_read_start((uv_stream_t *)&g.out, on_alloc, on_read);
		uv_read_start((uv_stream_t *)&g.err, on_alloc, on_read);
	} else {
		snprintf(err, err_size, "cannot run git: %s", uv_strerror(rc));
		/* uv_spawn() made the handle even so: it must be closed like the pipes */
		uv_close((uv_handle_t *)&g.proc, NULL);
		uv_close((uv_handle_t *)&g.out, NULL);
		uv_close((uv_handle_t *)&g.err, NULL);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	if (rc == 0 && (g.status != 0 || g.signal || g.timed_out)) {
		git_failed(&g, subcommand(args), err, err_size);
		rc = g.timed_out ? -ETIMEDOUT : -EIO;
	}
	if (rc == 0 && out) {
		*out = g.buf ? g.buf : strdup("");
		g.buf = NULL;
		if (!*out)
			rc = -ENOMEM;
		if (out_len)
			*out_len = g.len;
	}
	free(g.buf);
	return rc;
}

int worktree_git(const char *const args[], unsigned timeout_ms, char **out, char *err,
                 size_t err_size)
{
	return run_git(args, timeout_ms, out, NULL, err, err_size);
}

/* git's one line of output, without its newline. */
static int git_line(const char *const args[], char **out, char *err, size_t err_size)
{
	int rc = worktree_git(args, QUICK_MS, out, err, err_size);

	if (rc == 0)
		(*out)[strcspn(*out, "\n")] = '\0';
	return rc;
}

/* A .git as git takes one: a file (a worktree's link), or a directory with a HEAD. */
static bool is_dot_git(char *path, size_t size)
{
	struct stat st;
	size_t len = strlen(path);
	bool found;

	if (lstat(path, &st) != 0)
		return false;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode);
	if (len + 6 > size)
		return false;
	strcpy(path + len, "/HEAD");
	found = access(path, F_OK) == 0;
	path[len] = '\0';
	return found;
}

bool worktree_in_repo(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
		return false;
	for (;;) {
		size_t len = strlen(path);
		if (len + 6 >= sizeof path)
			return false;
		strcpy(path + len, len > 1 ? "/.git" : ".git");
		if (is_dot_git(path, sizeof path))
			return true;
		path[len] = '\0';
		char *slash = strrchr(path, '/');
		if (!slash || len <= 1)
			return false;
		slash[slash == path ? 1 : 0] = '\0';
	}
}

/* Where cwd lies under the top of its work tree: "" for the top itself. */
static const char *below(const char *cwd, const char *top)
{
	size_t n = strlen(top);

	if (strncmp(cwd, top, n) == 0 && (cwd[n] == '/' || cwd[n] == '\0'))
		return cwd[n] ? cwd + n + 1 : "";
	return NULL;
}

/* cwd's place in the new worktree, made if HEAD does not hold it (untracked, say). */
static int place_cwd(const char *path, const char *rel, char **cwd_out, char *err, size_t err_size)
{
	if (asprintf(cwd_out, "%s%s%s", path, *rel ? "/" : "", rel) < 0) {
		*cwd_out = NULL;
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	if (*rel && access(*cwd_out, F_OK) != 0 && make_private_dirs(*cwd_out, err, err_size) != 0)
		return -EIO;
	return 0;
}

/*
 * A worktree add undone: a step after it failed, and prune would never see a
 * worktree no task record names. The branch goes too: it was made just now.
 */
static void undo_add(const char *top, const char *path, const char *branch)
{
	char err[256];
	const char *rm[] = {"-C", top, "worktree", "remove", "--force", "--", path, NULL};
	const char *del[] = {"-C", top, "branch", "-D", "--", branch, NULL};

	worktree_git(rm, CHECKOUT_MS, NULL, err, sizeof err);
	worktree_git(del, QUICK_MS, NULL, err, sizeof err);
}

bool worktree_under_root(const char *cwd, const char *root)
{
	char real[PATH_MAX];

	return below(cwd, root) || (realpath(root, real) && below(cwd, real));
}

int worktree_make(const char *root, const char *id, const char *cwd, char **cwd_out, json_t **info,
                  char *err, size_t err_size)
{
	char *top = NULL, *base = NULL, *git_dir = NULL, path[PATH_MAX], branch[64];
	const char *rel;
	int rc;

	*cwd_out = NULL;
	*info = NULL;
	/* The id names a directory and a branch: hex, as task_new_id() makes them, and no path. */
	if (!*id || strspn(id, "0123456789abcdef") != strlen(id)) {
		snprintf(err, err_size, "task id %.40s is not hex", id);
		return -EINVAL;
	}
	/*
	 * Another agent's worktree is the agent's to write, its .git file too: git
	 * must not even look for a repository there.
	 */
	if (worktree_under_root(cwd, root)) {
		snprintf(err, err_size,
		         "cwd %s is inside the agents' worktrees (%s): a worktree is made from "
		         "the user's checkout, not from another agent's worktree",
		         cwd, root);
		return -EINVAL;
	}
	snprintf(branch, sizeof branch, WORKTREE_BRANCH_PREFIX "%.*s", WORKTREE_SHORT_ID, id);
	snprintf(path, sizeof path, "%s/%s", root, id);
	const char *top_args[] = {"-C", cwd, "rev-parse", "--show-toplevel", NULL};
	const char *head_args[] = {"-C", cwd, "rev-parse", "--verify", "-q", "HEAD^{commit}", NULL};
	if ((rc = git_line(top_args, &top, err, err_size)) != 0)
		goto out;
	if (worktree_git(head_args, QUICK_MS, &base, err, err_size) != 0) {
		snprintf(err, err_size,
		         "the repository %s has no commit yet: a worktree starts "
		         "from HEAD",
		         top);
		rc = -ENOENT;
		goto out;
	}
	base[strcspn(base, "\n")] = '\0';
	if (!(rel = below(cwd, top))) {
		snprintf(err, err_size, "cwd %s is not under its repository's top %s", cwd, top);
		rc = -EINVAL;
		goto out;
	}
	if (make_private_dirs(root, err, err_size) != 0) {
		rc = -EIO;
		goto out;
	}
	const char *add_args[] = {"-C",   top,  "worktree", "add", "--quiet", "-b",
	                          branch, "--", path,       base,  NULL};
	/* Its git dir, read before the agent may write its .git file: see trusted_args(). */
	const char *dir_args[] = {"-C", path, "rev-parse", "--absolute-git-dir", NULL};
	/*
	 * Killed for taking too long, it may have left half a worktree, and its branch.
	 * Any other failure made nothing: the branch might then be another's (a task
	 * id sharing the first 8 hex), never to be deleted here.
	 */
	if ((rc = worktree_git(add_args, CHECKOUT_MS, NULL, err, err_size)) != 0) {
		if (rc == -ETIMEDOUT)
			undo_add(top, path, branch);
		goto out;
	}
	if ((rc = git_line(dir_args, &git_dir, err, err_size)) == 0 &&
	    (rc = place_cwd(path, rel, cwd_out, err, err_size)) == 0 &&
	    !(*info = json_pack("{s:s, s:s, s:s, s:s, s:s}", "path", path, "branch", branch,
	                        "base_commit", base, "repository", top, "git_dir", git_dir))) {
		snprintf(err, err_size, "out of memory");
		rc = -ENOMEM;
	}
	if (rc != 0)
		undo_add(top, path, branch);
out:
	if (rc != 0) {
		free(*cwd_out);
		*cwd_out = NULL;
	}
	free(top);
	free(base);
	free(git_dir);
	return rc;
}

/* Adds each NUL-separated path of git's -z output to files, once; rename sources are skipped. */
static void add_paths(json_t *files, json_t *also, const char *z, size_t len, bool status)
{
	for (const char *p = z; p < z + len; p += strlen(p) + 1) {
		const char *name = p;
		bool renamed = false;
		if (status) {
			if (strlen(p) < 4)
				continue;
			renamed = p[0] == 'R' || p[0] == 'C';
			name = p + 3;
		}
		json_t *v = json_string(name);
		size_t i;
		json_t *seen;
		bool known = false;
		json_array_foreach(files, i, seen) known = known || json_equal(seen, v);
		if (v && !known && json_array_size(files) < LIST_MAX)
			json_array_append(files, v);
		if (v && also && json_array_size(also) < LIST_MAX)
			json_array_append(also, v);
		json_decref(v);
		if (renamed)
			p += strlen(p) + 1; /* the old name follows */
	}
}

/* One line per commit, newest first. */
static json_t *lines(const char *text)
{
	json_t *list = json_array();

	while (list && *text && json_array_size(list) < LIST_MAX) {
		size_t n = strcspn(text, "\n");
		if (n)
			json_array_append_new(list, json_stringn(text, n));
		text += n + (text[n] ? 1 : 0);
	}
	return list;
}

/*
 * "--git-dir=GIT_DIR --work-tree=PATH": git run in an agent's worktree must not
 * find its git dir there. The worktree's .git file is the agent's to write, and
 * a git dir of its making could hold a config whose commands (core.fsmonitor,
 * filters) git would run outside the agent's sandbox.
 */
struct trusted {
	char git_dir[PATH_MAX + 16], work_tree[PATH_MAX + 16];
};

static void trusted_args(struct trusted *t, const char *git_dir, const char *path)
{
	snprintf(t->git_dir, sizeof t->git_dir, "--git-dir=%s", git_dir);
	snprintf(t->work_tree, sizeof t->work_tree, "--work-tree=%s", path);
}

void worktree_look(json_t *info)
{
	const char *path = json_string_value(json_object_get(info, "path"));
	const char *base = json_string_value(json_object_get(info, "base_commit"));
	const char *branch = json_string_value(json_object_get(info, "branch"));
	const char *git_dir = json_string_value(json_object_get(info, "git_dir"));
	char range[200], ref[128], err[512], *log = NULL, *diff = NULL, *status = NULL;
	size_t diff_len = 0, status_len = 0;
	struct trusted t;

	if (!path || !base || !branch || !git_dir)
		return;
	trusted_args(&t, git_dir, path);
	snprintf(ref, sizeof ref, "refs/heads/%s", branch);
	snprintf(range, sizeof range, "%s..%s", base, ref);
	const char *log_args[] = {"-C",  path, t.git_dir, t.work_tree, "log", "--format=%h %s",
	                          range, "--", NULL};
	/* No external diff nor textconv: commands of the repository's config. */
	const char *diff_args[] = {"-C",
	                           path,
	                           t.git_dir,
	                           t.work_tree,
	                           "diff",
	                           "--no-ext-diff",
	                           "--no-textconv",
	                           "--name-only",
	                           "-z",
	                           base,
	                           ref,
	                           "--",
	                           NULL};
	const char *status_args[] = {"-C",     path,          t.git_dir, t.work_tree,
	                             "status", "--porcelain", "-z",      "--untracked-files=all",
	                             NULL};
	if (run_git(log_args, QUICK_MS, &log, NULL, err, sizeof err) == 0 &&
	    run_git(diff_args, QUICK_MS, &diff, &diff_len, err, sizeof err) == 0 &&
	    run_git(status_args, QUICK_MS, &status, &status_len, err, sizeof err) == 0) {
		json_t *files = json_array(), *uncommitted = json_array();
		add_paths(files, NULL, diff, diff_len, false);
		add_paths(files, uncommitted, status, status_len, true);
		json_object_set_new(info, "commits", lines(log));
		json_object_set_new(info, "files_changed", files);
		json_object_set_new(info, "uncommitted", uncommitted);
	} else {
		json_object_set_new(info, "error", json_string(err));
	}
	free(log);
	free(diff);
	free(status);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of root, sorted, NULL-terminated. */
static char **names_in(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *e;
	char **names = calloc(1, sizeof *names);
	size_t n = 0;

	while (d && names && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char **more = realloc(names, (n + 2) * sizeof *names);
		if (!more || !(more[n] = strdup(e->d_name))) {
			names = more;
			break;
		}
		names = more;
		names[++n] = NULL;
	}
	if (d)
		closedir(d);
	if (names)
		qsort(names, n, sizeof *names, by_name);
	return names;
}

/* Why the task's record does not let its worktree be pruned, or NULL. */
static const char *unprunable(int found, const struct task_record *rec, const char *path)
{
	const char *named =
	    rec->worktree ? json_string_value(json_object_get(rec->worktree, "path")) : NULL;

	if (found < 0)
		return "the task records cannot be read";
	if (found == 0 || !named || !json_object_get(rec->worktree, "git_dir"))
		return "no task record names it as its worktree";
	if (strcmp(named, path) != 0)
		return "its task's record names another path";
	if (strcmp(rec->status, "queued") == 0 || strcmp(rec->status, "running") == 0)
		return "its agent is still running";
	return NULL;
}

json_t *worktree_prunable(struct store *s, const char *root, const char *subject, bool anyone,
                          json_t *kept)
{
	char **names = names_in(root);
	json_t *list = names ? json_array() : NULL;

	for (size_t i = 0; list && names[i]; i++) {
		struct task_record rec = {0};
		char path[PATH_MAX];
		int found = store_get_task(s, names[i], &rec);
		const char *why;

		snprintf(path, sizeof path, "%s/%s", root, names[i]);
		if (!anyone && !store_subject_same(found == 1 ? rec.subject : NULL, subject)) {
			task_record_clear(&rec);
			continue; /* another's: not even named */
		}
		if ((why = unprunable(found, &rec, path)))
			json_array_append_new(kept, json_pack("{s:s, s:s, s:s, s:s}", "task_id",
			                                      names[i], "path", path, "action",
			                                      "kept", "reason", why));
		else
			json_array_append_new(list,
			                      json_pack("{s:s, s:O, s:I}", "task_id", names[i],
			                                "worktree", rec.worktree, "created_at",
			                                (json_int_t)rec.created_at));
		task_record_clear(&rec);
	}
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
	return list;
}

/* What prune_one() learns of a worktree before it decides. */
struct found {
	const char *path, *git_dir;
	const char *recorded; /* the branch made for it, as its task's record names it */
	char *common;         /* the repository's git dir */
	char *branch;         /* what its HEAD has checked out: NULL when detached */
	bool own;             /* HEAD is on the recorded branch, one of ours */
	bool stray;           /* HEAD detached at commits no ref holds */
	bool merged, dirty;
	double age_days;
};

/*
 * Whether the worktree's detached HEAD (a rebase stopped midway, say) holds
 * commits no ref does: their only record is the worktree's own reflog, which
 * goes with it.
 */
static int detached_stray(struct found *f, const char *git_dir, char *err, size_t err_size)
{
	char *out = NULL;
	const char *refs[] = {git_dir, "for-each-ref", "--count=1", "--contains", "HEAD", NULL};
	int rc = worktree_git(refs, QUICK_MS, &out, err, err_size);

	if (rc == 0)
		f->stray = *out == '\0';
	free(out);
	return rc;
}

static int look_at(struct found *f, char *err, size_t err_size)
{
	char *out = NULL;
	struct trusted t;
	int rc;

	trusted_args(&t, f->git_dir, f->path);
	const char *common[] = {t.git_dir, "rev-parse", "--path-format=absolute",
	                        "--git-common-dir", NULL};
	const char *branch[] = {t.git_dir, "symbolic-ref", "--short", "-q", "HEAD", NULL};
	const char *status[] = {
	    "-C", f->path, t.git_dir, t.work_tree, "status", "--porcelain", "--untracked-files=all",
	    NULL};
	if ((rc = git_line(common, &f->common, err, err_size)) != 0)
		return rc;
	if (git_line(branch, &f->branch, err, err_size) != 0 || !*f->branch) {
		free(f->branch);
		f->branch = NULL;
	}
	/*
	 * Ours is only the branch made for it, and only while checked out there: one
	 * switched to in the worktree (`git switch feature`) may be the user's.
	 */
	f->own =
	    f->branch && f->recorded &&
	    strncmp(f->recorded, WORKTREE_BRANCH_PREFIX, strlen(WORKTREE_BRANCH_PREFIX)) == 0 &&
	    strcmp(f->branch, f->recorded) == 0;
	if (!f->branch && (rc = detached_stray(f, t.git_dir, err, err_size)) != 0)
		return rc;
	if ((rc = worktree_git(status, QUICK_MS, &out, err, err_size)) != 0)
		return rc;
	f->dirty = *out != '\0';
	free(out);
	out = NULL;
	if (f->own) {
		/* Merged into what the repository's own checkout has out: its HEAD. */
		char gitdir[PATH_MAX + 16];
		snprintf(gitdir, sizeof gitdir, "--git-dir=%s", f->common);
		const char *merged[] = {gitdir, "branch", "--list",  "--merged",
		                        "HEAD", "--",     f->branch, NULL};
		if ((rc = worktree_git(merged, QUICK_MS, &out, err, err_size)) != 0)
			return rc;
		/*
		 * Uncommitted work is in no HEAD, whatever the branch says: a branch with no
		 * commits of its own is an ancestor of HEAD, and would read merged.
		 */
		f->merged = *out != '\0' && !f->dirty;
		free(out);
	}
	return 0;
}

/* Why it stays, or NULL when it goes. */
static const char *verdict(const struct found *f, const struct worktree_prune *o)
{
	bool old = o->older_than >= 0 && f->age_days >= o->older_than;

	if (f->stray && !o->force)
		return "its HEAD is detached at commits no branch holds (force removes them)";
	if (!f->merged && !old)
		return f->dirty             ? "not merged: it has uncommitted changes"
		       : o->older_than >= 0 ? "not merged, and not older than the limit"
		                            : "not merged";
	if (f->dirty && !o->force)
		return "it has uncommitted changes (force removes them)";
	return NULL;
}

/* Removes the worktree, then its branch if merged (or forced). 0, or -errno with err. */
static int remove_it(const struct found *f, const struct worktree_prune *o, bool *deleted,
                     char *err, size_t err_size)
{
	char gitdir[PATH_MAX + 16];
	int rc;

	snprintf(gitdir, sizeof gitdir, "--git-dir=%s", f->common);
	const char *rm[] = {gitdir,  "worktree", "remove", f->dirty ? "--force" : "--",
	                    f->path, NULL};
	if ((rc = worktree_git(rm, CHECKOUT_MS, NULL, err, err_size)) != 0)
		return rc;
	if (f->own && (f->merged || o->force)) {
		const char *del[] = {gitdir, "branch",    f->merged ? "-d" : "-D",
		                     "--",   f->recorded, NULL};
		*deleted = worktree_git(del, QUICK_MS, NULL, err, err_size) == 0;
	}
	return 0;
}

/* Why a worktree that goes leaves its branch, when it does. */
static void note_kept_branch(json_t *entry, const struct found *f, const struct worktree_prune *o)
{
	char why[256];

	if (f->own && !f->merged && !o->force)
		snprintf(why, sizeof why, "older than the limit; its branch is kept: not merged");
	else if (!f->own && f->branch)
		snprintf(why, sizeof why,
		         "its branch is kept: the worktree had %.80s checked out, not %.80s",
		         f->branch, f->recorded ? f->recorded : "a branch of its own");
	else if (!f->branch)
		snprintf(why, sizeof why, "its branch is kept: the worktree's HEAD was detached");
	else
		return;
	json_object_set_new(entry, "reason", json_string(why));
}

/* One worktree, {task_id, worktree, created_at}: what it is, and what became of it. */
static json_t *prune_one(const json_t *c, const struct worktree_prune *o, bool *removed)
{
	const json_t *info = json_object_get(c, "worktree");
	const char *id = json_string_value(json_object_get(c, "task_id"));
	int64_t created = json_integer_value(json_object_get(c, "created_at"));
	struct found f = {.path = json_string_value(json_object_get(info, "path")),
	                  .git_dir = json_string_value(json_object_get(info, "git_dir")),
	                  .recorded = json_string_value(json_object_get(info, "branch"))};
	char err[512] = "";
	const char *why = NULL;
	bool deleted = false;

	/* Its age by its task's record: a file in it could be the agent's. */
	f.age_days = difftime(time(NULL), (time_t)(created / 1000)) / 86400.0;
	if (look_at(&f, err, sizeof err) != 0)
		why = err;
	else if (!(why = verdict(&f, o)) && !o->dry_run &&
	         remove_it(&f, o, &deleted, err, sizeof err) != 0)
		why = err;
	*removed = !why;
	json_t *entry =
	    json_pack("{s:s, s:s, s:s?, s:b, s:b, s:f, s:s, s:b}", "task_id", id ? id : "", "path",
	              f.path ? f.path : "", "branch", f.recorded, "merged", f.merged, "uncommitted",
	              f.dirty, "age_days", (double)(long)(f.age_days * 100) / 100, "action",
	              why          ? "kept"
	              : o->dry_run ? "would remove"
	                           : "removed",
	              "branch_deleted", deleted);
	if (entry && why)
		json_object_set_new(entry, "reason", json_string(why));
	else if (entry)
		note_kept_branch(entry, &f, o);
	free(f.common);
	free(f.branch);
	return entry;
}

json_t *worktree_prune(const json_t *candidates, const struct worktree_prune *o)
{
	json_t *list = json_array();
	size_t removed = 0, i;
	const json_t *c;

	json_array_foreach(candidates, i, c)
	{
		bool gone;
		json_array_append_new(list, prune_one(c, o, &gone));
		removed += gone;
	}
	return json_pack("{s:b, s:I, s:o}", "dry_run", o->dry_run, "removed_count",
	                 (json_int_t)removed, "worktrees", list ? list : json_array());
}

void worktree_prune_add(json_t *result, json_t *kept)
{
	json_array_extend(json_object_get(result, "worktrees"), kept);
}

static const char cli_usage[] =
    "usage: codex-mcp worktrees --prune [--dry-run] [--older-than DAYS] [--force]\n"
    "                           [--state-dir DIR] [--store URL]\n"
    "Removes the agents' worktrees whose branch is merged, or older than DAYS;\n"
    "--force also removes uncommitted changes and deletes unmerged branches.\n";

/* The candidates, as worktree_prunable() reads them from the server's store. 0, or 1. */
static int cli_candidates(const char *root, const char *url, const char *db, json_t *kept,
                          json_t **candidates)
{
	char err[1024];
	struct store *s;

	/* No worktree was ever made: nothing to read, and no database to make. */
	if (access(root, F_OK) != 0 && errno == ENOENT) {
		*candidates = json_array();
		return 0;
	}
	if (store_open(url ? url : db, &s, err, sizeof err) != 0) {
		fprintf(stderr, "codex-mcp: %s\n", err);
		return 1;
	}
	*candidates = worktree_prunable(s, root, NULL, true, kept);
	store_close(s);
	return 0;
}

/* The command line's prune, with the store the server would use. Returns the exit status. */
static int cli_prune(const char *state_dir, const char *url, const struct worktree_prune *o)
{
	char root[PATH_MAX], db[PATH_MAX];
	json_t *kept = json_array(), *result = NULL, *candidates = NULL;

	snprintf(root, sizeof root, "%s/worktrees", state_dir);
	snprintf(db, sizeof db, "%s/codex-mcp.db", state_dir);
	if (kept && cli_candidates(root, url, db, kept, &candidates) != 0) {
		json_decref(kept);
		return 1;
	}
	if (candidates)
		result = worktree_prune(candidates, o);
	json_decref(candidates);
	if (result)
		worktree_prune_add(result, kept);
	json_decref(kept);
	if (!result || json_dumpf(result, stdout, JSON_INDENT(2)) != 0) {
		fprintf(stderr, "codex-mcp: out of memory\n");
		json_decref(result);
		return 1;
	}
	putchar('\n');
	json_decref(result);
	return 0;
}

int worktree_main(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"prune", no_argument, NULL, 'p'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"older-than", required_argument, NULL, 'o'},
	    {"force", no_argument, NULL, 'f'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"store", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct worktree_prune o = {.older_than = -1};
	const char *state_dir = NULL, *url = NULL;
	bool prune = false;
	char *end, *dir = NULL;
	int c, status;

	optind = 1; /* argv[0] is "worktrees": getopt skips it */
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'p':
			prune = true;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'o': {
			errno = 0;
			long days = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || days < 0 || days > 36500) {
				fprintf(stderr, "codex-mcp: --older-than: want days, 0 to 36500\n");
				return 2;
			}
			o.older_than = (int)days;
			break;
		}
		case 'f':
			o.force = true;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'h':
			fputs(cli_usage, stdout);
			return 0;
		default:
			fputs(cli_usage, stderr);
			return 2;
		}
	}
	if (!prune || optind < argc) {
		fputs(cli_usage, stderr);
		return 2;
	}
	if (!state_dir && !(state_dir = dir = options_default_state_dir())) {
		fprintf(stderr, "codex-mcp: no state directory: set --state-dir or HOME\n");
		return 1;
	}
	status = cli_prune(state_dir, url, &o);
	free(dir);
	return status;
}
