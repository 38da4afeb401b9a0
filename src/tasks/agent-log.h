/*
 * One human-readable log per agent: a timestamp and one line per Codex
 * event, Codex's stderr, the exit status. Size-capped: past the cap the file
 * moves to <name>.1 and a new one starts. Secrets are masked.
 */
#ifndef CODEX_MCP_AGENT_LOG_H
#define CODEX_MCP_AGENT_LOG_H

#include <stddef.h>

struct agent_log;

/* Where a task's log goes: <dir>/codex_agent_<time>_<id8>.log (malloc'd). */
char *agent_log_name(const char *dir, const char *task_id);
/* Creates the log. Returns NULL with err on failure. */
struct agent_log *agent_log_open(const char *path, size_t max_bytes, char *err, size_t err_size);
const char *agent_log_path(const struct agent_log *log);
void agent_log_printf(struct agent_log *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A line of len bytes of text, as it is (it need not end in a NUL): no format to read. */
void agent_log_line(struct agent_log *log, const char *text, size_t len);
/* Writes out what is buffered; the runner calls it every second. */
void agent_log_flush(struct agent_log *log);
void agent_log_close(struct agent_log *log);

#endif
