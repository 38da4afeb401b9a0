/*
 * The method provider: what a server serves besides tools, logging and tasks
 * (resources, prompts, completion...), in either era. The session tracks each
 * request as it does a tool call; the provider answers it.
 */
#include <stdio.h>
#include <string.h>

#include "mcp/session-int.h"

/* Gone from 2026-07-28: a modern request for one is answered as any unknown method is. */
static const char *const removed_in_modern[] = {
    "initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe",
};

static bool removed(const char *method)
{
	for (size_t i = 0; i < sizeof removed_in_modern / sizeof removed_in_modern[0]; i++)
		if (strcmp(method, removed_in_modern[i]) == 0)
			return true;
	return false;
}

static void not_found(char *message, size_t size, const char *method, bool modern)
{
	if (modern)
		snprintf(message, size, "method not found: %.400s (protocol %s)", method,
		         MCP_MODERN_VERSION);
	else
		snprintf(message, size, "method not found: %.400s", method);
}

void session_provider_capabilities(const struct mcp_session *s, json_t *caps, bool modern)
{
	json_t *more;

	if (!s->has_methods || !s->methods.capabilities)
		return;
	more = s->methods.capabilities(s->methods.ctx, modern);
	if (json_is_object(more))
		json_object_update(caps, more);
	json_decref(more);
}

void session_provider_request(struct mcp_session *s, const struct rpc_message *m,
                              const struct mcp_envelope *env)
{
	const char *method = m->method;
	struct mcp_request *r;
	char message[512];

	if (!s->has_methods || (env && removed(method))) {
		not_found(message, sizeof message, method, env != NULL);
		session_reply_error(s, m->id, RPC_METHOD_NOT_FOUND, message, NULL);
		return;
	}
	r = session_new_request(s, m->id);
	if (!r) {
		session_reply_error(s, m->id, RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	r->progress_token = session_progress_token(m->params);
	if (env) {
		session_apply_envelope(r, env);
		/* The two methods besides tools/call that may ask the client for input. */
		if (strcmp(method, "prompts/get") == 0 &&
		    session_mrtr_take(r, "prompts/get", m->params) != 0)
			return;
		if (strcmp(method, "resources/read") == 0 &&
		    session_mrtr_take(r, "resources/read", m->params) != 0)
			return;
	}
	if (s->methods.request(s->methods.ctx, r, method, m->params) != 0) {
		not_found(message, sizeof message, method, env != NULL);
		mcp_request_fail(r, RPC_METHOD_NOT_FOUND, message);
	}
}
