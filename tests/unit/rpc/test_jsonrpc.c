#include "unit.h"

#include "rpc/jsonrpc.h"

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

	if (!v)
		fail_msg("bad test JSON %s: %s", text, err.text);
	return v;
}

/* Classifies text and checks it is RPC_INVALID; returns the parsed message for id checks. */
static json_t *expect_invalid(const char *text, struct rpc_message *m)
{
	json_t *msg = parse(text);

	rpc_classify(msg, m);
	if (m->kind != RPC_INVALID)
		fail_msg("%s: kind %d, expected RPC_INVALID", text, (int)m->kind);
	assert_non_null(m->why);
	assert_true(strlen(m->why) > 0);
	assert_null(m->method);
	return msg;
}

static void test_invalid_non_object(void **state)
{
	(void)state;
	static const char *const cases[] = {"1", "\"x\"", "null", "true", "2.5"};
	struct rpc_message m;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *msg = expect_invalid(cases[i], &m);
		assert_null(m.id);
		assert_non_null(strstr(m.why, "object"));
		json_decref(msg);
	}
}

static void test_invalid_batch(void **state)
{
	(void)state;
	struct rpc_message m;
	json_t *msg = expect_invalid("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", &m);

	assert_null(m.id);
	assert_non_null(strstr(m.why, "batch"));
	json_decref(msg);

	msg = expect_invalid("[]", &m);
	assert_null(m.id);
	json_decref(msg);
}

static void test_invalid_jsonrpc_version(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    "{\"id\":7,\"method\":\"ping\"}",
	    "{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"ping\"}",
	    "{\"jsonrpc\":2.0,\"id\":7,\"method\":\"ping\"}",
	    "{\"jsonrpc\":null,\"id\":7,\"method\":\"ping\"}",
	    "{\"jsonrpc\":\"2.0 \",\"id\":7,\"method\":\"ping\"}",
	};
	struct rpc_message m;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *msg = expect_invalid(cases[i], &m);
		/* The id is still worth echoing. */
		assert_non_null(m.id);
		assert_int_equal(json_integer_value(m.id), 7);
		assert_ptr_equal(m.id, json_object_get(msg, "id"));
		assert_non_null(strstr(m.why, "jsonrpc"));
		json_decref(msg);
	}
}

static void test_invalid_missing_method(void **state)
{
	(void)state;
	struct rpc_message m;
	json_t *msg = expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":\"a\"}", &m);

	assert_string_equal(json_string_value(m.id), "a");
	assert_non_null(strstr(m.why, "method"));
	json_decref(msg);

	/* Neither method nor id. */
	msg = expect_invalid("{\"jsonrpc\":\"2.0\"}", &m);
	assert_null(m.id);
	json_decref(msg);

	/* A result without an id is no response. */
	msg = expect_invalid("{\"jsonrpc\":\"2.0\",\"result\":{}}", &m);
	assert_null(m.id);
	json_decref(msg);
}

static void test_invalid_method_type(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":5}",
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":null}",
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":{}}",
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":[\"ping\"]}",
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":true}",
	};
	struct rpc_message m;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *msg = expect_invalid(cases[i], &m);
		assert_int_equal(json_integer_value(m.id), 3);
		assert_non_null(strstr(m.why, "method"));
		json_decref(msg);
	}
}

static void test_invalid_id_type(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}",
	    "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}",
	    "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}",
	    "{\"jsonrpc\":\"2.0\",\"id\":[],\"method\":\"ping\"}",
	    "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}",
	    "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}",
	    "{\"jsonrpc\":\"2.0\",\"id\":false,\"method\":\"ping\"}",
	};
	struct rpc_message m;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *msg = expect_invalid(cases[i], &m);
		/* Such an id cannot be echoed: the answer carries "id": null. */
		assert_null(m.id);
		assert_non_null(strstr(m.why, "id"));
		json_decref(msg);
	}
}

