/*
 * The fixture's tools: what each conformance scenario calls, by the name and
 * with the behaviour its description gives. Tools that need something from the
 * client ask it in the request's own era: a request to the client on a legacy
 * session, an input_required round on a modern request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "rpc/jsonrpc.h"

static uv_loop_t *loop;

/* ---- the listing ---- */

static const char *const no_args = "{\"type\":\"object\",\"properties\":{}}";

static const struct {
	const char *name, *description, *schema;
	const char *task_support; /* the 2025 execution.taskSupport, or NULL */
} tools[] = {
    {"test_simple_text", "Returns simple text", NULL, NULL},
    {"test_image_content", "Returns an image", NULL, NULL},
    {"test_audio_content", "Returns audio", NULL, NULL},
    {"test_embedded_resource", "Returns an embedded resource", NULL, NULL},
    {"test_multiple_content_types", "Returns text, an image and a resource", NULL, NULL},
    {"test_error_handling", "Always fails with isError", NULL, NULL},
    {"test_tool_with_progress", "Reports progress 0, 50 and 100 of 100", NULL, NULL},
    {"test_tool_with_logging", "Logs three messages while it runs", NULL, NULL},
    {"test_sampling", "Asks the client to sample a message",
     "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\"}},"
     "\"required\":[\"prompt\"]}",
     NULL},
    {"test_elicitation", "Asks the user for a username and an email",
     "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\"}},"
     "\"required\":[\"message\"]}",
     NULL},
    {"test_elicitation_sep1034_defaults", "Elicits with defaults for every primitive type", NULL,
     NULL},
    {"test_elicitation_sep1330_enums", "Elicits with the five kinds of enum", NULL, NULL},
    {"json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features",
     "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
     "\"$defs\":{\"address\":{\"$anchor\":\"addressDef\",\"type\":\"object\",\"properties\":{"
     "\"street\":{\"type\":\"string\"},\"city\":{\"type\":\"string\"}}}},"
     "\"properties\":{\"name\":{\"type\":\"string\"},\"address\":{\"$ref\":\"#/$defs/address\"},"
     "\"contactMethod\":{\"type\":\"string\",\"enum\":[\"phone\",\"email\"]},"
     "\"phone\":{\"type\":\"string\"},\"email\":{\"type\":\"string\"}},"
     "\"allOf\":[{\"anyOf\":[{\"required\":[\"phone\"]},{\"required\":[\"email\"]}]}],"
     "\"if\":{\"properties\":{\"contactMethod\":{\"const\":\"phone\"}},"
     "\"required\":[\"contactMethod\"]},\"then\":{\"required\":[\"phone\"]},"
     "\"else\":{\"required\":[\"email\"]},\"additionalProperties\":false}",
     NULL},
    /* 2026-07-28 diagnostics (server-stateless) */
    {"test_missing_capability", "Needs the sampling capability", NULL, NULL},
    {"test_streaming_elicitation", "Asks the user something", NULL, NULL},
    {"test_logging_tool", "Logs only when the request asks for logs", NULL, NULL},
    {"test_trigger_tool_change", "Would change the tool list", NULL, NULL},
    {"test_trigger_prompt_change", "Would change the prompt list", NULL, NULL},
    /* input_required rounds (2026-07-28) */
    {"test_input_required_result_elicitation", "Asks the user's name", NULL, NULL},
    {"test_input_required_result_sampling", "Asks the client's model a question", NULL, NULL},
    {"test_input_required_result_list_roots", "Asks the client's roots", NULL, NULL},
    {"test_input_required_result_request_state", "Checks its requestState", NULL, NULL},
    {"test_input_required_result_multiple_inputs", "Asks three things at once", NULL, NULL},
    {"test_input_required_result_multi_round", "Asks twice, one after the other", NULL, NULL},
    {"test_input_required_result_tampered_state", "Refuses an altered requestState", NULL, NULL},
    {"test_input_required_result_capabilities", "Asks only what the client declares", NULL, NULL},
    /* tasks extension (SEP-2663) */
    {"greet", "Says hello, at once",
     "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},"
     "\"required\":[\"name\"]}",
     NULL},
    {"slow_compute", "Sleeps for some seconds, as a task",
     "{\"type\":\"object\",\"properties\":{\"seconds\":{\"type\":\"number\"},"
     "\"label\":{\"type\":\"string\"}}}",
     "optional"},
    {"failing_job", "A task whose tool fails", NULL, "required"},
    {"protocol_error_job", "A task that fails with a protocol error", NULL, "required"},
    {"confirm_delete", "A task that asks for a confirmation",
     "{\"type\":\"object\",\"properties\":{\"filename\":{\"type\":\"string\"}}}", "required"},
    {"multi_input", "A task that asks two things at once", NULL, "required"},
    /* Not a task from the start: it asks first, then becomes one (SEP-2663 composition). */
    {"test_tool_with_task", "Asks the user's name, then runs as a task", NULL, NULL},
    /* a parameter mirrored in an Mcp-Param header (SEP-2243) */
    {"test_custom_header", "Echoes a value that travels in a header too",
     "{\"type\":\"object\",\"properties\":{\"region\":{\"type\":\"string\","
     "\"x-mcp-header\":\"Region\"}},\"required\":[\"region\"]}",
     NULL},
};

