#include "unit.h"

#include "codex/events.h"

#define THREAD_STARTED                                                                             \
	"{\"type\":\"thread.started\",\"thread_id\":\"01a1fbb1-7cd2-79e3-a5bf-1ca5daccaf55\"}"
#define ITEM_ERROR                                                                                 \
	"{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\",\"type\":\"error\",\"message\":" \
	"\"Model metadata for `mock-model` not found.\"}}"
#define TURN_STARTED "{\"type\":\"turn.started\"}"
#define COMMAND_STARTED                                                                            \
	"{\"type\":\"item.started\",\"item\":{\"id\":\"item_1\",\"type\":\"command_execution\","   \
	"\"command\":\"/bin/bash -lc 'echo hi > out.txt'\",\"aggregated_output\":\"\","            \
	"\"exit_code\":null,\"status\":\"in_progress\"}}"
#define COMMAND_COMPLETED                                                                          \
	"{\"type\":\"item.completed\",\"item\":{\"id\":\"item_1\",\"type\":\"command_execution\"," \
	"\"command\":\"/bin/bash -lc 'echo hi > out.txt'\",\"aggregated_output\":\"\","            \
	"\"exit_code\":0,\"status\":\"completed\"}}"
#define FILE_CHANGE                                                                                \
	"{\"type\":\"item.completed\",\"item\":{\"id\":\"item_2\",\"type\":\"file_change\","       \
	"\"changes\":[{\"path\":\"/w/x.c\",\"kind\":\"update\"}],\"status\":\"completed\"}}"
#define AGENT_MESSAGE                                                                              \
	"{\"type\":\"item.completed\",\"item\":{\"id\":\"item_3\",\"type\":\"agent_message\","     \
	"\"text\":\"hello there\"}}"
#define TURN_COMPLETED                                                                             \
	"{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":10,\"cached_input_tokens\":2,"   \
	"\"output_tokens\":3,\"reasoning_output_tokens\":1}}"
#define TURN_FAILED "{\"type\":\"turn.failed\",\"error\":{\"message\":\"stream disconnected\"}}"
#define ERROR_EVENT "{\"type\":\"error\",\"message\":\"boom\"}"

static void parse_ok(const char *line, struct codex_event *ev)
{
	json_t *want = json_loads(line, 0, NULL), *got;

	if (codex_event_parse(line, strlen(line), ev) != 0)
		fail_msg("did not parse: %s", line);
	/* Read by either parser, the event gives the line's JSON back. */
	assert_true(ev->json || ev->raw);
	got = codex_event_json(ev);
	assert_non_null(got);
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
}

/* describe() must say exactly want. */
static void expect_describe(const char *line, const char *cwd, const char *want)
{
	struct codex_event ev;
	char buf[512];

	parse_ok(line, &ev);
	memset(buf, 'Z', sizeof buf);
	if (!codex_event_describe(&ev, cwd, buf, sizeof buf))
		fail_msg("nothing described for %s", line);
	assert_string_equal(buf, want);
	codex_event_clear(&ev);
}

static void expect_silent(const char *line)
{
	struct codex_event ev;
	char buf[256];

	parse_ok(line, &ev);
	if (codex_event_describe(&ev, NULL, buf, sizeof buf))
		fail_msg("described \"%s\" for %s", buf, line);
	codex_event_clear(&ev);
}

static void test_thread_started(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok(THREAD_STARTED, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_THREAD_STARTED);
	assert_int_equal(ev.item_type, CODEX_ITEM_NONE);
	assert_string_equal(ev.thread_id, "01a1fbb1-7cd2-79e3-a5bf-1ca5daccaf55");
	assert_null(ev.text);
	codex_event_clear(&ev);
	assert_null(ev.json);
	expect_describe(THREAD_STARTED, NULL,
	                "started thread 01a1fbb1-7cd2-79e3-a5bf-1ca5daccaf55");
}

