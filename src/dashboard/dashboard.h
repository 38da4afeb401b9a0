/*
 * The dashboard: one page at / where a person follows the fleet (agents running
 * and recent, their progress and logs, their reports), answers the approvals
 * waiting, and kills agents. The HTTP transport serves it beside /mcp, behind the
 * same authentication, only with --http.
 *
 * Its routes (web.c) live in the HTTP module and know nothing of Codex or the
 * runner: they reach the application through struct dashboard_app, and the
 * application tells them what happens with dashboard_publish().
 */
#ifndef CODEX_MCP_DASHBOARD_H
#define CODEX_MCP_DASHBOARD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "http/listen.h"
#include "http/server.h"
#include "mcp/http.h"

/* An answer: an HTTP status and a JSON body (stolen). May come before the call returns. */
typedef void (*dashboard_reply_fn)(void *data, unsigned status, json_t *body);

/* The application, as the dashboard reaches it. subject is who asks ("" for no one). */
struct dashboard_app {
	/* {agents: {total, counts..., tasks: [...]}, approvals: [...]} */
	void (*overview)(void *ctx, const char *subject, dashboard_reply_fn reply, void *data);
	/* One agent: its status and report, and the tail of its log. */
	void (*agent)(void *ctx, const char *subject, const char *id, dashboard_reply_fn reply,
	              void *data);
	/* Stops an agent, as kill_agent does; answers once the stop has begun. */
	void (*kill)(void *ctx, const char *subject, const char *id, dashboard_reply_fn reply,
	             void *data);
	/* Answers question of task with decision ("accept" or "decline"). */
	void (*answer)(void *ctx, const char *subject, const char *task, uint64_t question,
	               const char *decision, dashboard_reply_fn reply, void *data);
	void *ctx;
};

struct dashboard_config {
	uv_loop_t *loop;
	struct mcp_http_auth auth; /* the same as /mcp's; auth.auth NULL: none */
	unsigned keepalive_s;      /* a quiet event stream gets a comment this often */
	struct dashboard_app app;
};

struct dashboard;

int dashboard_new(const struct dashboard_config *cfg, struct dashboard **out, char *err,
                  size_t err_size);
/* Serves x when its path is the dashboard's: / and /dashboard/...; false otherwise. */
bool dashboard_handle(void *d, struct http_exchange *x);
/* Sends event (a name) with data to the subject's event streams. data is borrowed. */
void dashboard_publish(struct dashboard *d, const char *subject, const char *event,
                       const json_t *data);
/* The server stops: event streams end, and new ones are refused. */
/* Whether a page of subject's is open: what none would see need not be made. */
bool dashboard_watched(const struct dashboard *d, const char *subject);
void dashboard_stop(struct dashboard *d);
/* Once the HTTP server that served it is gone: its streams have all closed. */
void dashboard_free(struct dashboard *d);

#endif
