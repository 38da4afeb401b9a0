/*
 * A fake `codex exec --json` for fault tests: a real Codex cannot be made to misbehave on cue.
 *
 * It accepts and ignores Codex's flags (`exec --json ... -`, `resume ID`), reads its whole stdin
 * (the prompt) and runs the words in it, in order:
 *
 *   ok              thread.started, turn.started, agent_message "fake ok", turn.completed, exit 0
 *   exit N          print a few lines to stderr, then exit with status N at once
 *   segv            thread.started, turn.started, one item, then die of SIGSEGV
 *   hang            thread.started, then sleep silently forever
 *   spawn [S]       thread.started, turn.started, start `sleep S` (default 1000) in our own
 *                   process group, then sleep silently forever
 *   garbage         non-JSON (and non-event JSON) lines on stdout, then go on
 *   bigline N [MS]  one event line of N bytes, its newline held back MS ms (default 1000)
 *   flood N [L]     N bytes of item.completed agent_message events of L bytes each (default
 *                   64K) as fast as possible; then the message "fake flood done: C events"
 *   delay MS        sleep MS ms
 *   start           thread.started and turn.started now (they otherwise wait for the first item)
 *   wait PATH       do nothing until PATH exists: the test says when to go on
 *   stubborn        ignore SIGTERM from now on (only SIGKILL stops us)
 *   echo            an agent_message whose text is the whole prompt, verbatim
 *   argv            an agent_message whose text is our argv, one argument per line
 *   printenv NAME   an agent_message "NAME=value", also printed to stderr
 *
 * Numbers take a K, M or G suffix (powers of 1024). Unknown words are ignored. Once the words
 * are done (and none of them ended the process) the turn completes: agent_message "fake ok"
 * unless a message was already sent, turn.completed, exit 0. Thread ids look like Codex's
 * (UUIDv7); `resume ID` reuses ID.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static char thread_id[64];
static bool started;      /* thread.started and turn.started are out */
static bool said_message; /* an agent_message is out */
static unsigned long item_no;

static void write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(141); /* the reader is gone */
		data += n;
		len -= (size_t)n;
	}
}

static void out(const char *s)
{
	write_all(STDOUT_FILENO, s, strlen(s));
}

static void err(const char *s)
{
	write_all(STDERR_FILENO, s, strlen(s));
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

/* A growable string. */
struct buf {
	char *data;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->data, cap);
		if (!grown) {
			err("fake-codex: out of memory\n");
			exit(70);
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* s as the inside of a JSON string. */
static void buf_json(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			buf_add(b, esc, 2);
		} else if (*p < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			buf_add(b, esc, 6);
		} else {
			buf_add(b, (const char *)p, 1);
		}
	}
}

static void make_thread_id(void)
{
	unsigned char r[10] = {0};
	struct timespec ts;
	uint64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		for (size_t i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)(rand() ^ getpid());
	}
	/* UUIDv7: 48 bits of milliseconds, version 7, variant 10. */
	snprintf(thread_id, sizeof thread_id, "%08x-%04x-7%03x-%04x-%02x%02x%02x%02x%02x%02x",
	         (unsigned)(ms >> 16), (unsigned)(ms & 0xffff),
	         (unsigned)((r[0] << 4 | r[1] >> 4) & 0xfff),
	         (unsigned)(0x8000 | ((r[2] << 8 | r[3]) & 0x3fff)), r[4], r[5], r[6], r[7], r[8],
	         r[9]);
}

static void thread_started(void)
{
	char line[128];

	snprintf(line, sizeof line, "{\"type\":\"thread.started\",\"thread_id\":\"%s\"}\n",
	         thread_id);
	out(line);
}

static void start_turn(void)
{
	if (started)
		return;
	started = true;
	thread_started();
	out("{\"type\":\"turn.started\"}\n");
}

static void agent_message(const char *text)
{
	struct buf b = {0};
	char head[96];

	start_turn();
	snprintf(head, sizeof head,
	         "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_%lu\",\"type\":"
	         "\"agent_message\",\"text\":\"",
	         item_no++);
	buf_str(&b, head);
	buf_json(&b, text);
	buf_str(&b, "\"}}\n");
	write_all(STDOUT_FILENO, b.data, b.len);
	free(b.data);
	said_message = true;
}

