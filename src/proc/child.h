/*
 * A child process on the event loop, in its own process group, that dies
 * with the server. Its stdin is fed from memory and closed, or kept open for
 * child_write() (a program we converse with); its stdout and stderr arrive as
 * lines.
 */
#ifndef CODEX_MCP_CHILD_H
#define CODEX_MCP_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

struct child;

struct child_hooks {
	void (*stdout_line)(void *data, char *line, size_t len);
	void (*stdout_overflow)(void *data, size_t max_line);
	void (*stderr_line)(void *data, char *line, size_t len);
	/*
	 * The process has exited and both streams are closed. The child frees
	 * itself when this returns. term_signal is 0 for a normal exit.
	 */
	void (*exited)(void *data, int64_t exit_status, int term_signal);
	void *data;
};

struct child_spec {
	const char *file;  /* absolute path */
	char *const *argv; /* argv[0] included, NULL-terminated */
	char *const *env;  /* NULL inherits the server's environment */
	const char *cwd;   /* NULL inherits */
	const char *stdin_data;
	size_t stdin_len;
	bool keep_stdin; /* stdin stays open after stdin_data, until child_close_stdin() */
	size_t max_line; /* longest stdout line delivered */
};

/* Returns 0, or a negative libuv error code when the process could not start. */
int child_spawn(uv_loop_t *loop, const struct child_spec *spec, const struct child_hooks *hooks,
                struct child **out);

/* The keeper's pid, which is also the run's process group. */
pid_t child_pid(const struct child *c);

/*
 * Queues bytes for the stdin of a child spawned with keep_stdin; they are copied.
 * Returns 0, or -EPIPE once stdin is closed or the child stopped reading it.
 */
int child_write(struct child *c, const char *data, size_t len);
/* Closes stdin once what is queued is written: the child sees its end. */
void child_close_stdin(struct child *c);

/* Stops reading stdout (the pipe fills and the child waits), and starts again. */
void child_pause(struct child *c);
void child_resume(struct child *c);

/* SIGTERM to the whole group, then SIGKILL after grace_ms (0: SIGKILL now). */
void child_terminate(struct child *c, unsigned grace_ms);

/*
 * The keeper every child runs under: main() hands over when argv[1] is
 * CHILD_EXEC_ARG (libuv offers no hook between fork and exec). It asks the
 * kernel for SIGTERM when the server dies, starts the real program in its
 * process group, waits for it and exits as it did; if the server dies
 * first, it kills the whole group.
 */
#define CHILD_EXEC_ARG "--exec-child"
int child_exec_main(int argc, char **argv);

/*
 * Raises the server's soft descriptor limit to its hard limit. The programs
 * children run get the limit back as it was: Codex and the commands it runs
 * have no use for the server's. Returns 0 or -errno.
 */
int child_raise_fd_limit(void);

#endif
