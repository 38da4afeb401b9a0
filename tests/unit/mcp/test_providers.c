#include <errno.h>
/*
 * What a server besides codex-mcp's tools can plug into a session: the method
 * provider (resources, prompts, completion...), requests to the client on a
 * legacy session, input_required rounds on modern requests, and the request
 * helpers they use.
 */
#include "unit.h"

#include "mcp/era.h"
#include "mcp/seal.h"
#include "mcp/session.h"
#include "rpc/jsonrpc.h"

struct fake {
	struct mcp_session *session;
	json_t *sent;
	struct seal_key seal;
	bool has_sealer;
	/* what the providers saw */
	int requests;
	char last_method[64];
	json_t *last_responses, *last_state, *last_caps;
	struct mcp_request *held;
	/* the answer to a request of the server's own */
	int answers;
	json_t *answer_result, *answer_error;
	/* tasks/update */
	char updated_id[64];
	json_t *updated;
	/* tasks created, and what their calls answered */
	int created;
	json_t *task_result;
};

static void fake_send(void *ctx, const char *data, size_t len, const json_t *related, bool answer)
{
	struct fake *f = ctx;
	json_t *msg = json_loadb(data, len, 0, NULL);

	(void)answer;
	assert_non_null(msg);
	/* Which request a message belongs to travels beside it, for the transport. */
	if (related)
		json_object_set_new(msg, "_related", json_deep_copy(related));
	json_array_append_new(f->sent, msg);
}

static void keep(json_t **slot, json_t *value)
{
	json_decref(*slot);
	*slot = value ? json_deep_copy(value) : NULL;
}

static void answered(void *data, json_t *result, json_t *error)
{
	struct fake *f = data;

	f->answers++;
	keep(&f->answer_result, result);
	keep(&f->answer_error, error);
	mcp_request_reply(f->held, json_pack("{s:s}", "done", result ? "answered" : "unanswered"));
	f->held = NULL;
}

/* "echo" answers with what it saw; "ask" asks for elicitation until it has an answer;
 * "sample" asks the legacy client to sample; "fail" fails with data. */
static int tool_call(void *ctx, struct mcp_request *r, const char *name, json_t *args)
{
	struct fake *f = ctx;

	(void)args;
	f->requests++;
	snprintf(f->last_method, sizeof f->last_method, "tools/call %s", name);
	keep(&f->last_responses, mcp_request_input_responses(r));
	keep(&f->last_state, mcp_request_state(r));
	keep(&f->last_caps, mcp_request_client_capability(r, "elicitation"));
	if (strcmp(name, "echo") == 0) {
		mcp_request_reply(r, json_object());
	} else if (strcmp(name, "ask") == 0) {
		if (json_object_get(mcp_request_input_responses(r), "who"))
			mcp_request_reply(r, json_pack("{s:s}", "text", "thanks"));
		else
			mcp_request_ask(r,
			                json_pack("{s:{s:s, s:{s:s}}}", "who", "method",
			                          "elicitation/create", "params", "message",
			                          "Who?"),
			                json_pack("{s:i}", "round", 1));
	} else if (strcmp(name, "sample") == 0) {
		f->held = r;
		if (mcp_request_send(r, "sampling/createMessage",
		                     json_pack("{s:i}", "maxTokens", 5), answered, f) != 0)
			mcp_request_fail(r, RPC_INTERNAL_ERROR, "cannot ask");
	} else if (strcmp(name, "escalate") == 0) {
		if (mcp_request_become_task(r, name) == 0)
			f->held = r;
		else
			mcp_request_reply(r, json_pack("{s:s}", "text", "at once"));
	} else if (strcmp(name, "progress") == 0) {
		mcp_request_progress_at(r, 50, 100, NULL);
		mcp_request_progress_at(r, 100, 0, "done");
		mcp_request_reply(r, json_object());
	} else if (strcmp(name, "fail") == 0) {
		mcp_request_fail_data(r, MCP_ERR_MISSING_CAPABILITY, "no",
		                      json_pack("{s:{s:{}}}", "requiredCapabilities", "sampling"));
	} else {
		return -1;
	}
	return 0;
}

static json_t *tool_list(void *ctx)
{
	(void)ctx;
	return json_pack("[{s:s}]", "name", "echo");
}

static json_t *capabilities(void *ctx, bool modern)
{
	(void)ctx;
	return modern ? json_pack("{s:{}}", "prompts")
	              : json_pack("{s:{}, s:{s:b}}", "prompts", "resources", "subscribe", 1);
}

