/*
 * Agents' git worktrees in a real repository: made from HEAD at cwd's place,
 * what a run left read back, git's own words on failure, and a worktree whose
 * .git file points elsewhere never followed.
 */
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include "app/worktree.h"

#define ID "0123456789abcdef0123456789abcdef"

struct fixture {
	char *dir;
	char repo[PATH_MAX], root[PATH_MAX], sub[PATH_MAX];
};

/* git, with an identity for commits; asserts it succeeded. */
static void git_ok(const char *dir, const char *a, const char *b, const char *c)
{
	const char *args[] = {"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t.invalid",
	                      a,    b,   c,    NULL};
	char err[512] = "";

	if (worktree_git(args, 10000, NULL, err, sizeof err) != 0)
		fail_msg("git %s: %s", a, err);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(unit_write_file(path, text, strlen(text)), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char *made = unit_mkdtemp();

	/* As the server's cwd arguments are: git names the repository by its real path. */
	f->dir = realpath(made, NULL);
	free(made);
	snprintf(f->repo, sizeof f->repo, "%s/repo", f->dir);
	snprintf(f->sub, sizeof f->sub, "%s/repo/sub", f->dir);
	snprintf(f->root, sizeof f->root, "%s/state/worktrees", f->dir);
	assert_int_equal(mkdir(f->repo, 0700), 0);
	assert_int_equal(mkdir(f->sub, 0700), 0);
	git_ok(f->repo, "init", "-q", NULL);
	put(f->sub, "keep.txt", "kept\n");
	git_ok(f->repo, "add", "-A", NULL);
	git_ok(f->repo, "commit", "-q", "-mstart");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unit_rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void test_in_repo(void **state)
{
	struct fixture *f = *state;

	char dotgit[PATH_MAX + 8];

	assert_true(worktree_in_repo(f->repo));
	assert_true(worktree_in_repo(f->sub));
	/* An empty .git is no repository, as git sees it. */
	snprintf(dotgit, sizeof dotgit, "%s/.git", f->dir);
	assert_int_equal(mkdir(dotgit, 0700), 0);
	assert_false(worktree_in_repo(f->dir));
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Made at cwd's place; a file written there, then committed, is read back. */
static void test_make_and_look(void **state)
{
	struct fixture *f = *state;
	char *cwd, err[512], want[PATH_MAX + 64];
	json_t *info;

	assert_int_equal(worktree_make(f->root, ID, f->sub, &cwd, &info, err, sizeof err), 0);
	snprintf(want, sizeof want, "%s/" ID, f->root);
	assert_string_equal(str(info, "path"), want);
	assert_string_equal(str(info, "branch"), "codex-mcp/01234567");
	assert_string_equal(str(info, "repository"), f->repo);
	assert_int_equal(strlen(str(info, "base_commit")), 40);
	snprintf(want, sizeof want, "%s/" ID "/sub", f->root);
	assert_string_equal(cwd, want);

	put(cwd, "new.txt", "agent\n");
	json_t *looked = json_deep_copy(info);
	worktree_look(looked);
	assert_int_equal(json_array_size(json_object_get(looked, "commits")), 0);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(looked, "uncommitted"), 0)),
	    "sub/new.txt");
	assert_int_equal(json_array_size(json_object_get(looked, "files_changed")), 1);
	json_decref(looked);

	git_ok(cwd, "add", "-A", NULL);
	git_ok(cwd, "commit", "-q", "-madd new");
	looked = json_deep_copy(info);
	worktree_look(looked);
	assert_int_equal(json_array_size(json_object_get(looked, "commits")), 1);
	assert_non_null(strstr(
	    json_string_value(json_array_get(json_object_get(looked, "commits"), 0)), " add new"));
	assert_int_equal(json_array_size(json_object_get(looked, "uncommitted")), 0);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(looked, "files_changed"), 0)),
	    "sub/new.txt");
	json_decref(looked);
	json_decref(info);
	free(cwd);
}

/* Outside a repository, or in one with no commit: the reason, and nothing made. */
static void test_make_fails(void **state)
{
	struct fixture *f = *state;
	char *cwd, err[512], empty[PATH_MAX];
	json_t *info;

	assert_true(worktree_make(f->root, ID, f->dir, &cwd, &info, err, sizeof err) < 0);
	assert_null(cwd);
	assert_null(info);
	assert_non_null(strstr(err, "git rev-parse: not a git repository"));

	snprintf(empty, sizeof empty, "%s/empty", f->dir);
	assert_int_equal(mkdir(empty, 0700), 0);
	git_ok(empty, "init", "-q", NULL);
	assert_true(worktree_make(f->root, ID, empty, &cwd, &info, err, sizeof err) < 0);
	assert_non_null(strstr(err, "has no commit yet"));
	assert_int_equal(access(f->root, F_OK), -1);
}

