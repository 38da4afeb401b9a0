/*
 * An MCP tool: its name, what tools/list shows of it, and its handler. One
 * file per tool exports one entry; registry.c lists them.
 */
#ifndef CODEX_MCP_TOOL_H
#define CODEX_MCP_TOOL_H

#include <jansson.h>

#include "mcp/session.h"

struct server;

struct tool_entry {
	const char *name;
	const char *title;
	const char *description;
	const char *input_schema;  /* JSON text */
	const char *output_schema; /* JSON text, or NULL */
	/* Answers req exactly once, now or later. args is borrowed. */
	void (*call)(struct server *srv, struct mcp_request *req, json_t *args);
};

extern const struct tool_entry tool_codex;
extern const struct tool_entry tool_codex_reply;

/* Parses the schemas once; returns -1 if one is not valid JSON. */
int tools_init(void);
void tools_free(void);
/* The tools/list array (borrowed). */
json_t *tools_list(void);
const struct tool_entry *tools_find(const char *name);

#endif
