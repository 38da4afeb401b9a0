/*
 * The server as a client sees it. The input is the byte stream on stdin: it is fed to the
 * line reader (cap 4096) in chunk sizes drawn from a hash of the input, each line goes to
 * mcp_session_receive (an over-long one to mcp_session_receive_overflow), and the loop turns
 * after every chunk, as in the real server. Behind the session is the real server state: a
 * SQLite store in memory, the runner, the tool registry ("all") and the MCP tasks provider.
 * Only Codex is fake (see "fake backend" below): a turn plays the events written in its own
 * prompt, so the input decides what Codex "does".
 *
 * Checked for every input:
 *  - the lines delivered are those a plain reading of the bytes gives, whatever the chunks;
 *  - every message sent is one line of JSON: an object with "jsonrpc":"2.0" and exactly one
 *    of result, error and method, and nothing else but id and params;
 *  - each request with a usable id is answered exactly once (once at most if the client
 *    cancelled it), methods other than tools/call, tasks/result and tasks/cancel before
 *    mcp_session_receive returns; no answer goes to an id never asked, or twice; each
 *    result has the shape MCP gives its method; no progress comes after a call's answer;
 *  - unparsable lines, and invalid ones without an id, get exactly one error with id null;
 *  - without --allow-danger (the fuzzed server has none) no turn starts with an argv that
 *    takes the sandbox away (fuzz_danger.h);
 *  - a secret the fake Codex prints (and the client never sent) never reaches the client;
 *  - at the end (stdin closed: every run stopped) no run, request, handle or byte is left.
 *
 * The fake Codex reads its prompt as a script, one directive per line:
 *   !start-fail [why]  the turn cannot start      !hang       it runs until cancelled
 *   !delay N           it ends N lines later      !stderr TXT it prints TXT on stderr
 *   !exit N, !signal N how the process ended      !backlog N  the client falls N bytes behind
 *   {...}              an event line, as `codex exec --json` prints it ("@SECRET@" becomes
 *                      the operator's secret)
 * A prompt without event lines gets a plain successful turn with thread id fake-thread-N.
 * Task ids are deterministic (00000001000..., 00000002000..., per input) so inputs can
 * name the tasks they started.
 *
 * A known problem, reported, is stepped around unless FUZZ_STRICT=1 (see fuzz/README.md):
 * the fake Codex puts no secret in a thread id.
 * FUZZ_TRACE=1 prints the traffic on stderr.
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>
#include <uv.h>

#include "app/app.h"
#include "app/options.h"
#include "app/tasks.h"
#include "codex/argv.h"
#include "codex/backend.h"
#include "codex/events.h"
#include "fuzz_danger.h"
#include "fuzz_util.h"
#include "mcp/session.h"
#include "rpc/framing.h"
#include "rpc/jsonrpc.h"
#include "store/store.h"
#include "tasks/runner.h"
#include "tools/tool.h"
#include "util/log.h"
#include "util/redact.h"

enum { MAX_LINE = 4096, MAX_TURN_LINES = 256 };

#define SECRET "zq-SECRET-7f3a9c"
#define SECRET_PLACEHOLDER "@SECRET@"

static bool strict; /* FUZZ_STRICT=1: no steering around known bugs */
static bool trace;  /* FUZZ_TRACE=1: print the traffic on stderr */

/* ---- deterministic task ids: task_new_id reads getrandom ---- */

static bool fake_random;
static uint32_t random_counter;

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	unsigned char *b = buf;

	if (!fake_random)
		return syscall(SYS_getrandom, buf, len, flags);
	random_counter++;
	memset(buf, 0, len);
	for (size_t i = 0; i < 4 && i < len; i++)
		b[i] = (unsigned char)(random_counter >> (24 - 8 * i));
	return (ssize_t)len;
}

/* ---- growable byte buffer ---- */

struct bytes {
	char *data;
	size_t len, cap;
};