static void finish_turn(void)
{
	if (!said_message)
		agent_message("fake ok");
	out("{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":11,\"cached_input_tokens\":0,"
	    "\"output_tokens\":7,\"reasoning_output_tokens\":0}}\n");
	exit(0);
}

/* "12", "64K", "256M", "1G"; 0 for anything else. */
static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	default:
		break;
	}
	return *end ? 0 : v;
}

static void do_exit(int status)
{
	char line[128];

	err("fake-codex: reading the prompt\n");
	err("fake-codex: something went wrong early\n");
	snprintf(line, sizeof line, "fake-codex: error: simulated failure, exit status %d\n",
	         status);
	err(line);
	exit(status);
}

static void do_segv(void)
{
	struct rlimit none = {0, 0};

	start_turn();
	out("{\"type\":\"item.started\",\"item\":{\"id\":\"item_c\",\"type\":\"command_execution\","
	    "\"command\":\"make crash\",\"aggregated_output\":\"\",\"status\":\"in_progress\"}}\n");
	err("fake-codex: about to crash\n");
	setrlimit(RLIMIT_CORE, &none); /* no core file */
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	_exit(99); /* not reached */
}

static void do_spawn(unsigned long long seconds)
{
	char arg[32];
	pid_t pid;

	start_turn();
	snprintf(arg, sizeof arg, "%llu", seconds ? seconds : 1000);
	pid = fork();
	if (pid == 0) {
		/* Same process group as ours: only our group's killer can stop it. */
		close(STDOUT_FILENO);
		close(STDERR_FILENO);
		execlp("sleep", "sleep", arg, (char *)NULL);
		_exit(127);
	}
	out("{\"type\":\"item.started\",\"item\":{\"id\":\"item_s\",\"type\":\"command_execution\","
	    "\"command\":\"sleep\",\"aggregated_output\":\"\",\"status\":\"in_progress\"}}\n");
	sleep_forever();
}

static void do_garbage(void)
{
	static const char junk[] = "this is not JSON at all\n"
	                           "{\"type\": \"item.completed\", broken\n"
	                           "\n"
	                           "   \t \n"
	                           "null\n"
	                           "[1, 2, 3]\n"
	                           "\"a string\"\n"
	                           "{\"type\": 42}\n"
	                           "{\"no_type\": true}\n"
	                           "{\"type\":\"some.future.event\",\"x\":[1,{}]}\n"
	                           "{\"type\":\"item.completed\",\"item\":null}\n"
	                           "{\"type\":\"item.completed\",\"item\":{\"type\":[]}}\n"
	                           "\xff\xfe\x80 binary \x01\x02\x7f\n"
	                           "{\"type\":\"thread.started\",\"thread_id\":17}\n"
	                           "\r\n"
	                           "}{\n";
	char *longline = malloc(100001);

	start_turn();
	out(junk);
	if (longline) {
		memset(longline, '#', 100000);
		longline[100000] = '\n';
		write_all(STDOUT_FILENO, longline, 100001);
		free(longline);
	}
}

static void do_bigline(unsigned long long n, unsigned long long hold_ms)
{
	static const char head[] =
	    "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_big\",\"type\":\"agent_message\","
	    "\"text\":\"";
	static const char tail[] = "\"}}";
	size_t chunk = 1 << 20;
	char *fill = malloc(chunk);
	unsigned long long left;

	start_turn();
	if (!fill)
		exit(70);
	memset(fill, 'x', chunk);
	if (n < sizeof head + sizeof tail)
		n = sizeof head + sizeof tail;
	out(head);
	left = n - (sizeof head - 1) - (sizeof tail - 1);
	while (left > 0) {
		size_t k = left < chunk ? (size_t)left : chunk;
		write_all(STDOUT_FILENO, fill, k);
		left -= k;
	}
	free(fill);
	out(tail);
	sleep_ms(hold_ms);
	out("\n");
}

