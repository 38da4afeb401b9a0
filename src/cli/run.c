/* doctor: a program run and waited for, with what it wrote, under a clock. */
#include <signal.h>
#include <string.h>

#include <uv.h>

#include "cli/doctor.h"

struct running {
	uv_process_t proc;
	uv_pipe_t out, err;
	uv_timer_t timer;
	struct doctor_run *r;
	size_t out_len, err_len;
	int waiting; /* of its exit and the end of its two streams */
};

static void alloc_buf(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	static char scratch[65536];

	(void)h, (void)size;
	*buf = uv_buf_init(scratch, sizeof scratch);
}

/* Its exit, or the end of a stream: once all three are in, the clock stops. */
static void one_less(struct running *run)
{
	if (--run->waiting == 0)
		uv_close((uv_handle_t *)&run->timer, NULL);
}

/* Keeps the first of what a stream says, up to its buffer. */
static void keep(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct running *run = s->data;
	bool is_out = s == (uv_stream_t *)&run->out;
	char *to = is_out ? run->r->out : run->r->err;
	size_t *len = is_out ? &run->out_len : &run->err_len;
	size_t room = sizeof run->r->out - 1 - *len;

	if (n < 0) {
		uv_close((uv_handle_t *)s, NULL);
		one_less(run);
		return;
	}
	if ((size_t)n < room)
		room = (size_t)n;
	memcpy(to + *len, buf->base, room);
	*len += room;
	to[*len] = '\0';
}

static void exited(uv_process_t *p, int64_t status, int sig)
{
	struct running *run = p->data;

	run->r->exit_status = status;
	run->r->term_signal = sig;
	uv_close((uv_handle_t *)p, NULL);
	one_less(run);
}

/* Too long: its whole group goes, what it started with it, and its streams are let go. */
static void too_long(uv_timer_t *t)
{
	struct running *run = t->data;

	run->r->timed_out = true;
	uv_kill(-run->proc.pid, SIGKILL);
	for (uv_pipe_t *p = &run->out; p <= &run->err; p++)
		if (!uv_is_closing((uv_handle_t *)p)) {
			uv_close((uv_handle_t *)p, NULL);
			one_less(run);
		}
}

int doctor_run(char *const argv[], char *const env[], const char *cwd, unsigned timeout_ms,
               struct doctor_run *r)
{
	uv_loop_t loop;
	struct running run = {.r = r, .waiting = 3};
	uv_stdio_container_t stdio[3];
	uv_process_options_t po;
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = uv_loop_init(&loop)) != 0)
		return rc;
	uv_pipe_init(&loop, &run.out, 0);
	uv_pipe_init(&loop, &run.err, 0);
	uv_timer_init(&loop, &run.timer);
	run.proc.data = run.out.data = run.err.data = run.timer.data = &run;
	stdio[0].flags = UV_IGNORE;
	stdio[1] =
	    (uv_stdio_container_t){UV_CREATE_PIPE | UV_WRITABLE_PIPE, {(uv_stream_t *)&run.out}};
	stdio[2] =
	    (uv_stdio_container_t){UV_CREATE_PIPE | UV_WRITABLE_PIPE, {(uv_stream_t *)&run.err}};
	/* Detached: a group of its own, for what it starts to be killed with it. */
	po = (uv_process_options_t){.exit_cb = exited,
	                            .file = argv[0],
	                            .args = (char **)argv,
	                            .env = (char **)env,
	                            .cwd = cwd,
	                            .flags = UV_PROCESS_DETACHED,
	                            .stdio_count = 3,
	                            .stdio = stdio};
	rc = uv_spawn(&loop, &run.proc, &po);
	if (rc == 0) {
		uv_read_start((uv_stream_t *)&run.out, alloc_buf, keep);
		uv_read_start((uv_stream_t *)&run.err, alloc_buf, keep);
		uv_timer_start(&run.timer, too_long, timeout_ms, 0);
	} else {
		uv_close((uv_handle_t *)&run.out, NULL);
		uv_close((uv_handle_t *)&run.err, NULL);
		uv_close((uv_handle_t *)&run.timer, NULL);
		uv_close((uv_handle_t *)&run.proc, NULL);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}