static void bytes_put(struct bytes *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = realloc(b->data, cap);
		FUZZ_CHECK(b->data, "out of memory");
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void bytes_free(struct bytes *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

/* ---- the harness's state for one input ---- */

struct id_entry {
	json_t *id;
	unsigned requests, answers, cancels;
	char method[32]; /* of every request with this id; "" when they differ */
	bool modern;     /* the requests with this id claimed 2026-07-28 */
	bool mixed;      /* some did and some did not: their answers are not told apart */
};

static struct {
	uv_loop_t loop;
	struct app app;
	struct mcp_session *session;
	struct line_reader lr;
	struct bytes framed;  /* what the reader delivered: L<len><bytes> or O */
	unsigned long lines;  /* lines (and overflows) delivered */
	struct id_entry *ids; /* every id a request used, with its count of answers */
	size_t n_ids, cap_ids;
	unsigned long null_answers; /* errors with "id": null */
	json_t *outgoing;           /* ids of the requests we sent the client */
	json_t *tokens;             /* progress tokens: [token, id, uses, task, answered] */
	size_t backlog;             /* what the transport pretends not to have written yet */
	bool secret_sent;           /* the input itself holds the secret */
} H;

static struct options opts;
/*
 * Opening a store costs milliseconds under ASan, so one store lives for the whole run, in
 * a named in-memory database that a second connection empties before each input.
 */
#define STORE_URI "file:fuzz_protocol?mode=memory&cache=shared"
static struct store *store;
static sqlite3 *store_admin;
static char base_dir[PATH_MAX], log_dir[PATH_MAX + 8];
static char *allow_dirs[2];
static char *resolved_log_dir; /* as app_run resolves --log-dir */

/* ---- requests and answers ---- */

static size_t id_entry(json_t *request_id)
{
	json_t *id = json_incref(request_id);

	for (size_t i = 0; i < H.n_ids; i++)
		if (json_equal(H.ids[i].id, id)) {
			json_decref(id);
			return i;
		}
	if (H.n_ids == H.cap_ids) {
		H.cap_ids = H.cap_ids ? 2 * H.cap_ids : 16;
		H.ids = realloc(H.ids, H.cap_ids * sizeof *H.ids);
		FUZZ_CHECK(H.ids, "out of memory");
	}
	H.ids[H.n_ids] = (struct id_entry){.id = id};
	return H.n_ids++;
}

static void token_answered(const json_t *id);

static bool is_text(const json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static void check_task(const json_t *task, const char *text)
{
	static const char *const statuses[] = {"working", "input_required", "completed", "failed",
	                                       "cancelled"};
	json_t *status = json_object_get(task, "status"), *ttl = json_object_get(task, "ttl");

	/* The extension's tasks name it ttlMs, and never carry the 2025 names. */
	if (json_object_get(task, "resultType")) {
		FUZZ_CHECK(!ttl && !json_object_get(task, "pollInterval"), "2025 names in 2026: %s",
		           text);
		ttl = json_object_get(task, "ttlMs");
	}
	bool known = false;

	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		known = known || is_text(status, statuses[i]);
	FUZZ_CHECK(json_is_string(json_object_get(task, "taskId")) && known &&
	               json_is_string(json_object_get(task, "createdAt")) &&
	               (json_is_integer(ttl) || json_is_null(ttl)),
	           "not a Task: %s", text);
}

static void check_tool_result(const json_t *result, const char *text)
{
	json_t *content = json_object_get(result, "content"), *item;
	json_t *is_error = json_object_get(result, "isError");
	json_t *structured = json_object_get(result, "structuredContent");
	size_t i;

	FUZZ_CHECK(json_is_array(content) && json_array_size(content) > 0,
	           "a CallToolResult without content: %s", text);
	json_array_foreach(content, i, item)
	{
		FUZZ_CHECK(is_text(json_object_get(item, "type"), "text") &&
		               json_is_string(json_object_get(item, "text")),
		           "content that is not text: %s", text);
	}
	FUZZ_CHECK(!is_error || json_is_boolean(is_error), "isError not a boolean: %s", text);
	FUZZ_CHECK(!structured || json_is_object(structured), "structuredContent not an object: %s",
	           text);
}

/* What 2026-07-28 answers: a resultType on everything, and the shapes of its methods. */
static void check_modern_result(const char *method, const json_t *result, const char *text)
{
	json_t *type = json_object_get(result, "resultType");
	json_t *server =
	    json_object_get(json_object_get(result, "_meta"), "io.modelcontextprotocol/serverInfo");

	FUZZ_CHECK(json_is_string(json_object_get(server, "name")), "no serverInfo: %s", text);
	FUZZ_CHECK(is_text(type, "complete") || is_text(type, "input_required") ||
	               is_text(type, "task"),
	           "a resultType the revision does not have: %s", text);
	if (!is_text(type, "complete"))
		FUZZ_CHECK(strcmp(method, "tools/call") == 0, "%s answered %s: %s", method,
		           json_string_value(type), text);
	if (is_text(type, "input_required")) {
		FUZZ_CHECK(json_is_object(json_object_get(result, "inputRequests")) &&
		               json_is_string(json_object_get(result, "requestState")),
		           "input_required without requests or state: %s", text);
	} else if (is_text(type, "task")) {
		FUZZ_CHECK(!json_object_get(result, "task"), "a nested task in 2026: %s", text);
		check_task(result, text);
	} else if (strcmp(method, "tools/call") == 0) {
		check_tool_result(result, text);
	} else if (strcmp(method, "tools/list") == 0 || strcmp(method, "server/discover") == 0) {
		FUZZ_CHECK(json_is_integer(json_object_get(result, "ttlMs")) &&
		               json_is_string(json_object_get(result, "cacheScope")),
		           "%s: no ttlMs or cacheScope: %s", method, text);
	} else if (strcmp(method, "tasks/get") == 0) {
		check_task(result, text);
		json_t *inlined = json_object_get(result, "result");
		if (inlined)
			check_tool_result(inlined, text);
	} else if (strcmp(method, "tasks/cancel") == 0 || strcmp(method, "tasks/update") == 0) {
		FUZZ_CHECK(!json_object_get(result, "status") && !json_object_get(result, "taskId"),
		           "%s: an ack with a task in it: %s", method, text);
	}
}

/* What MCP says each method answers with. */
static void check_result(const char *method, bool modern, const json_t *result, const char *text)
{
	size_t i;
	json_t *item;

	if (modern) {
		check_modern_result(method, result, text);
		return;
	}
	FUZZ_CHECK(!json_object_get(result, "resultType"), "a resultType on the legacy wire: %s",
	           text);

	if (strcmp(method, "initialize") == 0) {
		json_t *v = json_object_get(result, "protocolVersion");
		FUZZ_CHECK(is_text(v, "2025-11-25") || is_text(v, "2025-06-18") ||
		               is_text(v, "2025-03-26") || is_text(v, "2024-11-05"),
		           "initialize: an unknown protocol version: %s", text);
		FUZZ_CHECK(json_is_object(json_object_get(result, "capabilities")) &&
		               json_is_string(
		                   json_object_get(json_object_get(result, "serverInfo"), "name")),
		           "initialize: no capabilities or server name: %s", text);
	} else if (strcmp(method, "ping") == 0 || strcmp(method, "logging/setLevel") == 0) {
		FUZZ_CHECK(json_object_size(result) == 0, "%s: not an empty result: %s", method,
		           text);
	} else if (strcmp(method, "tools/list") == 0) {
		json_t *tools = json_object_get(result, "tools");
		FUZZ_CHECK(json_array_size(tools) > 0, "tools/list: no tools: %s", text);
		json_array_foreach(tools, i, item)
		{
			FUZZ_CHECK(json_is_string(json_object_get(item, "name")) &&
			               json_is_object(json_object_get(item, "inputSchema")),
			           "tools/list: a tool without name or schema");
		}
	} else if (strcmp(method, "tools/call") == 0) {
		json_t *task = json_object_get(result, "task");
		if (task)
			check_task(task, text);
		else
			check_tool_result(result, text);
	} else if (strcmp(method, "tasks/get") == 0 || strcmp(method, "tasks/cancel") == 0) {
		check_task(result, text);
	} else if (strcmp(method, "tasks/list") == 0) {
		json_t *tasks = json_object_get(result, "tasks"), *next;
		FUZZ_CHECK(json_is_array(tasks), "tasks/list: no tasks: %s", text);
		json_array_foreach(tasks, i, item) check_task(item, text);
		next = json_object_get(result, "nextCursor");
		FUZZ_CHECK(!next || json_is_string(next), "tasks/list: a bad cursor: %s", text);
	} else if (strcmp(method, "tasks/result") == 0) {
		check_tool_result(result, text);
		FUZZ_CHECK(json_is_string(json_object_get(
		               json_object_get(json_object_get(result, "_meta"),
		                               "io.modelcontextprotocol/related-task"),
		               "taskId")),
		           "tasks/result: no related task: %s", text);
	}
}

static void record_answer(json_t *answer_id, const json_t *result, const char *text)
{
	json_t *id = json_incref(answer_id);

	for (size_t i = 0; i < H.n_ids; i++) {
		if (!json_equal(H.ids[i].id, id))
			continue;
		json_decref(id);
		if (result && H.ids[i].method[0] && !H.ids[i].mixed)
			check_result(H.ids[i].method, H.ids[i].modern, result, text);
		if (H.ids[i].requests == 1 && strcmp(H.ids[i].method, "tools/call") == 0)
			token_answered(H.ids[i].id);
		H.ids[i].answers++;
		FUZZ_CHECK(H.ids[i].answers <= H.ids[i].requests,
		           "%u answers to %u requests with this id: %s", H.ids[i].answers,
		           H.ids[i].requests, text);
		return;
	}
	FUZZ_CHECK(false, "an answer to an id no request used: %s", text);
}

/* Whether a string in v, a value or a key, holds the secret. */
static bool holds_secret(const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v))
		return memmem(json_string_value(v), json_string_length(v), SECRET,
		              strlen(SECRET)) != NULL;
	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
		{
			if (holds_secret(item))
				return true;
		}
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
		{
			if (strstr(key, SECRET) || holds_secret(item))
				return true;
		}
	}
	return false;
}