static int method_request(void *ctx, struct mcp_request *r, const char *method, json_t *params)
{
	struct fake *f = ctx;

	(void)params;
	f->requests++;
	snprintf(f->last_method, sizeof f->last_method, "%s", method);
	keep(&f->last_responses, mcp_request_input_responses(r));
	if (strcmp(method, "prompts/get") == 0) {
		if (mcp_request_input_responses(r))
			mcp_request_reply(r, json_pack("{s:[]}", "messages"));
		else
			mcp_request_ask(
			    r,
			    json_pack("{s:{s:s, s:{}}}", "roots", "method", "roots/list", "params"),
			    NULL);
		return 0;
	}
	if (strcmp(method, "resources/subscribe") == 0 || strcmp(method, "prompts/list") == 0) {
		mcp_request_reply(r, json_object());
		return 0;
	}
	return -1;
}

static const struct seal_key *fake_key(void *ctx, char *err, size_t size)
{
	struct fake *f = ctx;

	(void)err;
	(void)size;
	return &f->seal;
}

/* A task provider just big enough for tasks/update. */
static int task_support(void *ctx, const char *tool)
{
	(void)ctx;
	(void)tool;
	return 0;
}

static void task_detail(void *ctx, struct mcp_request *req, const char *id, mcp_task_done_fn done)
{
	(void)ctx;
	if (strcmp(id, "t1") != 0)
		done(req, -ENOENT, NULL);
	else
		done(req, 1, json_pack("{s:s, s:s}", "taskId", id, "status", "input_required"));
}

static json_t *task_create(void *ctx, struct mcp_request *req, const char *tool, json_t *ttl,
                           char *id, size_t id_size)
{
	struct fake *f = ctx;

	(void)req;
	(void)ttl;
	assert_string_equal(tool, "escalate");
	f->created++;
	snprintf(id, id_size, "t%d", f->created);
	return json_pack("{s:s, s:s, s:s, s:s, s:i}", "taskId", id, "status", "working",
	                 "createdAt", "2026-01-01T00:00:00Z", "lastUpdatedAt",
	                 "2026-01-01T00:00:00Z", "ttl", 1000);
}

static void task_answered(void *ctx, const char *id, json_t *result, int code, const char *message)
{
	struct fake *f = ctx;

	(void)code;
	(void)message;
	assert_string_equal(id, "t1");
	json_decref(f->task_result);
	f->task_result = result;
}

static void task_update(void *ctx, const char *id, json_t *responses)
{
	struct fake *f = ctx;

	snprintf(f->updated_id, sizeof f->updated_id, "%s", id);
	keep(&f->updated, responses);
}

static int setup(void **state)
{
	static const struct mcp_server_info info = {.name = "s", .title = "S", .version = "1"};
	struct fake *f = calloc(1, sizeof *f);
	struct mcp_tool_provider tools = {.list = tool_list, .call = tool_call, .ctx = f};
	struct mcp_transport transport = {.send = fake_send, .ctx = f};
	struct mcp_sealer sealer = {fake_key, f};
	struct mcp_method_provider methods = {capabilities, method_request, f};
	struct mcp_task_provider tasks = {.tool_support = task_support,
	                                  .create = task_create,
	                                  .answered = task_answered,
	                                  .detail = task_detail,
	                                  .update = task_update,
	                                  .ctx = f};

	f->sent = json_array();
	assert_int_equal(seal_key_random(&f->seal), 0);
	f->session = mcp_session_new(&info, &tools, &transport, &sealer);
	mcp_session_set_method_provider(f->session, &methods);
	mcp_session_set_task_provider(f->session, &tasks);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	mcp_session_free(f->session);
	json_decref(f->sent);
	json_decref(f->last_responses);
	json_decref(f->last_state);
	json_decref(f->last_caps);
	json_decref(f->answer_result);
	json_decref(f->answer_error);
	json_decref(f->updated);
	json_decref(f->task_result);
	free(f);
	return 0;
}

static void receive(struct fake *f, const char *text)
{
	mcp_session_receive(f->session, text, strlen(text));
}

/* The one message sent since the last call, which it takes. */
static json_t *take(struct fake *f)
{
	if (json_array_size(f->sent) != 1) {
		char *all = json_dumps(f->sent, JSON_COMPACT);
		print_error("sent: %s\n", all);
		free(all);
		fail_msg("expected one message, got %zu", json_array_size(f->sent));
	}
	json_t *msg = json_incref(json_array_get(f->sent, 0));
	json_array_clear(f->sent);
	return msg;
}

static int error_code(json_t *msg)
{
	return (int)json_integer_value(json_object_get(json_object_get(msg, "error"), "code"));
}