static void do_flood(unsigned long long total, unsigned long long line_len)
{
	/* Fixed-width numbers: every line has the same length, and the text names its index. */
	static const char fmt[] = "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_f%010lu\","
	                          "\"type\":\"agent_message\",\"text\":\"flood %010lu ";
	static const char tail[] = "\"}}\n";
	char head[160];
	char *line;
	unsigned long long sent = 0;
	unsigned long count = 0;
	int head_len = snprintf(head, sizeof head, fmt, 0UL, 0UL);

	start_turn();
	if (line_len < (unsigned long long)head_len + sizeof tail)
		line_len = (unsigned long long)head_len + sizeof tail;
	line = malloc(line_len);
	if (!line)
		exit(70);
	memset(line, '.', line_len);
	memcpy(line + line_len - (sizeof tail - 1), tail, sizeof tail - 1);
	while (sent < total) {
		snprintf(head, sizeof head, fmt, count, count);
		memcpy(line, head, (size_t)head_len);
		write_all(STDOUT_FILENO, line, (size_t)line_len);
		sent += line_len;
		count++;
	}
	free(line);
	item_no = count;
	snprintf(head, sizeof head, "fake flood done: %lu events", count);
	agent_message(head);
	snprintf(head, sizeof head, "fake-codex: flooded %lu events, %llu bytes\n", count, sent);
	err(head);
}

static void do_printenv(const char *name)
{
	const char *value = getenv(name);
	struct buf b = {0};

	buf_str(&b, name);
	buf_str(&b, "=");
	buf_str(&b, value ? value : "(unset)");
	agent_message(b.data);
	buf_str(&b, "\n");
	err("fake-codex: printenv ");
	err(b.data);
	free(b.data);
}

static void do_argv(int argc, char **argv)
{
	struct buf b = {0};

	for (int i = 0; i < argc; i++) {
		buf_str(&b, argv[i]);
		buf_str(&b, "\n");
	}
	agent_message(b.data ? b.data : "");
	free(b.data);
}

int main(int argc, char **argv)
{
	struct buf prompt = {0};
	char chunk[65536];
	char **words;
	size_t n_words = 0;

	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "resume") == 0)
			snprintf(thread_id, sizeof thread_id, "%s", argv[i + 1]);
	if (!thread_id[0])
		make_thread_id();

	for (;;) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&prompt, chunk, (size_t)n);
	}
	buf_add(&prompt, "", 0);

	/* The words of a copy: the prompt itself stays whole for `echo`. */
	char *copy = strdup(prompt.data);
	words = calloc(prompt.len / 2 + 2, sizeof *words);
	if (!copy || !words)
		exit(70);
	for (char *save = NULL, *w = strtok_r(copy, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save))
		words[n_words++] = w;

	for (size_t i = 0; i < n_words; i++) {
		const char *w = words[i];
		const char *next = i + 1 < n_words ? words[i + 1] : NULL;
		const char *after = i + 2 < n_words ? words[i + 2] : NULL;

		if (strcmp(w, "ok") == 0) {
			finish_turn();
		} else if (strcmp(w, "exit") == 0) {
			do_exit((int)number(next));
		} else if (strcmp(w, "segv") == 0) {
			do_segv();
		} else if (strcmp(w, "hang") == 0) {
			thread_started();
			sleep_forever();
		} else if (strcmp(w, "spawn") == 0) {
			do_spawn(number(next));
		} else if (strcmp(w, "garbage") == 0) {
			do_garbage();
		} else if (strcmp(w, "bigline") == 0) {
			unsigned long long hold = number(after);
			do_bigline(number(next), after && hold ? hold : 1000);
			i += after && hold ? 2 : 1;
		} else if (strcmp(w, "flood") == 0) {
			unsigned long long len = number(after);
			do_flood(number(next), len ? len : 65536);
			i += len ? 2 : 1;
		} else if (strcmp(w, "delay") == 0) {
			sleep_ms(number(next));
			i++;
		} else if (strcmp(w, "start") == 0) {
			start_turn();
		} else if (strcmp(w, "wait") == 0 && next) {
			while (access(next, F_OK) != 0)
				sleep_ms(10);
			i++;
		} else if (strcmp(w, "stubborn") == 0) {
			signal(SIGTERM, SIG_IGN);
		} else if (strcmp(w, "echo") == 0) {
			agent_message(prompt.data);
		} else if (strcmp(w, "argv") == 0) {
			do_argv(argc, argv);
		} else if (strcmp(w, "printenv") == 0 && next) {
			do_printenv(next);
			i++;
		}
	}
	finish_turn();
	return 0;
}