static json_t *list(void *ctx)
{
	json_t *out = json_array();

	(void)ctx;
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
		json_t *schema = json_loads(tools[i].schema ? tools[i].schema : no_args, 0, NULL);
		json_t *tool = json_pack("{s:s, s:s, s:o}", "name", tools[i].name, "description",
		                         tools[i].description, "inputSchema", schema);
		if (tools[i].task_support)
			json_object_set_new(
			    tool, "execution",
			    json_pack("{s:s}", "taskSupport", tools[i].task_support));
		json_array_append_new(out, tool);
	}
	return out;
}

int fixture_task_tool(const char *name)
{
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
		if (strcmp(tools[i].name, name) == 0)
			return tools[i].task_support ? 1 : 0;
	return -1;
}

/* ---- results ---- */

json_t *fixture_text_result(const char *text, bool is_error)
{
	json_t *r = json_pack("{s:[{s:s, s:s}]}", "content", "type", "text", "text", text);

	if (is_error)
		json_object_set_new(r, "isError", json_true());
	return r;
}

static void reply_text(struct mcp_request *r, const char *text)
{
	mcp_request_reply(r, fixture_text_result(text, false));
}

json_t *fixture_elicit(const char *message, json_t *schema)
{
	return json_pack("{s:s, s:o}", "message", message, "requestedSchema", schema);
}

static json_t *name_schema(const char *property)
{
	return json_pack("{s:s, s:{s:{s:s}}, s:[s]}", "type", "object", "properties", property,
	                 "type", "string", "required", property);
}

static json_t *sampling(const char *text, int max_tokens)
{
	return json_pack("{s:[{s:s, s:{s:s, s:s}}], s:i}", "messages", "role", "user", "content",
	                 "type", "text", "text", text, "maxTokens", max_tokens);
}

static json_t *embedded(const char *method, json_t *params)
{
	return json_pack("{s:s, s:o}", "method", method, "params", params ? params : json_object());
}

static json_t *elicitation_1034(void)
{
	return fixture_elicit(
	    "Please review the defaults",
	    json_pack("{s:s, s:{s:{s:s, s:s}, s:{s:s, s:i}, s:{s:s, s:f}, s:{s:s, s:[sss], s:s}, "
	              "s:{s:s, s:b}}}",
	              "type", "object", "properties", "name", "type", "string", "default",
	              "John Doe", "age", "type", "integer", "default", 30, "score", "type",
	              "number", "default", 95.5, "status", "type", "string", "enum", "active",
	              "inactive", "pending", "default", "active", "verified", "type", "boolean",
	              "default", 1));
}

