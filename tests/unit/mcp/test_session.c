#include "unit.h"

#include "mcp/seal.h"
#include "mcp/session.h"
#include "rpc/jsonrpc.h"

/*
 * A fake transport that keeps every sent message (parsed), and a fake tool
 * provider: "echo" answers at once, "hold" keeps the request for the test to
 * answer later, and any other name is unknown.
 */
#define MAX_HELD 8

struct fake {
	struct mcp_session *session;
	json_t *sent; /* array of parsed messages */
	json_t *tools;
	int calls;
	char last_name[64];
	json_t *last_args;
	struct mcp_request *held[MAX_HELD];
	size_t held_count;
	int cancels[MAX_HELD]; /* cancel hook calls per held request */
	json_t *last_related;  /* the request the last message was said to belong to */
	bool wants_roots;      /* the tools are confined to the client's roots */
	struct seal_key seal;
	bool last_answer;    /* the last message was its request's answer */
	char last_text[512]; /* the last message's bytes, as sent */
};

static void fake_send(void *ctx, const char *data, size_t len, const json_t *related, bool answer)
{
	struct fake *f = ctx;

	f->last_answer = answer;
	snprintf(f->last_text, sizeof f->last_text, "%.*s", (int)len, data);
	json_decref(f->last_related);
	f->last_related = related ? json_deep_copy(related) : NULL;
	json_error_t err;
	json_t *msg;

	/* One message, no framing: the transport adds the newline. */
	assert_null(memchr(data, '\n', len));
	msg = json_loadb(data, len, 0, &err);
	if (!msg)
		fail_msg("the session sent invalid JSON (%s): %.*s", err.text, (int)len, data);
	json_array_append_new(f->sent, msg);
}

static json_t *fake_list(void *ctx)
{
	struct fake *f = ctx;
	return json_incref(f->tools);
}

static void on_cancel(void *data)
{
	int *counter = data;
	(*counter)++;
}

static int fake_call(void *ctx, struct mcp_request *req, const char *name, json_t *arguments)
{
	struct fake *f = ctx;

	f->calls++;
	snprintf(f->last_name, sizeof f->last_name, "%s", name);
	json_decref(f->last_args);
	f->last_args = json_deep_copy(arguments);
	assert_non_null(mcp_request_id(req));
	assert_ptr_equal(mcp_request_session(req), f->session);
	if (strcmp(name, "echo") == 0) {
		mcp_request_reply(req, json_pack("{s:O}", "echo", arguments));
		return 0;
	}
	if (strcmp(name, "hold") == 0) {
		assert_true(f->held_count < MAX_HELD);
		mcp_request_on_cancel(req, on_cancel, &f->cancels[f->held_count]);
		f->held[f->held_count++] = req;
		return 0;
	}
	return -1;
}

static const struct seal_key *fake_key(void *ctx, char *err, size_t err_size)
{
	struct fake *f = ctx;

	(void)err;
	(void)err_size;
	return &f->seal;
}

static bool fake_wants_roots(void *ctx, const char *name)
{
	struct fake *f = ctx;

	(void)name;
	return f->wants_roots;
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof *f);
	static const struct mcp_server_info info = {
	    .name = "codex-mcp",
	    .title = "Codex MCP",
	    .version = "9.9.9",
	    .instructions = "use the codex tool",
	};
	struct mcp_tool_provider provider = {
	    .list = fake_list, .call = fake_call, .wants_roots = fake_wants_roots};
	struct mcp_transport transport = {.send = fake_send};

	if (!f)
		return -1;
	f->sent = json_array();
	f->tools = json_pack("[{s:s}, {s:s}]", "name", "echo", "name", "hold");
	provider.ctx = f;
	transport.ctx = f;
	struct mcp_sealer sealer = {fake_key, f};
	assert_int_equal(seal_key_random(&f->seal), 0);
	f->session = mcp_session_new(&info, &provider, &transport, &sealer);
	if (!f->session)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	mcp_session_free(f->session);
	json_decref(f->sent);
	json_decref(f->tools);
	json_decref(f->last_args);
	json_decref(f->last_related);
	free(f);
	return 0;
}

static void receive(struct fake *f, const char *text)
{
	mcp_session_receive(f->session, text, strlen(text));
}

static size_t sent_count(struct fake *f)
{
	return json_array_size(f->sent);
}

static json_t *sent(struct fake *f, size_t i)
{
	return json_array_get(f->sent, i);
}

static void clear_sent(struct fake *f)
{
	json_array_clear(f->sent);
}

/* Checks that exactly one message was sent and returns it. */
static json_t *only_sent(struct fake *f)
{
	if (sent_count(f) != 1) {
		char *all = json_dumps(f->sent, JSON_COMPACT);
		print_error("sent: %s\n", all);
		free(all);
		fail_msg("expected one message, got %zu", sent_count(f));
	}
	return sent(f, 0);
}