static void test_item_error(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok(ITEM_ERROR, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_ITEM_COMPLETED);
	assert_int_equal(ev.item_type, CODEX_ITEM_ERROR);
	assert_string_equal(ev.text, "Model metadata for `mock-model` not found.");
	codex_event_clear(&ev);
	expect_describe(ITEM_ERROR, NULL, "warning: Model metadata for `mock-model` not found.");
}

static void test_turn_started(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok(TURN_STARTED, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_TURN_STARTED);
	assert_int_equal(ev.item_type, CODEX_ITEM_NONE);
	codex_event_clear(&ev);
	expect_describe(TURN_STARTED, NULL, "turn started");
}

static void test_command_started(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok(COMMAND_STARTED, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_ITEM_STARTED);
	assert_int_equal(ev.item_type, CODEX_ITEM_COMMAND);
	assert_string_equal(ev.command, "/bin/bash -lc 'echo hi > out.txt'");
	assert_false(ev.has_exit_code);
	codex_event_clear(&ev);
	expect_describe(COMMAND_STARTED, "/w", "running: echo hi > out.txt");
}

static void test_command_completed(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok(COMMAND_COMPLETED, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_ITEM_COMPLETED);
	assert_int_equal(ev.item_type, CODEX_ITEM_COMMAND);
	assert_string_equal(ev.command, "/bin/bash -lc 'echo hi > out.txt'");
	assert_true(ev.has_exit_code);
	assert_int_equal(ev.exit_code, 0);
	codex_event_clear(&ev);
	expect_describe(COMMAND_COMPLETED, NULL, "ran: echo hi > out.txt (exit 0)");
	expect_describe("{\"type\":\"item.completed\",\"item\":{\"type\":\"command_execution\","
	                "\"command\":\"false\",\"exit_code\":1}}",
	                NULL, "ran: false (exit 1)");
}

static void test_file_change(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok(FILE_CHANGE, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_ITEM_COMPLETED);
	assert_int_equal(ev.item_type, CODEX_ITEM_FILE_CHANGE);
	assert_int_equal(json_array_size(ev.changes), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(ev.changes, 0), "path")), "/w/x.c");
	codex_event_clear(&ev);

	expect_describe(FILE_CHANGE, "/w", "edited x.c");
	expect_describe(FILE_CHANGE, NULL, "edited /w/x.c");
	/* Only a whole directory prefix is cut. */
	expect_describe(FILE_CHANGE, "/w/x", "edited /w/x.c");
	expect_describe(FILE_CHANGE, "/other", "edited /w/x.c");
	expect_describe("{\"type\":\"item.completed\",\"item\":{\"type\":\"file_change\","
	                "\"changes\":[{\"path\":\"/w/src/new.c\",\"kind\":\"add\"}]}}",
	                "/w", "created src/new.c");
	expect_describe("{\"type\":\"item.completed\",\"item\":{\"type\":\"file_change\","
	                "\"changes\":[{\"path\":\"/w/old.c\",\"kind\":\"delete\"}]}}",
	                "/w", "deleted old.c");
	expect_describe("{\"type\":\"item.completed\",\"item\":{\"type\":\"file_change\","
	                "\"changes\":[{\"path\":\"/w/a.c\",\"kind\":\"update\"},"
	                "{\"path\":\"/w/b.c\",\"kind\":\"add\"},{\"path\":\"/w/c.c\"}]}}",
	                "/w", "edited a.c and 2 more");
	/* A file change is reported once, when done. */
	expect_silent("{\"type\":\"item.started\",\"item\":{\"type\":\"file_change\","
	              "\"changes\":[{\"path\":\"/w/x.c\",\"kind\":\"update\"}]}}");
	expect_silent("{\"type\":\"item.completed\",\"item\":{\"type\":\"file_change\","
	              "\"changes\":[]}}");
}

static void test_agent_message(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok(AGENT_MESSAGE, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_ITEM_COMPLETED);
	assert_int_equal(ev.item_type, CODEX_ITEM_AGENT_MESSAGE);
	assert_string_equal(ev.text, "hello there");
	codex_event_clear(&ev);
	expect_describe(AGENT_MESSAGE, NULL, "message: hello there");
	expect_silent("{\"type\":\"item.started\",\"item\":{\"type\":\"agent_message\","
	              "\"text\":\"\"}}");
}