static json_t *elicitation_1330(void)
{
	json_t *titled_single =
	    json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}", "type", "string", "oneOf",
	              "const", "value1", "title", "First Option", "const", "value2", "title",
	              "Second Option", "const", "value3", "title", "Third Option");
	json_t *titled_multi =
	    json_pack("{s:s, s:{s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}}", "type", "array", "items",
	              "anyOf", "const", "value1", "title", "First Choice", "const", "value2",
	              "title", "Second Choice", "const", "value3", "title", "Third Choice");

	return fixture_elicit(
	    "Please choose",
	    json_pack("{s:s, s:{s:{s:s, s:[sss]}, s:o, s:{s:s, s:[sss], s:[sss]}, "
	              "s:{s:s, s:{s:s, s:[sss]}}, s:o}}",
	              "type", "object", "properties", "untitledSingle", "type", "string", "enum",
	              "option1", "option2", "option3", "titledSingle", titled_single, "legacyEnum",
	              "type", "string", "enum", "opt1", "opt2", "opt3", "enumNames", "Option One",
	              "Option Two", "Option Three", "untitledMulti", "type", "array", "items",
	              "type", "string", "enum", "option1", "option2", "option3", "titledMulti",
	              titled_multi));
}

static json_t *elicitation_user(const char *message)
{
	return fixture_elicit(
	    message, json_pack("{s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}}, s:[ss]}", "type", "object",
	                       "properties", "username", "type", "string", "description",
	                       "User's response", "email", "type", "string", "description",
	                       "User's email address", "required", "username", "email"));
}

/* ---- tools that take their time ---- */

enum paced_kind { PACED_PROGRESS, PACED_LOGGING };

struct paced {
	uv_timer_t timer;
	struct mcp_request *r; /* NULL once answered */
	enum paced_kind kind;
	int step;
};

static const char *const log_lines[] = {"Tool execution started", "Tool processing data",
                                        "Tool execution completed"};

static void paced_close(struct paced *p)
{
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, (uv_close_cb)free);
}

static void paced_step(struct paced *p)
{
	if (p->kind == PACED_PROGRESS) {
		mcp_request_progress_at(p->r, p->step * 50.0, 100, NULL);
	} else if (mcp_request_modern(p->r)) {
		/* Only a request that asked for logs gets them. */
		mcp_request_log(p->r, LOG_INFO, log_lines[p->step]);
	} else {
		mcp_request_notify(p->r, "notifications/message",
		                   json_pack("{s:s, s:s, s:s}", "level", "info", "logger",
		                             "fixture", "data", log_lines[p->step]));
	}
}

static void paced_tick(uv_timer_t *t)
{
	struct paced *p = t->data;

	if (++p->step <= 2)
		paced_step(p);
	if (p->step < 2)
		return;
	struct mcp_request *r = p->r;
	p->r = NULL;
	paced_close(p);
	reply_text(r, p->kind == PACED_PROGRESS ? "Progress reported: 0, 50, 100 of 100"
	                                        : "Logged three messages");
}

static void paced_cancelled(void *data)
{
	struct paced *p = data;
	struct mcp_request *r = p->r;

	p->r = NULL;
	paced_close(p);
	mcp_request_fail(r, RPC_INTERNAL_ERROR, "cancelled");
}

static void paced(struct mcp_request *r, enum paced_kind kind)
{
	struct paced *p = calloc(1, sizeof *p);

	p->r = r;
	p->kind = kind;
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	mcp_request_on_cancel(r, paced_cancelled, p);
	paced_step(p);
	uv_timer_start(&p->timer, paced_tick, 50, 50);
}

/* ---- asking the client: legacy, a request of the server's own ---- */

enum ask_kind { ASK_SAMPLING, ASK_ELICIT };

struct asked {
	struct mcp_request *r;
	enum ask_kind kind;
};

static void legacy_answered(void *data, json_t *result, json_t *error)
{
	struct asked *a = data;
	char *text = NULL, *dump;

	if (!result) {
		dump = error ? json_dumps(error, JSON_COMPACT) : NULL;
		if (asprintf(&text, "The client did not answer: %s", dump ? dump : "no answer") < 0)
			text = NULL;
		free(dump);
		mcp_request_reply(a->r, fixture_text_result(text ? text : "no answer", true));
	} else if (a->kind == ASK_SAMPLING) {
		const char *said =
		    json_string_value(json_object_get(json_object_get(result, "content"), "text"));
		if (asprintf(&text, "LLM response: %s", said ? said : "") < 0)
			text = NULL;
		reply_text(a->r, text ? text : "LLM response");
	} else {
		const char *action = json_string_value(json_object_get(result, "action"));
		dump =
		    json_dumps(json_object_get(result, "content"), JSON_COMPACT | JSON_ENCODE_ANY);
		if (asprintf(&text, "Elicitation completed: action=%s, content=%s",
		             action ? action : "?", dump ? dump : "null") < 0)
			text = NULL;
		free(dump);
		reply_text(a->r, text ? text : "Elicitation completed");
	}
	free(text);
	free(a);
}