static void assert_id(json_t *msg, const char *id_json)
{
	json_t *want = json_loads(id_json, JSON_DECODE_ANY, NULL);
	json_t *got = json_object_get(msg, "id");

	assert_non_null(want);
	if (!got || !json_equal(got, want)) {
		char *text = json_dumps(msg, JSON_COMPACT);
		print_error("message: %s\n", text);
		free(text);
		fail_msg("id is not %s", id_json);
	}
	json_decref(want);
}

/* Checks msg is an error answer with this id and code; returns its message. */
static const char *assert_error(json_t *msg, const char *id_json, int code)
{
	json_t *error = json_object_get(msg, "error");

	assert_string_equal(json_string_value(json_object_get(msg, "jsonrpc")), "2.0");
	assert_id(msg, id_json);
	if (!json_is_object(error)) {
		char *text = json_dumps(msg, JSON_COMPACT);
		print_error("message: %s\n", text);
		free(text);
		fail_msg("not an error response");
	}
	assert_null(json_object_get(msg, "result"));
	assert_int_equal(json_integer_value(json_object_get(error, "code")), code);
	assert_true(json_is_string(json_object_get(error, "message")));
	return json_string_value(json_object_get(error, "message"));
}

/* Checks msg is a result answer with this id; returns the result. */
static json_t *assert_result(json_t *msg, const char *id_json)
{
	json_t *result = json_object_get(msg, "result");

	assert_string_equal(json_string_value(json_object_get(msg, "jsonrpc")), "2.0");
	assert_id(msg, id_json);
	if (!result) {
		char *text = json_dumps(msg, JSON_COMPACT);
		print_error("message: %s\n", text);
		free(text);
		fail_msg("not a result response");
	}
	assert_null(json_object_get(msg, "error"));
	return result;
}

static void initialize(struct fake *f)
{
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
	           "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
	           "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
	assert_result(only_sent(f), "0");
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
	assert_int_equal(sent_count(f), 1);
	clear_sent(f);
}

/* ---- initialize ---- */

static void test_initialize_result(void **state)
{
	struct fake *f = *state;
	json_t *result, *caps, *info;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
	           "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
	           "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
	result = assert_result(only_sent(f), "1");
	assert_string_equal(json_string_value(json_object_get(result, "protocolVersion")),
	                    "2025-11-25");
	caps = json_object_get(result, "capabilities");
	assert_true(json_is_object(json_object_get(caps, "tools")));
	assert_true(json_is_object(json_object_get(caps, "logging")));
	info = json_object_get(result, "serverInfo");
	assert_string_equal(json_string_value(json_object_get(info, "name")), "codex-mcp");
	assert_string_equal(json_string_value(json_object_get(info, "title")), "Codex MCP");
	assert_string_equal(json_string_value(json_object_get(info, "version")), "9.9.9");
	assert_string_equal(json_string_value(json_object_get(result, "instructions")),
	                    "use the codex tool");
}

static void test_initialize_each_version_echoed(void **state)
{
	(void)state;
	static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26",
	                                       "2024-11-05"};

	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		void *st;
		char text[256];
		assert_int_equal(setup(&st), 0);
		struct fake *f = st;
		snprintf(text, sizeof text,
		         "{\"jsonrpc\":\"2.0\",\"id\":\"init\",\"method\":\"initialize\","
		         "\"params\":{\"protocolVersion\":\"%s\",\"capabilities\":{}}}",
		         versions[i]);
		receive(f, text);
		json_t *result = assert_result(only_sent(f), "\"init\"");
		assert_string_equal(json_string_value(json_object_get(result, "protocolVersion")),
		                    versions[i]);
		teardown(&st);
	}
}

static void test_initialize_unknown_version(void **state)
{
	struct fake *f = *state;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	           "\"params\":{\"protocolVersion\":\"1999-01-01\",\"capabilities\":{}}}");
	json_t *result = assert_result(only_sent(f), "1");
	assert_string_equal(json_string_value(json_object_get(result, "protocolVersion")),
	                    "2025-11-25");
}

static void test_initialize_missing_version(void **state)
{
	struct fake *f = *state;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	           "\"params\":{\"capabilities\":{}}}");
	assert_error(only_sent(f), "1", RPC_INVALID_PARAMS);
	clear_sent(f);

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\"}");
	assert_error(only_sent(f), "2", RPC_INVALID_PARAMS);
	clear_sent(f);

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\","
	           "\"params\":{\"protocolVersion\":20250618}}");
	assert_error(only_sent(f), "3", RPC_INVALID_PARAMS);
	clear_sent(f);

	/* A failed initialize does not count: the next one succeeds. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"initialize\","
	           "\"params\":{\"protocolVersion\":\"2024-11-05\"}}");
	json_t *result = assert_result(only_sent(f), "4");
	assert_string_equal(json_string_value(json_object_get(result, "protocolVersion")),
	                    "2024-11-05");
}

static void test_initialize_twice(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"initialize\","
	           "\"params\":{\"protocolVersion\":\"2025-06-18\"}}");
	assert_error(only_sent(f), "7", RPC_INVALID_REQUEST);
}

/* ---- basic methods and errors ---- */

