#include "codex/events.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "util/text.h"

/* The most frequent first: a busy run is mostly items. */
static const struct {
	const char *name;
	enum codex_event_type type;
} event_types[] = {
    {"item.completed", CODEX_EVENT_ITEM_COMPLETED}, {"item.started", CODEX_EVENT_ITEM_STARTED},
    {"item.updated", CODEX_EVENT_ITEM_UPDATED},     {"thread.started", CODEX_EVENT_THREAD_STARTED},
    {"turn.started", CODEX_EVENT_TURN_STARTED},     {"turn.completed", CODEX_EVENT_TURN_COMPLETED},
    {"turn.failed", CODEX_EVENT_TURN_FAILED},       {"error", CODEX_EVENT_ERROR},
};

struct item_name {
	const char *name;
	enum codex_item_type type;
};

/* How one backend spells its items. */
struct dialect {
	const struct item_name *items;
	size_t n_items;
	const char *exit_code;
};

static const struct item_name item_types[] = {
    {"command_execution", CODEX_ITEM_COMMAND},   {"reasoning", CODEX_ITEM_REASONING},
    {"agent_message", CODEX_ITEM_AGENT_MESSAGE}, {"file_change", CODEX_ITEM_FILE_CHANGE},
    {"mcp_tool_call", CODEX_ITEM_MCP_TOOL_CALL}, {"web_search", CODEX_ITEM_WEB_SEARCH},
    {"todo_list", CODEX_ITEM_TODO_LIST},         {"error", CODEX_ITEM_ERROR},
};

