/*
 * The fixture's resources, resource template, prompts and completion, served
 * through the session's method provider.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "mcp/era.h"
#include "rpc/jsonrpc.h"

/* 2025-11-25's "resource not found"; 2026-07-28 uses -32602. */
#define LEGACY_RESOURCE_NOT_FOUND (-32002)

static json_t *capabilities(void *ctx, bool modern)
{
	(void)ctx;
	/* Subscriptions are 2025's: 2026-07-28 would want subscriptions/listen for them. */
	if (modern)
		return json_pack("{s:{}, s:{}, s:{}}", "resources", "prompts", "completions");
	return json_pack("{s:{s:b, s:b}, s:{s:b}, s:{}}", "resources", "subscribe", 1,
	                 "listChanged", 0, "prompts", "listChanged", 0, "completions");
}

/* A modern complete list or read result says how long it may be cached. */
static void reply(struct mcp_request *r, json_t *result, bool cacheable)
{
	if (cacheable && mcp_request_modern(r)) {
		json_object_set_new(result, "ttlMs", json_integer(0));
		json_object_set_new(result, "cacheScope", json_string("public"));
	}
	mcp_request_reply(r, result);
}

/* ---- resources ---- */

static json_t *resources_list(void)
{
	return json_pack("{s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]}",
	                 "resources", "uri", "test://static-text", "name", "static-text",
	                 "description", "A static text resource", "mimeType", "text/plain", "uri",
	                 "test://static-binary", "name", "static-binary", "description",
	                 "A static binary resource", "mimeType", "image/png", "uri",
	                 "test://watched-resource", "name", "watched-resource", "description",
	                 "A resource that can be subscribed to", "mimeType", "text/plain");
}

static json_t *templates_list(void)
{
	return json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "resourceTemplates", "uriTemplate",
	                 "test://template/{id}/data", "name", "template-data", "description",
	                 "Data for an id", "mimeType", "application/json");
}

static json_t *text_contents(const char *uri, const char *mime, const char *text)
{
	return json_pack("{s:[{s:s, s:s, s:s}]}", "contents", "uri", uri, "mimeType", mime, "text",
	                 text);
}

/* test://template/{id}/data: the id, or NULL. */
static char *template_id(const char *uri)
{
	static const char head[] = "test://template/", tail[] = "/data";
	size_t n = strlen(uri), h = sizeof head - 1, t = sizeof tail - 1;

	if (n <= h + t || strncmp(uri, head, h) != 0 || strcmp(uri + n - t, tail) != 0)
		return NULL;
	char *id = strndup(uri + h, n - h - t);
	if (id && strchr(id, '/')) {
		free(id);
		return NULL;
	}
	return id;
}

static void resources_read(struct mcp_request *r, json_t *params)
{
	const char *uri = json_string_value(json_object_get(params, "uri"));
	char *id;

	if (!uri) {
		mcp_request_fail(r, RPC_INVALID_PARAMS, "resources/read: \"uri\" must be a string");
		return;
	}
	if (strcmp(uri, "test://static-text") == 0) {
		reply(r,
		      text_contents(uri, "text/plain",
		                    "This is the content of the static text resource."),
		      true);
	} else if (strcmp(uri, "test://watched-resource") == 0) {
		reply(r, text_contents(uri, "text/plain", "Watched resource content."), true);
	} else if (strcmp(uri, "test://static-binary") == 0) {
		reply(r,
		      json_pack("{s:[{s:s, s:s, s:s}]}", "contents", "uri", uri, "mimeType",
		                "image/png", "blob", FIXTURE_PNG),
		      true);
	} else if ((id = template_id(uri))) {
		json_t *data = json_pack("{s:s, s:b, s:s+}", "id", id, "templateTest", 1, "data",
		                         "Data for ID: ", id);
		char *text = json_dumps(data, JSON_COMPACT);
		reply(r, text_contents(uri, "application/json", text), true);
		free(text);
		json_decref(data);
		free(id);
	} else {
		char message[600];
		snprintf(message, sizeof message, "resource not found: %.500s", uri);
		mcp_request_fail_data(
		    r, mcp_request_modern(r) ? RPC_INVALID_PARAMS : LEGACY_RESOURCE_NOT_FOUND,
		    message, json_pack("{s:s}", "uri", uri));
	}
}

/* ---- prompts ---- */

static json_t *prompts_list(void)
{
	return json_pack(
	    "{s:[{s:s, s:s}, {s:s, s:s, s:[{s:s, s:s, s:b}, {s:s, s:s, s:b}]}, "
	    "{s:s, s:s, s:[{s:s, s:s, s:b}]}, {s:s, s:s}, {s:s, s:s}]}",
	    "prompts", "name", "test_simple_prompt", "description", "A simple prompt", "name",
	    "test_prompt_with_arguments", "description", "A prompt with arguments", "arguments",
	    "name", "arg1", "description", "First test argument", "required", 1, "name", "arg2",
	    "description", "Second test argument", "required", 1, "name",
	    "test_prompt_with_embedded_resource", "description", "A prompt with a resource",
	    "arguments", "name", "resourceUri", "description", "URI of the resource to embed",
	    "required", 1, "name", "test_prompt_with_image", "description",
	    "A prompt with an image", "name", "test_input_required_result_prompt", "description",
	    "A prompt that asks the user for context first");
}

static json_t *user_text(const char *text)
{
	return json_pack("{s:s, s:{s:s, s:s}}", "role", "user", "content", "type", "text", "text",
	                 text);
}

