/*
 * The 2026-07-28 envelope and the Streamable HTTP header rules (src/mcp/era.c,
 * src/mcp/http-check.c). The input is header values and a JSON body, separated by
 * newlines: MCP-Protocol-Version, Mcp-Method, Mcp-Name, Host, Origin, Accept,
 * Content-Type, then the body. Checked: nothing crashes or leaks; a classified
 * request's error code is one the spec names, with a message; a header check that
 * passes means the headers, decoded, equal the body's fields; decoding is stable.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_util.h"
#include "http/listen.h"
#include "mcp/era.h"
#include "mcp/http-check.h"
#include "rpc/jsonrpc.h"

enum { N_HEADERS = 7 };

static void check_envelope(const char *method, json_t *params, const struct http_mcp_headers *h)
{
	struct mcp_envelope env;
	json_t *data = NULL;
	char err[256] = "";
	int era = mcp_era_classify(method, params, &env, &data, err, sizeof err);

	FUZZ_CHECK(era == MCP_ERA_LEGACY || era == MCP_ERA_MODERN || era == RPC_INVALID_PARAMS ||
	               era == MCP_ERR_UNSUPPORTED_VERSION,
	           "era %d", era);
	if (era < 0)
		FUZZ_CHECK(err[0] && fuzz_utf8_valid(err, strlen(err)), "error without a message");
	if (era == MCP_ERR_UNSUPPORTED_VERSION)
		FUZZ_CHECK(json_is_object(data), "-32022 without data");
	json_decref(data);
	if (era != MCP_ERA_MODERN)
		return;
	FUZZ_CHECK(env.version && json_is_object(env.capabilities), "envelope incomplete");
	data = NULL;
	if (http_check_modern_headers(h, method, params, env.version, &data, err, sizeof err) ==
	    0) {
		char *v = http_header_value(h->version), *m = http_header_value(h->method);
		FUZZ_CHECK(v && strcmp(v, env.version) == 0, "version passed but differs");
		FUZZ_CHECK(m && strcmp(m, method) == 0, "method passed but differs");
		free(v);
		free(m);
		FUZZ_CHECK(!data, "data on success");
	} else {
		FUZZ_CHECK(json_is_object(data) && err[0], "mismatch without data or message");
		json_decref(data);
	}
}

static void check_headers(char **v)
{
	static const struct http_address loop = {"127.0.0.1", 8080, true, false, false};
	static const struct http_address any = {"0.0.0.0", 8080, false, true, false};
	static const char *const both[] = {"application/json", "text/event-stream", NULL};

	(void)http_check_host(v[3], &loop, NULL);
	(void)http_check_host(v[3], &any, NULL);
	/* A loopback bind never takes a foreign origin. */
	if (http_check_origin(v[4], &loop, NULL) && v[4])
		FUZZ_CHECK(strcasestr(v[4], "localhost") || strstr(v[4], "127.") ||
		               strstr(v[4], "::1"),
		           "origin %s", v[4]);
	(void)http_check_accept(v[5], both);
	(void)http_check_json_type(v[6]);
	for (int i = 0; i < 3; i++) {
		char *once = http_header_value(v[i]), *twice = NULL;
		/* Plain text decodes to itself (spaces at the ends aside); base64 may hold
		 * anything. */
		if (once && !strcasestr(v[i], "=?base64?"))
			twice = http_header_value(once);
		if (twice)
			FUZZ_CHECK(strcmp(once, twice) == 0, "decoding is not stable");
		free(once);
		free(twice);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *v[N_HEADERS] = {0}, *p;
	json_t *msg;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	p = text;
	for (int i = 0; i < N_HEADERS && p; i++) {
		char *nl = strchr(p, '\n');
		v[i] = *p ? p : NULL;
		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : NULL;
	}
	check_headers(v);
	msg = p ? json_loads(p, JSON_DECODE_ANY, NULL) : NULL;
	if (json_is_object(msg)) {
		struct rpc_message m;
		rpc_classify(msg, &m);
		struct http_mcp_headers h = {v[0], v[1], v[2]};
		if (m.kind == RPC_REQUEST && json_is_object(m.params))
			check_envelope(m.method, m.params, &h);
	}
	json_decref(msg);
	free(text);
	return 0;
}