#define ENVELOPE(caps)                                                                             \
	"\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","                   \
	"\"io.modelcontextprotocol/clientCapabilities\":" caps "}"

static void initialize(struct fake *f, const char *caps)
{
	char text[512];
	json_t *msg;

	snprintf(text, sizeof text,
	         "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
	         "\"protocolVersion\":\"2025-11-25\",\"capabilities\":%s}}",
	         caps);
	receive(f, text);
	msg = take(f);
	json_t *c = json_object_get(json_object_get(msg, "result"), "capabilities");
	/* The provider's capabilities join the session's own. */
	assert_true(json_is_object(json_object_get(c, "tools")));
	assert_true(json_is_object(json_object_get(c, "prompts")));
	assert_true(json_is_true(json_object_get(json_object_get(c, "resources"), "subscribe")));
	json_decref(msg);
}

/* ---- the method provider ---- */

static void test_legacy_methods(void **state)
{
	struct fake *f = *state;
	json_t *msg;

	initialize(f, "{}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\","
	           "\"params\":{\"uri\":\"x\"}}");
	msg = take(f);
	assert_true(json_is_object(json_object_get(msg, "result")));
	assert_string_equal(f->last_method, "resources/subscribe");
	json_decref(msg);
	/* Not the provider's either: -32601. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nothing/here\"}");
	msg = take(f);
	assert_int_equal(error_code(msg), RPC_METHOD_NOT_FOUND);
	assert_int_equal(mcp_session_requests_in_flight(f->session), 0);
	json_decref(msg);
}

static void test_modern_methods(void **state)
{
	struct fake *f = *state;
	json_t *msg;

	receive(
	    f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" ENVELOPE(
	           "{}") "}}");
	msg = take(f);
	json_t *caps = json_object_get(json_object_get(msg, "result"), "capabilities");
	assert_true(json_is_object(json_object_get(caps, "prompts")));
	assert_null(json_object_get(caps, "resources"));
	json_decref(msg);

	receive(f,
	        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"prompts/list\",\"params\":{" ENVELOPE(
	            "{}") "}}");
	msg = take(f);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(msg, "result"), "resultType")),
	    "complete");
	json_decref(msg);

	/* Gone from 2026-07-28: never reaches the provider. */
	f->requests = 0;
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/subscribe\",\"params\":{"
	           "\"uri\":\"x\"," ENVELOPE("{}") "}}");
	msg = take(f);
	assert_int_equal(error_code(msg), RPC_METHOD_NOT_FOUND);
	assert_int_equal(f->requests, 0);
	json_decref(msg);
}

/* ---- request helpers ---- */

static void test_client_capability_by_era(void **state)
{
	struct fake *f = *state;

	initialize(f, "{\"elicitation\":{\"form\":{}}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"echo\"}}");
	json_decref(take(f));
	assert_non_null(json_object_get(f->last_caps, "form"));
	/* A modern request has only what its own envelope declares. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
	           "\"name\":\"echo\"," ENVELOPE("{}") "}}");
	json_decref(take(f));
	assert_null(f->last_caps);
}

static void test_progress_at_and_fail_data(void **state)
{
	struct fake *f = *state;
	json_t *msg;

	initialize(f, "{}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
	           "\"name\":\"progress\",\"_meta\":{\"progressToken\":\"p\"}}}");
	assert_int_equal(json_array_size(f->sent), 3);
	json_t *p1 = json_object_get(json_array_get(f->sent, 0), "params");
	json_t *p2 = json_object_get(json_array_get(f->sent, 1), "params");
	assert_true(json_number_value(json_object_get(p1, "progress")) == 50);
	assert_true(json_number_value(json_object_get(p1, "total")) == 100);
	assert_null(json_object_get(p1, "message"));
	assert_null(json_object_get(p2, "total"));
	assert_string_equal(json_string_value(json_object_get(p2, "message")), "done");
	json_array_clear(f->sent);

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
	           "\"name\":\"fail\"}}");
	msg = take(f);
	assert_int_equal(error_code(msg), MCP_ERR_MISSING_CAPABILITY);
	assert_true(json_is_object(
	    json_object_get(json_object_get(json_object_get(json_object_get(msg, "error"), "data"),
	                                    "requiredCapabilities"),
	                    "sampling")));
	json_decref(msg);
}

/* ---- requests of the server's own, legacy ---- */

static void test_send_request_answered(void **state)
{
	struct fake *f = *state;
	json_t *msg;

	initialize(f, "{\"sampling\":{}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"sample\"}}");
	msg = take(f);
	/* On the call's own stream, with an id of the server's. */
	assert_string_equal(json_string_value(json_object_get(msg, "method")),
	                    "sampling/createMessage");
	assert_int_equal(json_integer_value(json_object_get(msg, "_related")), 7);
	char answer[256];
	snprintf(answer, sizeof answer,
	         "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"result\":{\"role\":\"assistant\"}}",
	         json_string_value(json_object_get(msg, "id")));
	json_decref(msg);
	receive(f, answer);
	assert_int_equal(f->answers, 1);
	assert_string_equal(json_string_value(json_object_get(f->answer_result, "role")),
	                    "assistant");
	msg = take(f);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(msg, "result"), "done")), "answered");
	json_decref(msg);
	/* Answered once: the same answer again is ignored. */
	receive(f, answer);
	assert_int_equal(f->answers, 1);
}

