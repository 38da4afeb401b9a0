#include "proc/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpc/framing.h"
#include "util/log.h"

enum { STREAM_GRACE_MS = 1000 };

struct child {
	uv_process_t process;
	uv_pipe_t in, out, err;
	uv_timer_t timer; /* SIGKILL after the grace period, then the stream deadline */
	uv_shutdown_t shutdown;
	struct line_reader out_lines, err_lines;
	struct child_hooks hooks;
	bool stdin_open; /* child_write() may still queue bytes */
	pid_t pid;
	int open_handles;
	int open_streams; /* stdout and stderr until each reaches EOF */
	bool exited;
	bool reported;
	bool paused;
	int64_t exit_status;
	int term_signal;
};

static void out_line(void *data, char *line, size_t len)
{
	struct child *c = data;
	c->hooks.stdout_line(c->hooks.data, line, len);
}

static void out_overflow(void *data, size_t max_line)
{
	struct child *c = data;
	if (c->hooks.stdout_overflow)
		c->hooks.stdout_overflow(c->hooks.data, max_line);
}

static void err_line(void *data, char *line, size_t len)
{
	struct child *c = data;
	if (c->hooks.stderr_line)
		c->hooks.stderr_line(c->hooks.data, line, len);
}

static void err_overflow(void *data, size_t max_line)
{
	(void)data;
	(void)max_line; /* an endless stderr line is dropped quietly */
}

static void handle_closed(uv_handle_t *h)
{
	struct child *c = h->data;

	if (--c->open_handles > 0)
		return;
	line_reader_free(&c->out_lines);
	line_reader_free(&c->err_lines);
	free(c);
}

static void close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, handle_closed);
}

static void maybe_report(struct child *c)
{
	if (c->reported || !c->exited || c->open_streams > 0)
		return;
	c->reported = true;
	uv_timer_stop(&c->timer);
	c->hooks.exited(c->hooks.data, c->exit_status, c->term_signal);
	close_handle((uv_handle_t *)&c->process);
	close_handle((uv_handle_t *)&c->in);
	close_handle((uv_handle_t *)&c->out);
	close_handle((uv_handle_t *)&c->err);
	close_handle((uv_handle_t *)&c->timer);
}

static void stream_done(struct child *c, uv_stream_t *s)
{
	if (uv_is_closing((uv_handle_t *)s) || !uv_is_readable(s))
		return;
	uv_read_stop(s);
	if (s == (uv_stream_t *)&c->out)
		line_reader_finish(&c->out_lines, &(struct line_sink){out_line, out_overflow, c});
	else
		line_reader_finish(&c->err_lines, &(struct line_sink){err_line, err_overflow, c});
	close_handle((uv_handle_t *)s);
	c->open_streams--;
	maybe_report(c);
}

static void stream_deadline_cb(uv_timer_t *t);

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	static char chunk[64 * 1024];
	/* One chunk serves all reads: the line readers copy what they keep. */
	buf->base = chunk;
	buf->len = sizeof chunk;
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct child *c = s->data;

	if (n > 0) {
		/* After exit, the deadline is for a pipe gone quiet, not for one still draining. */
		if (c->exited && !c->reported)
			uv_timer_start(&c->timer, stream_deadline_cb, STREAM_GRACE_MS, 0);
		if (s == (uv_stream_t *)&c->out)
			line_reader_feed(&c->out_lines, buf->base, (size_t)n,
			                 &(struct line_sink){out_line, out_overflow, c});
		else
			line_reader_feed(&c->err_lines, buf->base, (size_t)n,
			                 &(struct line_sink){err_line, err_overflow, c});
	} else if (n < 0) {
		stream_done(c, s);
	}
}

static bool has_unread(uv_pipe_t *p)
{
	uv_os_fd_t fd;
	int n = 0;

	return !uv_is_closing((uv_handle_t *)p) && uv_fileno((uv_handle_t *)p, &fd) == 0 &&
	       ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

static void stream_deadline_cb(uv_timer_t *t)
{
	struct child *c = t->data;

	/*
	 * Not reading is our doing, not a stuck pipe, and so is output waiting
	 * while a busy loop ran this timer first: wait on in both cases.
	 */
	if (c->paused || has_unread(&c->out) || has_unread(&c->err)) {
		uv_timer_start(&c->timer, stream_deadline_cb, STREAM_GRACE_MS, 0);
		return;
	}

	/* Something outside the group still holds the pipes open: stop waiting. */
	stream_done(c, (uv_stream_t *)&c->out);
	stream_done(c, (uv_stream_t *)&c->err);
}

static void exit_cb(uv_process_t *p, int64_t exit_status, int term_signal)
{
	struct child *c = p->data;

	c->exited = true;
	c->exit_status = exit_status;
	c->term_signal = term_signal;
	/* Whatever the program left behind in its group goes with it. */
	kill(-c->pid, SIGKILL);
	uv_timer_stop(&c->timer);
	uv_timer_start(&c->timer, stream_deadline_cb, STREAM_GRACE_MS, 0);
	maybe_report(c);
}

/* A write to stdin, with the bytes it owns. */
struct stdin_write {
	uv_write_t req;
	char data[];
};

static void stdin_written(uv_write_t *w, int status)
{
	struct child *c = w->data;

	/* A child that exits without reading its stdin is not an error here: its stdin is over. */
	if (status < 0 && status != UV_ECANCELED) {
		c->stdin_open = false;
		close_handle((uv_handle_t *)&c->in);
	}
	free(w);
}

int child_write(struct child *c, const char *data, size_t len)
{
	struct stdin_write *w;
	uv_buf_t buf;

	if (!c->stdin_open || uv_is_closing((uv_handle_t *)&c->in))
		return -EPIPE;
	if (!(w = malloc(sizeof *w + len)))
		return -ENOMEM;
	memcpy(w->data, data, len);
	w->req.data = c;
	buf = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->in, &buf, 1, stdin_written) != 0) {
		free(w);
		c->stdin_open = false;
		close_handle((uv_handle_t *)&c->in);
		return -EPIPE;
	}
	return 0;
}