static void prompts_get(struct mcp_request *r, json_t *params)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *args = json_object_get(params, "arguments");
	char text[1024];

	if (!name) {
		mcp_request_fail(r, RPC_INVALID_PARAMS, "prompts/get: \"name\" must be a string");
		return;
	}
	if (strcmp(name, "test_simple_prompt") == 0) {
		mcp_request_reply(r, json_pack("{s:[o]}", "messages",
		                               user_text("This is a simple prompt for testing.")));
	} else if (strcmp(name, "test_prompt_with_arguments") == 0) {
		const char *a1 = json_string_value(json_object_get(args, "arg1"));
		const char *a2 = json_string_value(json_object_get(args, "arg2"));
		if (!a1 || !a2) {
			mcp_request_fail(r, RPC_INVALID_PARAMS,
			                 "prompts/get: arguments arg1 and arg2 are required");
			return;
		}
		snprintf(text, sizeof text, "Prompt with arguments: arg1='%.400s', arg2='%.400s'",
		         a1, a2);
		mcp_request_reply(r, json_pack("{s:[o]}", "messages", user_text(text)));
	} else if (strcmp(name, "test_prompt_with_embedded_resource") == 0) {
		const char *uri = json_string_value(json_object_get(args, "resourceUri"));
		if (!uri) {
			mcp_request_fail(r, RPC_INVALID_PARAMS,
			                 "prompts/get: argument resourceUri is required");
			return;
		}
		mcp_request_reply(
		    r, json_pack("{s:[{s:s, s:{s:s, s:{s:s, s:s, s:s}}}, o]}", "messages", "role",
		                 "user", "content", "type", "resource", "resource", "uri", uri,
		                 "mimeType", "text/plain", "text",
		                 "Embedded resource content for testing.",
		                 user_text("Please process the embedded resource above.")));
	} else if (strcmp(name, "test_prompt_with_image") == 0) {
		mcp_request_reply(r, json_pack("{s:[{s:s, s:{s:s, s:s, s:s}}, o]}", "messages",
		                               "role", "user", "content", "type", "image", "data",
		                               FIXTURE_PNG, "mimeType", "image/png",
		                               user_text("Please analyze the image above.")));
	} else if (strcmp(name, "test_input_required_result_prompt") == 0) {
		json_t *a = json_object_get(mcp_request_input_responses(r), "user_context");
		if (!mcp_request_modern(r) || a) {
			const char *context = json_string_value(
			    json_object_get(json_object_get(a, "content"), "context"));
			snprintf(text, sizeof text, "Use this context: %.900s",
			         context ? context : "(none)");
			mcp_request_reply(r, json_pack("{s:[o]}", "messages", user_text(text)));
			return;
		}
		mcp_request_ask(
		    r,
		    json_pack("{s:{s:s, s:o}}", "user_context", "method", "elicitation/create",
		              "params",
		              fixture_elicit("What context should the prompt use?",
		                             json_pack("{s:s, s:{s:{s:s}}, s:[s]}", "type",
		                                       "object", "properties", "context", "type",
		                                       "string", "required", "context"))),
		    NULL);
	} else {
		char message[600];
		snprintf(message, sizeof message, "prompts/get: unknown prompt \"%.400s\"", name);
		mcp_request_fail(r, RPC_INVALID_PARAMS, message);
	}
}

/* ---- completion ---- */

static void complete(struct mcp_request *r, json_t *params)
{
	static const char *const words[] = {"paris", "park", "party", "test", "testing", "tested"};
	const char *value =
	    json_string_value(json_object_get(json_object_get(params, "argument"), "value"));
	json_t *values = json_array();

	if (!json_is_object(json_object_get(params, "ref")) || !value) {
		json_decref(values);
		mcp_request_fail(
		    r, RPC_INVALID_PARAMS,
		    "completion/complete: \"ref\" and \"argument.value\" are required");
		return;
	}
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strncmp(words[i], value, strlen(value)) == 0)
			json_array_append_new(values, json_string(words[i]));
	mcp_request_reply(r, json_pack("{s:{s:o, s:I, s:b}}", "completion", "values", values,
	                               "total", (json_int_t)json_array_size(values), "hasMore", 0));
}

static int request(void *ctx, struct mcp_request *r, const char *method, json_t *params)
{
	(void)ctx;
	if (strcmp(method, "resources/list") == 0)
		reply(r, resources_list(), true);
	else if (strcmp(method, "resources/templates/list") == 0)
		reply(r, templates_list(), true);
	else if (strcmp(method, "resources/read") == 0)
		resources_read(r, params);
	else if (strcmp(method, "resources/subscribe") == 0 ||
	         strcmp(method, "resources/unsubscribe") == 0) {
		if (!json_is_string(json_object_get(params, "uri")))
			mcp_request_fail(r, RPC_INVALID_PARAMS, "\"uri\" must be a string");
		else
			mcp_request_reply(r, json_object());
	} else if (strcmp(method, "prompts/list") == 0)
		reply(r, prompts_list(), true);
	else if (strcmp(method, "prompts/get") == 0)
		prompts_get(r, params);
	else if (strcmp(method, "completion/complete") == 0)
		complete(r, params);
	else
		return -1;
	return 0;
}

struct mcp_method_provider fixture_method_provider(void)
{
	return (struct mcp_method_provider){.capabilities = capabilities, .request = request};
}
