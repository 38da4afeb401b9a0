/*
 * Git worktrees for agents: one each, on a branch of its own, so that agents
 * running at once never write over each other's files nor the user's checkout.
 * A worktree lives in <state dir>/worktrees/<task id>, on the branch
 * codex-mcp/<first 8 hex of the task id>, made from the HEAD of the repository
 * the agent's cwd is in; it stays when the agent ends, until pruned.
 *
 * Everything here runs git and waits for it (on a libuv loop of its own, with
 * a time limit): a checkout may take seconds, so the server calls these from
 * libuv's thread pool, never from its loop. Only worktree_in_repo() runs no git.
 */
#ifndef CODEX_MCP_WORKTREE_H
#define CODEX_MCP_WORKTREE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The branch prefix, and how many hex digits of the task id follow it. */
#define WORKTREE_BRANCH_PREFIX "codex-mcp/"
enum { WORKTREE_SHORT_ID = 8 };

/*
 * Runs git with args (argv without "git", NULL-terminated), no shell, and waits
 * at most timeout_ms. Its stdout goes to *out (malloc'd, NUL-terminated) when
 * out is not NULL. 0, or -errno with err: git's own words when it failed.
 */
int worktree_git(const char *const args[], unsigned timeout_ms, char **out, char *err,
                 size_t err_size);

/* Whether dir is inside a git work tree: a .git in it or above it. Runs no git. */
bool worktree_in_repo(const char *dir);

/*
 * Whether cwd is under root (as given, or its real path): inside the agents'
 * worktrees, where no worktree is made from. Runs no git.
 */
bool worktree_under_root(const char *cwd, const char *root);

/*
 * Makes task id's worktree under root, from the HEAD of the repository cwd is
 * in; a cwd under root is refused. *cwd_out (malloc'd) is cwd's place in it;
 * *info (a new reference) is {path, branch, base_commit, repository, git_dir}.
 * A failure after `git worktree add` removes what it made. 0, or -errno with err.
 */
int worktree_make(const char *root, const char *id, const char *cwd, char **cwd_out, json_t **info,
                  char *err, size_t err_size);

/*
 * Adds to info (as worktree_make() gave it) what the agent left: commits
 * ["<short hash> <subject>", ...] on its branch since base_commit, and
 * files_changed (committed or not, relative to the worktree) with uncommitted,
 * those of them not committed. On a git failure, error says why instead.
 */
void worktree_look(json_t *info);

struct store;

/*
 * The worktrees under root that subject may prune: those of its own tasks (of
 * every subject's when anyone), as [{task_id, worktree, created_at}] from their
 * records. Those whose agent is queued or running, or that no record names,
 * are added to kept as entries of the result instead. Reads the store once per
 * worktree. NULL when out of memory.
 */
json_t *worktree_prunable(struct store *s, const char *root, const char *subject, bool anyone,
                          json_t *kept);

struct worktree_prune {
	bool dry_run;   /* only say what would be done */
	int older_than; /* days; also remove worktrees older than this; -1: no age limit */
	bool force;     /* also worktrees with uncommitted changes, and unmerged branches */
};

/*
 * Prunes the candidates worktree_prunable() gave: one whose branch is merged
 * into its repository's checked-out HEAD, with nothing uncommitted, goes with
 * its branch; one older than older_than goes, its branch kept unless merged.
 * Without force, uncommitted changes keep a worktree, and so do commits on a
 * detached HEAD that no ref holds; an unmerged branch is never deleted. The
 * only branch ever deleted is the recorded one (codex-mcp/...), and only while
 * the worktree still has it checked out. git reads each through the git dir its record names, never
 * the worktree's own .git. Returns {dry_run, removed_count, worktrees: [...]}.
 */
json_t *worktree_prune(const json_t *candidates, const struct worktree_prune *o);
/* Adds the entries of kept (as worktree_prunable() gave them) to a result of worktree_prune(). */
void worktree_prune_add(json_t *result, json_t *kept);

/*
 * `codex-mcp worktrees --prune [--dry-run] [--older-than DAYS] [--force]
 * [--state-dir DIR] [--store URL]`: the same prune from the command line, as
 * JSON on stdout. Returns the exit status.
 */
int worktree_main(int argc, char **argv);

#endif