static void legacy_ask(struct mcp_request *r, enum ask_kind kind, json_t *params)
{
	const char *capability = kind == ASK_SAMPLING ? "sampling" : "elicitation";
	struct asked *a;

	if (!mcp_request_client_capability(r, capability)) {
		char text[128];
		json_decref(params);
		snprintf(text, sizeof text, "The client does not support %s", capability);
		mcp_request_reply(r, fixture_text_result(text, true));
		return;
	}
	a = calloc(1, sizeof *a);
	a->r = r;
	a->kind = kind;
	mcp_request_send(r, kind == ASK_SAMPLING ? "sampling/createMessage" : "elicitation/create",
	                 params, legacy_answered, a);
}

/* ---- asking the client: modern, an input_required round ---- */

/* The client's answer under key, or NULL. */
static json_t *answer(struct mcp_request *r, const char *key)
{
	return json_object_get(mcp_request_input_responses(r), key);
}

static const char *answered_text(json_t *a, const char *field)
{
	const char *s = json_string_value(json_object_get(json_object_get(a, "content"), field));

	return s ? s : "(none)";
}

static const char *sampled_text(json_t *a)
{
	const char *s = json_string_value(json_object_get(json_object_get(a, "content"), "text"));

	return s ? s : "(none)";
}

/* A tool that asks one thing, in either era, and says what it was told. */
static void ask_one(struct mcp_request *r, const char *key, enum ask_kind kind, json_t *params)
{
	json_t *a;

	if (!mcp_request_modern(r)) {
		legacy_ask(r, kind, params);
		return;
	}
	if (!(a = answer(r, key))) {
		mcp_request_ask(r,
		                json_pack("{s:o}", key,
		                          embedded(kind == ASK_SAMPLING ? "sampling/createMessage"
		                                                        : "elicitation/create",
		                                   params)),
		                NULL);
		return;
	}
	json_decref(params);
	char *dump = json_dumps(a, JSON_COMPACT), *text = NULL;
	if (asprintf(&text, "%s: %s",
	             kind == ASK_SAMPLING ? "LLM response" : "Elicitation completed",
	             dump ? dump : "?") < 0)
		text = NULL;
	reply_text(r, text ? text : "done");
	free(text);
	free(dump);
}

static void modern_only(struct mcp_request *r)
{
	mcp_request_reply(r, fixture_text_result("This tool speaks 2026-07-28 only", true));
}

