/* The page's files, built into the program from src/dashboard/www by embed.cmake. */
#ifndef CODEX_MCP_DASHBOARD_ASSETS_H
#define CODEX_MCP_DASHBOARD_ASSETS_H

#include <stddef.h>

struct dashboard_asset {
	const char *name; /* as in www/: "index.html" */
	const char *type; /* its Content-Type */
	const unsigned char *data;
	size_t len;
};

/* Ends with an entry whose name is NULL. */
extern const struct dashboard_asset dashboard_assets[];

#endif
