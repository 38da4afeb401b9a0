/* The era classifier: which requests are modern, and what a broken claim is answered. */
#include "unit.h"

#include "mcp/era.h"
#include "rpc/jsonrpc.h"

static int classify(const char *method, const char *params_json, struct mcp_envelope *env,
                    json_t **data)
{
	json_t *params = json_loads(params_json, 0, NULL);
	char err[256] = "";
	int rc;

	assert_non_null(params);
	rc = mcp_era_classify(method, params, env, data, err, sizeof err);
	if (rc < 0)
		assert_true(err[0] != '\0');
	/* env borrows from params: the tests below read it only through rc and data. */
	json_decref(params);
	return rc;
}

static void test_legacy(void **state)
{
	struct mcp_envelope env;
	json_t *data;

	(void)state;
	assert_int_equal(classify("tools/list", "{}", &env, &data), MCP_ERA_LEGACY);
	/* A progressToken or clientInfo alone make no claim. */
	assert_int_equal(classify("tools/call", "{\"_meta\":{\"progressToken\":1}}", &env, &data),
	                 MCP_ERA_LEGACY);
	assert_int_equal(classify("tools/call",
	                          "{\"_meta\":{\"io.modelcontextprotocol/clientInfo\":{}}}", &env,
	                          &data),
	                 MCP_ERA_LEGACY);
	assert_int_equal(
	    classify("initialize", "{\"protocolVersion\":\"2025-11-25\"}", &env, &data),
	    MCP_ERA_LEGACY);
	/* An initialize whose envelope is broken or names no served version is the handshake. */
	assert_int_equal(
	    classify("initialize",
	             "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}",
	             &env, &data),
	    MCP_ERA_LEGACY);
	assert_int_equal(
	    classify("initialize",
	             "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2099-01-01\","
	             "\"io.modelcontextprotocol/clientCapabilities\":{}}}",
	             &env, &data),
	    MCP_ERA_LEGACY);
	assert_null(data);
}

static void test_modern(void **state)
{
	json_t *params = json_loads(
	    "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	    "\"io.modelcontextprotocol/clientCapabilities\":{\"roots\":{},\"extensions\":{"
	    "\"io.modelcontextprotocol/tasks\":{}}},\"io.modelcontextprotocol/"
	    "logLevel\":\"warning\"}}",
	    0, NULL);
	struct mcp_envelope env;
	json_t *data;
	char err[128];

	(void)state;
	assert_int_equal(mcp_era_classify("tools/call", params, &env, &data, err, sizeof err),
	                 MCP_ERA_MODERN);
	assert_string_equal(env.version, "2026-07-28");
	assert_null(env.client_info);
	assert_true(env.has_log_level);
	assert_int_equal(env.log_level, LOG_WARNING);
	assert_true(mcp_envelope_has(&env, "roots"));
	assert_false(mcp_envelope_has(&env, "elicitation"));
	assert_true(mcp_envelope_has_extension(&env, MCP_TASKS_EXTENSION));
	assert_false(mcp_envelope_has_extension(&env, "x/y"));
	/* An initialize with a valid modern envelope is modern (and then not a method). */
	assert_int_equal(mcp_era_classify("initialize", params, &env, &data, err, sizeof err),
	                 MCP_ERA_MODERN);
	json_decref(params);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    /* the version is not a string */
	    "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":20260728,"
	    "\"io.modelcontextprotocol/clientCapabilities\":{}}}",
	    /* no capabilities */
	    "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}",
	    /* capabilities not an object */
	    "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	    "\"io.modelcontextprotocol/clientCapabilities\":[]}}",
	    /* clientInfo not an object */
	    "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	    "\"io.modelcontextprotocol/clientCapabilities\":{},"
	    "\"io.modelcontextprotocol/clientInfo\":\"me\"}}",
	    /* an unknown log level */
	    "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	    "\"io.modelcontextprotocol/clientCapabilities\":{},"
	    "\"io.modelcontextprotocol/logLevel\":\"loud\"}}",
	};
	struct mcp_envelope env;
	json_t *data;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(classify("tools/list", bad[i], &env, &data), RPC_INVALID_PARAMS);
		assert_null(data);
	}
}

static void test_unsupported_version(void **state)
{
	json_t *params =
	    json_loads("{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":"
	               "\"2025-11-25\",\"io.modelcontextprotocol/clientCapabilities\":{}}}",
	               0, NULL);
	struct mcp_envelope env;
	json_t *data;
	char err[128];

	(void)state;
	/* A legacy version in a modern envelope is not served that way either. */
	assert_int_equal(mcp_era_classify("tools/list", params, &env, &data, err, sizeof err),
	                 MCP_ERR_UNSUPPORTED_VERSION);
	assert_non_null(data);
	assert_string_equal(json_string_value(json_object_get(data, "requested")), "2025-11-25");
	assert_int_equal(json_array_size(json_object_get(data, "supported")), 1);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(data, "supported"), 0)),
	    MCP_MODERN_VERSION);
	json_decref(data);
	json_decref(params);
}

/* The message quotes the version cut to 64 bytes, on a character boundary. */
static void test_long_version_message(void **state)
{
	json_t *params =
	           json_pack("{s:{s:s, s:{}}}", "_meta", MCP_META_PROTOCOL_VERSION,
	                     "2026-\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	                     MCP_META_CLIENT_CAPS),
	       *data = NULL;
	struct mcp_envelope env;
	char err[256];

	(void)state;
	assert_non_null(params);
	assert_int_equal(mcp_era_classify("tools/list", params, &env, &data, err, sizeof err),
	                 MCP_ERR_UNSUPPORTED_VERSION);
	assert_true(unit_utf8_valid(err, strlen(err)));
	json_decref(data);
	json_decref(params);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_legacy),
	    cmocka_unit_test(test_modern),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_unsupported_version),
	    cmocka_unit_test(test_long_version_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