static void test_reasoning(void **state)
{
	(void)state;
	static const char line[] = "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_4\","
	                           "\"type\":\"reasoning\",\"text\":\"**Planning**\"}}";
	struct codex_event ev;

	parse_ok(line, &ev);
	assert_int_equal(ev.item_type, CODEX_ITEM_REASONING);
	assert_string_equal(ev.text, "**Planning**");
	codex_event_clear(&ev);
	expect_describe(line, NULL, "thinking");
}

static void test_turn_completed(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok(TURN_COMPLETED, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_TURN_COMPLETED);
	assert_int_equal(ev.usage[0], 10);
	assert_int_equal(ev.usage[1], 2);
	assert_int_equal(ev.usage[2], 3);
	assert_int_equal(ev.usage[3], 1);
	codex_event_clear(&ev);
	expect_describe(TURN_COMPLETED, NULL, "turn completed");

	/* No usage: zeros. */
	parse_ok("{\"type\":\"turn.completed\"}", &ev);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ev.usage[i], 0);
	codex_event_clear(&ev);
}

static void test_turn_failed(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok(TURN_FAILED, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_TURN_FAILED);
	assert_string_equal(ev.text, "stream disconnected");
	codex_event_clear(&ev);
	expect_describe(TURN_FAILED, NULL, "error: stream disconnected");
	expect_describe("{\"type\":\"turn.failed\"}", NULL, "error: unknown error");
}

static void test_error_event(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok(ERROR_EVENT, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_ERROR);
	assert_string_equal(ev.text, "boom");
	codex_event_clear(&ev);
	expect_describe(ERROR_EVENT, NULL, "error: boom");
}

static void test_other_events(void **state)
{
	(void)state;
	struct codex_event ev;

	parse_ok("{\"type\":\"something.new\",\"x\":1}", &ev);
	assert_int_equal(ev.type, CODEX_EVENT_OTHER);
	codex_event_clear(&ev);
	expect_silent("{\"type\":\"something.new\"}");
	expect_silent("{\"type\":\"item.updated\",\"item\":{\"type\":\"agent_message\"}}");

	parse_ok("{\"type\":\"item.completed\",\"item\":{\"type\":\"brand_new\"}}", &ev);
	assert_int_equal(ev.item_type, CODEX_ITEM_OTHER);
	codex_event_clear(&ev);
	expect_silent("{\"type\":\"item.completed\",\"item\":{\"type\":\"brand_new\"}}");

	expect_describe("{\"type\":\"item.started\",\"item\":{\"type\":\"mcp_tool_call\","
	                "\"server\":\"docs\",\"tool\":\"search\"}}",
	                NULL, "calling tool docs.search");
	expect_describe("{\"type\":\"item.completed\",\"item\":{\"type\":\"web_search\","
	                "\"query\":\"cmocka\"}}",
	                NULL, "searching the web: cmocka");
	expect_describe("{\"type\":\"item.completed\",\"item\":{\"type\":\"todo_list\"}}", NULL,
	                "updated the plan");
	/* Updates in between say nothing. */
	expect_silent("{\"type\":\"item.updated\",\"item\":{\"type\":\"todo_list\"}}");
}

static void test_not_events(void **state)
{
	(void)state;
	static const char *const lines[] = {
	    "",
	    "not json",
	    "{\"type\":\"turn.started\"",
	    "[\"type\"]",
	    "\"turn.started\"",
	    "{}",
	    "{\"type\":5}",
	    "{\"type\":null}",
	};
	struct codex_event ev;

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		memset(&ev, 0x5a, sizeof ev);
		if (codex_event_parse(lines[i], strlen(lines[i]), &ev) != -1)
			fail_msg("parsed: %s", lines[i]);
		assert_null(ev.json);
	}
	/* Only len bytes are read: a valid event followed by junk past len. */
	static const char padded[] = "{\"type\":\"turn.started\"}garbage";
	assert_int_equal(codex_event_parse(padded, sizeof padded - 1 - 7, &ev), 0);
	assert_int_equal(ev.type, CODEX_EVENT_TURN_STARTED);
	codex_event_clear(&ev);
}