static bool is_id(const json_t *id)
{
	return json_is_string(id) || json_is_integer(id) || json_is_real(id);
}

/*
 * Progress tokens, to check that no progress comes after the answer (MCP: progress
 * notifications stop when the operation completes). A task-augmented call's progress goes
 * on with its task, and a token used twice proves nothing: those are left out.
 */
static json_t *token_entry(json_t *token)
{
	json_t *canonical = json_incref(token), *e = NULL;

	for (size_t i = 0; !e && i < json_array_size(H.tokens); i++)
		if (json_equal(json_array_get(json_array_get(H.tokens, i), 0), canonical))
			e = json_array_get(H.tokens, i);
	if (!e) {
		e = json_pack("[O, n, i, b, b]", canonical, 0, 0, 0);
		json_array_append_new(H.tokens, e);
	}
	json_decref(canonical);
	return e;
}

static void token_used(json_t *token, json_t *id, bool task)
{
	json_t *e = token_entry(token);

	json_array_set(e, 1, id);
	json_array_set_new(e, 2, json_integer(json_integer_value(json_array_get(e, 2)) + 1));
	if (task)
		json_array_set_new(e, 3, json_true());
}

static void token_answered(const json_t *id)
{
	for (size_t i = 0; i < json_array_size(H.tokens); i++) {
		json_t *e = json_array_get(H.tokens, i);
		if (json_equal(json_array_get(e, 1), (json_t *)id))
			json_array_set_new(e, 4, json_true());
	}
}

static void check_progress(json_t *token, const char *text)
{
	json_t *e = token_entry(token);

	FUZZ_CHECK(json_integer_value(json_array_get(e, 2)) != 1 ||
	               json_is_true(json_array_get(e, 3)) || !json_is_true(json_array_get(e, 4)),
	           "progress after the answer: %s", text);
}

static void check_notification(const char *method, json_t *params, const char *text)
{
	static const char *const known[] = {"notifications/progress", "notifications/message",
	                                    "notifications/tasks/status", "codex/event"};
	bool ok = false;

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		ok = ok || strcmp(method, known[i]) == 0;
	FUZZ_CHECK(ok, "an unknown notification: %s", text);
	if (strcmp(method, "notifications/progress") == 0) {
		json_t *token = json_object_get(params, "progressToken");
		FUZZ_CHECK(json_is_string(token) || json_is_number(token),
		           "progress without a token: %s", text);
		FUZZ_CHECK(json_is_number(json_object_get(params, "progress")),
		           "progress without a number: %s", text);
		check_progress(token, text);
	} else if (strcmp(method, "notifications/tasks/status") == 0) {
		FUZZ_CHECK(json_is_string(json_object_get(params, "taskId")) &&
		               json_is_string(json_object_get(params, "status")),
		           "a task status without a task: %s", text);
	} else if (strcmp(method, "notifications/message") == 0) {
		FUZZ_CHECK(json_is_string(json_object_get(params, "level")),
		           "a log message without a level: %s", text);
	}
}