/* No git to run: said, and nothing hangs. */
static void test_no_git(void **state)
{
	struct fixture *f = *state;
	char *cwd, err[512], *path = strdup(getenv("PATH"));
	json_t *info;

	setenv("PATH", "/nonexistent", 1);
	int rc = worktree_make(f->root, ID, f->repo, &cwd, &info, err, sizeof err);
	setenv("PATH", path, 1);
	free(path);
	assert_true(rc < 0);
	assert_string_equal(err, "cannot run git: no such file or directory");
}

/* An agent's .git pointing at a git dir of its own whose config runs a command: not followed. */
static void test_look_ignores_agents_git_file(void **state)
{
	struct fixture *f = *state;
	char *cwd, err[512], evil[PATH_MAX], marker[PATH_MAX], cmd[PATH_MAX + 32],
	    dotgit[PATH_MAX + 64];
	json_t *info;

	assert_int_equal(worktree_make(f->root, ID, f->repo, &cwd, &info, err, sizeof err), 0);
	snprintf(evil, sizeof evil, "%s/evil", cwd);
	snprintf(marker, sizeof marker, "%s/escaped", f->dir);
	snprintf(cmd, sizeof cmd, "touch %s; false", marker);
	assert_int_equal(mkdir(evil, 0700), 0);
	git_ok(evil, "init", "-q", NULL);
	put(evil, "f", "");
	git_ok(evil, "add", "f", NULL);
	const char *config[] = {"-C", evil, "config", "core.fsmonitor", cmd, NULL};
	assert_int_equal(worktree_git(config, 10000, NULL, err, sizeof err), 0);
	snprintf(dotgit, sizeof dotgit, "gitdir: %s/.git\n", evil);
	put(cwd, ".git", dotgit);
	put(cwd, "work.txt", "agent\n");

	worktree_look(info);
	assert_null(json_object_get(info, "error"));
	assert_int_equal(access(marker, F_OK), -1);
	/* Read through the worktree's real git dir: the agent's file and its git dir. */
	json_t *files = json_object_get(info, "uncommitted");
	bool saw_work = false;
	for (size_t i = 0; i < json_array_size(files); i++)
		saw_work = saw_work ||
		           strcmp(json_string_value(json_array_get(files, i)), "work.txt") == 0;
	assert_true(saw_work);
	json_decref(info);
	free(cwd);
}

/* Whether dir's repository has the branch. */
static bool has_branch(const char *dir, const char *branch)
{
	char ref[256], err[512];

	snprintf(ref, sizeof ref, "refs/heads/%s", branch);
	const char *args[] = {"-C", dir, "rev-parse", "--verify", "-q", ref, NULL};
	return worktree_git(args, 10000, NULL, err, sizeof err) == 0;
}

/* A post-checkout hook of the repository's, and GIT_DIR set around the server: neither used. */
static void test_make_runs_no_hook(void **state)
{
	struct fixture *f = *state;
	char *cwd, err[512], hooks[PATH_MAX + 16], hook[PATH_MAX + 32], marker[PATH_MAX],
	    text[PATH_MAX + 32];
	json_t *info;

	snprintf(hooks, sizeof hooks, "%s/.git/hooks", f->repo);
	snprintf(hook, sizeof hook, "%s/post-checkout", hooks);
	snprintf(marker, sizeof marker, "%s/hooked", f->dir);
	snprintf(text, sizeof text, "#!/bin/sh\ntouch %s\n", marker);
	assert_true(mkdir(hooks, 0700) == 0 || errno == EEXIST);
	put(hooks, "post-checkout", text);
	assert_int_equal(chmod(hook, 0755), 0);
	setenv("GIT_DIR", "/nonexistent", 1);
	int rc = worktree_make(f->root, ID, f->sub, &cwd, &info, err, sizeof err);
	unsetenv("GIT_DIR");
	assert_int_equal(rc, 0);
	assert_int_equal(access(marker, F_OK), -1);
	json_decref(info);
	free(cwd);
}

