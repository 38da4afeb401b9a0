/* What /proc says about a process tree: for reports on stalled runs, and how deep servers nest. */
#ifndef CODEX_MCP_PROCFS_H
#define CODEX_MCP_PROCFS_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

/* "running", "sleeping", "disk-wait", "stopped", "zombie", "idle", or NULL when gone. */
const char *proc_state(pid_t pid);

/*
 * What a run started by child_spawn is doing, given its keeper's pid
 * (child_pid): the state of the program the keeper runs (Codex, its only
 * child; the keeper itself only waits) and of that program's newest
 * descendant (usually the command Codex is waiting on):
 * {state, pid, busiest: {pid, name, state}?}, or {state: "gone"}.
 * One pass over /proc.
 */
json_t *proc_tree_report(pid_t keeper);

/* A process, as a later one with the same pid cannot pass for it. */
struct proc_id {
	pid_t pid;
	unsigned long long start;
};

/* What the program a keeper runs (its only child) started, at most max. Returns how many. */
size_t proc_program_descendants(pid_t keeper, struct proc_id *out, size_t max);
/* Whether the environment of pid holds entry ("KEY=VALUE") exactly. */
bool proc_env_has(pid_t pid, const char *entry);
/* Whether the process id names still runs (a zombie does not). */
bool proc_id_alive(const struct proc_id *id);

/*
 * A name for a running process that a later process with the same pid cannot
 * take: "<pid>:<start time>". malloc'd, or NULL.
 */
char *proc_instance_id(pid_t pid);
/* Whether the process an instance id names still runs. */
bool proc_instance_alive(const char *id);

/*
 * How many codex-mcp servers run above process pid, for the limit on how
 * deep they nest. Each ancestor, up to pid 1, that is a keeper (argv[1]
 * CHILD_EXEC_ARG and argv[2] its parent's pid) is one: its parent is the
 * server that started the run pid descends from. An ancestor that runs the
 * same program as pid (the same file behind exe, or the same path, for a
 * binary replaced since) and is no keeper is one too, unless the process
 * below it on the way up is a keeper already counted.
 * proc is "/proc", or a directory laid out like it. Returns 0 and sets
 * *servers, or -errno when pid itself cannot be read.
 */
int proc_servers_above(const char *proc, pid_t pid, unsigned *servers);

#endif
