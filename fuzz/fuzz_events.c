/*
 * Codex's JSONL events: each line of the input goes through codex_event_parse (and, with a
 * "method", through codex_event_from_app_server as an app-server notification), then
 * codex_event_describe with several working directories and buffer sizes, and its command
 * (or the raw line) through codex_command_display. Checks: descriptions are NUL-terminated
 * inside their buffer and valid UTF-8, a short buffer only truncates what a large one holds,
 * and a displayed command that is not a shell wrapper is a prefix cut on a character boundary.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codex/events.h"
#include "fuzz_util.h"

static const char *const shells[] = {"/bin/bash -lc ", "bash -lc ",     "/bin/sh -c ",
                                     "sh -c ",         "/bin/zsh -lc ", "zsh -lc "};

static bool has_shell_prefix(const char *s)
{
	for (size_t i = 0; i < sizeof shells / sizeof shells[0]; i++)
		if (strncmp(s, shells[i], strlen(shells[i])) == 0)
			return true;
	return false;
}

/* A buffer of exactly size bytes on the heap, so ASan sees any write past it. */
static char *fresh_buffer(size_t size)
{
	char *buf = malloc(size);

	FUZZ_CHECK(buf, "out of memory");
	memset(buf, 0xAA, size);
	return buf;
}

static void check_display(const char *command, size_t size)
{
	char *buf = fresh_buffer(size);
	size_t in_len = strlen(command), out_len;

	codex_command_display(command, buf, size);
	out_len = strnlen(buf, size);
	FUZZ_CHECK(out_len < size, "codex_command_display: no NUL within %zu bytes", size);
	if (fuzz_utf8_valid(command, in_len))
		FUZZ_CHECK(fuzz_utf8_valid(buf, out_len),
		           "codex_command_display: valid UTF-8 in, invalid out (size %zu)", size);
	if (!has_shell_prefix(command)) {
		/* Nothing to unwrap: the command itself, cut to fit on a character boundary. */
		size_t want = in_len < size - 1 ? in_len : size - 1;
		FUZZ_CHECK(memcmp(buf, command, out_len) == 0,
		           "codex_command_display: output is not a prefix of the command");
		FUZZ_CHECK(out_len + 3 >= want,
		           "codex_command_display: cut %zu of %zu bytes with room for %zu", out_len,
		           in_len, size - 1);
	}
	free(buf);
}

static void check_describe(const struct codex_event *ev, const char *cwd, size_t small)
{
	/* Large enough for anything: the text of an event is at most its line. */
	size_t big_size = 4096 + (ev->json ? 2 * json_dumpb(ev->json, NULL, 0, 0) : 0);
	char *big = fresh_buffer(big_size);
	char *buf = fresh_buffer(small);
	bool said = codex_event_describe(ev, cwd, big, big_size);
	bool said_small = codex_event_describe(ev, cwd, buf, small);

	FUZZ_CHECK(said == said_small, "codex_event_describe: %d with %zu bytes, %d with %zu", said,
	           big_size, said_small, small);
	if (said) {
		size_t big_len = strnlen(big, big_size), len = strnlen(buf, small);
		FUZZ_CHECK(big_len < big_size, "codex_event_describe: no NUL in %zu bytes",
		           big_size);
		FUZZ_CHECK(big_len + 1 < big_size, "codex_event_describe: filled %zu bytes",
		           big_size);
		FUZZ_CHECK(len < small, "codex_event_describe: no NUL in %zu bytes", small);
		FUZZ_CHECK(fuzz_utf8_valid(big, big_len),
		           "codex_event_describe: invalid UTF-8 with %zu bytes", big_size);
		FUZZ_CHECK(fuzz_utf8_valid(buf, len),
		           "codex_event_describe: invalid UTF-8 with %zu bytes: \"%s\"", small,
		           buf);
		FUZZ_CHECK(big_len > 0, "codex_event_describe: said nothing");
		/* A short buffer holds the same words, with at most a cut character as '?'. */
		size_t same = len > 3 ? len - 3 : 0;
		FUZZ_CHECK(len <= big_len && memcmp(buf, big, same) == 0,
		           "codex_event_describe: \"%s\" in %zu bytes but \"%s\" in %zu", buf,
		           small, big, big_size);
	}
	free(buf);
	free(big);
}

