/* The stateless checks of Streamable HTTP: Host, Origin, Accept, Content-Type, the 2026
 * headers against the body, base64 header values, and the Mcp-Param-* headers. */
#include "unit.h"

#include "mcp/http-check.h"

static const struct http_address loopback = {"127.0.0.1", 8080, true, false, false};
static const struct http_address wildcard = {"0.0.0.0", 8080, false, true, false};
static const struct http_address public_ip = {"192.0.2.7", 8080, false, false, false};

static void test_host(void **state)
{
	char *extra[] = {"mcp.example.org", NULL};

	(void)state;
	assert_true(http_check_host("localhost", &loopback, NULL));
	assert_true(http_check_host("127.0.0.1:9", &loopback, NULL));
	assert_true(http_check_host("[::1]:8080", &loopback, NULL));
	assert_false(http_check_host("evil.example.com", &loopback, NULL));
	assert_false(http_check_host("evil.example.com:8080", &loopback, NULL));
	assert_false(http_check_host(NULL, &loopback, NULL));
	assert_false(http_check_host("[::1", &loopback, NULL));
	assert_true(http_check_host("mcp.example.org", &loopback, extra));
	assert_true(http_check_host("192.0.2.7:8080", &public_ip, NULL));
	assert_false(http_check_host("localhost", &public_ip, NULL));
	assert_true(http_check_host("anything", &wildcard, NULL));
}

static void test_origin(void **state)
{
	char *extra[] = {"https://app.example.org", NULL};

	(void)state;
	assert_true(http_check_origin(NULL, &loopback, NULL));
	assert_true(http_check_origin("http://localhost:3000", &loopback, NULL));
	assert_true(http_check_origin("https://127.0.0.1", &loopback, NULL));
	assert_false(http_check_origin("http://evil.example.com", &loopback, NULL));
	assert_false(http_check_origin("null", &loopback, NULL));
	assert_false(http_check_origin("http://localhost/x", &loopback, NULL));
	assert_false(http_check_origin("file://localhost", &loopback, NULL));
	assert_true(http_check_origin("https://app.example.org", &loopback, extra));
	assert_true(http_check_origin("http://192.0.2.7:8080", &public_ip, NULL));
	assert_false(http_check_origin("http://localhost", &public_ip, NULL));
	/* A wildcard bind has no name of its own to match. */
	assert_false(http_check_origin("http://0.0.0.0", &wildcard, NULL));
}

static void test_accept_and_type(void **state)
{
	static const char *const both[] = {"application/json", "text/event-stream", NULL};

	(void)state;
	assert_true(http_check_accept("application/json, text/event-stream", both));
	assert_true(http_check_accept("text/event-stream;q=0.9,application/json", both));
	assert_true(http_check_accept("*/*", both));
	assert_true(http_check_accept("application/*, text/*", both));
	assert_false(http_check_accept("application/json", both));
	assert_false(http_check_accept("application/jsonx, text/event-stream", both));
	assert_false(http_check_accept(NULL, both));
	assert_true(http_check_json_type("application/json"));
	assert_true(http_check_json_type("Application/JSON; charset=utf-8"));
	assert_false(http_check_json_type("application/json-seq"));
	assert_false(http_check_json_type("text/plain"));
	assert_false(http_check_json_type(NULL));
}

static void test_header_value(void **state)
{
	char *v;

	(void)state;
	v = http_header_value("  plain value\t");
	assert_string_equal(v, "plain value");
	free(v);
	v = http_header_value("=?base64?SGVsbG8=?=");
	assert_string_equal(v, "Hello");
	free(v);
	v = http_header_value("=?BASE64?w6k=?=");
	assert_string_equal(v, "\xc3\xa9");
	free(v);
	assert_null(http_header_value("=?base64?SGVsbG8?=")); /* no padding */
	assert_null(http_header_value("=?base64?SGVs!!!bG8=?="));
	assert_null(http_header_value("=?base64?AA==?=")); /* a NUL inside */
	v = http_header_value("=?base64?SGVsbG8=");        /* no suffix: literal */
	assert_string_equal(v, "=?base64?SGVsbG8=");
	free(v);
	assert_null(http_header_value(NULL));
}

