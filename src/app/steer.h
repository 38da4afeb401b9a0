/* Steering: a message added to a turn while it runs, for codex-steer and message_agent. */
#ifndef CODEX_MCP_STEER_H
#define CODEX_MCP_STEER_H

#include "app/call.h"
#include "tasks/runner.h"

/* The output schema both tools share: {steered, message}. */
#define STEER_OUTPUT_SCHEMA                                                                        \
	"{\"type\": \"object\", \"properties\": {"                                                 \
	"\"steered\": {\"type\": \"boolean\", \"description\": \"Whether the running turn took "   \
	"the message.\"},"                                                                         \
	"\"message\": {\"type\": \"string\"}"                                                      \
	"}, \"required\": [\"steered\", \"message\"]}"

/*
 * Adds prompt to t's running turn (t NULL: nothing runs, and why says so) and answers the
 * call with {steered, message} once the backend has said whether it took it.
 */
void tool_steer(const struct tool_call *call, struct task *t, const char *prompt, const char *why);

#endif
