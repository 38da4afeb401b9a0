#include "util/log.h"

#include "util/redact.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency",
};

static enum log_level stderr_level = LOG_INFO;
static log_sink_fn sink_fn;
static void *sink_data;
static pthread_t sink_thread; /* the loop's: the store's thread logs to stderr alone */

const char *log_level_name(enum log_level level)
{
	return level_names[level];
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_set_stderr_level(enum log_level level)
{
	stderr_level = level;
}

void log_set_sink(log_sink_fn fn, void *data)
{
	sink_fn = fn;
	sink_data = data;
	sink_thread = pthread_self();
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char message[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	/* Whatever a log line quotes (Codex's stderr, a command), secrets stay out of it. */
	char *masked = redact(message);
	if (masked) {
		snprintf(message, sizeof message, "%s", masked);
		free(masked);
	}

	if (level >= stderr_level) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ codex-mcp %s: %s\n", stamp, ts.tv_nsec / 1000000,
		        level_names[level], message);
	}
	if (sink_fn && pthread_equal(pthread_self(), sink_thread))
		sink_fn(sink_data, level, message);
}