static void test_modern_headers(void **state)
{
	json_t *params = json_pack("{s:s, s:{}}", "name", "echo", "arguments"), *data = NULL;
	struct http_mcp_headers h = {"2026-07-28", "tools/call", "echo"};
	char err[256];

	(void)state;
	assert_int_equal(http_check_modern_headers(&h, "tools/call", params, "2026-07-28", &data,
	                                           err, sizeof err),
	                 0);
	h.name = "=?base64?ZWNobw==?=";
	assert_int_equal(http_check_modern_headers(&h, "tools/call", params, "2026-07-28", &data,
	                                           err, sizeof err),
	                 0);
	h.name = "other";
	assert_int_equal(http_check_modern_headers(&h, "tools/call", params, "2026-07-28", &data,
	                                           err, sizeof err),
	                 -1);
	assert_non_null(strstr(err, "Mcp-Name"));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(data, "mismatch"), "body")), "echo");
	json_decref(data);
	h.name = NULL;
	assert_int_equal(http_check_modern_headers(&h, "tools/call", params, "2026-07-28", &data,
	                                           err, sizeof err),
	                 -1);
	assert_non_null(strstr(err, "missing"));
	json_decref(data);
	/* A method that names nothing needs no Mcp-Name. */
	h.method = "tools/list";
	assert_int_equal(http_check_modern_headers(&h, "tools/list", params, "2026-07-28", &data,
	                                           err, sizeof err),
	                 0);
	h.version = "2025-11-25";
	assert_int_equal(http_check_modern_headers(&h, "tools/list", params, "2026-07-28", &data,
	                                           err, sizeof err),
	                 -1);
	json_decref(data);
	json_decref(params);
}

static const char *lookup(void *ctx, const char *name)
{
	json_t *headers = ctx;
	return json_string_value(json_object_get(headers, name));
}

static void test_param_headers(void **state)
{
	json_t *tools =
	    json_loads("[{\"name\":\"t\",\"inputSchema\":{\"type\":\"object\","
	               "\"properties\":{\"region\":{\"type\":\"string\",\"x-mcp-header\":"
	               "\"Region\"},\"n\":{\"type\":\"integer\",\"x-mcp-header\":\"N\"},"
	               "\"q\":{\"type\":\"string\"}}}},{\"name\":\"u\"}]",
	               0, NULL);
	json_t *map = http_param_headers(tools), *pairs = json_object_get(map, "t"), *data = NULL;
	json_t *args = json_pack("{s:s, s:i, s:s}", "region", "eu", "n", 7, "q", "x");
	json_t *headers = json_pack("{s:s, s:s}", "Mcp-Param-Region", "eu", "Mcp-Param-N", "7");
	char err[256];

	(void)state;
	assert_int_equal(json_array_size(pairs), 2);
	assert_null(json_object_get(map, "u"));
	assert_int_equal(
	    http_check_param_headers(pairs, args, lookup, headers, &data, err, sizeof err), 0);
	json_object_set_new(headers, "Mcp-Param-Region", json_string("=?base64?ZXU=?="));
	assert_int_equal(
	    http_check_param_headers(pairs, args, lookup, headers, &data, err, sizeof err), 0);
	json_object_set_new(headers, "Mcp-Param-Region", json_string("us"));
	assert_int_equal(
	    http_check_param_headers(pairs, args, lookup, headers, &data, err, sizeof err), -1);
	json_decref(data);
	json_object_set_new(headers, "Mcp-Param-Region", json_string("=?base64?ZXU?="));
	assert_int_equal(
	    http_check_param_headers(pairs, args, lookup, headers, &data, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot be decoded"));
	json_decref(data);
	json_object_del(headers, "Mcp-Param-Region");
	assert_int_equal(
	    http_check_param_headers(pairs, args, lookup, headers, &data, err, sizeof err), -1);
	json_decref(data);
	/* Neither the argument nor its header: nothing to check. */
	json_object_del(args, "region");
	assert_int_equal(
	    http_check_param_headers(pairs, args, lookup, headers, &data, err, sizeof err), 0);
	json_decref(args);
	json_decref(headers);
	json_decref(map);
	json_decref(tools);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host),
	    cmocka_unit_test(test_origin),
	    cmocka_unit_test(test_accept_and_type),
	    cmocka_unit_test(test_header_value),
	    cmocka_unit_test(test_modern_headers),
	    cmocka_unit_test(test_param_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
