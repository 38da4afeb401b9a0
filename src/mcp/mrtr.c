/*
 * Multi round-trip requests of the 2026-07-28 era (basic/patterns/mrtr): a
 * tools/call, prompts/get or resources/read may be answered with an
 * input_required result that embeds requests for the client (elicitation,
 * sampling, roots) and a sealed requestState; the client retries the same
 * request with its answers and that state. The session opens the state before
 * the provider sees the retry, so a forged or altered one never reaches it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "mcp/seal.h"
#include "mcp/session-int.h"

/* How long a client has to answer one round. */
enum { ROUND_LIFETIME_MS = 10 * 60 * 1000 };

/* What may be embedded, and the client capability each needs. */
static const struct {
	const char *method, *capability;
} embeddable[] = {
    {"elicitation/create", "elicitation"},
    {"sampling/createMessage", "sampling"},
    {"roots/list", "roots"},
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * What a round is bound to: the request's params less what a retry adds (its envelope,
 * inputResponses, requestState), as a digest of their canonical text, so that a call that
 * runs for hours with a large prompt keeps 64 bytes for it rather than a copy.
 */
static json_t *binding_of(json_t *params)
{
	json_t *rest = json_is_object(params) ? json_copy(params) : json_object();
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof digest + 1];
	char *text;

	if (!rest)
		return NULL;
	json_object_del(rest, "_meta");
	json_object_del(rest, "inputResponses");
	json_object_del(rest, "requestState");
	text = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(rest);
	if (!text || sodium_init() < 0) {
		free(text);
		return NULL;
	}
	crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
	free(text);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	return json_pack("{s:s}", "params", hex);
}

static const struct seal_key *session_key(struct mcp_session *s, char *err, size_t size)
{
	if (!s->has_sealer) {
		snprintf(err, size, "this server has no key to seal a requestState with");
		return NULL;
	}
	return s->sealer.key(s->sealer.ctx, err, size);
}

int session_mrtr_take(struct mcp_request *r, const char *method, json_t *params)
{
	json_t *responses = json_object_get(params, "inputResponses");
	json_t *state = json_object_get(params, "requestState");
	json_t *value, *data = NULL;
	const char *key;
	char err[256], message[400];

	r->mrtr_method = method;
	/* A retry is the same request: what it adds, and its envelope, are not bound. */
	r->mrtr_binding = binding_of(params);
	if (!r->mrtr_binding) {
		mcp_request_fail(r, RPC_INTERNAL_ERROR, "out of memory");
		return -1;
	}
	if (responses && !json_is_object(responses)) {
		mcp_request_fail(r, RPC_INVALID_PARAMS,
		                 "inputResponses must be an object: {key: the client's result}");
		return -1;
	}
	json_object_foreach(responses, key, value)
	{
		if (!json_is_object(value)) {
			snprintf(message, sizeof message,
			         "inputResponses[\"%.200s\"] must be an object: the result of the "
			         "request asked under that key",
			         key);
			mcp_request_fail(r, RPC_INVALID_PARAMS, message);
			return -1;
		}
	}
	if (state) {
		const struct seal_key *k;
		int rc;
		if (!json_is_string(state)) {
			mcp_request_fail(r, RPC_INVALID_PARAMS, "requestState must be a string");
			return -1;
		}
		if (!(k = session_key(r->session, err, sizeof err))) {
			snprintf(message, sizeof message, "requestState cannot be checked: %s",
			         err);
			mcp_request_fail(r, RPC_INVALID_PARAMS, message);
			return -1;
		}
		rc = seal_open(k, json_string_value(state), method, r->mrtr_binding, wall_ms(),
		               &data, err, sizeof err);
		if (rc == -ETIMEDOUT) {
			/* The round expired: its answers are stale, and the provider asks again. */
			return 0;
		}
		if (rc != 0) {
			mcp_request_fail(r, rc == -ENOMEM ? RPC_INTERNAL_ERROR : RPC_INVALID_PARAMS,
			                 err);
			return -1;
		}
		r->state = data;
	}
	r->input_responses = json_incref(responses);
	return 0;
}

void session_mrtr_free(struct mcp_request *r)
{
	json_decref(r->mrtr_binding);
	json_decref(r->input_responses);
	json_decref(r->state);
}

json_t *mcp_request_input_responses(const struct mcp_request *r)
{
	return r->input_responses;
}

json_t *mcp_request_state(const struct mcp_request *r)
{
	return r->state;
}

static const char *capability_of(const char *method)
{
	for (size_t i = 0; method && i < sizeof embeddable / sizeof embeddable[0]; i++)
		if (strcmp(method, embeddable[i].method) == 0)
			return embeddable[i].capability;
	return NULL;
}

void mcp_request_ask(struct mcp_request *r, json_t *input_requests, json_t *state)
{
	json_t *ask, *missing = NULL, *result;
	const char *key, *capability;
	const struct seal_key *k;
	char err[256], message[400];
	char *sealed;

	if (!r->modern || !r->mrtr_method || r->task_id) {
		json_decref(input_requests);
		json_decref(state);
		mcp_request_fail(
		    r, RPC_INTERNAL_ERROR,
		    "only a 2026-07-28 tools/call, prompts/get or resources/read may ask "
		    "the client for input");
		return;
	}
	if (!json_is_object(input_requests) || json_object_size(input_requests) == 0 ||
	    (state && !json_is_object(state))) {
		json_decref(input_requests);
		json_decref(state);
		mcp_request_fail(r, RPC_INTERNAL_ERROR, "the server asked the client for nothing");
		return;
	}
	json_object_foreach(input_requests, key, ask)
	{
		const char *method = json_string_value(json_object_get(ask, "method"));
		if (!(capability = capability_of(method))) {
			snprintf(message, sizeof message,
			         "a server cannot ask its client for %.200s",
			         method ? method : "(no method)");
			json_decref(input_requests);
			json_decref(state);
			json_decref(missing);
			mcp_request_fail(r, RPC_INTERNAL_ERROR, message);
			return;
		}
		/* Only what this request's own envelope declares counts. */
		if (!json_is_object(json_object_get(r->client_caps, capability))) {
			if (!missing)
				missing = json_object();
			json_object_set_new(missing, capability, json_object());
		}
	}
	if (missing) {
		json_decref(input_requests);
		json_decref(state);
		mcp_request_fail_data(r, MCP_ERR_MISSING_CAPABILITY,
		                      "the request needs a client capability it does not declare",
		                      json_pack("{s:o}", "requiredCapabilities", missing));
		return;
	}
	if (!(k = session_key(r->session, err, sizeof err))) {
		snprintf(message, sizeof message, "cannot seal the request state: %s", err);
		json_decref(input_requests);
		json_decref(state);
		mcp_request_fail(r, RPC_INTERNAL_ERROR, message);
		return;
	}
	sealed =
	    seal_make(k, r->mrtr_method, r->mrtr_binding, state, wall_ms() + ROUND_LIFETIME_MS);
	json_decref(state);
	if (!sealed) {
		json_decref(input_requests);
		mcp_request_fail(r, RPC_INTERNAL_ERROR, "cannot seal the request state");
		return;
	}
	result = json_pack("{s:s, s:o, s:s}", "resultType", "input_required", "inputRequests",
	                   input_requests, "requestState", sealed);
	free(sealed);
	if (!result) {
		mcp_request_fail(r, RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	mcp_request_reply(r, result);
}