static void test_ping(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"ping\"}");
	json_t *result = assert_result(only_sent(f), "\"p\"");
	assert_true(json_is_object(result));
	assert_int_equal(json_object_size(result), 0);
	assert_int_equal(json_object_size(only_sent(f)), 3);
}

static void test_unknown_method(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"resources/list\"}");
	const char *message = assert_error(only_sent(f), "12", RPC_METHOD_NOT_FOUND);
	assert_non_null(strstr(message, "resources/list"));
}

static void test_unparsable(void **state)
{
	struct fake *f = *state;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
	assert_error(only_sent(f), "null", RPC_PARSE_ERROR);
	clear_sent(f);

	receive(f, "not json at all");
	assert_error(only_sent(f), "null", RPC_PARSE_ERROR);
	clear_sent(f);

	mcp_session_receive_overflow(f->session, 1024);
	const char *message = assert_error(only_sent(f), "null", RPC_PARSE_ERROR);
	assert_non_null(strstr(message, "1024"));
}

static void test_invalid_request(void **state)
{
	struct fake *f = *state;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":5}");
	assert_error(only_sent(f), "3", RPC_INVALID_REQUEST);
	clear_sent(f);

	receive(f, "[{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}]");
	assert_error(only_sent(f), "null", RPC_INVALID_REQUEST);
	clear_sent(f);

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}");
	assert_error(only_sent(f), "null", RPC_INVALID_REQUEST);
	clear_sent(f);

	receive(f, "{\"id\":4,\"method\":\"ping\"}");
	assert_error(only_sent(f), "4", RPC_INVALID_REQUEST);
	clear_sent(f);

	/* params must be an object for every method here */
	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\",\"params\":[]}");
	assert_error(only_sent(f), "5", RPC_INVALID_PARAMS);
}

static void test_notifications_never_answered(void **state)
{
	struct fake *f = *state;

	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/unknown\",\"params\":{}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"no/such/method\"}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}");
	receive(f,
	        "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	           "\"params\":{\"requestId\":99}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":[1]}");
	assert_int_equal(sent_count(f), 0);
	/* A tools/call notification must not run a tool either. */
	assert_int_equal(f->calls, 0);

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/roots/list_changed\"}");
	assert_int_equal(sent_count(f), 0);
}

static void test_responses_ignored(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":{\"roots\":[]}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32601,\"message\":\"m\"}}");
	assert_int_equal(sent_count(f), 0);
}

/* A client's error answer to something it could not parse has "id": null (JSON-RPC 2.0, 5). */
static void test_null_id_error_response_ignored(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":null,"
	           "\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}");
	if (sent_count(f) != 0) {
		char *all = json_dumps(f->sent, JSON_COMPACT);
		print_error("sent: %s\n", all);
		free(all);
	}
	assert_int_equal(sent_count(f), 0);
}

static void test_tools_list(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
	json_t *result = assert_result(only_sent(f), "2");
	assert_true(json_equal(json_object_get(result, "tools"), f->tools));
}

/* ---- tools/call ---- */

