/*
 * The 2026-07-28 era: stateless requests, each with its own envelope.
 * server/discover replaces the handshake, every result says its resultType, and
 * what the server needs from the client (the roots of a call) is asked with an
 * input_required result whose requestState is sealed, so a client cannot forge it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcp/seal.h"
#include "mcp/session-int.h"

enum {
	/* Tools never change while the server runs; a client may keep the list a while. */
	TOOLS_TTL_MS = 60 * 1000,
	DISCOVER_TTL_MS = 60 * 1000,
	/* How long a client has to answer an input_required round. */
	STATE_LIFETIME_MS = 10 * 60 * 1000,
};

#define ROOTS_KEY "roots"

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void discover(struct mcp_session *s, json_t *id)
{
	json_t *caps = json_pack("{s:{s:b}, s:{}}", "tools", "listChanged", 0, "logging");
	json_t *result;

	if (caps && s->has_tasks)
		json_object_set_new(caps, "extensions", json_pack("{s:{}}", MCP_TASKS_EXTENSION));
	if (caps)
		session_provider_capabilities(s, caps, true);
	result = json_pack("{s:[s], s:o, s:i, s:s}", "supportedVersions", MCP_MODERN_VERSION,
	                   "capabilities", caps, "ttlMs", DISCOVER_TTL_MS, "cacheScope", "public");
	if (result && s->info.instructions)
		json_object_set_new(result, "instructions", json_string(s->info.instructions));
	session_reply_result(s, id, result, true);
}

/* The 2026 listing: no execution field (tasks are the extension's now), with its ttl. */
static char *modern_tools_text(struct mcp_session *s)
{
	json_t *given = s->tools.list(s->tools.ctx);
	/* A copy: the provider's tree may be shared with others. */
	json_t *tools = json_deep_copy(given), *tool;
	size_t i;

	json_decref(given);

	if (!tools)
		return NULL;
	json_array_foreach(tools, i, tool) json_object_del(tool, "execution");
	json_t *result =
	    json_pack("{s:o, s:i, s:s, s:s, s:{s:{s:s, s:s}}}", "tools", tools, "ttlMs",
	              TOOLS_TTL_MS, "cacheScope", "public", "resultType", "complete", "_meta",
	              MCP_META_SERVER_INFO, "name", s->info.name, "version", s->info.version);
	char *text = result ? json_dumps(result, JSON_COMPACT) : NULL;
	json_decref(result);
	return text;
}

static void list_tools(struct mcp_session *s, json_t *id)
{
	if (!s->listing->modern)
		s->listing->modern = modern_tools_text(s);
	if (!s->listing->modern) {
		session_reply_error(s, id, RPC_INTERNAL_ERROR,
		                    "tools/list: the listing cannot be made", NULL);
		return;
	}
	session_reply_text(s, id, s->listing->modern);
}

static void ask_roots(struct mcp_session *s, const struct seal_key *key, json_t *id,
                      const json_t *binding)
{
	char *state = seal_make(key, "tools/call", binding, NULL, wall_ms() + STATE_LIFETIME_MS);
	json_t *result;

	if (!state) {
		session_reply_error(s, id, RPC_INTERNAL_ERROR, "cannot seal the request state",
		                    NULL);
		return;
	}
	result = json_pack("{s:s, s:{s:{s:s, s:{}}}, s:s}", "resultType", "input_required",
	                   "inputRequests", ROOTS_KEY, "method", "roots/list", "params",
	                   "requestState", state);
	free(state);
	session_reply_result(s, id, result, true);
}

/*
 * A call that is confined to the client's roots asks for them first, in an
 * input_required round. Returns 0 with the roots when the retry brought them
 * (listed counts what the client listed), or -1 once the request is answered.
 */
static int take_roots(struct mcp_session *s, json_t *id, json_t *params, const json_t *binding,
                      char ***paths, size_t *n, size_t *listed)
{
	json_t *state = json_object_get(params, "requestState");
	json_t *answer = json_object_get(json_object_get(params, "inputResponses"), ROOTS_KEY);
	char err[256], message[320];
	const struct seal_key *key = s->sealer.key(s->sealer.ctx, err, sizeof err);
	int rc;

	if (!key) {
		snprintf(message, sizeof message, "cannot ask for the client's roots: %s", err);
		session_reply_error(s, id, RPC_INTERNAL_ERROR, message, NULL);
		return -1;
	}
	if (!state) {
		ask_roots(s, key, id, binding);
		return -1;
	}
	if (!json_is_string(state)) {
		session_reply_error(s, id, RPC_INVALID_PARAMS, "requestState must be a string",
		                    NULL);
		return -1;
	}
	json_t *sealed = NULL;
	rc = seal_open(key, json_string_value(state), "tools/call", binding, wall_ms(), &sealed,
	               err, sizeof err);
	json_decref(sealed);
	if (rc != 0 && rc != -ETIMEDOUT) {
		session_reply_error(s, id, RPC_INVALID_PARAMS, err, NULL);
		return -1;
	}
	/* An expired round, or a retry without the answer, is asked again. */
	if (rc == -ETIMEDOUT || !answer) {
		ask_roots(s, key, id, binding);
		return -1;
	}
	if (roots_parse(answer, paths, n, listed) != 0) {
		session_reply_error(s, id, RPC_INVALID_PARAMS,
		                    "inputResponses.roots must be a ListRootsResult: {\"roots\": "
		                    "[{\"uri\": \"file:///...\"}]}",
		                    NULL);
		return -1;
	}
	return 0;
}