static void check_event(const struct codex_event *ev)
{
	json_t *json = codex_event_json(ev);
	json_t *type = json_object_get(json, "type");
	bool item = ev->type == CODEX_EVENT_ITEM_STARTED || ev->type == CODEX_EVENT_ITEM_UPDATED ||
	            ev->type == CODEX_EVENT_ITEM_COMPLETED;

	FUZZ_CHECK(json_is_object(json) && json_is_string(type), "parsed a non-event");
	json_decref(json);
	FUZZ_CHECK(item == (ev->item_type != CODEX_ITEM_NONE), "item type %d for event type %d",
	           ev->item_type, ev->type);
	FUZZ_CHECK(!ev->thread_id || ev->type == CODEX_EVENT_THREAD_STARTED,
	           "thread id outside thread.started");
	FUZZ_CHECK(!ev->command || ev->item_type == CODEX_ITEM_COMMAND,
	           "command outside a command");
	FUZZ_CHECK(!ev->changes || json_is_array(ev->changes), "changes that are not an array");
	FUZZ_CHECK(!ev->has_exit_code || ev->item_type == CODEX_ITEM_COMMAND,
	           "exit code outside a command");
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The fast reader against jansson's: the same lines are read, to the same fields. */
static void check_same(const char *line, size_t len, int parsed, const struct codex_event *ev)
{
	struct codex_event ref;

	if (codex_event_parse_json(line, len, &ref) != 0) {
		FUZZ_CHECK(parsed != 0, "the server reads an event jansson refuses");
		return;
	}
	FUZZ_CHECK(parsed == 0, "jansson reads an event the server does not");
	FUZZ_CHECK(ev->type == ref.type && ev->item_type == ref.item_type,
	           "event %d/%d, jansson's %d/%d", ev->type, ev->item_type, ref.type,
	           ref.item_type);
	FUZZ_CHECK(same_text(ev->text, ref.text) && same_text(ev->command, ref.command) &&
	               same_text(ev->thread_id, ref.thread_id),
	           "a text differs from jansson's");
	FUZZ_CHECK(ev->has_exit_code == ref.has_exit_code && ev->exit_code == ref.exit_code,
	           "exit code %d, jansson's %d", ev->exit_code, ref.exit_code);
	FUZZ_CHECK(ev->has_usage == ref.has_usage, "usage differs from jansson's");
	for (int i = 0; i < 4; i++)
		FUZZ_CHECK(ev->usage[i] == ref.usage[i], "usage[%d] %lld, jansson's %lld", i,
		           (long long)ev->usage[i], (long long)ref.usage[i]);
	FUZZ_CHECK(json_equal(ev->changes, ref.changes) || (!ev->changes && !ref.changes),
	           "changes differ from jansson's");
	codex_event_clear(&ref);
}

/* The line as an app-server notification, when it has a "method". */
static void one_notification(const char *line, size_t len, uint64_t *rng)
{
	json_t *msg = json_loadb(line, len, 0, NULL);
	const char *method = json_string_value(json_object_get(msg, "method"));
	struct codex_event ev;

	if (method) {
		bool item;
		codex_event_from_app_server(method, json_object_get(msg, "params"), &ev);
		item = ev.type == CODEX_EVENT_ITEM_STARTED || ev.type == CODEX_EVENT_ITEM_COMPLETED;
		FUZZ_CHECK(item == (ev.item_type != CODEX_ITEM_NONE),
		           "app-server: item type %d for event type %d", ev.item_type, ev.type);
		FUZZ_CHECK(!ev.command || ev.item_type == CODEX_ITEM_COMMAND,
		           "app-server: command outside a command");
		FUZZ_CHECK(!ev.changes || json_is_array(ev.changes),
		           "app-server: changes that are not an array");
		check_describe(&ev, NULL, 1 + fuzz_rand(rng) % 300);
		check_describe(&ev, "/w", 1 + fuzz_rand(rng) % 300);
		codex_event_clear(&ev);
	}
	json_decref(msg);
}

static void one_line(const char *line, size_t len, uint64_t *rng)
{
	static const size_t sizes[] = {1, 2, 3, 4, 7, 16, 64, 121, 256, 512};
	struct codex_event ev;
	char *copy = malloc(len + 1);

	FUZZ_CHECK(copy, "out of memory");
	memcpy(copy, line, len);
	copy[len] = '\0';

	int parsed = codex_event_parse(line, len, &ev);

	check_same(line, len, parsed, &ev);
	if (parsed == 0) {
		check_event(&ev);
		/* The working directory: none, the root, a usual one, and one the event's own
		 * paths sit under, so their shortening is reached. */
		const char *path =
		    json_string_value(json_object_get(json_array_get(ev.changes, 0), "path"));
		char *dir = path ? strdup(path) : NULL;
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash)
			*slash = '\0';
		const char *cwds[] = {NULL, "", "/", "/home/user/project", dir, path};
		for (size_t i = 0; i < sizeof cwds / sizeof cwds[0]; i++) {
			size_t small = sizes[fuzz_rand(rng) % (sizeof sizes / sizeof sizes[0])];
			check_describe(&ev, cwds[i], small);
			check_describe(&ev, cwds[i], 1 + fuzz_rand(rng) % 600);
		}
		free(dir);
		if (ev.command) {
			check_display(ev.command, 256);
			check_display(ev.command, 1 + fuzz_rand(rng) % 80);
		}
		codex_event_clear(&ev);
		FUZZ_CHECK(ev.json == NULL, "codex_event_clear left the json");
	} else {
		FUZZ_CHECK(ev.json == NULL, "a failed parse kept json");
	}

	one_notification(line, len, rng);
	/* The raw line as a command, whatever it is. */
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		check_display(copy, sizes[i]);
	check_display(copy, 4096);
	check_display(copy, 1 + fuzz_rand(rng) % 1024);
	free(copy);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	json_object_seed(1); /* the same hash order every run */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	uint64_t rng = fuzz_hash(data, size);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		one_line(p, len, &rng);
		p += len + (nl ? 1 : 0);
	}
	return 0;
}