static void on_send(void *ctx, const char *data, size_t len, const json_t *related, bool answer)
{
	(void)related;
	(void)answer;
	json_error_t error;
	json_t *msg, *id, *result, *err, *method, *params;

	(void)ctx;
	if (trace)
		fprintf(stderr, "<- %s\n", data);
	FUZZ_CHECK(strlen(data) == len, "a message with a NUL byte");
	FUZZ_CHECK(!memchr(data, '\n', len) && !memchr(data, '\r', len),
	           "a message that is not one line: %s", data);
	msg = json_loadb(data, len, 0, &error);
	FUZZ_CHECK(json_is_object(msg), "not a JSON object (%s): %s", error.text, data);
	FUZZ_CHECK(H.secret_sent || !holds_secret(msg), "the secret reached the client: %s", data);
	FUZZ_CHECK(json_is_string(json_object_get(msg, "jsonrpc")) &&
	               strcmp(json_string_value(json_object_get(msg, "jsonrpc")), "2.0") == 0,
	           "no \"jsonrpc\":\"2.0\": %s", data);
	id = json_object_get(msg, "id");
	result = json_object_get(msg, "result");
	err = json_object_get(msg, "error");
	method = json_object_get(msg, "method");
	params = json_object_get(msg, "params");
	FUZZ_CHECK(!!result + !!err + !!method == 1, "not exactly one of result, error, method: %s",
	           data);
	FUZZ_CHECK(json_object_size(msg) == 2 + !!id + !!params, "unexpected members: %s", data);
	if (method) {
		FUZZ_CHECK(json_is_string(method), "a method that is not a string: %s", data);
		FUZZ_CHECK(!params || json_is_object(params), "params not an object: %s", data);
		if (id) {
			/* The one request the server makes of its client. */
			FUZZ_CHECK(json_is_string(id) &&
			               strcmp(json_string_value(method), "roots/list") == 0,
			           "an unexpected request to the client: %s", data);
			json_array_append(H.outgoing, id);
		} else {
			check_notification(json_string_value(method), params, data);
		}
	} else if (result) {
		FUZZ_CHECK(!params, "a result with params: %s", data);
		FUZZ_CHECK(is_id(id), "a result without a usable id: %s", data);
		FUZZ_CHECK(json_is_object(result), "a result that is not an object: %s", data);
		record_answer(id, result, data);
	} else {
		FUZZ_CHECK(!params, "an error with params: %s", data);
		FUZZ_CHECK(id && (json_is_null(id) || is_id(id)), "an error without an id: %s",
		           data);
		FUZZ_CHECK(json_is_object(err) && json_is_integer(json_object_get(err, "code")) &&
		               json_is_string(json_object_get(err, "message")),
		           "a malformed error: %s", data);
		if (json_is_null(id))
			H.null_answers++;
		else
			record_answer(id, NULL, data);
	}
	json_decref(msg);
}

static size_t transport_backlog(void *ctx, const json_t *related)
{
	(void)ctx;
	(void)related; /* the script's backlog is every request's too */
	return H.backlog;
}

static size_t client_backlog(void *data)
{
	return transport_backlog(data, NULL);
}

/* ---- the fake backend ---- */

struct codex_turn {
	struct codex_turn *next;
	struct codex_turn_hooks hooks;
	struct bytes script;
	size_t pos;
	unsigned long ready_at; /* plays once this many lines have come in */
	bool hang, cancelled, paused;
	unsigned grace_ms;
	pid_t pid;
	/* What `codex exec` gathers from its events (see src/codex/exec.c). */
	char *thread_id, *final_message, *turn_error, *other_error;
	bool completed;
	struct codex_usage usage;
	int64_t exit_status;
	int term_signal;
	unsigned lines_played;
};

static struct {
	struct codex_turn *turns;
	unsigned started, threads;
} fake;

/* The rest of the line after a directive, or NULL when no line of text starts with it. */
static const char *directive(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t line = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (line >= n && memcmp(p, word, n) == 0 && (line == n || p[n] == ' '))
			return p + n + (line > n);
		p += line + 1;
	}
	return NULL;
}