static void test_call_echo(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"echo\",\"arguments\":{\"prompt\":\"hi\"}}}");
	json_t *result = assert_result(only_sent(f), "\"c1\"");
	assert_string_equal(f->last_name, "echo");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(result, "echo"), "prompt")), "hi");
	assert_int_equal(mcp_session_requests_in_flight(f->session), 0);
	clear_sent(f);

	/* No arguments: the tool sees an empty object. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":\"c2\",\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"echo\"}}");
	assert_result(only_sent(f), "\"c2\"");
	assert_true(json_is_object(f->last_args));
	assert_int_equal(json_object_size(f->last_args), 0);
}

static void test_call_name_not_string(void **state)
{
	struct fake *f = *state;
	static const char *const cases[] = {
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":5}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":null}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}",
	};

	initialize(f);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		receive(f, cases[i]);
		const char *message = assert_error(only_sent(f), "1", RPC_INVALID_PARAMS);
		assert_non_null(strstr(message, "name"));
		clear_sent(f);
	}
	assert_int_equal(f->calls, 0);
	assert_int_equal(mcp_session_requests_in_flight(f->session), 0);
}

static void test_call_unknown_tool(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"nosuch\",\"arguments\":{}}}");
	const char *message = assert_error(only_sent(f), "8", RPC_INVALID_PARAMS);
	assert_non_null(strstr(message, "nosuch"));
	assert_int_equal(f->calls, 1);
	assert_int_equal(mcp_session_requests_in_flight(f->session), 0);
	clear_sent(f);

	/* The id is free again. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"}");
	assert_result(only_sent(f), "8");
}

static void test_call_arguments_not_object(void **state)
{
	struct fake *f = *state;
	static const char *const cases[] = {
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"echo\",\"arguments\":\"prompt\"}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"echo\",\"arguments\":[1]}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"echo\",\"arguments\":3}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"echo\",\"arguments\":true}}",
	};

	initialize(f);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		receive(f, cases[i]);
		const char *message = assert_error(only_sent(f), "1", RPC_INVALID_PARAMS);
		assert_non_null(strstr(message, "arguments"));
		clear_sent(f);
	}
	assert_int_equal(f->calls, 0);
	assert_int_equal(mcp_session_requests_in_flight(f->session), 0);
}

static void test_duplicate_in_flight_id(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"hold\"}}");
	assert_int_equal(sent_count(f), 0);
	assert_int_equal(mcp_session_requests_in_flight(f->session), 1);

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"hold\"}}");
	assert_error(only_sent(f), "5", RPC_INVALID_REQUEST);
	assert_int_equal(f->calls, 1);
	clear_sent(f);

	/* Any method with that id is refused while it is in flight... */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}");
	assert_error(only_sent(f), "5", RPC_INVALID_REQUEST);
	clear_sent(f);

	/* ...but "5" (a string) is another id. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":\"5\",\"method\":\"ping\"}");
	assert_result(only_sent(f), "\"5\"");
	clear_sent(f);

	mcp_request_reply(f->held[0], json_object());
	assert_result(only_sent(f), "5");
	assert_int_equal(mcp_session_requests_in_flight(f->session), 0);
	clear_sent(f);

	/* Answered, so the id can be used again. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}");
	assert_result(only_sent(f), "5");
}

static void test_cancel(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"hold\"}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":22,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"hold\"}}");
	assert_int_equal(f->held_count, 2);
	assert_int_equal(mcp_session_requests_in_flight(f->session), 2);

	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	           "\"params\":{\"requestId\":21,\"reason\":\"user\"}}");
	assert_int_equal(f->cancels[0], 1);
	assert_int_equal(f->cancels[1], 0);
	assert_true(mcp_request_cancelled(f->held[0]));
	assert_false(mcp_request_cancelled(f->held[1]));
	assert_int_equal(sent_count(f), 0);

	/* Cancelling again calls nothing. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	           "\"params\":{\"requestId\":21}}");
	assert_int_equal(f->cancels[0], 1);

	/* The provider still answers; the answer is not sent. */
	mcp_request_reply(f->held[0], json_pack("{s:s}", "late", "reply"));
	assert_int_equal(sent_count(f), 0);
	assert_int_equal(mcp_session_requests_in_flight(f->session), 1);

	/* A cancel for an answered request does nothing. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	           "\"params\":{\"requestId\":21}}");
	assert_int_equal(f->cancels[0], 1);
	assert_int_equal(sent_count(f), 0);

	/* The other request is unaffected. */
	mcp_request_reply(f->held[1], json_object());
	assert_result(only_sent(f), "22");
	assert_int_equal(f->cancels[1], 0);
	assert_int_equal(mcp_session_requests_in_flight(f->session), 0);
}

static void test_cancel_then_fail_suppressed(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"hold\"}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	           "\"params\":{\"requestId\":\"s\"}}");
	assert_int_equal(f->cancels[0], 1);
	mcp_request_fail(f->held[0], RPC_INTERNAL_ERROR, "stopped");
	assert_int_equal(sent_count(f), 0);
	assert_int_equal(mcp_session_requests_in_flight(f->session), 0);
}

static void test_progress_with_token(void **state)
{
	struct fake *f = *state;
	double last = 0;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":30,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"hold\",\"_meta\":{\"progressToken\":\"tok\"}}}");
	mcp_request_progress(f->held[0], "one");
	mcp_request_progress(f->held[0], "two");
	mcp_request_progress(f->held[0], "three");
	assert_int_equal(sent_count(f), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *msg = sent(f, i);
		json_t *params = json_object_get(msg, "params");
		static const char *const texts[] = {"one", "two", "three"};
		assert_string_equal(json_string_value(json_object_get(msg, "method")),
		                    "notifications/progress");
		assert_null(json_object_get(msg, "id"));
		assert_string_equal(json_string_value(json_object_get(params, "progressToken")),
		                    "tok");
		assert_string_equal(json_string_value(json_object_get(params, "message")),
		                    texts[i]);
		assert_true(json_is_number(json_object_get(params, "progress")));
		double p = json_number_value(json_object_get(params, "progress"));
		assert_true(p > last);
		last = p;
	}
	clear_sent(f);
	mcp_request_reply(f->held[0], json_object());
	assert_result(only_sent(f), "30");
}