static void tools_call(struct mcp_session *s, json_t *id, json_t *params,
                       const struct mcp_envelope *env)
{
	json_t *name = json_object_get(params, "name");
	json_t *arguments = json_object_get(params, "arguments");
	char **roots = NULL;
	size_t n_roots = 0, listed = 0;
	bool took_roots = false;
	struct mcp_request *r;

	if (!json_is_string(name)) {
		session_reply_error(s, id, RPC_INVALID_PARAMS,
		                    "tools/call: \"name\" must be a string", NULL);
		return;
	}
	if (arguments && !json_is_object(arguments) && !json_is_null(arguments)) {
		session_reply_error(s, id, RPC_INVALID_PARAMS,
		                    "tools/call: \"arguments\" must be an object", NULL);
		return;
	}
	json_t *args = json_is_object(arguments) ? json_incref(arguments) : json_object();
	const char *tool = json_string_value(name);
	if (s->has_sealer && mcp_envelope_has(env, "roots") && s->tools.wants_roots &&
	    s->tools.wants_roots(s->tools.ctx, tool)) {
		json_t *binding = json_pack("{s:s, s:O}", "name", tool, "arguments", args);
		int rc = take_roots(s, id, params, binding, &roots, &n_roots, &listed);
		json_decref(binding);
		if (rc != 0) {
			json_decref(args);
			return;
		}
		took_roots = true;
		/* An empty list confines nothing, as on the legacy wire. */
		if (listed == 0) {
			roots_free(roots, n_roots);
			roots = NULL;
			n_roots = 0;
		}
	}
	/* The 2025 "task" param means nothing here: the server decides, for clients that
	 * declare the extension. */
	if (s->has_tasks && mcp_envelope_has_extension(env, MCP_TASKS_EXTENSION) &&
	    s->tasks.tool_support(s->tasks.ctx, tool) == 1) {
		session_start_task_call(s, id, params, tool, args, NULL, env, roots, n_roots);
		json_decref(args);
		return;
	}
	r = session_new_request(s, id);
	if (!r) {
		roots_free(roots, n_roots);
		json_decref(args);
		session_reply_error(s, id, RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	session_apply_envelope(r, env);
	r->progress_token = session_progress_token(params);
	r->has_roots = roots != NULL;
	r->roots = roots;
	r->n_roots = n_roots;
	/* Its requestState was the roots round's; otherwise the tool may ask on its own. */
	if (!took_roots && session_mrtr_take(r, "tools/call", params) != 0) {
		json_decref(args);
		return;
	}
	if (s->tools.call(s->tools.ctx, r, tool, args) != 0) {
		char message[512];
		snprintf(message, sizeof message, "tools/call: unknown tool \"%.400s\"", tool);
		mcp_request_fail(r, RPC_INVALID_PARAMS, message);
	}
	json_decref(args);
}

void session_handle_modern(struct mcp_session *s, const struct rpc_message *m,
                           const struct mcp_envelope *env)
{
	const char *method = m->method;

	if (strcmp(method, "server/discover") == 0) {
		discover(s, m->id);
	} else if (strcmp(method, "tools/list") == 0) {
		list_tools(s, m->id);
	} else if (strcmp(method, "tools/call") == 0) {
		tools_call(s, m->id, m->params, env);
	} else if (strncmp(method, "tasks/", 6) == 0) {
		session_handle_modern_tasks(s, m->id, method + 6, m->params, env);
	} else if (s->has_methods) {
		session_provider_request(s, m, env);
	} else {
		/* ping, logging/setLevel and initialize among them: gone from 2026-07-28. */
		char message[512];
		snprintf(message, sizeof message, "method not found: %.400s (protocol %s)", method,
		         MCP_MODERN_VERSION);
		session_reply_error(s, m->id, RPC_METHOD_NOT_FOUND, message, NULL);
	}
}