/*
 * Lines the fast reader's tokens would pass and jansson refuses are refused, so that a
 * line is an event exactly when jansson reads one.
 */
static void test_fast_reader_refuses_as_jansson(void **state)
{
	static const char *const refused[] = {
	    "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\",\"text\":\"\xff\"}}",
	    "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\",\"text\":"
	    "\"a\\u0000b\"}}",
	    "{\"type\":\"turn.started\"} trailing",
	    "{\"type\":\"turn.started\"}{}",
	    "\xEF\xBB\xBF{\"type\":\"turn.started\"}",
	    "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\",\"text\":\"a\x01b\"}"
	    "}",
	    "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\",\"text\":"
	    "\"\xed\xa0\x80\"}}",
	};
	struct codex_event ev;

	(void)state;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		if (codex_event_parse(refused[i], strlen(refused[i]), &ev) != -1)
			fail_msg("parsed: %s", refused[i]);
	}
	/* An escaped backslash before "u0000" is no NUL. */
	parse_ok("{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\","
	         "\"text\":\"a\\\\u0000\"}}",
	         &ev);
	assert_string_equal(ev.text, "a\\u0000");
	codex_event_clear(&ev);
	/* A key given twice counts by its last value, as jansson reads it. */
	parse_ok("{\"type\":\"item.completed\",\"item\":{\"type\":\"command_execution\","
	         "\"command\":\"first\",\"command\":\"last\",\"exit_code\":1,\"exit_code\":2}}",
	         &ev);
	assert_string_equal(ev.command, "last");
	assert_int_equal(ev.exit_code, 2);
	codex_event_clear(&ev);
	/* Whitespace after the value is no text after it. */
	assert_int_equal(codex_event_parse("{\"type\":\"turn.started\"} \r\n", 26, &ev), 0);
	assert_int_equal(ev.type, CODEX_EVENT_TURN_STARTED);
	codex_event_clear(&ev);
}

/* jsmn leaves separators and literals to its user: each slip is refused, as jansson does. */
static void test_fast_reader_grammar(void **state)
{
	static const char *const refused[] = {
	    "{\"type\":\"turn.started\" \"x\":1}",           /* no comma */
	    "{\"type\" \"turn.started\"}",                   /* no colon */
	    "{\"type\":\"turn.started\",}",                  /* a comma before the end */
	    "{,\"type\":\"turn.started\"}",                  /* and after the start */
	    "{\"type\"::\"turn.started\"}",                  /* two colons */
	    "{\"type\":\"turn.started\",\"x\":[1,,2]}",      /* an empty element */
	    "{\"type\":\"turn.started\",\"x\":tru}",         /* not a literal */
	    "{\"type\":\"turn.started\",\"x\":01}",          /* a leading zero */
	    "{\"type\":\"turn.started\",\"x\":-}",           /* a sign alone */
	    "{\"type\":\"turn.started\",\"x\":\"\\ud800\"}", /* half a pair */
	    "{\"type\":\"turn.started\",\"x\":\"\\udc00\\ud800\"}",
	    "{\"type\":\"turn.started\",\"x\":1e999}",                /* a real past a double */
	    "{\"type\":\"turn.started\",\"x\":99999999999999999999}", /* past int64 */
	    "{\"type\":\"turn.started\"",
	};
	struct codex_event ev;
	char deep[256] = "{\"type\":\"turn.started\",\"x\":";

	(void)state;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		if (codex_event_parse_json(refused[i], strlen(refused[i]), &ev) != -1)
			fail_msg("jansson parsed: %s", refused[i]);
		if (codex_event_parse(refused[i], strlen(refused[i]), &ev) != -1)
			fail_msg("parsed: %s", refused[i]);
	}
	/* Escaped names are read as jansson reads them. */
	parse_ok("{\"type\":\"item\\u002ecompleted\",\"item\":{\"type\":\"agent\\u005fmessage\","
	         "\"text\":\"a\\tb \\ud83d\\ude00\"}}",
	         &ev);
	assert_int_equal(ev.type, CODEX_EVENT_ITEM_COMPLETED);
	assert_int_equal(ev.item_type, CODEX_ITEM_AGENT_MESSAGE);
	assert_string_equal(ev.text, "a\tb \xf0\x9f\x98\x80");
	codex_event_clear(&ev);
	/* Reals, deep nesting and many tokens are jansson's to read. */
	parse_ok("{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":3,\"t\":2.5e-3}}", &ev);
	assert_int_equal(ev.usage[0], 3);
	codex_event_clear(&ev);
	for (int i = 0; i < 40; i++)
		strcat(deep, "[");
	for (int i = 0; i < 40; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	parse_ok(deep, &ev);
	assert_int_equal(ev.type, CODEX_EVENT_TURN_STARTED);
	codex_event_clear(&ev);
}