static void test_progress_integer_token(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":31,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"hold\",\"_meta\":{\"progressToken\":77}}}");
	mcp_request_progress(f->held[0], "working");
	json_t *params = json_object_get(only_sent(f), "params");
	assert_int_equal(json_integer_value(json_object_get(params, "progressToken")), 77);
	clear_sent(f);

	/* No progress once cancelled. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	           "\"params\":{\"requestId\":31}}");
	mcp_request_progress(f->held[0], "still working");
	assert_int_equal(sent_count(f), 0);
	mcp_request_reply(f->held[0], json_object());
	assert_int_equal(sent_count(f), 0);
}

/*
 * Byte for byte what jansson writes for the whole message: counts are reals, a real token
 * has the digits that read back as the same double.
 */
static void test_progress_bytes(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":34,\"method\":\"tools/call\",\"params\":{\"name\":"
	           "\"hold\",\"_meta\":{\"progressToken\":\"t\\\"\u00e9\\u0001\"}}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":35,\"method\":\"tools/call\",\"params\":{\"name\":"
	           "\"hold\",\"_meta\":{\"progressToken\":0.12345678901234567}}}");
	mcp_request_progress(f->held[0], "one");
	mcp_request_progress(f->held[0], "say \"hi\"\n\x01 \xc3\xa9 cut \xe2\x9c");
	assert_string_equal(f->last_text,
	                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
	                    "\"params\":{\"progressToken\":\"t\\\"\u00e9\\u0001\","
	                    "\"progress\":2.0,\"message\":\"say \\\"hi\\\"\\n\\u0001 "
	                    "\u00e9 cut ??\"}}");
	for (int i = 0; i < 10; i++)
		mcp_request_progress(f->held[1], "");
	assert_string_equal(f->last_text,
	                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
	                    "\"params\":{\"progressToken\":0.12345678901234566,"
	                    "\"progress\":10.0,\"message\":\"\"}}");
	/* Each ASCII character, as jansson writes it in a string. */
	for (int c = 1; c < 0x80; c++) {
		char message[4] = {'a', (char)c, 'b', '\0'}, want[256];
		json_t *text = json_string(message);
		char *quoted = json_dumps(text, JSON_COMPACT | JSON_ENCODE_ANY);

		mcp_request_progress(f->held[1], message);
		snprintf(want, sizeof want,
		         "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{"
		         "\"progressToken\":0.12345678901234566,\"progress\":%d.0,\"message\":%s}}",
		         10 + c, quoted);
		assert_string_equal(f->last_text, want);
		free(quoted);
		json_decref(text);
	}
	assert_false(f->last_answer);
	assert_int_equal(json_integer_value(f->last_related), 35);
	mcp_request_reply(f->held[0], json_object());
	mcp_request_reply(f->held[1], json_object());
}

static void test_progress_without_token(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":32,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"hold\"}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":33,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"hold\",\"_meta\":{}}}");
	mcp_request_progress(f->held[0], "a");
	mcp_request_progress(f->held[1], "b");
	assert_int_equal(sent_count(f), 0);
	mcp_request_reply(f->held[0], json_object());
	mcp_request_reply(f->held[1], json_object());
	assert_int_equal(sent_count(f), 2);
}

/* ---- logging ---- */

static void test_log_nothing_before_set_level(void **state)
{
	struct fake *f = *state;

	initialize(f);
	for (int level = LOG_DEBUG; level <= LOG_EMERGENCY; level++)
		mcp_session_log(f->session, (enum log_level)level, "hidden");
	assert_int_equal(sent_count(f), 0);
}

/* A real id comes back as the same double, in as few digits as that takes. */
static void test_real_ids_read_back(void **state)
{
	struct fake *f = *state;
	static const char *const ids[] = {"0.12345678901234567", "0.1", "1e300", "-2.5e-310",
	                                  "3.141592653589793"};

	initialize(f);
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}",
		         ids[i]);
		clear_sent(f);
		receive(f, text);
		json_t *id = json_object_get(only_sent(f), "id");
		assert_true(json_is_real(id));
		assert_true(json_real_value(id) == strtod(ids[i], NULL));
	}
}

/* Text cut inside a character, or never UTF-8, still makes a notification with its params. */
static void test_notifications_of_broken_text(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":40,\"method\":\"logging/setLevel\","
	           "\"params\":{\"level\":\"debug\"}}");
	clear_sent(f);
	mcp_session_log(f->session, LOG_WARNING, "bad \xc3 byte");
	json_t *params = json_object_get(only_sent(f), "params");
	assert_string_equal(json_string_value(json_object_get(params, "level")), "warning");
	assert_non_null(strstr(json_string_value(json_object_get(params, "data")), "byte"));
	clear_sent(f);

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":30,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"hold\",\"_meta\":{\"progressToken\":\"tok\"}}}");
	mcp_request_progress(f->held[0], "cut \xe2\x9c");
	params = json_object_get(only_sent(f), "params");
	assert_string_equal(json_string_value(json_object_get(params, "progressToken")), "tok");
	assert_non_null(strstr(json_string_value(json_object_get(params, "message")), "cut"));
	clear_sent(f);
	mcp_request_reply(f->held[0], json_object());
	assert_result(only_sent(f), "30");
}