static void test_send_request_ends_unanswered(void **state)
{
	struct fake *f = *state;
	json_t *msg;

	initialize(f, "{\"sampling\":{}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"sample\"}}");
	json_decref(take(f));
	mcp_session_stop(f->session);
	assert_int_equal(f->answers, 1);
	assert_null(f->answer_result);
	assert_null(f->answer_error);
	msg = take(f);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(msg, "result"), "done")),
	    "unanswered");
	json_decref(msg);
}

static void test_send_request_not_modern(void **state)
{
	struct fake *f = *state;
	json_t *msg;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{"
	           "\"name\":\"sample\"," ENVELOPE("{\"sampling\":{}}") "}}");
	msg = take(f);
	assert_int_equal(error_code(msg), RPC_INTERNAL_ERROR);
	assert_int_equal(f->answers, 0);
	json_decref(msg);
}

/* ---- input_required rounds, modern ---- */

/* Asks "ask" with caps; returns the requestState of the input_required answer. */
static char *first_round(struct fake *f)
{
	json_t *msg, *result;

	receive(f,
	        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
	        "\"name\":\"ask\",\"arguments\":{\"a\":1}," ENVELOPE("{\"elicitation\":{}}") "}}");
	msg = take(f);
	result = json_object_get(msg, "result");
	assert_string_equal(json_string_value(json_object_get(result, "resultType")),
	                    "input_required");
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(result, "inputRequests"), "who"), "method")),
	    "elicitation/create");
	assert_null(f->last_responses);
	assert_null(f->last_state);
	char *state = strdup(json_string_value(json_object_get(result, "requestState")));
	json_decref(msg);
	return state;
}

static json_t *retry(struct fake *f, const char *args, const char *responses, const char *state)
{
	char text[4096];

	snprintf(text, sizeof text,
	         "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
	         "\"name\":\"ask\",\"arguments\":%s,\"inputResponses\":%s,"
	         "\"requestState\":\"%s\"," ENVELOPE("{\"elicitation\":{}}") "}}",
	         args, responses, state);
	receive(f, text);
	return take(f);
}

static void test_round_trip(void **state)
{
	struct fake *f = *state;
	char *sealed = first_round(f);
	json_t *msg = retry(f, "{\"a\":1}", "{\"who\":{\"action\":\"accept\"}}", sealed);

	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(msg, "result"), "text")), "thanks");
	/* What the first round sealed comes back to the tool, and the answers with it. */
	assert_int_equal(json_integer_value(json_object_get(f->last_state, "round")), 1);
	assert_non_null(json_object_get(f->last_responses, "who"));
	json_decref(msg);
	free(sealed);
}

static void test_round_refused(void **state)
{
	struct fake *f = *state;
	char *sealed = first_round(f), *tampered;
	json_t *msg;
	int calls;

	assert_true(asprintf(&tampered, "%s-TAMPERED", sealed) > 0);
	calls = f->requests;
	msg = retry(f, "{\"a\":1}", "{\"who\":{}}", tampered);
	assert_int_equal(error_code(msg), RPC_INVALID_PARAMS);
	json_decref(msg);
	/* Another call's state does not open for this one. */
	msg = retry(f, "{\"a\":2}", "{\"who\":{}}", sealed);
	assert_int_equal(error_code(msg), RPC_INVALID_PARAMS);
	json_decref(msg);
	/* Answers must be results: objects. */
	msg = retry(f, "{\"a\":1}", "{\"who\":12345}", sealed);
	assert_int_equal(error_code(msg), RPC_INVALID_PARAMS);
	json_decref(msg);
	msg = retry(f, "{\"a\":1}", "null", sealed);
	assert_int_equal(error_code(msg), RPC_INVALID_PARAMS);
	json_decref(msg);
	assert_int_equal(f->requests, calls);
	free(tampered);
	free(sealed);
}