static void stdin_shut(uv_shutdown_t *req, int status)
{
	(void)status;
	close_handle((uv_handle_t *)req->handle);
}

void child_close_stdin(struct child *c)
{
	if (!c->stdin_open)
		return;
	c->stdin_open = false;
	c->shutdown.data = c;
	/* Once the writes queued before it are done. */
	if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->in, stdin_shut) != 0)
		close_handle((uv_handle_t *)&c->in);
}

/* The soft descriptor limit before the server raised it, for the programs it starts. */
static bool nofile_saved;
static rlim_t nofile_soft;

int child_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -errno;
	nofile_soft = rl.rlim_cur;
	nofile_saved = true;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			return -errno;
	}
	return 0;
}

int child_spawn(uv_loop_t *loop, const struct child_spec *spec, const struct child_hooks *hooks,
                struct child **out)
{
	struct child *c = calloc(1, sizeof *c);
	char ppid[24], nofile[24];
	size_t argc = 0;
	char **argv;
	int rc;

	if (!c)
		return UV_ENOMEM;
	while (spec->argv[argc])
		argc++;
	argv = calloc(argc + 5, sizeof *argv);
	if (!argv) {
		free(c);
		return UV_ENOMEM;
	}
	snprintf(ppid, sizeof ppid, "%ld", (long)getpid());
	if (nofile_saved)
		snprintf(nofile, sizeof nofile, "%llu", (unsigned long long)nofile_soft);
	else
		snprintf(nofile, sizeof nofile, "-");
	argv[0] = spec->argv[0];
	argv[1] = CHILD_EXEC_ARG;
	argv[2] = ppid;
	argv[3] = nofile;
	argv[4] = (char *)spec->file;
	for (size_t i = 1; i < argc; i++)
		argv[4 + i] = spec->argv[i];

	c->hooks = *hooks;
	line_reader_init(&c->out_lines, spec->max_line);
	line_reader_init(&c->err_lines, 64 * 1024);
	uv_pipe_init(loop, &c->in, 0);
	uv_pipe_init(loop, &c->out, 0);
	uv_pipe_init(loop, &c->err, 0);
	uv_timer_init(loop, &c->timer);
	c->process.data = c->in.data = c->out.data = c->err.data = c->timer.data = c;
	c->open_handles = 5;

	uv_stdio_container_t stdio[3] = {
	    {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&c->in},
	    {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&c->out},
	    {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&c->err},
	};
	uv_process_options_t options = {
	    .exit_cb = exit_cb,
	    .file = "/proc/self/exe",
	    .args = argv,
	    .env = (char **)spec->env,
	    .cwd = spec->cwd,
	    /* setsid(): the child leads a new process group, so the group can be killed whole. */
	    .flags = UV_PROCESS_DETACHED,
	    .stdio_count = 3,
	    .stdio = stdio,
	};
	rc = uv_spawn(loop, &c->process, &options);
	free(argv);
	if (rc != 0) {
		/* The process handle must be closed even after a failed spawn. */
		c->reported = true;
		close_handle((uv_handle_t *)&c->process);
		close_handle((uv_handle_t *)&c->in);
		close_handle((uv_handle_t *)&c->out);
		close_handle((uv_handle_t *)&c->err);
		close_handle((uv_handle_t *)&c->timer);
		return rc;
	}
	c->pid = c->process.pid;
	c->open_streams = 2;
	uv_read_start((uv_stream_t *)&c->out, alloc_cb, read_cb);
	uv_read_start((uv_stream_t *)&c->err, alloc_cb, read_cb);

	c->stdin_open = true;
	if (spec->stdin_len > 0)
		child_write(c, spec->stdin_data, spec->stdin_len);
	if (!spec->keep_stdin)
		child_close_stdin(c);
	*out = c;
	return 0;
}