static void input_required_tool(struct mcp_request *r, const char *name)
{
	json_t *state = mcp_request_state(r), *a, *b, *c;
	char text[512];

	if (!mcp_request_modern(r)) {
		modern_only(r);
		return;
	}
	if (strcmp(name, "test_input_required_result_elicitation") == 0) {
		if ((a = answer(r, "user_name"))) {
			snprintf(text, sizeof text, "Hello, %s!", answered_text(a, "name"));
			reply_text(r, text);
		} else {
			mcp_request_ask(r,
			                json_pack("{s:o}", "user_name",
			                          embedded("elicitation/create",
			                                   fixture_elicit("What is your name?",
			                                                  name_schema("name")))),
			                NULL);
		}
	} else if (strcmp(name, "test_input_required_result_sampling") == 0) {
		if ((a = answer(r, "capital_question"))) {
			snprintf(text, sizeof text, "The model said: %s", sampled_text(a));
			reply_text(r, text);
		} else {
			mcp_request_ask(
			    r,
			    json_pack("{s:o}", "capital_question",
			              embedded("sampling/createMessage",
			                       sampling("What is the capital of France?", 100))),
			    NULL);
		}
	} else if (strcmp(name, "test_input_required_result_list_roots") == 0) {
		if ((a = answer(r, "client_roots"))) {
			char *dump = json_dumps(json_object_get(a, "roots"), JSON_COMPACT);
			snprintf(text, sizeof text, "Roots: %s", dump ? dump : "[]");
			free(dump);
			reply_text(r, text);
		} else {
			mcp_request_ask(
			    r, json_pack("{s:o}", "client_roots", embedded("roots/list", NULL)),
			    NULL);
		}
	} else if (strcmp(name, "test_input_required_result_request_state") == 0 ||
	           strcmp(name, "test_input_required_result_tampered_state") == 0) {
		/* The session refuses an altered state: a state seen here is one we sealed. */
		if ((a = answer(r, "confirm")) && state &&
		    json_is_string(json_object_get(state, "check"))) {
			snprintf(text, sizeof text, "%s: confirmed",
			         json_string_value(json_object_get(state, "check")));
			reply_text(r, text);
		} else {
			mcp_request_ask(
			    r,
			    json_pack("{s:o}", "confirm",
			              embedded("elicitation/create",
			                       fixture_elicit(
			                           "Please confirm",
			                           json_pack("{s:s, s:{s:{s:s}}, s:[s]}", "type",
			                                     "object", "properties", "ok", "type",
			                                     "boolean", "required", "ok")))),
			    json_pack("{s:s}", "check", "state-ok"));
		}
	} else if (strcmp(name, "test_input_required_result_multiple_inputs") == 0) {
		a = answer(r, "user_name");
		b = answer(r, "greeting");
		c = answer(r, "client_roots");
		if (a && b && c) {
			snprintf(text, sizeof text, "%s, %s (with %zu roots)", sampled_text(b),
			         answered_text(a, "name"),
			         json_array_size(json_object_get(c, "roots")));
			reply_text(r, text);
		} else {
			mcp_request_ask(r,
			                json_pack("{s:o, s:o, s:o}", "user_name",
			                          embedded("elicitation/create",
			                                   fixture_elicit("What is your name?",
			                                                  name_schema("name"))),
			                          "greeting",
			                          embedded("sampling/createMessage",
			                                   sampling("Generate a greeting", 50)),
			                          "client_roots", embedded("roots/list", NULL)),
			                json_pack("{s:i}", "round", 1));
		}
	} else if (strcmp(name, "test_input_required_result_multi_round") == 0) {
		json_int_t round = json_integer_value(json_object_get(state, "round"));
		if (round == 2 && (a = answer(r, "step2"))) {
			snprintf(text, sizeof text, "%s likes %s",
			         json_string_value(json_object_get(state, "name")),
			         answered_text(a, "color"));
			reply_text(r, text);
		} else if (round == 1 && (a = answer(r, "step1"))) {
			mcp_request_ask(
			    r,
			    json_pack(
			        "{s:o}", "step2",
			        embedded("elicitation/create",
			                 fixture_elicit("Step 2: What is your favorite color?",
			                                name_schema("color")))),
			    json_pack("{s:i, s:s}", "round", 2, "name", answered_text(a, "name")));
		} else {
			mcp_request_ask(
			    r,
			    json_pack("{s:o}", "step1",
			              embedded("elicitation/create",
			                       fixture_elicit("Step 1: What is your name?",
			                                      name_schema("name")))),
			    json_pack("{s:i}", "round", 1));
		}
	} else { /* test_input_required_result_capabilities */
		json_t *asks = json_object();
		bool all = true;
		if (mcp_request_client_capability(r, "sampling")) {
			json_object_set_new(
			    asks, "sample",
			    embedded("sampling/createMessage", sampling("Say hi", 20)));
			all = all && answer(r, "sample");
		}
		if (mcp_request_client_capability(r, "elicitation")) {
			json_object_set_new(
			    asks, "confirm",
			    embedded("elicitation/create",
			             fixture_elicit("Proceed?", name_schema("ok"))));
			all = all && answer(r, "confirm");
		}
		if (mcp_request_client_capability(r, "roots")) {
			json_object_set_new(asks, "roots", embedded("roots/list", NULL));
			all = all && answer(r, "roots");
		}
		if (json_object_size(asks) == 0 || all) {
			json_decref(asks);
			reply_text(r, "Asked only what the client can answer");
		} else {
			mcp_request_ask(r, asks, NULL);
		}
	}
}

/* ---- the calls ---- */

