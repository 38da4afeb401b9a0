/*
 * An MCP tool: its name, what tools/list shows of it, and its handler. One
 * file per tool exports one entry; registry.c lists them.
 */
#ifndef CODEX_MCP_TOOL_H
#define CODEX_MCP_TOOL_H

#include <stdbool.h>

#include <jansson.h>

#include "app/call.h"

struct app;

struct tool_entry {
	const char *name;
	const char *title;
	const char *description;
	const char *input_schema;  /* JSON text */
	const char *output_schema; /* JSON text, or NULL */
	const char *annotations;   /* JSON text: MCP ToolAnnotations */
	int task_support;          /* 1: takes task-augmented calls ("optional") */
	bool runs_codex;           /* starts Codex runs: confined to the client's roots */
	/* Answers call->req exactly once, now or later. call and args are borrowed. */
	void (*call)(const struct tool_call *call, json_t *args);
};

extern const struct tool_entry tool_codex;
extern const struct tool_entry tool_codex_reply;
extern const struct tool_entry tool_spawn_agent;
extern const struct tool_entry tool_spawn_agent_async;
extern const struct tool_entry tool_get_agent_status;
extern const struct tool_entry tool_kill_agent;
extern const struct tool_entry tool_list_running_agents;
extern const struct tool_entry tool_list_agent_tasks;
extern const struct tool_entry tool_spawn_agents_parallel;
extern const struct tool_entry tool_list_agent_logs;
extern const struct tool_entry tool_cleanup_old_logs;
extern const struct tool_entry tool_cleanup_worktrees;
extern const struct tool_entry tool_codex_steer;
extern const struct tool_entry tool_message_agent;

/*
 * Chooses the tools served: "compat" (codex, codex-reply), "fleet" (the
 * agent tools), "all", or a comma list of those words and tool names.
 * Returns -1 with err on an unknown name, or when none is left.
 */
int tools_init(const char *selection, char *err, size_t err_size);
void tools_free(void);
/* The tools/list array, made anew (a new reference); NULL if a schema does not parse. */
json_t *tools_list(void);
const struct tool_entry *tools_find(const char *name);

#endif