/* Numbers as jansson reads them: an exit code or a token count is an integer, or nothing. */
static void test_fast_reader_numbers(void **state)
{
	struct codex_event ev;

	(void)state;
	parse_ok("{\"type\":\"item.completed\",\"item\":{\"type\":\"command_execution\","
	         "\"command\":\"x\",\"exit_code\":1.5}}",
	         &ev);
	assert_false(ev.has_exit_code);
	codex_event_clear(&ev);
	parse_ok("{\"type\":\"item.completed\",\"item\":{\"type\":\"command_execution\","
	         "\"command\":\"x\",\"exit_code\":-2}}",
	         &ev);
	assert_true(ev.has_exit_code);
	assert_int_equal(ev.exit_code, -2);
	codex_event_clear(&ev);
	/* Past an int, cut as jansson's reader cuts it. */
	parse_ok("{\"type\":\"item.completed\",\"item\":{\"type\":\"command_execution\","
	         "\"command\":\"x\",\"exit_code\":4294967296}}",
	         &ev);
	assert_true(ev.has_exit_code);
	assert_int_equal(ev.exit_code, 0);
	codex_event_clear(&ev);
	parse_ok("{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":4000000000,"
	         "\"output_tokens\":\"7\",\"cached_input_tokens\":0.5}}",
	         &ev);
	assert_true(ev.has_usage);
	assert_int_equal(ev.usage[0], 4000000000);
	assert_int_equal(ev.usage[1], 0);
	assert_int_equal(ev.usage[2], 0);
	codex_event_clear(&ev);
}

static void test_command_display(void **state)
{
	(void)state;
	char buf[256];

	codex_command_display("/bin/bash -lc 'it'\\''s'", buf, sizeof buf);
	assert_string_equal(buf, "it's");
	codex_command_display("/bin/bash -lc 'echo hi > out.txt'", buf, sizeof buf);
	assert_string_equal(buf, "echo hi > out.txt");
	codex_command_display("bash -lc 'npm test'", buf, sizeof buf);
	assert_string_equal(buf, "npm test");
	codex_command_display("/bin/sh -c 'make -j2'", buf, sizeof buf);
	assert_string_equal(buf, "make -j2");
	codex_command_display("/bin/bash -lc 'printf '\\''%s'\\'' a'", buf, sizeof buf);
	assert_string_equal(buf, "printf '%s' a");
	/* Unquoted after the shell: kept as it is. */
	codex_command_display("/bin/bash -lc ls", buf, sizeof buf);
	assert_string_equal(buf, "ls");
	/* Not a shell wrapper: untouched, quotes and all. */
	codex_command_display("ls -la", buf, sizeof buf);
	assert_string_equal(buf, "ls -la");
	codex_command_display("'quoted'", buf, sizeof buf);
	assert_string_equal(buf, "'quoted'");
	codex_command_display("", buf, sizeof buf);
	assert_string_equal(buf, "");
}