void child_pause(struct child *c)
{
	if (uv_is_readable((uv_stream_t *)&c->out) && !uv_is_closing((uv_handle_t *)&c->out)) {
		uv_read_stop((uv_stream_t *)&c->out);
		c->paused = true;
	}
}

void child_resume(struct child *c)
{
	c->paused = false;
	if (uv_is_readable((uv_stream_t *)&c->out) && !uv_is_closing((uv_handle_t *)&c->out))
		uv_read_start((uv_stream_t *)&c->out, alloc_cb, read_cb);
}

pid_t child_pid(const struct child *c)
{
	return c->pid;
}

static void grace_expired(uv_timer_t *t)
{
	struct child *c = t->data;

	if (!c->exited)
		kill(-c->pid, SIGKILL);
}

void child_terminate(struct child *c, unsigned grace_ms)
{
	if (c->exited)
		return;
	if (grace_ms == 0) {
		kill(-c->pid, SIGKILL);
		return;
	}
	kill(-c->pid, SIGTERM);
	uv_timer_start(&c->timer, grace_expired, grace_ms, 0);
}

/* Leaves the way the program left: the same status, or the same signal. */
static int exit_like(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit no_core = {0, 0};
		sigset_t one;
		setrlimit(RLIMIT_CORE, &no_core); /* the program's crash, not ours */
		signal(sig, SIG_DFL);
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		raise(sig);
		return 128 + sig;
	}
	return 127;
}

/* write(2) of a C string: all that is safe to call between fork and exec. */
static void say(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));
	(void)n;
}

static void say_number(int n)
{
	char digits[16];
	size_t at = sizeof digits - 1;

	digits[at] = '\0';
	do
		digits[--at] = (char)('0' + n % 10);
	while ((n /= 10) > 0 && at > 0);
	say("errno ");
	say(digits + at);
}

int child_exec_main(int argc, char **argv)
{
	sigset_t waited, old;
	struct rlimit nofile;
	bool restore_nofile = false;
	pid_t parent, pid;
	int status, fd;

	/* argv is: argv0 CHILD_EXEC_ARG ppid nofile file args...; the program gets argv0 args... */
	if (argc < 5)
		return 127;
	parent = (pid_t)strtol(argv[2], NULL, 10);
	if (strcmp(argv[3], "-") != 0 && getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
		nofile.rlim_cur = (rlim_t)strtoull(argv[3], NULL, 10);
		restore_nofile = nofile.rlim_cur < nofile.rlim_max;
	}
	const char *file = argv[4];
	argv[4] = argv[0];

	/*
	 * This process leads the run's process group and stays as its keeper: when
	 * the server dies, even by SIGKILL, the kernel sends it SIGTERM, and it
	 * takes the whole group down, grandchildren included.
	 *
	 * SIGTERM is blocked before the check that the server still lives and
	 * stays blocked until sigwaitinfo takes it, so a death at any point after
	 * the check leaves it pending rather than lost. SIGCHLD the same way:
	 * blocked, it stays pending and the keeper waits for both at once.
	 */
	sigemptyset(&waited);
	sigaddset(&waited, SIGTERM);
	sigaddset(&waited, SIGCHLD);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL); /* ignored, it would never be pending */
	sigprocmask(SIG_BLOCK, &waited, &old);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) {
		kill(0, SIGKILL); /* the server died before the prctl took hold */
		return 127;
	}
	/* How far descriptors may reach, for when close_range is not there (before 5.9). */
	struct rlimit open_max;
	if (getrlimit(RLIMIT_NOFILE, &open_max) != 0 || open_max.rlim_cur > (1u << 20))
		open_max.rlim_cur = 1u << 20;
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "codex-mcp: cannot start %s: %s\n", file, strerror(errno));
		return 127;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec. */
		/* The server's raised limit is not Codex's. */
		if (restore_nofile)
			setrlimit(RLIMIT_NOFILE, &nofile);
		/*
		 * Whatever the server got from its own parent without close-on-exec
		 * is not Codex's either: it gets its stdio and nothing else.
		 */
		if (close_range(3, ~0U, 0) != 0)
			for (int n = 3; n < (int)open_max.rlim_cur; n++)
				close(n);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execv(file, argv + 4);
		int err = errno;
		say("codex-mcp: cannot execute ");
		say(file);
		say(": ");
		say_number(err);
		say("\n");
		_exit(127);
	}
	/* The pipes belong to the program: the keeper holds none of them open. */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	for (;;) {
		int sig = sigwaitinfo(&waited, NULL);

		if (sig == SIGCHLD) {
			pid_t done = waitpid(pid, &status, WNOHANG);
			if (done == pid)
				return exit_like(status);
			if (done < 0 && errno != EINTR)
				return 127;
		} else if (sig == SIGTERM && getppid() != parent) {
			kill(0, SIGKILL); /* the server is gone: so is the run */
		}
		/*
		 * A SIGTERM while the server lives is the server stopping the run:
		 * the program has it too, and its exit ends the wait.
		 */
	}
}
