/* Logging to stderr, with an optional second sink (the MCP client). */
#ifndef CODEX_MCP_LOG_H
#define CODEX_MCP_LOG_H

/* Syslog severities, in the order MCP's logging levels use them. */
enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_NOTICE,
	LOG_WARNING,
	LOG_ERROR,
	LOG_CRITICAL,
	LOG_ALERT,
	LOG_EMERGENCY,
};

typedef void (*log_sink_fn)(void *data, enum log_level level, const char *message);

const char *log_level_name(enum log_level level);
/* Returns 0 and sets *out when name is one of MCP's level names. */
int log_level_parse(const char *name, enum log_level *out);

void log_set_stderr_level(enum log_level level);
/* Messages also go to sink; it filters by its own level. */
void log_set_sink(log_sink_fn fn, void *data);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
