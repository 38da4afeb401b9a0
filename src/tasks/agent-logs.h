/* The agent log directory, as the log tools see it: our files only, never through symlinks. */
#ifndef CODEX_MCP_AGENT_LOGS_H
#define CODEX_MCP_AGENT_LOGS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct log_entry {
	char name[256];
	int64_t size;
	time_t modified;
};

/*
 * The regular files named codex_agent_*.log[.1] directly in dir, newest
 * first; symlinks and anything else are left out. Returns the count, or -1
 * with errno. *dirfd_out, if given, stays open for acting on the entries.
 */
int agent_logs_scan(const char *dir, struct log_entry **out, int *dirfd_out);

#endif