static void test_command_display_truncates_on_characters(void **state)
{
	(void)state;
	char buf[8];

	/* "ééé" is 6 bytes; 7 fit, so all three do. */
	codex_command_display("/bin/bash -lc '\xc3\xa9\xc3\xa9\xc3\xa9'", buf, sizeof buf);
	assert_string_equal(buf, "\xc3\xa9\xc3\xa9\xc3\xa9");
	/* "€€€" is 9 bytes; only two whole characters fit in 7. */
	codex_command_display("/bin/bash -lc '\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac'", buf,
	                      sizeof buf);
	assert_string_equal(buf, "\xe2\x82\xac\xe2\x82\xac");
	codex_command_display("a\xf0\x9f\x98\x80\xf0\x9f\x98\x80", buf, sizeof buf);
	assert_string_equal(buf, "a\xf0\x9f\x98\x80");
}

/* A long quoted command is cut to fit; the cut must not leave half a character. */
static void test_command_display_long_quoted(void **state)
{
	(void)state;
	char command[1024];
	char buf[1024];
	size_t o = 0;

	o += (size_t)snprintf(command, sizeof command, "/bin/bash -lc '");
	for (int i = 0; i < 300; i++) {
		command[o++] = '\xc3';
		command[o++] = '\xa9';
	}
	command[o++] = '\'';
	command[o] = '\0';
	codex_command_display(command, buf, sizeof buf);
	assert_true(strlen(buf) > 0);
	if (!unit_utf8_valid_str(buf))
		fail_msg(
		    "display of a %zu-byte command is not valid UTF-8 (%zu bytes, ends 0x%02x)",
		    strlen(command), strlen(buf), (unsigned char)buf[strlen(buf) - 1]);
}

static void test_describe_utf8_when_truncating(void **state)
{
	(void)state;
	char line[4096];
	char big[2048];
	struct codex_event ev;
	size_t o = 0;

	/* 400 bytes of two-byte characters, at odd and even offsets. */
	big[o++] = 'x';
	for (int i = 0; i < 200; i++) {
		big[o++] = '\xc3';
		big[o++] = '\xa9';
	}
	big[o] = '\0';

	static const char *const formats[] = {
	    "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\",\"text\":\"%s\"}}",
	    "{\"type\":\"item.started\",\"item\":{\"type\":\"command_execution\","
	    "\"command\":\"/bin/bash -lc '%s'\"}}",
	    "{\"type\":\"error\",\"message\":\"%s\"}",
	    "{\"type\":\"item.completed\",\"item\":{\"type\":\"error\",\"message\":\"%s\"}}",
	    "{\"type\":\"item.completed\",\"item\":{\"type\":\"file_change\","
	    "\"changes\":[{\"path\":\"/w/%s\",\"kind\":\"add\"}]}}",
	    "{\"type\":\"item.completed\",\"item\":{\"type\":\"web_search\",\"query\":\"%s\"}}",
	};
	for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
		snprintf(line, sizeof line, formats[f], big + (f % 2));
		parse_ok(line, &ev);
		for (size_t size = 1; size <= 300; size++) {
			char buf[300];
			assert_true(codex_event_describe(&ev, "/w", buf, size));
			assert_true(strlen(buf) < size);
			if (!unit_utf8_valid_str(buf))
				fail_msg("format %zu, size %zu: invalid UTF-8", f, size);
		}
		codex_event_clear(&ev);
	}

	/* The agent message is cut short, on a character boundary. */
	snprintf(line, sizeof line, formats[0], big + 1);
	parse_ok(line, &ev);
	char buf[512];
	assert_true(codex_event_describe(&ev, NULL, buf, sizeof buf));
	assert_true(strncmp(buf, "message: \xc3\xa9", 11) == 0);
	assert_true(strlen(buf) < 9 + 120);
	assert_true(unit_utf8_valid_str(buf));
	assert_null(strchr(buf, '?'));
	codex_event_clear(&ev);
}

/* ---- app-server notifications (lines as Codex 0.169's app-server sent them, trimmed) ---- */

