#include "tasks/agent-log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util/log.h"
#include "util/paths.h"
#include "util/redact.h"

/* Big enough to write a flood in pieces, small enough for hundreds of agents at once. */
enum { LOG_BUFFER = 8 * 1024 };

struct agent_log {
	FILE *f;
	size_t size;
	size_t max_bytes;
	int failed; /* a write failed (disk full?): said once, then quiet */
	struct timespec flushed;
	char path[PATH_MAX];
};

char *agent_log_name(const char *dir, const char *task_id)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];
	char *path;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm);
	if (asprintf(&path, "%s/codex_agent_%s_%.8s.log", dir, stamp, task_id) < 0)
		return NULL;
	return path;
}

struct agent_log *agent_log_open(const char *path, size_t max_bytes, char *err, size_t err_size)
{
	struct agent_log *log = calloc(1, sizeof *log);

	if (!log) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	snprintf(log->path, sizeof log->path, "%s", path);
	/* "e": a log open in the server must not be open in the Codex processes it starts. */
	log->f = fopen(log->path, "wxe");
	if (!log->f) {
		snprintf(err, err_size, "cannot create the agent log %s: %s", log->path,
		         strerror(errno));
		free(log);
		return NULL;
	}
	log->max_bytes = max_bytes;
	setvbuf(log->f, NULL, _IOFBF, LOG_BUFFER);
	return log;
}

const char *agent_log_path(const struct agent_log *log)
{
	return log->path;
}

static void rotate(struct agent_log *log)
{
	char old[PATH_MAX + 2];

	fclose(log->f);
	snprintf(old, sizeof old, "%s.1", log->path);
	rename(log->path, old);
	log->f = fopen(log->path, "we");
	if (log->f)
		setvbuf(log->f, NULL, _IOFBF, LOG_BUFFER);
	log->size = 0;
}

/*
 * Lines reach the file within a tenth of a second, so `tail -f` follows the
 * agent, without a write for every one of a flood of events.
 */
static int flush_now(struct agent_log *log)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if ((now.tv_sec - log->flushed.tv_sec) * 1000 +
	        (now.tv_nsec - log->flushed.tv_nsec) / 1000000 <
	    100)
		return 0;
	log->flushed = now;
	return fflush(log->f);
}

void agent_log_printf(struct agent_log *log, const char *fmt, ...)
{
	char line[4096], stamp[40];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	char *masked;
	int n;

	if (!log || !log->f)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	masked = redact_active() ? redact(line) : NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	if (log->max_bytes && log->size + strlen(line) + 40 > log->max_bytes)
		rotate(log);
	if (!log->f) {
		free(masked);
		return;
	}
	n = fprintf(log->f, "%s.%03ldZ %s\n", stamp, ts.tv_nsec / 1000000, masked ? masked : line);
	free(masked);
	if (n < 0 || flush_now(log) != 0) {
		if (!log->failed)
			log_warn("cannot write the agent log %s: %s", log->path, strerror(errno));
		log->failed = 1;
		clearerr(log->f);
		return;
	}
	log->size += (size_t)n;
}

void agent_log_flush(struct agent_log *log)
{
	if (log && log->f && fflush(log->f) != 0 && !log->failed) {
		log_warn("cannot write the agent log %s: %s", log->path, strerror(errno));
		log->failed = 1;
		clearerr(log->f);
	}
}

void agent_log_close(struct agent_log *log)
{
	if (!log)
		return;
	if (log->f && fclose(log->f) != 0 && !log->failed)
		log_warn("cannot write the agent log %s: %s", log->path, strerror(errno));
	free(log);
}