static void test_set_level_and_filter(void **state)
{
	struct fake *f = *state;

	initialize(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":40,\"method\":\"logging/setLevel\","
	           "\"params\":{\"level\":\"warning\"}}");
	json_t *result = assert_result(only_sent(f), "40");
	assert_int_equal(json_object_size(result), 0);
	clear_sent(f);

	mcp_session_log(f->session, LOG_DEBUG, "d");
	mcp_session_log(f->session, LOG_INFO, "i");
	mcp_session_log(f->session, LOG_NOTICE, "n");
	assert_int_equal(sent_count(f), 0);
	mcp_session_log(f->session, LOG_WARNING, "w");
	mcp_session_log(f->session, LOG_ERROR, "e");
	mcp_session_log(f->session, LOG_EMERGENCY, "x");
	assert_int_equal(sent_count(f), 3);

	json_t *msg = sent(f, 0);
	json_t *params = json_object_get(msg, "params");
	assert_string_equal(json_string_value(json_object_get(msg, "method")),
	                    "notifications/message");
	assert_null(json_object_get(msg, "id"));
	assert_string_equal(json_string_value(json_object_get(params, "level")), "warning");
	assert_string_equal(json_string_value(json_object_get(params, "data")), "w");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(sent(f, 1), "params"), "level")),
	    "error");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(sent(f, 2), "params"), "level")),
	    "emergency");
	clear_sent(f);

	/* Lowering the level lets debug through. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"logging/setLevel\","
	           "\"params\":{\"level\":\"debug\"}}");
	clear_sent(f);
	mcp_session_log(f->session, LOG_DEBUG, "now visible");
	params = json_object_get(only_sent(f), "params");
	assert_string_equal(json_string_value(json_object_get(params, "level")), "debug");
	assert_string_equal(json_string_value(json_object_get(params, "data")), "now visible");
}

static void test_set_level_invalid(void **state)
{
	struct fake *f = *state;
	static const char *const cases[] = {
	    "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"logging/setLevel\","
	    "\"params\":{\"level\":\"loud\"}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"logging/setLevel\","
	    "\"params\":{\"level\":\"WARNING\"}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"logging/setLevel\","
	    "\"params\":{\"level\":3}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"logging/setLevel\",\"params\":{}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"logging/setLevel\"}",
	};

	initialize(f);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		receive(f, cases[i]);
		assert_error(only_sent(f), "42", RPC_INVALID_PARAMS);
		clear_sent(f);
	}
	/* A refused setLevel does not turn logging on. */
	mcp_session_log(f->session, LOG_EMERGENCY, "hidden");
	assert_int_equal(sent_count(f), 0);
}

static void test_notify(void **state)
{
	struct fake *f = *state;

	mcp_session_notify(f->session, "codex/event", json_pack("{s:s}", "type", "turn.started"));
	mcp_session_notify(f->session, "x/y", NULL);
	assert_int_equal(sent_count(f), 2);
	json_t *msg = sent(f, 0);
	assert_string_equal(json_string_value(json_object_get(msg, "method")), "codex/event");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(msg, "params"), "type")),
	    "turn.started");
	assert_null(json_object_get(sent(f, 1), "params"));
}

/* ---- the 2026-07-28 era ---- */

#define ENVELOPE(caps)                                                                             \
	"\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","                   \
	"\"io.modelcontextprotocol/clientCapabilities\":" caps "}"

/* Checks a modern result: resultType and serverInfo, as every 2026 result must carry. */
static json_t *assert_modern_result(json_t *msg, const char *id_json, const char *type)
{
	json_t *result = json_object_get(msg, "result");

	assert_id(msg, id_json);
	assert_true(json_is_object(result));
	assert_string_equal(json_string_value(json_object_get(result, "resultType")), type);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(json_object_get(result, "_meta"),
	                                                      "io.modelcontextprotocol/serverInfo"),
	                                      "name")),
	    "codex-mcp");
	return result;
}

static void test_modern_discover(void **state)
{
	struct fake *f = *state;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"server/"
	           "discover\",\"params\":{" ENVELOPE("{}") "}}");
	json_t *result = assert_modern_result(only_sent(f), "\"p\"", "complete");
	json_t *versions = json_object_get(result, "supportedVersions");
	assert_int_equal(json_array_size(versions), 1);
	assert_string_equal(json_string_value(json_array_get(versions, 0)), "2026-07-28");
	assert_true(json_is_object(json_object_get(result, "capabilities")));
	assert_null(json_object_get(json_object_get(result, "capabilities"), "tasks"));
	assert_true(json_is_integer(json_object_get(result, "ttlMs")));
	assert_string_equal(json_string_value(json_object_get(result, "cacheScope")), "public");
	assert_string_equal(json_string_value(json_object_get(result, "instructions")),
	                    "use the codex tool");
	/* Stateless: the session was never initialized, and still is not. */
	clear_sent(f);
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
	           "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}");
	assert_non_null(json_object_get(only_sent(f), "result"));
}