static void test_round_needs_capability(void **state)
{
	struct fake *f = *state;
	json_t *msg;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
	           "\"name\":\"ask\"," ENVELOPE("{\"sampling\":{}}") "}}");
	msg = take(f);
	assert_int_equal(error_code(msg), MCP_ERR_MISSING_CAPABILITY);
	json_t *data = json_object_get(json_object_get(msg, "error"), "data");
	assert_true(json_is_object(
	    json_object_get(json_object_get(data, "requiredCapabilities"), "elicitation")));
	json_decref(msg);
}

static void test_round_on_prompts_get(void **state)
{
	struct fake *f = *state;
	json_t *msg;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":{"
	           "\"name\":\"p\"," ENVELOPE("{\"roots\":{}}") "}}");
	msg = take(f);
	json_t *result = json_object_get(msg, "result");
	assert_string_equal(json_string_value(json_object_get(result, "resultType")),
	                    "input_required");
	char text[4096];
	snprintf(text, sizeof text,
	         "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"prompts/get\",\"params\":{"
	         "\"name\":\"p\",\"inputResponses\":{\"roots\":{\"roots\":[]}},"
	         "\"requestState\":\"%s\"," ENVELOPE("{\"roots\":{}}") "}}",
	         json_string_value(json_object_get(result, "requestState")));
	json_decref(msg);
	receive(f, text);
	msg = take(f);
	assert_true(json_is_array(json_object_get(json_object_get(msg, "result"), "messages")));
	json_decref(msg);
}

static void test_legacy_cannot_ask(void **state)
{
	struct fake *f = *state;
	json_t *msg;

	initialize(f, "{\"elicitation\":{}}");
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	           "\"params\":{\"name\":\"ask\"}}");
	msg = take(f);
	assert_int_equal(error_code(msg), RPC_INTERNAL_ERROR);
	json_decref(msg);
}

/* ---- tasks/update ---- */

static void test_task_update_reaches_provider(void **state)
{
	struct fake *f = *state;
	json_t *msg;

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/update\",\"params\":{"
	           "\"taskId\":\"t1\",\"inputResponses\":{\"k\":{\"action\":\"accept\"}},"
	           "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	           "\"io.modelcontextprotocol/clientCapabilities\":{\"extensions\":{"
	           "\"io.modelcontextprotocol/tasks\":{}}}}}}");
	msg = take(f);
	json_t *result = json_object_get(msg, "result");
	assert_null(json_object_get(result, "taskId"));
	assert_string_equal(f->updated_id, "t1");
	assert_non_null(json_object_get(f->updated, "k"));
	json_decref(msg);
}

static void test_call_becomes_task(void **state)
{
	struct fake *f = *state;
	json_t *msg, *result;

	/* Without the extension in its own envelope, the call answers itself. */
	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
	           "\"name\":\"escalate\"," ENVELOPE("{}") "}}");
	msg = take(f);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(msg, "result"), "text")), "at once");
	assert_int_equal(f->created, 0);
	json_decref(msg);

	receive(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
	           "\"name\":\"escalate\"," ENVELOPE(
	               "{\"extensions\":{\"io.modelcontextprotocol/tasks\":{}}}") "}}");
	msg = take(f);
	result = json_object_get(msg, "result");
	assert_string_equal(json_string_value(json_object_get(result, "resultType")), "task");
	assert_string_equal(json_string_value(json_object_get(result, "taskId")), "t1");
	assert_true(json_is_integer(json_object_get(result, "ttlMs")));
	assert_null(json_object_get(result, "ttl"));
	json_decref(msg);
	/* The call is the task's now: not in flight, its answer goes to the provider. */
	assert_int_equal(mcp_session_requests_in_flight(f->session), 0);
	assert_non_null(f->held);
	assert_string_equal(mcp_request_task_id(f->held), "t1");
	mcp_request_reply(f->held, json_pack("{s:b}", "done", 1));
	f->held = NULL;
	assert_int_equal(json_array_size(f->sent), 0);
	assert_true(json_is_true(json_object_get(f->task_result, "done")));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_legacy_methods),
	    T(test_modern_methods),
	    T(test_client_capability_by_era),
	    T(test_progress_at_and_fail_data),
	    T(test_send_request_answered),
	    T(test_send_request_ends_unanswered),
	    T(test_send_request_not_modern),
	    T(test_round_trip),
	    T(test_round_refused),
	    T(test_round_needs_capability),
	    T(test_round_on_prompts_get),
	    T(test_legacy_cannot_ask),
	    T(test_task_update_reaches_provider),
	    T(test_call_becomes_task),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