static void test_invalid_params_scalar(void **state)
{
	(void)state;
	static const char *const cases[] = {
	    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":1}",
	    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":\"x\"}",
	    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":true}",
	    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":null}",
	};
	struct rpc_message m;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *msg = expect_invalid(cases[i], &m);
		assert_int_equal(json_integer_value(m.id), 9);
		assert_non_null(strstr(m.why, "params"));
		json_decref(msg);
	}

	/* The same on a notification: invalid, with no id to echo. */
	json_t *msg = expect_invalid("{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":3}", &m);
	assert_null(m.id);
	json_decref(msg);
}

static void test_request(void **state)
{
	(void)state;
	struct rpc_message m;
	json_t *msg = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	                    "\"params\":{\"name\":\"codex\"}}");

	rpc_classify(msg, &m);
	assert_int_equal(m.kind, RPC_REQUEST);
	assert_ptr_equal(m.id, json_object_get(msg, "id"));
	assert_string_equal(m.method, "tools/call");
	assert_ptr_equal(m.params, json_object_get(msg, "params"));
	json_decref(msg);

	/* String, negative and real ids; params absent or an array. */
	msg = parse("{\"jsonrpc\":\"2.0\",\"id\":\"req-1\",\"method\":\"ping\"}");
	rpc_classify(msg, &m);
	assert_int_equal(m.kind, RPC_REQUEST);
	assert_string_equal(json_string_value(m.id), "req-1");
	assert_null(m.params);
	json_decref(msg);

	msg = parse("{\"jsonrpc\":\"2.0\",\"id\":-4,\"method\":\"x\",\"params\":[1,2]}");
	rpc_classify(msg, &m);
	assert_int_equal(m.kind, RPC_REQUEST);
	assert_int_equal(json_integer_value(m.id), -4);
	assert_true(json_is_array(m.params));
	json_decref(msg);

	msg = parse("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"x\"}");
	rpc_classify(msg, &m);
	assert_int_equal(m.kind, RPC_REQUEST);
	assert_true(json_is_real(m.id));
	json_decref(msg);

	msg = parse("{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"\"}");
	rpc_classify(msg, &m);
	assert_int_equal(m.kind, RPC_REQUEST);
	assert_string_equal(m.method, "");
	json_decref(msg);
}

static void test_notification(void **state)
{
	(void)state;
	struct rpc_message m;
	json_t *msg = parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

	rpc_classify(msg, &m);
	assert_int_equal(m.kind, RPC_NOTIFICATION);
	assert_null(m.id);
	assert_string_equal(m.method, "notifications/initialized");
	assert_null(m.params);
	json_decref(msg);

	msg = parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	            "\"params\":{\"requestId\":3}}");
	rpc_classify(msg, &m);
	assert_int_equal(m.kind, RPC_NOTIFICATION);
	assert_null(m.id);
	assert_ptr_equal(m.params, json_object_get(msg, "params"));
	json_decref(msg);
}

static void test_response(void **state)
{
	(void)state;
	struct rpc_message m;
	json_t *msg = parse("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}");

	rpc_classify(msg, &m);
	assert_int_equal(m.kind, RPC_RESPONSE);
	assert_int_equal(json_integer_value(m.id), 5);
	assert_null(m.method);
	json_decref(msg);

	msg =
	    parse("{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"error\":{\"code\":-1,\"message\":\"no\"}}");
	rpc_classify(msg, &m);
	assert_int_equal(m.kind, RPC_RESPONSE);
	assert_string_equal(json_string_value(m.id), "s");
	json_decref(msg);
}

/*
 * JSON-RPC 2.0, section 5: an error response whose request id could not be
 * determined carries "id": null. It is still a response, not a bad request.
 */
static void test_error_response_with_null_id(void **state)
{
	(void)state;
	struct rpc_message m;
	json_t *msg = parse("{\"jsonrpc\":\"2.0\",\"id\":null,"
	                    "\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}");

	rpc_classify(msg, &m);
	enum rpc_kind kind = m.kind;
	if (kind == RPC_INVALID)
		print_error("classified invalid: %s\n", m.why);
	json_decref(msg);
	assert_int_equal(kind, RPC_RESPONSE);
}

