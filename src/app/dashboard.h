/*
 * The application's side of the dashboard (src/dashboard/): it watches every task
 * the runner takes, keeps the questions waiting for a person and a little history
 * of each run's activity, tells the page what happens, and does what the page
 * asks through the same code as the agent tools.
 */
#ifndef CODEX_MCP_APP_DASHBOARD_H
#define CODEX_MCP_APP_DASHBOARD_H

#include <stddef.h>

#include "mcp/http.h"

struct app;

/* With --http: makes the dashboard and the routes the transport gives it. */
int app_dashboard_start(struct app *app, struct mcp_http_routes *routes);
/* The server stops: the pages' event streams end. */
void app_dashboard_stop(struct app *app);
/* Once the HTTP transport is closed. */
void app_dashboard_free(struct app *app);

#endif