/* A step after `worktree add` fails: neither the worktree nor its branch is left. */
static void test_make_undone(void **state)
{
	struct fixture *f = *state;
	char *cwd, err[512], odd[PATH_MAX + 16], path[PATH_MAX + 64];
	json_t *info;

	/* "odd" is a file in HEAD, a directory in the checkout: cwd's place cannot be made. */
	put(f->repo, "odd", "a file\n");
	git_ok(f->repo, "add", "odd", NULL);
	git_ok(f->repo, "commit", "-q", "-modd");
	snprintf(odd, sizeof odd, "%s/odd", f->repo);
	assert_int_equal(unlink(odd), 0);
	assert_int_equal(mkdir(odd, 0700), 0);
	strcat(odd, "/inner");
	assert_int_equal(mkdir(odd, 0700), 0);
	assert_true(worktree_make(f->root, ID, odd, &cwd, &info, err, sizeof err) < 0);
	assert_non_null(strstr(err, "cannot create"));
	snprintf(path, sizeof path, "%s/" ID, f->root);
	assert_int_equal(access(path, F_OK), -1);
	assert_false(has_branch(f->repo, "codex-mcp/01234567"));
}

/* A cwd inside another agent's worktree: refused before git runs there. */
static void test_make_refuses_worktree_cwd(void **state)
{
	struct fixture *f = *state;
	char *cwd, *cwd2, err[512];
	json_t *info, *info2;

	assert_int_equal(worktree_make(f->root, ID, f->sub, &cwd, &info, err, sizeof err), 0);
	assert_int_equal(worktree_make(f->root, "fedcba98", cwd, &cwd2, &info2, err, sizeof err),
	                 -EINVAL);
	assert_non_null(strstr(err, "inside the agents' worktrees"));
	assert_false(has_branch(f->repo, "codex-mcp/fedcba98"));
	json_decref(info);
	free(cwd);
}

/* Prunes the one worktree info names, made long ago. */
static json_t *prune(json_t *info, bool force)
{
	struct worktree_prune o = {.older_than = 0, .force = force};
	json_t *c = json_pack("[{s:s, s:O, s:I}]", "task_id", ID, "worktree", info, "created_at",
	                      (json_int_t)0);
	json_t *r = worktree_prune(c, &o);

	json_decref(c);
	return r;
}

static const char *entry(json_t *r, const char *key)
{
	return str(json_array_get(json_object_get(r, "worktrees"), 0), key);
}

/* The worktree switched to the user's unmerged branch: forced prune keeps that branch. */
static void test_prune_keeps_switched_branch(void **state)
{
	struct fixture *f = *state;
	char *cwd, err[512];
	json_t *info, *r;

	git_ok(f->repo, "branch", "feature", NULL);
	assert_int_equal(worktree_make(f->root, ID, f->repo, &cwd, &info, err, sizeof err), 0);
	git_ok(cwd, "switch", "-q", "feature");
	put(cwd, "f.txt", "the user's\n");
	git_ok(cwd, "add", "f.txt", NULL);
	git_ok(cwd, "commit", "-q", "-mfeature work");
	r = prune(info, true);
	assert_string_equal(entry(r, "action"), "removed");
	assert_string_equal(entry(r, "branch"), "codex-mcp/01234567");
	assert_false(json_is_true(
	    json_object_get(json_array_get(json_object_get(r, "worktrees"), 0), "branch_deleted")));
	assert_non_null(strstr(entry(r, "reason"), "feature"));
	assert_true(has_branch(f->repo, "feature"));
	assert_true(has_branch(f->repo, "codex-mcp/01234567"));
	json_decref(r);
	json_decref(info);
	free(cwd);
}

/* Commits on a detached HEAD, in no branch: kept unless forced; at a branch's commit, removed. */
static void test_prune_detached(void **state)
{
	struct fixture *f = *state;
	char *cwd, err[512];
	json_t *info, *r;

	assert_int_equal(worktree_make(f->root, ID, f->repo, &cwd, &info, err, sizeof err), 0);
	git_ok(cwd, "switch", "-q", "--detach");
	r = prune(info, false);
	assert_string_equal(entry(r, "action"), "removed");
	json_decref(r);
	json_decref(info);
	free(cwd);

	assert_int_equal(
	    worktree_make(f->root, "abcdef0123", f->repo, &cwd, &info, err, sizeof err), 0);
	git_ok(cwd, "switch", "-q", "--detach");
	git_ok(cwd, "commit", "--allow-empty", "-mdetached, empty");
	git_ok(cwd, "commit", "--allow-empty", "-mdetached work");
	r = prune(info, false);
	assert_string_equal(entry(r, "action"), "kept");
	assert_non_null(strstr(entry(r, "reason"), "detached"));
	assert_int_equal(access(cwd, F_OK), 0);
	json_decref(r);
	r = prune(info, true);
	assert_string_equal(entry(r, "action"), "removed");
	json_decref(r);
	json_decref(info);
	free(cwd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_in_repo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_make_and_look, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_make_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_git, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_look_ignores_agents_git_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_make_runs_no_hook, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_make_undone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_make_refuses_worktree_cwd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune_keeps_switched_branch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune_detached, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
