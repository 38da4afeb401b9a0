/* What /proc says about a process tree, for reports on stalled runs. */
#ifndef CODEX_MCP_PROCFS_H
#define CODEX_MCP_PROCFS_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

/* "running", "sleeping", "disk-wait", "stopped", "zombie", "idle", or NULL when gone. */
const char *proc_state(pid_t pid);

/*
 * The state of pid and of its newest descendant (usually the command Codex
 * is waiting on): {state, pid, busiest: {pid, name, state}?}.
 */
json_t *proc_tree_report(pid_t pid);

/*
 * A name for a running process that a later process with the same pid cannot
 * take: "<pid>:<start time>". malloc'd, or NULL.
 */
char *proc_instance_id(pid_t pid);
/* Whether the process an instance id names still runs. */
bool proc_instance_alive(const char *id);

#endif
