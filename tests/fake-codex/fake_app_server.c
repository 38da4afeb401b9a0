/*
 * A fake `codex app-server` for the faults a real one cannot be made to show on cue.
 *
 *   fake-app-server app-server --help   exits 0, as a Codex that has app-server does
 *   fake-app-server app-server          speaks its JSON-RPC on stdin and stdout
 *
 * It answers initialize, thread/start, thread/resume and turn/interrupt, and runs a turn by
 * the first word of its prompt:
 *
 *   ok            turn/started, an agentMessage "fake ok", turn/completed
 *   garbage       first non-JSON lines, an answer to an id never asked, a notification for
 *                 a thread nobody runs; then as ok
 *   ask-unknown   a request of a method codex-mcp does not know (item/tool/call); once it is
 *                 answered, an agentMessage "answered: <error code>", then turn/completed
 *   hang          turn/started, then nothing, turn/interrupt included
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static unsigned long next_id;
static char asking_turn[160];

static void send(json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	if (text) {
		printf("%s\n", text);
		fflush(stdout);
	}
	free(text);
	json_decref(msg);
}

static void notify(const char *method, json_t *params)
{
	send(json_pack("{s:s, s:o}", "method", method, "params", params));
}

static void answer(json_t *id, json_t *result)
{
	send(json_pack("{s:O, s:o}", "id", id, "result", result));
}

static void message(const char *thread, const char *turn, const char *text)
{
	notify("item/completed",
	       json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "threadId", thread, "turnId", turn,
	                 "item", "type", "agentMessage", "id", "msg-1", "text", text));
}

static void completed(const char *thread, const char *turn)
{
	notify("turn/completed", json_pack("{s:s, s:{s:s, s:s}}", "threadId", thread, "turn", "id",
	                                   turn, "status", "completed"));
}

static void start_turn(json_t *id, json_t *params)
{
	const char *thread = json_string_value(json_object_get(params, "threadId"));
	const char *prompt = json_string_value(
	    json_object_get(json_array_get(json_object_get(params, "input"), 0), "text"));
	char turn[64];

	snprintf(turn, sizeof turn, "turn-%lu", ++next_id);
	answer(id, json_pack("{s:{s:s, s:s}}", "turn", "id", turn, "status", "inProgress"));
	notify("turn/started", json_pack("{s:s, s:{s:s}}", "threadId", thread, "turn", "id", turn));
	if (!prompt)
		prompt = "ok";
	if (strncmp(prompt, "garbage", 7) == 0) {
		printf("this is not JSON\n{\"half\": \n[1, 2, 3]\n");
		send(json_pack("{s:i, s:{}}", "id", 987654, "result"));
		notify("item/completed",
		       json_pack("{s:s, s:s, s:{s:s, s:s}}", "threadId", "no-such", "turnId",
		                 "no-such", "item", "type", "agentMessage", "text", "not yours"));
	} else if (strncmp(prompt, "ask-unknown", 11) == 0) {
		send(json_pack("{s:i, s:s, s:{s:s, s:s, s:s}}", "id", 77, "method",
		               "item/tool/call", "params", "threadId", thread, "turnId", turn,
		               "tool", "mystery"));
		snprintf(asking_turn, sizeof asking_turn, "%s|%s", thread, turn);
		return; /* goes on once the answer comes */
	} else if (strncmp(prompt, "hang", 4) == 0) {
		return;
	}
	message(thread, turn, "fake ok");
	completed(thread, turn);
}

/* The answer to our item/tool/call: say what it was, and end the turn. */
static void answered(json_t *msg)
{
	char thread[160], text[64], *turn;
	json_t *error = json_object_get(msg, "error");

	snprintf(thread, sizeof thread, "%s", asking_turn);
	if (!(turn = strchr(thread, '|')))
		return;
	*turn++ = '\0';
	snprintf(text, sizeof text, "answered: %lld",
	         error ? (long long)json_integer_value(json_object_get(error, "code")) : 0LL);
	message(thread, turn, text);
	completed(thread, turn);
}

static void handle(json_t *msg)
{
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *id = json_object_get(msg, "id");
	json_t *params = json_object_get(msg, "params");
	char thread[64];

	if (!method) {
		if (json_integer_value(id) == 77)
			answered(msg);
		return;
	}
	if (!id)
		return; /* initialized */
	if (strcmp(method, "initialize") == 0) {
		answer(id, json_pack("{s:s}", "userAgent", "fake-app-server"));
	} else if (strcmp(method, "thread/start") == 0 || strcmp(method, "thread/resume") == 0) {
		const char *resumed = json_string_value(json_object_get(params, "threadId"));
		snprintf(thread, sizeof thread, "%s", resumed ? resumed : "");
		if (!resumed)
			snprintf(thread, sizeof thread, "thread-%lu", ++next_id);
		answer(id, json_pack("{s:{s:s}}", "thread", "id", thread));
	} else if (strcmp(method, "turn/start") == 0) {
		start_turn(id, params);
	} else if (strcmp(method, "turn/interrupt") == 0) {
		/* hang: never answered, never done */
	} else {
		send(json_pack("{s:O, s:{s:i, s:s}}", "id", id, "error", "code", -32601, "message",
		               "unknown method"));
	}
}

int main(int argc, char **argv)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t n;

	if (argc >= 3 && strcmp(argv[2], "--help") == 0)
		return 0;
	if (argc < 2 || strcmp(argv[1], "app-server") != 0) {
		fprintf(stderr, "fake-app-server: only `app-server` is faked\n");
		return 2;
	}
	while ((n = getline(&line, &size, stdin)) > 0) {
		json_t *msg = json_loadb(line, (size_t)n, 0, NULL);
		if (msg)
			handle(msg);
		json_decref(msg);
	}
	free(line);
	return 0;
}