static void test_make_result(void **state)
{
	(void)state;
	json_t *id = json_integer(42);
	json_t *msg = rpc_make_result(id, json_pack("{s:i}", "x", 1));

	assert_non_null(msg);
	assert_int_equal(json_object_size(msg), 3);
	assert_string_equal(json_string_value(json_object_get(msg, "jsonrpc")), "2.0");
	assert_ptr_equal(json_object_get(msg, "id"), id); /* borrowed: the same value */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(msg, "result"), "x")),
	                 1);
	json_decref(msg);
	/* The caller's reference is intact. */
	assert_int_equal(id->refcount, 1);
	json_decref(id);

	/* NULL id is "id": null. */
	msg = rpc_make_result(NULL, json_object());
	assert_true(json_is_null(json_object_get(msg, "id")));
	assert_true(json_is_object(json_object_get(msg, "result")));
	json_decref(msg);

	/* A NULL result still answers, as an internal error. */
	id = json_string("abc");
	msg = rpc_make_result(id, NULL);
	assert_non_null(msg);
	assert_null(json_object_get(msg, "result"));
	assert_string_equal(json_string_value(json_object_get(msg, "id")), "abc");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(msg, "error"), "code")),
	                 RPC_INTERNAL_ERROR);
	json_decref(msg);
	json_decref(id);
}

static void test_make_error(void **state)
{
	(void)state;
	json_t *id = json_string("q");
	json_t *msg = rpc_make_error(id, RPC_METHOD_NOT_FOUND, "nope");
	json_t *error;

	assert_non_null(msg);
	assert_int_equal(json_object_size(msg), 3);
	assert_string_equal(json_string_value(json_object_get(msg, "jsonrpc")), "2.0");
	assert_string_equal(json_string_value(json_object_get(msg, "id")), "q");
	error = json_object_get(msg, "error");
	assert_int_equal(json_object_size(error), 2);
	assert_int_equal(json_integer_value(json_object_get(error, "code")), -32601);
	assert_string_equal(json_string_value(json_object_get(error, "message")), "nope");
	assert_null(json_object_get(msg, "result"));
	json_decref(msg);
	assert_int_equal(id->refcount, 1);
	json_decref(id);

	msg = rpc_make_error(NULL, RPC_PARSE_ERROR, "parse error");
	assert_true(json_is_null(json_object_get(msg, "id")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(msg, "error"), "code")),
	                 -32700);
	json_decref(msg);
}

static void test_make_notification(void **state)
{
	(void)state;
	json_t *msg = rpc_make_notification("notifications/progress", json_pack("{s:i}", "p", 1));

	assert_non_null(msg);
	assert_int_equal(json_object_size(msg), 3);
	assert_string_equal(json_string_value(json_object_get(msg, "jsonrpc")), "2.0");
	assert_string_equal(json_string_value(json_object_get(msg, "method")),
	                    "notifications/progress");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(msg, "params"), "p")),
	                 1);
	assert_null(json_object_get(msg, "id"));
	json_decref(msg);

	msg = rpc_make_notification("x", NULL);
	assert_int_equal(json_object_size(msg), 2);
	assert_null(json_object_get(msg, "params"));
	assert_null(json_object_get(msg, "id"));
	json_decref(msg);
}

static void test_codes(void **state)
{
	(void)state;
	assert_int_equal(RPC_PARSE_ERROR, -32700);
	assert_int_equal(RPC_INVALID_REQUEST, -32600);
	assert_int_equal(RPC_METHOD_NOT_FOUND, -32601);
	assert_int_equal(RPC_INVALID_PARAMS, -32602);
	assert_int_equal(RPC_INTERNAL_ERROR, -32603);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_invalid_non_object),
	    cmocka_unit_test(test_invalid_batch),
	    cmocka_unit_test(test_invalid_jsonrpc_version),
	    cmocka_unit_test(test_invalid_missing_method),
	    cmocka_unit_test(test_invalid_method_type),
	    cmocka_unit_test(test_invalid_id_type),
	    cmocka_unit_test(test_invalid_params_scalar),
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_notification),
	    cmocka_unit_test(test_response),
	    cmocka_unit_test(test_error_response_with_null_id),
	    cmocka_unit_test(test_make_result),
	    cmocka_unit_test(test_make_error),
	    cmocka_unit_test(test_make_notification),
	    cmocka_unit_test(test_codes),
	};
	return cmocka_run_group_tests_name("mcp/jsonrpc", tests, NULL, NULL);
}
