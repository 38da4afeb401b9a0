/*
 * Asking a person whether Codex may go on: what Codex asks becomes a form-mode
 * elicitation a spec-following client can show, and the client's answer becomes
 * Codex's decision. A dismissed prompt declines the step; it never ends the turn.
 */
#ifndef CODEX_MCP_APPROVAL_H
#define CODEX_MCP_APPROVAL_H

#include <stdbool.h>

#include <jansson.h>

#include "codex/backend.h"
#include "mcp/session.h"

/* Whether the client of req can be asked: it declared form elicitation. */
bool approval_can_ask(const struct mcp_request *req);
/* The elicitation/create params that ask about q; cwd stands in when q has none. */
json_t *approval_elicitation(const struct codex_question *q, const char *cwd);
/* What the client's elicitation result means (NULL: no answer). */
enum codex_decision approval_decision(const json_t *result);

#endif