static const char *string_at(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void read_usage(struct codex_event *ev, const json_t *usage, const char *const keys[4])
{
	ev->has_usage = json_is_object(usage);
	for (int i = 0; i < 4; i++)
		ev->usage[i] = json_integer_value(json_object_get(usage, keys[i]));
}

static const struct dialect exec_dialect = {item_types, sizeof item_types / sizeof item_types[0],
                                            "exit_code"};

static enum codex_item_type item_type(const char *type, const struct dialect *d)
{
	for (size_t i = 0; type && i < d->n_items; i++)
		if (strcmp(type, d->items[i].name) == 0)
			return d->items[i].type;
	return CODEX_ITEM_OTHER;
}

static void parse_item(struct codex_event *ev, json_t *item, const struct dialect *d)
{
	const char *type = string_at(item, "type");
	json_t *code;

	ev->item_type = item_type(type, d);

	switch (ev->item_type) {
	case CODEX_ITEM_AGENT_MESSAGE:
	case CODEX_ITEM_REASONING:
		ev->text = string_at(item, "text");
		break;
	case CODEX_ITEM_ERROR:
		ev->text = string_at(item, "message");
		break;
	case CODEX_ITEM_COMMAND:
		ev->command = string_at(item, "command");
		code = json_object_get(item, d->exit_code);
		if (json_is_integer(code)) {
			ev->has_exit_code = true;
			ev->exit_code = (int)json_integer_value(code);
		}
		break;
	case CODEX_ITEM_FILE_CHANGE:
		ev->changes = json_object_get(item, "changes");
		if (!json_is_array(ev->changes))
			ev->changes = NULL;
		break;
	default:
		break;
	}
}

static enum codex_event_type event_type(const char *type)
{
	for (size_t i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
		if (strcmp(type, event_types[i].name) == 0)
			return event_types[i].type;
	return CODEX_EVENT_OTHER;
}

/* ---- exec's lines, the common case: tokens by jsmn ---- */

/*
 * A busy run prints thousands of events a second, and reading them was most of the
 * server's work. jsmn only finds where each token of a line lies, with no tree and no
 * allocation, several times faster than building one. Its strict mode still takes
 * text that is not JSON (a missing separator, "tru", "01"): what lies between tokens,
 * and each literal, are checked here as jansson would, and anything unusual (a real
 * number, an escaped key, more than MAX_TOKENS tokens) is left to jansson, which
 * decides as before. So are the few items whose description reads more than their
 * named fields.
 */
enum { MAX_TOKENS = 128, MAX_DEPTH = 32 };

/*
 * The strings an event keeps (its texts, unescaped and NUL-terminated) come from one block
 * of the thread's, used again once no event holds any of it: events are read and cleared
 * one after another. What does not fit (a long message) is the heap's.
 */
enum { ARENA_BYTES = 16384 };
static _Thread_local struct {
	_Alignas(16) unsigned char block[ARENA_BYTES];
	size_t used;
	size_t live;
} arena;

static void *arena_malloc(size_t size)
{
	size_t need = (size + 15) & ~(size_t)15;

	if (need >= size && need <= ARENA_BYTES - arena.used) {
		void *p = arena.block + arena.used;
		arena.used += need;
		arena.live++;
		return p;
	}
	return malloc(size);
}

static void arena_free(void *p)
{
	uintptr_t at = (uintptr_t)p, base = (uintptr_t)arena.block;

	if (!p)
		return;
	if (at < base || at >= base + ARENA_BYTES) {
		free(p);
		return;
	}
	if (--arena.live == 0)
		arena.used = 0;
}

struct tokens {
	const char *js;
	const jsmntok_t *t;
	int n;
	bool escapes; /* a backslash is somewhere in the line */
};

/* A string token's text lies between its quotes; the quotes are the token's too. */
static int tok_begin(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? t->start - 1 : t->start;
}

static int tok_end(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? t->end + 1 : t->end;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether js[from..to) is whitespace around exactly one sep, or only whitespace (sep 0). */
static bool gap(const char *js, int from, int to, char sep)
{
	/* Compact JSON, the usual: nothing, or the separator alone. */
	if (to - from == (sep != 0) && (!sep || js[from] == sep))
		return true;
	while (from < to && is_space(js[from]))
		from++;
	if (sep) {
		if (from == to || js[from] != sep)
			return false;
		from++;
	}
	while (from < to && is_space(js[from]))
		from++;
	return from == to;
}

/*
 * A literal or an integer as jansson takes them. Reals are left to jansson (it refuses
 * those that overflow), and so are integers near int64's limits.
 */
static bool literal_ok(const char *s, int len)
{
	int i = s[0] == '-';

	if ((len == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "null", 4) == 0)) ||
	    (len == 5 && memcmp(s, "false", 5) == 0))
		return true;
	if (i == len || len - i > 18 || (s[i] == '0' && len - i > 1))
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Whether the string at i holds an escape. */
static bool escaped(const struct tokens *tk, int i)
{
	return tk->escapes &&
	       memchr(tk->js + tk->t[i].start, '\\', (size_t)(tk->t[i].end - tk->t[i].start));
}

/* Checks the value at *i as jansson's grammar would, and steps past it. */
static bool value_ok(const struct tokens *tk, int *i, int depth)
{
	const jsmntok_t *v = &tk->t[(*i)++];
	int at = v->start + 1;

	if (v->type == JSMN_PRIMITIVE)
		return literal_ok(tk->js + v->start, v->end - v->start);
	if (v->type == JSMN_STRING)
		return true; /* its escapes were checked by jsmn, its bytes with the line's */
	if (depth > MAX_DEPTH)
		return false;
	for (int k = 0; k < v->size; k++) {
		const jsmntok_t *e;

		if (*i >= tk->n || !gap(tk->js, at, tok_begin(&tk->t[*i]), k ? ',' : 0))
			return false;
		if (v->type == JSMN_OBJECT) {
			const jsmntok_t *key = &tk->t[(*i)++];
			/* An escaped key could read as a name we look for: jansson's. */
			if (key->type != JSMN_STRING || escaped(tk, *i - 1) || *i >= tk->n ||
			    !gap(tk->js, tok_end(key), tok_begin(&tk->t[*i]), ':'))
				return false;
		}
		e = &tk->t[*i];
		if (!value_ok(tk, i, depth + 1))
			return false;
		at = tok_end(e);
	}
	return gap(tk->js, at, v->end - 1, 0);
}

static int hex4(const char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

/*
 * Whether the escapes of s[0..len) are ones jansson takes: jsmn checked their letters and
 * hex digits; jansson also refuses a NUL and a surrogate out of its pair.
 */
static bool escapes_ok(const char *s, size_t len, bool *any)
{
	const char *end = s + len;

	*any = memchr(s, '\\', len) != NULL;

	/* Each backslash escapes the character after it: both are stepped over. */
	for (const char *p = s; *any && (p = memchr(p, '\\', (size_t)(end - p))) != NULL; p += 2) {
		int u;

		if (end - p < 2)
			break;
		if (p[1] != 'u' || end - p < 6)
			continue;
		u = hex4(p + 2);
		if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
			return false;
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
				return false;
			u = hex4(p + 8);
			if (u < 0xDC00 || u > 0xDFFF)
				return false;
			p += 6;
		}
	}
	return true;
}

/* A member's name, and its length. */
struct key {
	const char *name;
	size_t len;
};
/* clang-format off */
#define KEY(name) {name, sizeof name - 1}
/* clang-format on */

/*
 * The values of keys[0..n) in the object at o, in one pass over it: each the last when a key
 * comes twice, as jansson keeps it, or -1.
 */
static void members(const struct tokens *tk, int o, const struct key *keys, int n, int *found)
{
	int i = o + 1;

	for (int k = 0; k < n; k++)
		found[k] = -1;
	if (o < 0 || tk->t[o].type != JSMN_OBJECT)
		return;
	for (int m = 0; m < tk->t[o].size; m++) {
		const jsmntok_t *name = &tk->t[i];
		size_t len = (size_t)(name->end - name->start);
		int end;

		for (int k = 0; k < n; k++)
			if (len == keys[k].len &&
			    memcmp(tk->js + name->start, keys[k].name, len) == 0)
				found[k] = i + 1;
		/* Past the value and all it holds. */
		end = tk->t[++i].end;
		while (++i < tk->n && tk->t[i].start < end)
			;
	}
}

/* Whether the string at i is name (which has no escapes). */
static bool string_is(const struct tokens *tk, int i, const char *name, size_t len)
{
	const jsmntok_t *s = &tk->t[i];

	return s->type == JSMN_STRING && (size_t)(s->end - s->start) == len &&
	       memcmp(tk->js + s->start, name, len) == 0;
}

/*
 * The text of the string at i, into the event's strings at *at. An escaped one is
 * decoded by jansson; jansson's view of the line had it no NUL, so neither has this.
 */
static const char *take_string(const struct tokens *tk, int i, char **at)
{
	const jsmntok_t *s;
	const char *from;
	char *copy = *at;
	size_t n;
	json_t *decoded = NULL;

	if (i < 0 || tk->t[i].type != JSMN_STRING)
		return NULL;
	s = &tk->t[i];
	from = tk->js + s->start;
	n = (size_t)(s->end - s->start);
	if (tk->escapes && memchr(from, '\\', n)) {
		decoded = json_loadb(from - 1, n + 2, JSON_DECODE_ANY, NULL);
		if (!json_is_string(decoded)) {
			json_decref(decoded);
			return NULL;
		}
		from = json_string_value(decoded);
		n = json_string_length(decoded);
	}
	memcpy(copy, from, n);
	copy[n] = '\0';
	*at += n + 1;
	json_decref(decoded);
	return copy;
}

/* The integer at i, as jansson reads one; false for anything else. */
static bool take_integer(const struct tokens *tk, int i, int64_t *out)
{
	const char *s;

	if (i < 0 || tk->t[i].type != JSMN_PRIMITIVE)
		return false;
	s = tk->js + tk->t[i].start;
	if (*s != '-' && (*s < '0' || *s > '9'))
		return false;
	*out = strtoll(s, NULL, 10);
	return true;
}

static enum codex_event_type token_event_type(const struct tokens *tk, int i)
{
	for (size_t k = 0; k < sizeof event_types / sizeof event_types[0]; k++)
		if (string_is(tk, i, event_types[k].name, strlen(event_types[k].name)))
			return event_types[k].type;
	return CODEX_EVENT_OTHER;
}

static enum codex_item_type token_item_type(const struct tokens *tk, int i)
{
	if (i < 0 || tk->t[i].type != JSMN_STRING)
		return CODEX_ITEM_OTHER;
	for (size_t k = 0; k < sizeof item_types / sizeof item_types[0]; k++)
		if (string_is(tk, i, item_types[k].name, strlen(item_types[k].name)))
			return item_types[k].type;
	return CODEX_ITEM_OTHER;
}

/* An item's fields; false for those whose description needs all of it (jansson's). */
static bool fast_item(struct codex_event *ev, const struct tokens *tk, int item, char **at)
{
	enum { TYPE, TEXT, MESSAGE, COMMAND, EXIT_CODE, N };
	static const struct key keys[N] = {KEY("type"), KEY("text"), KEY("message"), KEY("command"),
	                                   KEY("exit_code")};
	int64_t code;
	int v[N];

	members(tk, item, keys, N, v);
	if (v[TYPE] >= 0 && tk->t[v[TYPE]].type == JSMN_STRING && escaped(tk, v[TYPE]))
		return false;
	ev->item_type = token_item_type(tk, v[TYPE]);
	switch (ev->item_type) {
	case CODEX_ITEM_AGENT_MESSAGE:
	case CODEX_ITEM_REASONING:
		ev->text = take_string(tk, v[TEXT], at);
		return true;
	case CODEX_ITEM_ERROR:
		ev->text = take_string(tk, v[MESSAGE], at);
		return true;
	case CODEX_ITEM_COMMAND:
		ev->command = take_string(tk, v[COMMAND], at);
		/* Cut to an int as the jansson reader cuts it. */
		if (take_integer(tk, v[EXIT_CODE], &code)) {
			ev->has_exit_code = true;
			ev->exit_code = (int)code;
		}
		return true;
	case CODEX_ITEM_FILE_CHANGE:
	case CODEX_ITEM_MCP_TOOL_CALL:
	case CODEX_ITEM_WEB_SEARCH:
		return false;
	default:
		return true;
	}
}

static void fast_usage(struct codex_event *ev, const struct tokens *tk, int usage)
{
	static const struct key keys[4] = {KEY("input_tokens"), KEY("cached_input_tokens"),
	                                   KEY("output_tokens"), KEY("reasoning_output_tokens")};
	int v[4];

	members(tk, usage, keys, 4, v);
	ev->has_usage = usage >= 0 && tk->t[usage].type == JSMN_OBJECT;
	for (int i = 0; i < 4; i++)
		if (!take_integer(tk, v[i], &ev->usage[i]))
			ev->usage[i] = 0;
}

/* The line's tokens, when the whole line is one object jansson would read alike. */
static bool tokenize(const char *line, size_t len, jsmntok_t *t, struct tokens *tk)
{
	jsmn_parser p;
	int i = 0;

	if (len > (1u << 30) || !text_utf8_printable(line, len) ||
	    !escapes_ok(line, len, &tk->escapes))
		return false;
	jsmn_init(&p);
	tk->js = line;
	tk->t = t;
	tk->n = jsmn_parse(&p, line, len, t, MAX_TOKENS);
	return tk->n > 0 && t[0].type == JSMN_OBJECT && gap(line, 0, t[0].start, 0) &&
	       gap(line, t[0].end, (int)len, 0) && value_ok(tk, &i, 0) && i == tk->n;
}

/* Returns true when the event was read. */
static bool parse_fast(const char *line, size_t len, struct codex_event *ev)
{
	enum { TYPE, THREAD_ID, ITEM, ERROR, MESSAGE, USAGE, N };
	static const struct key keys[N] = {KEY("type"),  KEY("thread_id"), KEY("item"),
	                                   KEY("error"), KEY("message"),   KEY("usage")};
	static const struct key error_keys[1] = {KEY("message")};
	jsmntok_t t[MAX_TOKENS];
	struct tokens tk;
	int v[N], message;
	char *at;

	if (!tokenize(line, len, t, &tk))
		return false;
	members(&tk, 0, keys, N, v);
	/* A name is compared as it is written: an escaped one is jansson's to read. */
	if (v[TYPE] < 0 || tk.t[v[TYPE]].type != JSMN_STRING || escaped(&tk, v[TYPE]))
		return false;
	/* No string it keeps is longer than the line. */
	if (!(ev->strings = arena_malloc(len + 3)))
		return false;
	at = ev->strings;
	ev->type = token_event_type(&tk, v[TYPE]);
	switch (ev->type) {
	case CODEX_EVENT_THREAD_STARTED:
		ev->thread_id = take_string(&tk, v[THREAD_ID], &at);
		break;
	case CODEX_EVENT_ITEM_STARTED:
	case CODEX_EVENT_ITEM_UPDATED:
	case CODEX_EVENT_ITEM_COMPLETED:
		if (!fast_item(ev, &tk, v[ITEM], &at)) {
			arena_free(ev->strings);
			memset(ev, 0, sizeof *ev);
			return false;
		}
		break;
	case CODEX_EVENT_TURN_FAILED:
		members(&tk, v[ERROR], error_keys, 1, &message);
		ev->text = take_string(&tk, message, &at);
		break;
	case CODEX_EVENT_ERROR:
		ev->text = take_string(&tk, v[MESSAGE], &at);
		break;
	case CODEX_EVENT_TURN_COMPLETED:
		fast_usage(ev, &tk, v[USAGE]);
		break;
	default:
		break;
	}
	ev->raw = line;
	ev->raw_len = len;
	return true;
}

json_t *codex_event_json(const struct codex_event *ev)
{
	if (ev->json)
		return json_incref(ev->json);
	return ev->raw ? json_loadb(ev->raw, ev->raw_len, 0, NULL) : NULL;
}

int codex_event_parse(const char *line, size_t len, struct codex_event *ev)
{
	memset(ev, 0, sizeof *ev);
	return parse_fast(line, len, ev) ? 0 : codex_event_parse_json(line, len, ev);
}

int codex_event_parse_json(const char *line, size_t len, struct codex_event *ev)
{
	json_t *json;
	const char *type;

	memset(ev, 0, sizeof *ev);
	json = json_loadb(line, len, 0, NULL);
	type = string_at(json, "type");
	if (!type) {
		json_decref(json);
		return -1;
	}
	ev->json = json;
	ev->type = event_type(type);

	switch (ev->type) {
	case CODEX_EVENT_THREAD_STARTED:
		ev->thread_id = string_at(json, "thread_id");
		break;
	case CODEX_EVENT_ITEM_STARTED:
	case CODEX_EVENT_ITEM_UPDATED:
	case CODEX_EVENT_ITEM_COMPLETED:
		parse_item(ev, json_object_get(json, "item"), &exec_dialect);
		break;
	case CODEX_EVENT_TURN_FAILED:
		ev->text = string_at(json_object_get(json, "error"), "message");
		break;
	case CODEX_EVENT_ERROR:
		ev->text = string_at(json, "message");
		break;
	case CODEX_EVENT_TURN_COMPLETED: {
		static const char *const keys[4] = {"input_tokens", "cached_input_tokens",
		                                    "output_tokens", "reasoning_output_tokens"};
		read_usage(ev, json_object_get(json, "usage"), keys);
		break;
	}
	default:
		break;
	}
	return 0;
}

/* ---- app-server: camelCase items, slash-separated methods ---- */

static const struct item_name app_items[] = {
    {"agentMessage", CODEX_ITEM_AGENT_MESSAGE},
    {"reasoning", CODEX_ITEM_REASONING},
    {"commandExecution", CODEX_ITEM_COMMAND},
    {"fileChange", CODEX_ITEM_FILE_CHANGE},
    {"mcpToolCall", CODEX_ITEM_MCP_TOOL_CALL},
    {"webSearch", CODEX_ITEM_WEB_SEARCH},
    {"plan", CODEX_ITEM_TODO_LIST},
};
static const struct dialect app_dialect = {app_items, sizeof app_items / sizeof app_items[0],
                                           "exitCode"};

static void app_turn_completed(struct codex_event *ev, const json_t *turn)
{
	const char *status = string_at(turn, "status");

	if (status && strcmp(status, "completed") == 0) {
		ev->type = CODEX_EVENT_TURN_COMPLETED;
		return;
	}
	ev->type = CODEX_EVENT_TURN_FAILED;
	ev->text = string_at(json_object_get(turn, "error"), "message");
	if (!ev->text)
		ev->text = status && strcmp(status, "interrupted") == 0 ? "the turn was interrupted"
		                                                        : "the turn failed";
}

void codex_event_from_app_server(const char *method, json_t *params, struct codex_event *ev)
{
	static const char *const keys[4] = {"inputTokens", "cachedInputTokens", "outputTokens",
	                                    "reasoningOutputTokens"};

	memset(ev, 0, sizeof *ev);
	ev->json = json_incref(params);
	if (strcmp(method, "thread/started") == 0) {
		ev->type = CODEX_EVENT_THREAD_STARTED;
		ev->thread_id = string_at(json_object_get(params, "thread"), "id");
	} else if (strcmp(method, "turn/started") == 0) {
		ev->type = CODEX_EVENT_TURN_STARTED;
	} else if (strcmp(method, "turn/completed") == 0) {
		app_turn_completed(ev, json_object_get(params, "turn"));
	} else if (strcmp(method, "item/started") == 0 || strcmp(method, "item/completed") == 0) {
		ev->type = method[5] == 's' ? CODEX_EVENT_ITEM_STARTED : CODEX_EVENT_ITEM_COMPLETED;
		parse_item(ev, json_object_get(params, "item"), &app_dialect);
	} else if (strcmp(method, "warning") == 0) {
		/* exec reports these as error items: they are told the same way */
		ev->type = CODEX_EVENT_ITEM_COMPLETED;
		ev->item_type = CODEX_ITEM_ERROR;
		ev->text = string_at(params, "message");
	} else if (strcmp(method, "error") == 0) {
		ev->type = CODEX_EVENT_ERROR;
		ev->text = string_at(json_object_get(params, "error"), "message");
	} else if (strcmp(method, "thread/tokenUsage/updated") == 0) {
		json_t *usage = json_object_get(params, "tokenUsage");
		struct codex_event last = {0};

		read_usage(ev, json_object_get(usage, "total"), keys);
		read_usage(&last, json_object_get(usage, "last"), keys);
		ev->usage_is_total = ev->has_usage;
		memcpy(ev->usage_last, last.usage, sizeof ev->usage_last);
	}
}

static json_t *exec_item(const struct codex_event *ev)
{
	const json_t *item = json_object_get(ev->json, "item");
	const char *name = NULL;
	json_t *out;

	for (size_t i = 0; i < sizeof item_types / sizeof item_types[0]; i++)
		if (item_types[i].type == ev->item_type)
			name = item_types[i].name;
	out = json_pack("{s:s?, s:s}", "id", string_at(item, "id"), "type", name ? name : "other");
	if (ev->text)
		json_object_set_new(out, ev->item_type == CODEX_ITEM_ERROR ? "message" : "text",
		                    json_string(ev->text));
	if (ev->command)
		json_object_set_new(out, "command", json_string(ev->command));
	if (ev->has_exit_code)
		json_object_set_new(out, "exit_code", json_integer(ev->exit_code));
	if (ev->item_type == CODEX_ITEM_COMMAND && string_at(item, "aggregatedOutput"))
		json_object_set_new(out, "aggregated_output",
		                    json_string(string_at(item, "aggregatedOutput")));
	if (ev->changes)
		json_object_set(out, "changes", ev->changes);
	if (string_at(item, "status"))
		json_object_set_new(out, "status", json_string(string_at(item, "status")));
	return out;
}

json_t *codex_event_exec_json(const struct codex_event *ev, const int64_t turn_usage[4])
{
	switch (ev->type) {
	case CODEX_EVENT_THREAD_STARTED:
		return json_pack("{s:s, s:s?}", "type", "thread.started", "thread_id",
		                 ev->thread_id);
	case CODEX_EVENT_TURN_STARTED:
		return json_pack("{s:s}", "type", "turn.started");
	case CODEX_EVENT_TURN_COMPLETED:
		return json_pack("{s:s, s:{s:I, s:I, s:I, s:I}}", "type", "turn.completed", "usage",
		                 "input_tokens", (json_int_t)turn_usage[0], "cached_input_tokens",
		                 (json_int_t)turn_usage[1], "output_tokens",
		                 (json_int_t)turn_usage[2], "reasoning_output_tokens",
		                 (json_int_t)turn_usage[3]);
	case CODEX_EVENT_TURN_FAILED:
		return json_pack("{s:s, s:{s:s}}", "type", "turn.failed", "error", "message",
		                 ev->text ? ev->text : "the turn failed");
	case CODEX_EVENT_ERROR:
		return json_pack("{s:s, s:s}", "type", "error", "message",
		                 ev->text ? ev->text : "unknown error");
	case CODEX_EVENT_ITEM_STARTED:
	case CODEX_EVENT_ITEM_UPDATED:
	case CODEX_EVENT_ITEM_COMPLETED:
		if (ev->item_type == CODEX_ITEM_NONE)
			return NULL;
		return json_pack("{s:s, s:o}", "type",
		                 ev->type == CODEX_EVENT_ITEM_STARTED   ? "item.started"
		                 : ev->type == CODEX_EVENT_ITEM_UPDATED ? "item.updated"
		                                                        : "item.completed",
		                 "item", exec_item(ev));
	default:
		return NULL;
	}
}

void codex_event_clear(struct codex_event *ev)
{
	json_decref(ev->json);
	arena_free(ev->strings);
	memset(ev, 0, sizeof *ev);
}

/*
 * "ran: COMMAND (exit N)" into buf, cut as snprintf cuts: the line of nearly every
 * event of a busy run, so built without printf.
 */
static void ran(char *buf, size_t size, const char *shown, bool has_code, int code)
{
	char tail[24], digits[12];
	size_t at = 0, n, d = 0;
	unsigned u = code < 0 ? 0u - (unsigned)code : (unsigned)code;
	const char *parts[3] = {"ran: ", shown, tail};

	do
		digits[d++] = (char)('0' + u % 10);
	while ((u /= 10) && d < sizeof digits);
	n = 0;
	if (has_code) {
		memcpy(tail, " (exit ", 7);
		n = 7;
		if (code < 0)
			tail[n++] = '-';
		while (d)
			tail[n++] = digits[--d];
		tail[n++] = ')';
	}
	tail[n] = '\0';
	if (size == 0)
		return;
	for (int i = 0; i < 3; i++) {
		n = strlen(parts[i]);
		if (n > size - 1 - at)
			n = size - 1 - at;
		memcpy(buf + at, parts[i], n);
		at += n;
	}
	buf[at] = '\0';
}

/* Copies at most size-1 bytes of s into buf, never splitting a character. */
static void copy_text(char *buf, size_t size, const char *s)
{
	size_t len = strlen(s);
	/* Only a cut needs care not to split a character. */
	size_t n = len < size ? len : text_utf8_prefix(s, len, size - 1);

	memcpy(buf, s, n);
	buf[n] = '\0';
}

void codex_command_display(const char *command, char *buf, size_t size)
{
	static const char *const shells[] = {"/bin/bash -lc ", "bash -lc ",     "/bin/sh -c ",
	                                     "sh -c ",         "/bin/zsh -lc ", "zsh -lc "};
	const char *s = command;
	size_t n;

	for (size_t i = 0; i < sizeof shells / sizeof shells[0]; i++) {
		size_t k = strlen(shells[i]);
		if (strncmp(s, shells[i], k) == 0) {
			s += k;
			break;
		}
	}
	n = strlen(s);
	if (s != command && n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0]) {
		/* Undo the shell's quoting: 'it'\''s' -> it's, "say \"hi\"" -> say "hi" */
		char tmp[512];
		size_t o = 0;
		for (size_t i = 1; i + 1 < n && o + 1 < sizeof tmp; i++) {
			if (s[0] == '\'' && strncmp(s + i, "'\\''", 4) == 0) {
				tmp[o++] = '\'';
				i += 3;
			} else if (s[0] == '"' && s[i] == '\\' && i + 2 < n &&
			           strchr("\"\\$`", s[i + 1])) {
				tmp[o++] = s[++i];
			} else {
				tmp[o++] = s[i];
			}
		}
		tmp[o] = '\0';
		copy_text(buf, size, tmp);
		text_sanitize_inplace(buf); /* tmp may have cut a character */
		return;
	}
	copy_text(buf, size, s);
}

static const char *relative_to(const char *path, const char *cwd)
{
	size_t n = cwd ? strlen(cwd) : 0;

	if (n > 0 && strncmp(path, cwd, n) == 0 && path[n] == '/' && path[n + 1])
		return path + n + 1;
	return path;
}

static bool describe_changes(const struct codex_event *ev, const char *cwd, char *buf, size_t size)
{
	size_t count = json_array_size(ev->changes);
	json_t *first = json_array_get(ev->changes, 0);
	const char *path = string_at(first, "path");
	json_t *k = json_object_get(first, "kind");
	/* exec says "add"; app-server says {"type": "add"} */
	const char *kind = json_is_object(k) ? string_at(k, "type") : json_string_value(k);
	const char *verb = "edited";

	if (!path)
		return false;
	if (kind && strcmp(kind, "add") == 0)
		verb = "created";
	else if (kind && strcmp(kind, "delete") == 0)
		verb = "deleted";
	if (count > 1)
		snprintf(buf, size, "%s %s and %zu more", verb, relative_to(path, cwd), count - 1);
	else
		snprintf(buf, size, "%s %s", verb, relative_to(path, cwd));
	return true;
}

static bool describe(const struct codex_event *ev, const char *cwd, char *buf, size_t size)
{
	char shown[256];

	switch (ev->type) {
	case CODEX_EVENT_THREAD_STARTED:
		snprintf(buf, size, "started thread %s", ev->thread_id ? ev->thread_id : "");
		return true;
	case CODEX_EVENT_TURN_STARTED:
		snprintf(buf, size, "turn started");
		return true;
	case CODEX_EVENT_TURN_COMPLETED:
		snprintf(buf, size, "turn completed");
		return true;
	case CODEX_EVENT_TURN_FAILED:
	case CODEX_EVENT_ERROR:
		copy_text(shown, sizeof shown, ev->text ? ev->text : "unknown error");
		snprintf(buf, size, "error: %s", shown);
		return true;
	case CODEX_EVENT_ITEM_STARTED:
	case CODEX_EVENT_ITEM_COMPLETED:
		break;
	default:
		return false;
	}

	bool started = ev->type == CODEX_EVENT_ITEM_STARTED;
	switch (ev->item_type) {
	case CODEX_ITEM_REASONING:
		snprintf(buf, size, "thinking");
		return true;
	case CODEX_ITEM_COMMAND:
		codex_command_display(ev->command ? ev->command : "", shown, sizeof shown);
		if (started)
			snprintf(buf, size, "running: %s", shown);
		else
			ran(buf, size, shown, ev->has_exit_code, ev->exit_code);
		return true;
	case CODEX_ITEM_FILE_CHANGE:
		return !started && describe_changes(ev, cwd, buf, size);
	case CODEX_ITEM_AGENT_MESSAGE:
		if (started)
			return false;
		copy_text(shown, 120, ev->text ? ev->text : "");
		snprintf(buf, size, "message: %s", shown);
		return true;
	case CODEX_ITEM_MCP_TOOL_CALL: {
		json_t *item = json_object_get(ev->json, "item");
		const char *server = string_at(item, "server");
		const char *tool = string_at(item, "tool");
		snprintf(buf, size, "%s tool %s.%s", started ? "calling" : "called",
		         server ? server : "?", tool ? tool : "?");
		return true;
	}
	case CODEX_ITEM_WEB_SEARCH: {
		const char *query = string_at(json_object_get(ev->json, "item"), "query");
		copy_text(shown, sizeof shown, query ? query : "");
		snprintf(buf, size, "searching the web: %s", shown);
		return true;
	}
	case CODEX_ITEM_TODO_LIST:
		snprintf(buf, size, "updated the plan");
		return true;
	case CODEX_ITEM_ERROR:
		copy_text(shown, sizeof shown, ev->text ? ev->text : "");
		snprintf(buf, size, "warning: %s", shown);
		return true;
	default:
		return false;
	}
}

bool codex_event_describe(const struct codex_event *ev, const char *cwd, char *buf, size_t size)
{
	if (!describe(ev, cwd, buf, size))
		return false;
	/* snprintf may have cut a character in half, but only when it filled the buffer. */
	if (strlen(buf) + 1 >= size)
		text_sanitize_inplace(buf);
	return true;
}
