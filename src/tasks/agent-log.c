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
/* A line: "2025-01-02T03:04:05.678Z ", at most LINE_TEXT - 1 bytes of text, a newline. */
enum { STAMP_LEN = 25, LINE_TEXT = 4096 };

struct agent_log {
	FILE *f;
	size_t size;
	size_t max_bytes;
	int failed; /* a write failed (disk full?): said once, then quiet */
	struct timespec flushed;
	time_t stamp_sec;          /* the second stamp is of */
	char stamp[STAMP_LEN - 4]; /* its date and time, made once a second */
	char path[PATH_MAX];
	/* stdio's buffer: given none, glibc ignores the size and takes the block size (4 KiB). */
	char buf[LOG_BUFFER];
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
	setvbuf(log->f, log->buf, _IOFBF, sizeof log->buf);
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
		setvbuf(log->f, log->buf, _IOFBF, sizeof log->buf);
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

/* Fills line[0..STAMP_LEN) with the time: only the milliseconds change within a second. */
static void stamp(struct agent_log *log, char *line)
{
	struct timespec ts;
	struct tm tm;
	long ms;

	/* To the tick: a flood of lines costs no precise clock read each. */
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec != log->stamp_sec || !log->stamp[0]) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(log->stamp, sizeof log->stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		log->stamp_sec = ts.tv_sec;
	}
	/* Then ".678Z ": no printf for three digits on every line of a flood. */
	ms = ts.tv_nsec / 1000000;
	memcpy(line, log->stamp, STAMP_LEN - 6);
	line[STAMP_LEN - 6] = '.';
	line[STAMP_LEN - 5] = (char)('0' + ms / 100);
	line[STAMP_LEN - 4] = (char)('0' + ms / 10 % 10);
	line[STAMP_LEN - 3] = (char)('0' + ms % 10);
	line[STAMP_LEN - 2] = 'Z';
	line[STAMP_LEN - 1] = ' ';
}

/* line: the time's room, then len bytes of text, NUL-terminated, with room for a newline. */
static void write_line(struct agent_log *log, char *line, size_t len)
{
	char *text = line + STAMP_LEN;
	char *masked = redact_active() ? redact(text) : NULL;
	size_t n;

	if (log->max_bytes && log->size + len + 40 > log->max_bytes)
		rotate(log);
	if (masked)
		len = strlen(masked);
	if (!log->f) {
		free(masked);
		return;
	}
	stamp(log, line);
	if (masked) {
		n = fwrite(line, 1, STAMP_LEN, log->f) + fwrite(masked, 1, len, log->f) +
		    fwrite("\n", 1, 1, log->f);
		free(masked);
	} else {
		text[len] = '\n';
		n = fwrite(line, 1, STAMP_LEN + len + 1, log->f);
	}
	if (n != STAMP_LEN + len + 1 || flush_now(log) != 0) {
		if (!log->failed)
			log_warn("cannot write the agent log %s: %s", log->path, strerror(errno));
		log->failed = 1;
		clearerr(log->f);
		return;
	}
	log->size += n;
}

void agent_log_printf(struct agent_log *log, const char *fmt, ...)
{
	char line[STAMP_LEN + LINE_TEXT + 1];
	va_list ap;
	int n;

	if (!log || !log->f)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + STAMP_LEN, LINE_TEXT, fmt, ap);
	va_end(ap);
	write_line(log, line, n < 0 ? 0 : n < LINE_TEXT ? (size_t)n : LINE_TEXT - 1);
}

void agent_log_line(struct agent_log *log, const char *text, size_t len)
{
	char line[STAMP_LEN + LINE_TEXT + 1];

	if (!log || !log->f)
		return;
	if (len >= LINE_TEXT)
		len = LINE_TEXT - 1;
	memcpy(line + STAMP_LEN, text, len);
	line[STAMP_LEN + len] = '\0';
	write_line(log, line, len);
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
