/* `codex-mcp logs TASK [-f]`: a task's agent log, and with -f what it writes next. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "app/fleet.h"
#include "cli/cli.h"

static const char usage[] =
    "usage: codex-mcp logs TASK [-f] [server options]\n"
    "\n"
    "A task's agent log: a timestamp and a line per Codex event, Codex's stderr, how it\n"
    "ended. A log rotated past --log-max-bytes is shown from its older part on.\n"
    "\n"
    "  -f, --follow      then print what the task writes as it writes it, until it ends\n"
    "                    (or the server running it is gone: then exit status 1)\n"
    "\n"
    "Server options (--state-dir, --store, ...): see codex-mcp --help.\n";

static const struct option flags[] = {
    {"follow", no_argument, NULL, CLI_OPT_FOLLOW},
    {NULL, 0, NULL, 0},
};

struct logs_cmd {
	const char *id;
	bool follow;
};

struct follow {
	uv_loop_t *loop;
	uv_fs_event_t event;
	uv_timer_t tick;
	struct store *store;
	const char *id, *path;
	int fd; /* the log being read, or -1 while there is none */
	ino_t ino;
	int status;
};

static int logs_flag(void *data, int c, const char *arg)
{
	(void)arg;
	if (c != CLI_OPT_FOLLOW)
		return 1;
	((struct logs_cmd *)data)->follow = true;
	return 0;
}

static int logs_args(void *data, char **args, int n)
{
	if (n != 1) {
		fputs(usage, stderr);
		return -1;
	}
	((struct logs_cmd *)data)->id = args[0];
	return 0;
}

/*
 * Copies what fd has left to stdout, controls made visible (cli_sanitize): always, not only
 * on a terminal, for `logs X > f; cat f` must not obey them later either. The file itself
 * keeps the bytes as they were. A C1 control's first byte at the end of a read is read
 * again with what follows it. 0, or -errno.
 */
static int drain(int fd)
{
	char buf[65536], *safe;
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (n > 1 && (unsigned char)buf[n - 1] == 0xc2 && lseek(fd, -1, SEEK_CUR) >= 0)
			n--;
		if (!(safe = cli_sanitize(buf, (size_t)n)))
			return -ENOMEM;
		int ok = fputs(safe, stdout) >= 0;
		free(safe);
		if (!ok)
			return -EIO;
	}
	fflush(stdout);
	return n < 0 ? -errno : 0;
}

/* The log's own file, never through a symlink, as the log tools read it. */
static int open_log(const char *path, ino_t *ino)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd >= 0 && fstat(fd, &st) == 0)
		*ino = st.st_ino;
	return fd;
}

static void on_change(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct follow *f = h->data;

	(void)name, (void)events, (void)status;
	if (f->fd >= 0)
		drain(f->fd);
}

/* A new file at the path (rotated, or made at last): the old one is read out first. */
static void reopen_if_moved(struct follow *f)
{
	struct stat st;

	if (stat(f->path, &st) != 0 || (f->fd >= 0 && st.st_ino == f->ino))
		return;
	if (f->fd >= 0) {
		drain(f->fd);
		close(f->fd);
		uv_fs_event_stop(&f->event);
	}
	f->fd = open_log(f->path, &f->ino);
	if (f->fd >= 0) {
		uv_fs_event_start(&f->event, on_change, f->path, 0);
		drain(f->fd);
	}
}

/*
 * Whether the server running the task has died, leaving the record as it was: the record
 * is only put right when a server starts on the store again (store_recover), or when a
 * replica sees the lease run out. As the server judges it: the process on this machine for
 * SQLite, the lease for a shared store. An old record names no owner: never gone.
 */
static bool owner_gone(struct store *s, const struct task_record *rec)
{
	return rec->owner && store_owner_alive(s, rec->owner, store_now_ms()) == 0;
}

/* Every second: a rotation, and whether the task has ended (then the rest, and stop). */
static void on_tick(uv_timer_t *h)
{
	struct follow *f = h->data;
	struct task_record rec = {0};
	int found;

	reopen_if_moved(f);
	found = store_get_task(f->store, f->id, &rec);
	if (found == 1 && !agent_status_terminal(rec.status) && !owner_gone(f->store, &rec)) {
		task_record_clear(&rec);
		return;
	}
	if (found != 1) {
		fprintf(stderr, "codex-mcp logs: %s\n",
		        found == 0 ? "the task is gone" : store_error(f->store));
		f->status = 1;
	} else if (!agent_status_terminal(rec.status)) {
		fprintf(stderr,
		        "codex-mcp logs: the server running it is gone; its record still says %s\n",
		        rec.status);
		f->status = 1;
	}
	task_record_clear(&rec);
	if (f->fd >= 0)
		drain(f->fd);
	uv_timer_stop(&f->tick);
	uv_close((uv_handle_t *)&f->tick, NULL);
	uv_close((uv_handle_t *)&f->event, NULL);
}

static int follow(struct store *s, const char *id, const char *path, int fd, ino_t ino)
{
	uv_loop_t loop;
	struct follow f = {.loop = &loop, .store = s, .id = id, .path = path, .fd = fd, .ino = ino};

	if (uv_loop_init(&loop) != 0)
		return 1;
	uv_fs_event_init(&loop, &f.event);
	uv_timer_init(&loop, &f.tick);
	f.event.data = f.tick.data = &f;
	/* The runner writes its log out every second; a change wakes us before the tick. */
	if (fd >= 0)
		uv_fs_event_start(&f.event, on_change, path, 0);
	uv_timer_start(&f.tick, on_tick, 0, 1000);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	if (f.fd >= 0)
		close(f.fd);
	return f.status;
}

/* The older part first, when the log was rotated; then the log, followed if asked. */
static int print_log(struct store *s, const struct task_record *rec, bool follow_it)
{
	char older[4096];
	ino_t ino = 0;
	int fd;

	snprintf(older, sizeof older, "%s.1", rec->log_file);
	if ((fd = open_log(older, &ino)) >= 0) {
		drain(fd);
		close(fd);
	}
	fd = open_log(rec->log_file, &ino);
	if (fd < 0 && (errno != ENOENT || !follow_it)) {
		fprintf(stderr, "codex-mcp logs: %s: %s\n", rec->log_file, strerror(errno));
		return 1;
	}
	if (fd >= 0 && drain(fd) != 0) {
		close(fd);
		return 1;
	}
	if (follow_it && !agent_status_terminal(rec->status))
		return follow(s, rec->id, rec->log_file, fd, ino);
	if (fd >= 0)
		close(fd);
	return 0;
}

int cli_logs(int argc, char **argv)
{
	struct logs_cmd c = {0};
	struct options_extra x = {usage, "f", flags, logs_flag, logs_args, &c};
	struct task_record rec = {0};
	struct options o;
	struct store *s;
	char err[1024];
	int status = 0, found;

	if (cli_options(argc, argv, &o, &x, &status) != 0)
		return status;
	if (cli_store_open(&o, &s, err, sizeof err) != 0) {
		fprintf(stderr, "codex-mcp logs: %s\n", err);
		options_free(&o);
		return 1;
	}
	found = store_get_task(s, c.id, &rec);
	if (found != 1) {
		fprintf(stderr, "codex-mcp logs: %s\n",
		        found == 0 ? "no such task" : store_error(s));
		status = 1;
	} else if (!rec.log_file) {
		fprintf(stderr, "codex-mcp logs: task %s has no log file\n", rec.id);
		status = 1;
	} else {
		status = print_log(s, &rec, c.follow);
	}
	task_record_clear(&rec);
	store_close(s);
	options_free(&o);
	return status;
}