/* The notification's event, and what describe() makes of it ("" when nothing). */
static void app(const char *method, const char *params, struct codex_event *ev, const char *cwd,
                const char *want)
{
	json_error_t err;
	json_t *json = json_loads(params, 0, &err);
	char buf[256];

	if (!json)
		fail_msg("bad test JSON %s: %s", params, err.text);
	codex_event_from_app_server(method, json, ev);
	json_decref(json); /* the event holds its own reference */
	if (!*want)
		assert_false(codex_event_describe(ev, cwd, buf, sizeof buf));
	else if (!codex_event_describe(ev, cwd, buf, sizeof buf) || strcmp(buf, want) != 0)
		fail_msg("%s: described as \"%s\", wanted \"%s\"", method, buf, want);
}

static void test_app_server_turn(void **state)
{
	(void)state;
	struct codex_event ev;

	app("thread/started", "{\"thread\":{\"id\":\"01a22e1c-21d2\",\"cwd\":\"/w\"}}", &ev, NULL,
	    "started thread 01a22e1c-21d2");
	assert_int_equal(ev.type, CODEX_EVENT_THREAD_STARTED);
	assert_string_equal(ev.thread_id, "01a22e1c-21d2");
	codex_event_clear(&ev);

	app("turn/started",
	    "{\"threadId\":\"t\",\"turn\":{\"id\":\"u\",\"status\":\"inProgress\"}}", &ev, NULL,
	    "turn started");
	codex_event_clear(&ev);

	app("item/started",
	    "{\"item\":{\"type\":\"commandExecution\",\"id\":\"call_2\",\"command\":\"/bin/bash "
	    "-lc \\\"printf '%s' 'hi' > 'a.txt'\\\"\",\"cwd\":\"/w\",\"status\":\"inProgress\","
	    "\"exitCode\":null},\"threadId\":\"t\",\"turnId\":\"u\"}",
	    &ev, "/w", "running: printf '%s' 'hi' > 'a.txt'");
	assert_int_equal(ev.item_type, CODEX_ITEM_COMMAND);
	assert_false(ev.has_exit_code);
	codex_event_clear(&ev);

	app("item/completed",
	    "{\"item\":{\"type\":\"commandExecution\",\"id\":\"call_2\",\"command\":\"/bin/bash "
	    "-lc \\\"printf '%s' 'hi' > 'a.txt'\\\"\",\"status\":\"completed\",\"exitCode\":0},"
	    "\"threadId\":\"t\",\"turnId\":\"u\"}",
	    &ev, "/w", "ran: printf '%s' 'hi' > 'a.txt' (exit 0)");
	assert_true(ev.has_exit_code);
	codex_event_clear(&ev);

	app("item/completed",
	    "{\"item\":{\"type\":\"agentMessage\",\"id\":\"msg_3\",\"text\":\"wrote a.txt\"},"
	    "\"threadId\":\"t\",\"turnId\":\"u\"}",
	    &ev, NULL, "message: wrote a.txt");
	assert_int_equal(ev.item_type, CODEX_ITEM_AGENT_MESSAGE);
	assert_string_equal(ev.text, "wrote a.txt");
	codex_event_clear(&ev);

	app("thread/tokenUsage/updated",
	    "{\"threadId\":\"t\",\"turnId\":\"u\",\"tokenUsage\":{\"total\":{\"totalTokens\":30,"
	    "\"inputTokens\":20,\"cachedInputTokens\":4,\"outputTokens\":10,"
	    "\"reasoningOutputTokens\":1},\"last\":{\"inputTokens\":10}}}",
	    &ev, NULL, "");
	assert_int_equal(ev.type, CODEX_EVENT_OTHER);
	assert_true(ev.has_usage);
	assert_int_equal(ev.usage[0], 20);
	assert_int_equal(ev.usage[1], 4);
	assert_int_equal(ev.usage[2], 10);
	assert_int_equal(ev.usage[3], 1);
	codex_event_clear(&ev);

	app("turn/completed",
	    "{\"threadId\":\"t\",\"turn\":{\"id\":\"u\",\"status\":\"completed\",\"error\":null}}",
	    &ev, NULL, "turn completed");
	assert_int_equal(ev.type, CODEX_EVENT_TURN_COMPLETED);
	codex_event_clear(&ev);
}

