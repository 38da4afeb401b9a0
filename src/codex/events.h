/*
 * What Codex reports, parsed into what the server uses, from either backend: the
 * JSONL events of `codex exec --json`, and the notifications of `codex app-server`.
 */
#ifndef CODEX_MCP_EVENTS_H
#define CODEX_MCP_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum codex_event_type {
	CODEX_EVENT_OTHER,
	CODEX_EVENT_THREAD_STARTED,
	CODEX_EVENT_TURN_STARTED,
	CODEX_EVENT_TURN_COMPLETED,
	CODEX_EVENT_TURN_FAILED,
	CODEX_EVENT_ITEM_STARTED,
	CODEX_EVENT_ITEM_UPDATED,
	CODEX_EVENT_ITEM_COMPLETED,
	CODEX_EVENT_ERROR,
};

enum codex_item_type {
	CODEX_ITEM_NONE,
	CODEX_ITEM_OTHER,
	CODEX_ITEM_AGENT_MESSAGE,
	CODEX_ITEM_REASONING,
	CODEX_ITEM_COMMAND,
	CODEX_ITEM_FILE_CHANGE,
	CODEX_ITEM_MCP_TOOL_CALL,
	CODEX_ITEM_WEB_SEARCH,
	CODEX_ITEM_TODO_LIST,
	CODEX_ITEM_ERROR,
};

/*
 * Strings and objects are borrowed from what the event owns: json, or the strings kept of
 * an exec line read without it. A backend tells its events with json as `codex exec --json`
 * prints them (NULL when exec has no such event); an exec line read without json has json
 * NULL, and codex_event_json() gives it.
 */
struct codex_event {
	json_t *json;
	char *strings;   /* what the strings of an exec line read without json are kept in */
	const char *raw; /* that line, borrowed until the event is cleared */
	size_t raw_len;
	enum codex_event_type type;
	enum codex_item_type item_type;
	const char *thread_id; /* thread.started */
	const char *text;      /* agent message, reasoning, or an error's message */
	const char *command;   /* command_execution */
	bool has_exit_code;
	int exit_code;
	json_t *changes; /* file_change: [{path, kind}] */
	/*
	 * Input, cached input, output and reasoning output tokens: the turn's, from exec's
	 * turn.completed; the thread's totals so far, from app-server's thread/tokenUsage/updated.
	 */
	int64_t usage[4];
	bool has_usage;
	bool usage_is_total;   /* app-server: usage holds the thread's totals */
	int64_t usage_last[4]; /* app-server: what the latest model call added to them */
};

/*
 * Returns 0, or -1 when the line is not a JSON object with a string "type". The line
 * must outlive the event, and the event is cleared on the thread that read it.
 */
int codex_event_parse(const char *line, size_t len, struct codex_event *ev);
/*
 * The same with jansson alone: the reference codex_event_parse() keeps to. Both read the
 * same lines, to the same fields (fuzz_events checks it).
 */
int codex_event_parse_json(const char *line, size_t len, struct codex_event *ev);
/* The event as JSON (new reference), or NULL when it cannot be had (out of memory). */
json_t *codex_event_json(const struct codex_event *ev);
/*
 * An app-server notification as the same event; the event takes a reference to params.
 * What has no counterpart is CODEX_EVENT_OTHER.
 */
void codex_event_from_app_server(const char *method, json_t *params, struct codex_event *ev);
void codex_event_clear(struct codex_event *ev);
/*
 * The event as `codex exec --json` prints it (new reference), for an event of app-server's,
 * so that a client sees one shape whichever backend ran the turn; NULL when exec has no
 * such event. turn_usage is the turn's, for turn.completed.
 */
json_t *codex_event_exec_json(const struct codex_event *ev, const int64_t turn_usage[4]);

/*
 * A short line a person can follow ("running: npm test", "edited src/app.c",
 * "thinking"), written into buf; returns false when the event says nothing
 * worth reporting. cwd, when given, shortens the paths under it.
 */
bool codex_event_describe(const struct codex_event *ev, const char *cwd, char *buf, size_t size);

/* "/bin/bash -lc 'npm test'" -> "npm test", into buf. */
void codex_command_display(const char *command, char *buf, size_t size);

#endif