static void test_modern_envelope_errors(void **state)
{
	struct fake *f = *state;
	json_t *data;

	/* No clientCapabilities: -32602. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
	           "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}");
	assert_error(only_sent(f), "1", -32602);
	clear_sent(f);
	/* A version nobody serves: -32022 with what is served and what was asked. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
	           "\"io.modelcontextprotocol/protocolVersion\":\"v999.0.0\","
	           "\"io.modelcontextprotocol/clientCapabilities\":{}}}}");
	assert_error(only_sent(f), "2", -32022);
	data = json_object_get(json_object_get(sent(f, 0), "error"), "data");
	assert_string_equal(json_string_value(json_object_get(data, "requested")), "v999.0.0");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(data, "supported"), 0)), "2026-07-28");
	clear_sent(f);
	/* An initialize with a modern envelope is a method 2026-07-28 does not have. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":{"
	           "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}," ENVELOPE("{}") "}}");
	assert_error(only_sent(f), "3", -32601);
	clear_sent(f);
	static const char *const removed[] = {"ping", "logging/setLevel", "tasks/result",
	                                      "tasks/list", "resources/subscribe"};
	for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++) {
		char line[512];
		snprintf(line, sizeof line,
		         "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"%s\",\"params\":{" ENVELOPE(
		             "{\"extensions\":{\"io.modelcontextprotocol/tasks\":{}}}") "}}",
		         10 + i, removed[i]);
		receive(f, line);
		char id[16];
		snprintf(id, sizeof id, "%zu", 10 + i);
		assert_error(only_sent(f), id, -32601);
		clear_sent(f);
	}
	/* The tasks methods need the extension declared in this request. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":20,\"method\":\"tasks/get\",\"params\":{\"taskId\":"
	           "\"x\"," ENVELOPE("{}") "}}");
	assert_int_equal(sent_count(f), 1);
	assert_int_equal(f->calls, 0);
}

static void test_modern_tools_list_and_call(void **state)
{
	struct fake *f = *state;

	json_object_set_new(json_array_get(f->tools, 0), "execution",
	                    json_pack("{s:s}", "taskSupport", "optional"));
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{" ENVELOPE(
	               "{}") "}}");
	json_t *result = assert_modern_result(only_sent(f), "1", "complete");
	assert_int_equal(json_array_size(json_object_get(result, "tools")), 2);
	assert_null(
	    json_object_get(json_array_get(json_object_get(result, "tools"), 0), "execution"));
	assert_true(json_is_integer(json_object_get(result, "ttlMs")));
	assert_true(json_is_string(json_object_get(result, "cacheScope")));
	clear_sent(f);
	/* The legacy listing of the same session keeps its execution field. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
	assert_non_null(json_object_get(
	    json_array_get(json_object_get(json_object_get(only_sent(f), "result"), "tools"), 0),
	    "execution"));
	assert_null(json_object_get(json_object_get(sent(f, 0), "result"), "resultType"));
	clear_sent(f);

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":"
	           "\"echo\",\"arguments\":{\"a\":1}," ENVELOPE("{}") "}}");
	assert_modern_result(only_sent(f), "3", "complete");
	assert_non_null(f->last_related);
	assert_true(json_equal(f->last_related, json_object_get(sent(f, 0), "id")));
}

/* Progress and logs go to the request they belong to, logs only when it asked for them. */
static void test_modern_progress_and_logs(void **state)
{
	struct fake *f = *state;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/call\",\"params\":{"
	           "\"name\":\"hold\",\"_meta\":{\"progressToken\":7,"
	           "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	           "\"io.modelcontextprotocol/logLevel\":\"info\","
	           "\"io.modelcontextprotocol/clientCapabilities\":{}}}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"tools/call\",\"params\":{"
	           "\"name\":\"hold\"," ENVELOPE("{}") "}}");
	assert_int_equal(f->held_count, 2);
	mcp_request_progress(f->held[0], "working");
	mcp_request_log(f->held[0], LOG_INFO, "started");
	mcp_request_log(f->held[0], LOG_DEBUG, "too fine");
	mcp_request_log(f->held[1], LOG_ERROR, "not asked for");
	mcp_session_log(f->session, LOG_ERROR, "the server's own, no setLevel");
	assert_int_equal(sent_count(f), 2);
	assert_string_equal(json_string_value(json_object_get(sent(f, 0), "method")),
	                    "notifications/progress");
	assert_string_equal(json_string_value(json_object_get(sent(f, 1), "method")),
	                    "notifications/message");
	assert_string_equal(json_string_value(f->last_related), "a");
	/* notifications/cancelled cancels a modern call as a legacy one. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
	           "\"requestId\":\"b\"," ENVELOPE("{}") "}}");
	assert_int_equal(f->cancels[1], 1);
	mcp_request_reply(f->held[0], json_object());
	mcp_request_reply(f->held[1], json_object());
	assert_int_equal(sent_count(f), 3);
}

/* Roots are asked with an input_required round; the state it seals cannot be forged. */
static void test_modern_roots_round_trip(void **state)
{
	struct fake *f = *state;
	char line[4096];
	char *req_state;

	f->wants_roots = true;
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
	           "\"hold\",\"arguments\":{\"x\":1}," ENVELOPE("{\"roots\":{}}") "}}");
	json_t *result = assert_modern_result(only_sent(f), "1", "input_required");
	assert_int_equal(f->calls, 0);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(result, "inputRequests"), "roots"), "method")),
	    "roots/list");
	req_state = strdup(json_string_value(json_object_get(result, "requestState")));
	assert_non_null(req_state);
	clear_sent(f);

	/* Tampered: one character changed. */
	snprintf(line, sizeof line,
	         "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
	         "\"hold\",\"arguments\":{\"x\":1},\"requestState\":\"%.*sA%s\","
	         "\"inputResponses\":{\"roots\":{\"roots\":[]}}," ENVELOPE("{\"roots\":{}}") "}}",
	         (int)strlen(req_state) - 2, req_state, req_state + strlen(req_state) - 1);
	if (req_state[strlen(req_state) - 2] == 'A')
		line[strstr(line, "A\",") - line] = 'B';
	receive(f, line);
	assert_error(only_sent(f), "2", -32602);
	clear_sent(f);
	/* Sealed for other arguments. */
	snprintf(line, sizeof line,
	         "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":"
	         "\"hold\",\"arguments\":{\"x\":2},\"requestState\":\"%s\","
	         "\"inputResponses\":{\"roots\":{\"roots\":[]}}," ENVELOPE("{\"roots\":{}}") "}}",
	         req_state);
	receive(f, line);
	assert_error(only_sent(f), "3", -32602);
	clear_sent(f);
	/* The honest retry runs, confined to the roots it brought. */
	snprintf(line, sizeof line,
	         "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":"
	         "\"hold\",\"arguments\":{\"x\":1},\"requestState\":\"%s\","
	         "\"inputResponses\":{\"roots\":{\"roots\":[{\"uri\":\"file:///\"}]}}," ENVELOPE(
	             "{\"roots\":{}}") "}}",
	         req_state);
	receive(f, line);
	assert_int_equal(sent_count(f), 0);
	assert_int_equal(f->held_count, 1);
	char *const *paths;
	size_t n;
	assert_int_equal(mcp_request_roots(f->held[0], &paths, &n), MCP_ROOTS_LISTED);
	assert_int_equal(n, 1);
	assert_string_equal(paths[0], "/");
	mcp_request_reply(f->held[0], json_object());
	clear_sent(f);
	/* An empty list confines nothing. */
	snprintf(line, sizeof line,
	         "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":"
	         "\"hold\",\"arguments\":{\"x\":1},\"requestState\":\"%s\","
	         "\"inputResponses\":{\"roots\":{\"roots\":[]}}," ENVELOPE("{\"roots\":{}}") "}}",
	         req_state);
	receive(f, line);
	assert_int_equal(f->held_count, 2);
	assert_int_equal(mcp_request_roots(f->held[1], &paths, &n), MCP_ROOTS_NONE);
	mcp_request_reply(f->held[1], json_object());
	free(req_state);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_modern_discover),
	    T(test_modern_envelope_errors),
	    T(test_modern_tools_list_and_call),
	    T(test_modern_progress_and_logs),
	    T(test_modern_roots_round_trip),
	    T(test_initialize_result),
	    cmocka_unit_test(test_initialize_each_version_echoed),
	    T(test_initialize_unknown_version),
	    T(test_initialize_missing_version),
	    T(test_initialize_twice),
	    T(test_ping),
	    T(test_unknown_method),
	    T(test_unparsable),
	    T(test_invalid_request),
	    T(test_notifications_never_answered),
	    T(test_responses_ignored),
	    T(test_null_id_error_response_ignored),
	    T(test_tools_list),
	    T(test_call_echo),
	    T(test_call_name_not_string),
	    T(test_call_unknown_tool),
	    T(test_call_arguments_not_object),
	    T(test_duplicate_in_flight_id),
	    T(test_cancel),
	    T(test_cancel_then_fail_suppressed),
	    T(test_progress_with_token),
	    T(test_progress_integer_token),
	    T(test_progress_bytes),
	    T(test_progress_without_token),
	    T(test_log_nothing_before_set_level),
	    T(test_set_level_and_filter),
	    T(test_real_ids_read_back),
	    T(test_notifications_of_broken_text),
	    T(test_set_level_invalid),
	    T(test_notify),
	};
	return cmocka_run_group_tests_name("mcp/session", tests, NULL, NULL);
}