static bool has_event_line(const char *text, size_t len)
{
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (*p == '{')
			return true;
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

static int fake_start(void *impl, const struct codex_turn_request *req,
                      const struct codex_turn_hooks *hooks, struct codex_turn **out, char **error)
{
	char err[512] = "";
	char **argv;
	const char *why, *delay;
	struct codex_turn *t;

	(void)impl;
	*error = NULL;
	FUZZ_CHECK(req->options && req->prompt && hooks->done && hooks->event,
	           "a turn without options, prompt or hooks");
	FUZZ_CHECK(req->options->cwd && req->options->cwd[0] == '/',
	           "a turn without an absolute cwd");
	FUZZ_CHECK(strnlen(req->prompt, req->prompt_len) == req->prompt_len,
	           "prompt_len does not match the prompt");
	/* What the exec backend would run; the prompt goes to stdin, never into argv. */
	argv = codex_exec_argv(req, err, sizeof err);
	if (argv) {
		size_t n = 0;
		while (argv[n])
			n++;
		FUZZ_CHECK(n >= 5 && strcmp(argv[0], "codex") == 0 && strcmp(argv[n - 1], "-") == 0,
		           "an argv that does not read the prompt from stdin");
		if (!opts.allow_danger)
			fuzz_check_no_danger(argv);
		codex_argv_free(argv);
		why = directive(req->prompt, req->prompt_len, "!start-fail");
		if (why) {
			size_t wlen = strcspn(why, "\n");
			snprintf(err, sizeof err, "%.*s", (int)(wlen < 400 ? wlen : 400), why);
		}
	} else {
		FUZZ_CHECK(err[0], "codex_exec_argv failed without a message");
		why = err;
	}
	if (why) {
		/* An empty reason leaves the words to the runner. */
		*error = err[0] ? strdup(err) : NULL;
		return -1;
	}
	t = calloc(1, sizeof *t);
	FUZZ_CHECK(t, "out of memory");
	t->hooks = *hooks;
	bytes_put(&t->script, req->prompt, req->prompt_len);
	if (!has_event_line(req->prompt, req->prompt_len)) {
		char line[512];
		bytes_put(&t->script, "\n", 1);
		if (!req->thread_id) {
			snprintf(line, sizeof line,
			         "{\"type\":\"thread.started\",\"thread_id\":\"fake-thread-%u\"}\n",
			         ++fake.threads);
			bytes_put(&t->script, line, strlen(line));
		}
		static const char plain[] =
		    "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_1\",\"type\":"
		    "\"command_execution\",\"command\":\"/bin/bash -lc 'ls'\",\"exit_code\":0}}\n"
		    "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_2\",\"type\":"
		    "\"agent_message\",\"text\":\"done\"}}\n"
		    "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":10,"
		    "\"cached_input_tokens\":2,\"output_tokens\":5,\"reasoning_output_tokens\":1}}"
		    "\n";
		bytes_put(&t->script, plain, sizeof plain - 1);
	}
	t->hang = directive(req->prompt, req->prompt_len, "!hang") != NULL;
	delay = directive(req->prompt, req->prompt_len, "!delay");
	t->ready_at = H.lines + (delay ? strtoul(delay, NULL, 10) % 64 : 0);
	t->pid = (pid_t)(1000000 + ++fake.started);
	if (req->thread_id)
		t->thread_id = strdup(req->thread_id);

	struct codex_turn **tail = &fake.turns;
	while (*tail)
		tail = &(*tail)->next;
	*tail = t;
	*out = t;
	return 0;
}

static void fake_cancel(struct codex_turn *t, unsigned grace_ms)
{
	FUZZ_CHECK(t, "cancel without a turn");
	t->cancelled = true;
	t->grace_ms = grace_ms;
}

static pid_t fake_pid(const struct codex_turn *t)
{
	return t->pid;
}

static void fake_pause(struct codex_turn *t)
{
	FUZZ_CHECK(!t->paused, "paused twice");
	t->paused = true;
}

static void fake_resume(struct codex_turn *t)
{
	FUZZ_CHECK(t->paused, "resumed without a pause");
	t->paused = false;
}

static void fake_free(void *impl, void (*done)(void *data), void *data)
{
	(void)impl;
	FUZZ_CHECK(!fake.turns, "the backend freed under a live turn");
	if (done)
		done(data);
}

static const struct codex_backend_ops fake_ops = {
    .start = fake_start,
    .cancel = fake_cancel,
    .pid = fake_pid,
    .pause = fake_pause,
    .resume = fake_resume,
    .free = fake_free,
};

static void replace(char **slot, const char *value)
{
	free(*slot);
	*slot = value ? strdup(value) : NULL;
}

/* Text with the placeholder replaced by the secret; malloc'd. */
static char *with_secret(const char *text, size_t len)
{
	struct bytes b = {0};
	const char *p = text, *end = text + len, *hit;
	size_t n = strlen(SECRET_PLACEHOLDER);

	bytes_put(&b, "", 0);
	while ((hit = memmem(p, (size_t)(end - p), SECRET_PLACEHOLDER, n))) {
		bytes_put(&b, p, (size_t)(hit - p));
		bytes_put(&b, SECRET, strlen(SECRET));
		p = hit + n;
	}
	bytes_put(&b, p, (size_t)(end - p));
	return b.data;
}

/*
 * Known bug, reported: thread ids go out as Codex gave them, unmasked (structuredContent,
 * the _meta of codex/event, agent status). Unless strict, the secret is not put in a
 * "thread_id".
 */
static json_t *secret_in_json(json_t *v, const char *key)
{
	const char *k;
	json_t *item;
	size_t i;

	if (json_is_string(v)) {
		if (!strict && key && strcmp(key, "thread_id") == 0)
			return json_incref(v);
		char *text = with_secret(json_string_value(v), json_string_length(v));
		json_t *out = json_stringn(text, strlen(text));
		free(text);
		return out;
	}
	if (json_is_array(v)) {
		json_t *out = json_array();
		json_array_foreach(v, i, item)
		{
			json_array_append_new(out, secret_in_json(item, key));
		}
		return out;
	}
	if (json_is_object(v)) {
		json_t *out = json_object();
		json_object_foreach(v, k, item)
		{
			char *name = with_secret(k, strlen(k)); /* keys too */
			json_object_set_new(out, name, secret_in_json(item, k));
			free(name);
		}
		return out;
	}
	return json_incref(v);
}

/* One line of the script with the secret in it: an event line value by value. */
static char *line_with_secret(const char *line, size_t len)
{
	bool placeholder = memmem(line, len, SECRET_PLACEHOLDER, strlen(SECRET_PLACEHOLDER));
	json_t *json = placeholder && line[0] == '{' ? json_loadb(line, len, 0, NULL) : NULL;

	if (!json)
		return with_secret(line, len);
	json_t *masked = secret_in_json(json, NULL);
	char *text = json_dumps(masked, JSON_COMPACT);
	json_decref(masked);
	json_decref(json);
	FUZZ_CHECK(text, "json_dumps");
	return text;
}

static void play_line(struct codex_turn *t, const char *line, size_t len)
{
	char *text = line_with_secret(line, len);
	size_t tlen = strlen(text);
	struct codex_event ev;

	if (strncmp(text, "!stderr", 7) == 0 && t->hooks.stderr_line) {
		const char *msg = text[7] == ' ' ? text + 8 : text + 7;
		t->hooks.stderr_line(t->hooks.data, msg, strlen(msg));
	} else if (strncmp(text, "!exit ", 6) == 0) {
		t->exit_status = strtoll(text + 6, NULL, 10);
	} else if (strncmp(text, "!signal ", 8) == 0) {
		t->term_signal = (int)(strtoul(text + 8, NULL, 10) % 65);
	} else if (strncmp(text, "!backlog ", 9) == 0) {
		H.backlog = strtoull(text + 9, NULL, 10);
	} else if (codex_event_parse(text, tlen, &ev) == 0) {
		switch (ev.type) {
		case CODEX_EVENT_THREAD_STARTED:
			replace(&t->thread_id, ev.thread_id);
			break;
		case CODEX_EVENT_ITEM_COMPLETED:
			if (ev.item_type == CODEX_ITEM_AGENT_MESSAGE && ev.text)
				replace(&t->final_message, ev.text);
			break;
		case CODEX_EVENT_TURN_COMPLETED:
			t->completed = true;
			t->usage = (struct codex_usage){ev.usage[0], ev.usage[1], ev.usage[2],
			                                ev.usage[3]};
			break;
		case CODEX_EVENT_TURN_FAILED:
			replace(&t->turn_error, ev.text ? ev.text : "the turn failed");
			break;
		case CODEX_EVENT_ERROR:
			replace(&t->other_error, ev.text ? ev.text : "unknown error");
			break;
		default:
			break;
		}
		t->hooks.event(t->hooks.data, &ev);
		codex_event_clear(&ev);
	}
	free(text);
}

/* The process is gone: tell the runner, as on_exited in src/codex/exec.c does. */
static void end_turn(struct codex_turn *t)
{
	struct codex_outcome out = {
	    .thread_id = t->thread_id,
	    .final_message = t->final_message ? t->final_message : "",
	    .exit_status = t->exit_status,
	    .term_signal = t->term_signal,
	    .usage = t->usage,
	};

	if (t->cancelled) {
		out.status = CODEX_TURN_CANCELLED;
		out.error = "the run was cancelled";
		out.term_signal = t->grace_ms == 0 ? SIGKILL : SIGTERM;
	} else if (t->completed && !t->turn_error) {
		out.status = CODEX_TURN_COMPLETED;
	} else {
		out.status = CODEX_TURN_FAILED;
		out.error = t->turn_error    ? t->turn_error
		            : t->other_error ? t->other_error
		                             : "codex exited without finishing the turn";
	}
	t->hooks.done(t->hooks.data, &out);
	free(t->thread_id);
	free(t->final_message);
	free(t->turn_error);
	free(t->other_error);
	bytes_free(&t->script);
	free(t);
}

static bool turn_ready(const struct codex_turn *t)
{
	return t->cancelled || (!t->paused && !t->hang && H.lines >= t->ready_at);
}

/* Plays a ready turn until it ends or is paused. */
static void play(struct codex_turn *t)
{
	while (!t->cancelled && !t->paused && t->pos < t->script.len &&
	       t->lines_played < MAX_TURN_LINES) {
		const char *line = t->script.data + t->pos;
		const char *nl = memchr(line, '\n', t->script.len - t->pos);
		size_t len = nl ? (size_t)(nl - line) : t->script.len - t->pos;
		t->pos += len + (nl ? 1 : 0);
		t->lines_played++;
		play_line(t, line, len);
	}
	if (t->paused && !t->cancelled)
		return;
	for (struct codex_turn **p = &fake.turns; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	end_turn(t);
}

/* The loop turns: handles close, timers fire, and every turn that is due plays. */
static void pump(void)
{
	uv_run(&H.loop, UV_RUN_NOWAIT);
	for (;;) {
		struct codex_turn *t = fake.turns;
		while (t && !turn_ready(t))
			t = t->next;
		if (!t)
			break;
		play(t);
	}
	uv_run(&H.loop, UV_RUN_NOWAIT);
}

/* ---- the server around the session ---- */

static json_t *list_tools(void *ctx)
{
	(void)ctx;
	return tools_list();
}

static int call_tool(void *ctx, struct mcp_request *req, const char *name, json_t *args)
{
	const struct tool_entry *tool = tools_find(name);
	struct tool_call call = {ctx, mcp_request_session(req), req};

	if (!tool)
		return -1;
	tool->call(&call, args);
	return 0;
}

static bool wants_roots(void *ctx, const char *name)
{
	const struct tool_entry *tool = tools_find(name);

	(void)ctx;
	return tool && tool->runs_codex;
}

static void log_to_client(void *data, enum log_level level, const char *message)
{
	(void)data;
	if (H.session)
		mcp_session_log(H.session, level, message);
}

static bool async_method(const char *method)
{
	return strcmp(method, "tools/call") == 0 || strcmp(method, "tasks/result") == 0 ||
	       strcmp(method, "tasks/cancel") == 0;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

static void framed_line(const char *line, size_t len)
{
	uint64_t n = len;

	bytes_put(&H.framed, "L", 1);
	bytes_put(&H.framed, &n, sizeof n);
	bytes_put(&H.framed, line, len);
}

static void on_line(void *data, char *line, size_t len)
{
	json_t *msg;
	struct rpc_message m;
	size_t entry = SIZE_MAX;
	unsigned before = 0;
	bool sync = false, expect_null = false;
	unsigned long null_before = H.null_answers;

	(void)data;
	FUZZ_CHECK(len > 0 && line[len] == '\0', "a line not NUL-terminated");
	FUZZ_CHECK(!memchr(line, '\n', len), "a line with a newline");
	FUZZ_CHECK(!blank(line, len), "a blank line was delivered");
	framed_line(line, len);
	H.lines++;
	if (trace)
		fprintf(stderr, "-> %.*s\n", (int)len, line);

	msg = json_loadb(line, len, JSON_DECODE_ANY, NULL);
	if (!msg) {
		expect_null = true;
	} else {
		rpc_classify(msg, &m);
		if (m.kind == RPC_REQUEST && strcmp(m.method, "tools/call") == 0) {
			json_t *token =
			    json_object_get(json_object_get(m.params, "_meta"), "progressToken");
			if (json_is_string(token) || json_is_number(token)) {
				json_t *id = json_incref(m.id);
				token_used(token, id, json_object_get(m.params, "task") != NULL);
				json_decref(id);
			}
		}
		if (m.kind == RPC_INVALID) {
			if (m.id) {
				entry = id_entry(m.id);
				sync = true;
			} else {
				expect_null = true;
			}
		} else if (m.kind == RPC_REQUEST) {
			entry = id_entry(m.id);
			sync = !async_method(m.method);
		} else if (m.kind == RPC_NOTIFICATION &&
		           strcmp(m.method, "notifications/cancelled") == 0) {
			json_t *rid = json_object_get(m.params, "requestId");
			if (rid) {
				size_t k = id_entry(rid); /* may move H.ids */
				H.ids[k].cancels++;
			}
		}
		if (entry != SIZE_MAX) {
			struct id_entry *e = &H.ids[entry];
			const char *method = m.kind == RPC_REQUEST ? m.method : "";
			/* A claim that is answered at all is a modern request, but for initialize.
			 */
			bool modern = m.kind == RPC_REQUEST &&
			              strcmp(m.method, "initialize") != 0 &&
			              json_object_get(json_object_get(m.params, "_meta"),
			                              "io.modelcontextprotocol/protocolVersion");
			if (e->requests > 0 && e->modern != modern)
				e->mixed = true;
			e->modern = modern;
			if (e->requests == 0)
				snprintf(e->method, sizeof e->method, "%s", method);
			else if (strcmp(e->method, method) != 0)
				e->method[0] = '\0';
			e->requests++;
			before = e->answers;
		}
	}

	mcp_session_receive(H.session, line, len);

	FUZZ_CHECK(H.null_answers == null_before + expect_null,
	           "%lu errors with id null for one line (expected %d): %.200s",
	           H.null_answers - null_before, expect_null, line);
	if (sync)
		FUZZ_CHECK(H.ids[entry].answers == before + 1,
		           "%u answers before the request returned: %.200s",
		           H.ids[entry].answers - before, line);
	json_decref(msg);
}

static void on_overflow(void *data, size_t max_line)
{
	unsigned long null_before = H.null_answers;

	(void)data;
	FUZZ_CHECK(max_line == MAX_LINE, "overflow at %zu", max_line);
	bytes_put(&H.framed, "O", 1);
	H.lines++;
	mcp_session_receive_overflow(H.session, max_line);
	FUZZ_CHECK(H.null_answers == null_before + 1, "an over-long line got %lu answers",
	           H.null_answers - null_before);
}

/* The lines a plain reading of the bytes gives, in the same form as framed_line. */
static void model_framing(const char *data, size_t size, struct bytes *out)
{
	for (size_t start = 0; start < size;) {
		const char *nl = memchr(data + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = end - start;
		const char *line = data + start;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len > MAX_LINE) {
			bytes_put(out, "O", 1);
		} else if (!blank(line, len)) {
			uint64_t n = len;
			bytes_put(out, "L", 1);
			bytes_put(out, &n, sizeof n);
			bytes_put(out, line, len);
		}
		start = end + 1;
	}
}

static void clean_log_dir(void)
{
	DIR *d = opendir(log_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static void remove_base(void)
{
	clean_log_dir();
	rmdir(log_dir);
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/sub", base_dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/file.txt", base_dir);
	unlink(path);
	rmdir(base_dir);
	tools_free();
	redact_clear();
	free(allow_dirs[0]);
	free(resolved_log_dir);
	store_close(store);
	sqlite3_close(store_admin);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256], path[PATH_MAX + 16];

	(void)argc;
	(void)argv;
	json_object_seed(1);
	log_set_stderr_level(LOG_EMERGENCY);
	trace = getenv("FUZZ_TRACE") && strcmp(getenv("FUZZ_TRACE"), "1") == 0;
	strict = getenv("FUZZ_STRICT") && strcmp(getenv("FUZZ_STRICT"), "1") == 0;
	/* Agent logs come and go with every run: on tmpfs when there is one. */
	snprintf(base_dir, sizeof base_dir, "/dev/shm/fuzz_protocol.XXXXXX");
	if (!mkdtemp(base_dir)) {
		snprintf(base_dir, sizeof base_dir, "/tmp/fuzz_protocol.XXXXXX");
		FUZZ_CHECK(mkdtemp(base_dir), "mkdtemp");
	}
	snprintf(log_dir, sizeof log_dir, "%s/logs", base_dir);
	snprintf(path, sizeof path, "%s/sub", base_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/file.txt", base_dir);
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
	allow_dirs[0] = realpath(base_dir, NULL);
	FUZZ_CHECK(allow_dirs[0], "realpath");
	FUZZ_CHECK(mkdir(log_dir, 0700) == 0, "mkdir %s", log_dir);
	resolved_log_dir = realpath(log_dir, NULL);
	FUZZ_CHECK(resolved_log_dir, "realpath");
	FUZZ_CHECK(tools_init("all", err, sizeof err) == 0, "tools_init: %s", err);
	FUZZ_CHECK(sqlite3_config(SQLITE_CONFIG_URI, 1) == SQLITE_OK, "sqlite3_config");
	FUZZ_CHECK(store_open(STORE_URI, &store, err, sizeof err) == 0, "store: %s", err);
	FUZZ_CHECK(sqlite3_open_v2(STORE_URI, &store_admin, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI,
	                           NULL) == SQLITE_OK,
	           "sqlite3_open_v2");
	redact_add(SECRET);
	opts = (struct options){
	    .codex_events = true,
	    .log_level = LOG_EMERGENCY,
	    .kill_grace_ms = 100,
	    .max_message_bytes = MAX_LINE,
	    .max_event_bytes = 1 << 20,
	    .heartbeat_ms = 0, /* every run's heartbeat fires once, at the first loop turn */
	    .log_dir = log_dir,
	    .log_max_bytes = 2048, /* small: logs rotate */
	    .max_agents = 2,       /* a third run queues */
	    .tools = "all",
	    .task_ttl_max_s = 3600,
	    .allow_dirs = allow_dirs,
	    .n_allow_dirs = 1,
	};
	atexit(remove_base);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t rng = fuzz_hash(data, size);
	struct bytes model = {0};

	memset(&H, 0, sizeof H);
	memset(&fake, 0, sizeof fake);
	fake_random = true;
	random_counter = 0;
	H.outgoing = json_array();
	H.tokens = json_array();
	H.secret_sent = memmem(data, size, SECRET, strlen(SECRET)) != NULL;

	/* The server as app_run builds it, with the fake backend. */
	FUZZ_CHECK(uv_loop_init(&H.loop) == 0, "uv_loop_init");
	H.app.loop = &H.loop;
	H.app.opts = &opts;
	H.app.cwd = allow_dirs[0];
	H.app.allow_dirs = allow_dirs;
	H.app.log_dir = resolved_log_dir;
	H.app.backend = (struct codex_backend){&fake_ops, NULL};
	FUZZ_CHECK(sqlite3_exec(store_admin, "DELETE FROM tasks; DELETE FROM threads;", NULL, NULL,
	                        NULL) == SQLITE_OK,
	           "emptying the store: %s", sqlite3_errmsg(store_admin));
	H.app.store = store;
	struct runner_config runner_cfg = {
	    .loop = &H.loop,
	    .backend = &H.app.backend,
	    .store = H.app.store,
	    .log_dir = resolved_log_dir,
	    .log_max_bytes = opts.log_max_bytes,
	    .max_running = opts.max_agents,
	    .heartbeat_ms = opts.heartbeat_ms,
	    .kill_grace_ms = opts.kill_grace_ms,
	    .backlog = client_backlog,
	};
	H.app.runner = runner_new(&runner_cfg);
	FUZZ_CHECK(H.app.runner, "runner_new");
	struct mcp_server_info info = {.name = "codex-mcp", .title = "Codex", .version = "fuzz"};
	struct mcp_tool_provider provider = {list_tools, call_tool, wants_roots, &H.app};
	struct mcp_transport transport = {.send = on_send, .backlog = transport_backlog};
	FUZZ_CHECK(seal_key_random(&H.app.seal) == 0, "seal_key_random");
	H.app.seal_loaded = true;
	struct mcp_sealer sealer = {app_seal_key, &H.app};
	H.session = mcp_session_new(&info, &provider, &transport, &sealer);
	H.app.tasks = mcp_tasks_new(&H.app);
	FUZZ_CHECK(H.session && H.app.tasks, "session");
	struct mcp_task_provider task_provider = mcp_tasks_provider(H.app.tasks);
	mcp_session_set_task_provider(H.session, &task_provider);
	log_set_sink(log_to_client, NULL);

	/* stdin, in chunks of every size. */
	struct line_sink sink = {on_line, on_overflow, NULL};
	line_reader_init(&H.lr, MAX_LINE);
	for (size_t off = 0; off < size;) {
		uint64_t r = fuzz_rand(&rng);
		size_t chunk;
		switch (r % 8) {
		case 0:
			chunk = 1;
			break;
		case 6:
			chunk = 1 + (r >> 8) % 512;
			break;
		case 7:
			chunk = 1 + (r >> 8) % 8192;
			break;
		default:
			chunk = 1 + (r >> 8) % 64;
		}
		if (chunk > size - off)
			chunk = size - off;
		FUZZ_CHECK(line_reader_feed(&H.lr, (const char *)data + off, chunk, &sink) == 0,
		           "line_reader_feed");
		off += chunk;
		pump();
	}
	line_reader_finish(&H.lr, &sink);
	line_reader_free(&H.lr);
	pump();

	model_framing((const char *)data, size, &model);
	FUZZ_CHECK(model.len == H.framed.len &&
	               (model.len == 0 || memcmp(model.data, H.framed.data, model.len) == 0),
	           "the line reader split the stream differently from a plain reading");
	bytes_free(&model);

	/* stdin is closed. A client that asked for roots/list has answered it or timed out. */
	for (size_t i = 0; i < json_array_size(H.outgoing); i++) {
		json_t *answer = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id",
		                           json_array_get(H.outgoing, i), "error", "code", -32603,
		                           "message", "gone");
		char *text = json_dumps(answer, JSON_COMPACT);
		mcp_session_receive(H.session, text, strlen(text));
		free(text);
		json_decref(answer);
		pump();
	}
	mcp_session_tick(H.session);
	H.backlog = 0;
	runner_stop_all(H.app.runner);
	for (int i = 0; runner_live(H.app.runner) > 0; i++) {
		FUZZ_CHECK(i < 1000, "%zu runs still live after stopping",
		           runner_live(H.app.runner));
		pump();
	}
	pump();
	FUZZ_CHECK(!fake.turns, "a turn outlived its task");
	FUZZ_CHECK(mcp_session_requests_in_flight(H.session) == 0, "%zu requests never answered",
	           mcp_session_requests_in_flight(H.session));
	for (size_t i = 0; i < H.n_ids; i++) {
		struct id_entry *e = &H.ids[i];
		char *id = json_dumps(e->id, JSON_ENCODE_ANY | JSON_COMPACT);
		unsigned excused = e->cancels;
		FUZZ_CHECK(e->answers <= e->requests &&
		               e->answers + (excused < e->requests ? excused : e->requests) >=
		                   e->requests,
		           "id %s: %u requests, %u answers, %u cancellations", id, e->requests,
		           e->answers, e->cancels);
		free(id);
	}

	/* Shut down as app_run does. */
	log_set_sink(NULL, NULL);
	mcp_tasks_close(H.app.tasks);
	mcp_session_free(H.session);
	H.session = NULL;
	runner_free(H.app.runner);
	uv_run(&H.loop, UV_RUN_DEFAULT);
	mcp_tasks_free(H.app.tasks);
	fake_free(NULL, NULL, NULL);
	FUZZ_CHECK(uv_loop_close(&H.loop) == 0, "handles left open on the loop");
	clean_log_dir();

	for (size_t i = 0; i < H.n_ids; i++)
		json_decref(H.ids[i].id);
	free(H.ids);
	json_decref(H.outgoing);
	json_decref(H.tokens);
	bytes_free(&H.framed);
	fake_random = false;
	return 0;
}
