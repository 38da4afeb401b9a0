#include "rpc/jsonrpc.h"

#include <stdbool.h>
#include <string.h>

static int id_is_valid(const json_t *id)
{
	return json_is_string(id) || json_is_integer(id) || json_is_real(id);
}

static void classify(json_t *msg, bool need_version, struct rpc_message *out)
{
	json_t *version, *id, *method;

	memset(out, 0, sizeof *out);
	out->kind = RPC_INVALID;
	if (!json_is_object(msg)) {
		out->why = json_is_array(msg) ? "batch requests are not supported"
		                              : "a message must be a JSON object";
		return;
	}
	id = json_object_get(msg, "id");
	if (id && id_is_valid(id))
		out->id = id;

	version = json_object_get(msg, "jsonrpc");
	if ((version || need_version) &&
	    (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0)) {
		out->why = "\"jsonrpc\" must be \"2.0\"";
		return;
	}
	/* An error answering a message whose id could not be read carries "id": null. */
	if (json_is_null(id) && !json_object_get(msg, "method") && json_object_get(msg, "error")) {
		out->kind = RPC_RESPONSE;
		return;
	}
	if (id && !id_is_valid(id)) {
		out->why = "\"id\" must be a string or a number";
		return;
	}

	method = json_object_get(msg, "method");
	if (!method) {
		if (id && (json_object_get(msg, "result") || json_object_get(msg, "error"))) {
			out->kind = RPC_RESPONSE;
			return;
		}
		out->why = "\"method\" is missing";
		return;
	}
	if (!json_is_string(method)) {
		out->why = "\"method\" must be a string";
		return;
	}
	out->params = json_object_get(msg, "params");
	if (out->params && !json_is_object(out->params) && !json_is_array(out->params)) {
		out->why = "\"params\" must be an object or an array";
		return;
	}
	out->method = json_string_value(method);
	out->kind = id ? RPC_REQUEST : RPC_NOTIFICATION;
}

void rpc_classify(json_t *msg, struct rpc_message *out)
{
	classify(msg, true, out);
}

void rpc_classify_lenient(json_t *msg, struct rpc_message *out)
{
	classify(msg, false, out);
}

json_t *rpc_make_result(json_t *id, json_t *result)
{
	/* Every request gets an answer, even when building the result failed. */
	if (!result)
		return rpc_make_error(id, RPC_INTERNAL_ERROR, "internal error: out of memory");
	return json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(),
	                 "result", result);
}

json_t *rpc_make_error(json_t *id, int code, const char *message)
{
	return json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(),
	                 "error", "code", code, "message", message);
}

json_t *rpc_make_notification(const char *method, json_t *params)
{
	if (!params)
		return json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
	return json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", method, "params", params);
}