/* A turn that did not complete is a failed one, with the reason it gives or its status. */
static void test_app_server_turn_not_completed(void **state)
{
	(void)state;
	struct codex_event ev;

	app("turn/completed",
	    "{\"turn\":{\"status\":\"failed\",\"error\":{\"message\":\"stream disconnected\"}}}",
	    &ev, NULL, "error: stream disconnected");
	assert_int_equal(ev.type, CODEX_EVENT_TURN_FAILED);
	codex_event_clear(&ev);
	app("turn/completed", "{\"turn\":{\"status\":\"interrupted\",\"error\":null}}", &ev, NULL,
	    "error: the turn was interrupted");
	codex_event_clear(&ev);
	app("error", "{\"error\":{\"message\":\"Reconnecting... 1/5\"},\"willRetry\":true}", &ev,
	    NULL, "error: Reconnecting... 1/5");
	assert_int_equal(ev.type, CODEX_EVENT_ERROR);
	codex_event_clear(&ev);
}

/* File changes name their kind as an object; other notifications are nothing to describe. */
static void test_app_server_file_change_and_others(void **state)
{
	(void)state;
	struct codex_event ev;

	app("item/completed",
	    "{\"item\":{\"type\":\"fileChange\",\"id\":\"f\",\"status\":\"completed\",\"changes\":["
	    "{\"path\":\"/w/new.c\",\"kind\":{\"type\":\"add\"},\"diff\":\"\"},"
	    "{\"path\":\"/w/"
	    "old.c\",\"kind\":{\"type\":\"update\",\"move_path\":null},\"diff\":\"\"}"
	    "]}}",
	    &ev, "/w", "created new.c and 1 more");
	assert_int_equal(json_array_size(ev.changes), 2);
	codex_event_clear(&ev);
	app("warning",
	    "{\"threadId\":\"t\",\"message\":\"Model metadata for `mock-model` not found.\"}", &ev,
	    NULL, "warning: Model metadata for `mock-model` not found.");
	codex_event_clear(&ev);
	app("item/completed", "{\"item\":{\"type\":\"userMessage\",\"id\":\"m\",\"content\":[]}}",
	    &ev, NULL, "");
	assert_int_equal(ev.item_type, CODEX_ITEM_OTHER);
	codex_event_clear(&ev);
	app("account/rateLimits/updated", "{\"rateLimits\":{}}", &ev, NULL, "");
	assert_int_equal(ev.type, CODEX_EVENT_OTHER);
	assert_false(ev.has_usage);
	codex_event_clear(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_thread_started),
	    cmocka_unit_test(test_item_error),
	    cmocka_unit_test(test_turn_started),
	    cmocka_unit_test(test_command_started),
	    cmocka_unit_test(test_command_completed),
	    cmocka_unit_test(test_file_change),
	    cmocka_unit_test(test_agent_message),
	    cmocka_unit_test(test_reasoning),
	    cmocka_unit_test(test_turn_completed),
	    cmocka_unit_test(test_turn_failed),
	    cmocka_unit_test(test_error_event),
	    cmocka_unit_test(test_other_events),
	    cmocka_unit_test(test_not_events),
	    cmocka_unit_test(test_command_display),
	    cmocka_unit_test(test_command_display_truncates_on_characters),
	    cmocka_unit_test(test_command_display_long_quoted),
	    cmocka_unit_test(test_describe_utf8_when_truncating),
	    cmocka_unit_test(test_fast_reader_refuses_as_jansson),
	    cmocka_unit_test(test_fast_reader_numbers),
	    cmocka_unit_test(test_fast_reader_grammar),
	    cmocka_unit_test(test_app_server_turn),
	    cmocka_unit_test(test_app_server_turn_not_completed),
	    cmocka_unit_test(test_app_server_file_change_and_others),
	};
	return cmocka_run_group_tests_name("codex/events", tests, NULL, NULL);
}
