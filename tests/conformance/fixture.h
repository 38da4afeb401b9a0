/* The parts of the conformance fixture server. */
#ifndef CONFORMANCE_FIXTURE_H
#define CONFORMANCE_FIXTURE_H

#include <jansson.h>
#include <uv.h>

#include "mcp/session.h"

/* A 1x1 red PNG and a short silent WAV, base64. */
#define FIXTURE_PNG                                                                                \
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/"                \
	"pLvAAAAAElFTkSuQmCC"
#define FIXTURE_WAV "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA=="

/* tools.c: the test_* tools of every scenario, and those of the tasks scenarios. */
struct mcp_tool_provider fixture_tool_provider(uv_loop_t *loop);

/* methods.c: resources, resource templates, prompts and completion. */
struct mcp_method_provider fixture_method_provider(void);

/* tasks.c: tasks kept in memory, for the tasks extension scenarios. */
void fixture_tasks_init(uv_loop_t *loop);
void fixture_tasks_close(void);
struct mcp_task_provider fixture_task_provider(void);
/* Whether the tool runs as a task (1), never (0), or is unknown (-1). */
int fixture_task_tool(const char *name);
/* Starts a task-augmented call (req has a task id). Returns -1 for an unknown tool. */
int fixture_task_call(struct mcp_request *req, const char *name, json_t *arguments);

/* A text content block's CallToolResult. */
json_t *fixture_text_result(const char *text, bool is_error);
/* An elicitation/create params with a message and a requested schema (stolen). */
json_t *fixture_elicit(const char *message, json_t *schema);

#endif