static int call(void *ctx, struct mcp_request *r, const char *name, json_t *args)
{
	(void)ctx;
	if (mcp_request_task_id(r))
		return fixture_task_call(r, name, args);
	if (strcmp(name, "test_simple_text") == 0) {
		reply_text(r, "This is a simple text response for testing.");
	} else if (strcmp(name, "test_image_content") == 0) {
		mcp_request_reply(r, json_pack("{s:[{s:s, s:s, s:s}]}", "content", "type", "image",
		                               "data", FIXTURE_PNG, "mimeType", "image/png"));
	} else if (strcmp(name, "test_audio_content") == 0) {
		mcp_request_reply(r, json_pack("{s:[{s:s, s:s, s:s}]}", "content", "type", "audio",
		                               "data", FIXTURE_WAV, "mimeType", "audio/wav"));
	} else if (strcmp(name, "test_embedded_resource") == 0) {
		mcp_request_reply(r, json_pack("{s:[{s:s, s:{s:s, s:s, s:s}}]}", "content", "type",
		                               "resource", "resource", "uri",
		                               "test://embedded-resource", "mimeType", "text/plain",
		                               "text", "This is an embedded resource content."));
	} else if (strcmp(name, "test_multiple_content_types") == 0) {
		mcp_request_reply(
		    r, json_pack("{s:[{s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:{s:s, s:s, s:s}}]}",
		                 "content", "type", "text", "text",
		                 "Multiple content types test:", "type", "image", "data",
		                 FIXTURE_PNG, "mimeType", "image/png", "type", "resource",
		                 "resource", "uri", "test://mixed-content-resource", "mimeType",
		                 "application/json", "text", "{\"test\":\"data\",\"value\":123}"));
	} else if (strcmp(name, "test_error_handling") == 0) {
		mcp_request_reply(
		    r, fixture_text_result("This tool intentionally returns an error for testing",
		                           true));
	} else if (strcmp(name, "test_tool_with_progress") == 0) {
		paced(r, PACED_PROGRESS);
	} else if (strcmp(name, "test_tool_with_logging") == 0 ||
	           strcmp(name, "test_logging_tool") == 0) {
		paced(r, PACED_LOGGING);
	} else if (strcmp(name, "test_sampling") == 0) {
		const char *prompt = json_string_value(json_object_get(args, "prompt"));
		ask_one(r, "sample", ASK_SAMPLING, sampling(prompt ? prompt : "Hello", 100));
	} else if (strcmp(name, "test_elicitation") == 0) {
		const char *message = json_string_value(json_object_get(args, "message"));
		ask_one(r, "user", ASK_ELICIT,
		        elicitation_user(message ? message : "Who are you?"));
	} else if (strcmp(name, "test_elicitation_sep1034_defaults") == 0) {
		ask_one(r, "defaults", ASK_ELICIT, elicitation_1034());
	} else if (strcmp(name, "test_elicitation_sep1330_enums") == 0) {
		ask_one(r, "enums", ASK_ELICIT, elicitation_1330());
	} else if (strcmp(name, "test_streaming_elicitation") == 0) {
		ask_one(r, "user_name", ASK_ELICIT,
		        fixture_elicit("What is your name?", name_schema("name")));
	} else if (strcmp(name, "test_missing_capability") == 0) {
		/* Asking for sampling is refused (-32021) unless this request declares it. */
		ask_one(r, "sample", ASK_SAMPLING, sampling("Anything", 10));
	} else if (strcmp(name, "json_schema_2020_12_tool") == 0 ||
	           strcmp(name, "test_trigger_tool_change") == 0 ||
	           strcmp(name, "test_trigger_prompt_change") == 0) {
		reply_text(r, "ok");
	} else if (strcmp(name, "test_custom_header") == 0) {
		const char *region = json_string_value(json_object_get(args, "region"));
		reply_text(r, region ? region : "(no region)");
	} else if (strncmp(name, "test_input_required_result_", 27) == 0 &&
	           fixture_task_tool(name) == 0) {
		input_required_tool(r, name);
	} else if (fixture_task_tool(name) >= 0) {
		return fixture_task_call(r, name, args);
	} else {
		return -1;
	}
	return 0;
}

struct mcp_tool_provider fixture_tool_provider(uv_loop_t *l)
{
	loop = l;
	return (struct mcp_tool_provider){.list = list, .call = call};
}
