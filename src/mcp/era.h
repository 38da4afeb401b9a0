/*
 * The two eras of MCP, told apart per message (2026-07-28, basic/versioning): a
 * request whose params._meta names io.modelcontextprotocol/protocolVersion is
 * modern and carries its client's capabilities itself; anything else, and an
 * initialize without a valid modern envelope, is legacy (2025-11-25 and before).
 */
#ifndef CODEX_MCP_ERA_H
#define CODEX_MCP_ERA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/log.h"

#define MCP_MODERN_VERSION "2026-07-28"
#define MCP_META_PROTOCOL_VERSION "io.modelcontextprotocol/protocolVersion"
#define MCP_META_CLIENT_CAPS "io.modelcontextprotocol/clientCapabilities"
#define MCP_META_CLIENT_INFO "io.modelcontextprotocol/clientInfo"
#define MCP_META_LOG_LEVEL "io.modelcontextprotocol/logLevel"
#define MCP_META_SERVER_INFO "io.modelcontextprotocol/serverInfo"
#define MCP_TASKS_EXTENSION "io.modelcontextprotocol/tasks"

/* Error codes 2026-07-28 adds to JSON-RPC's. */
enum {
	MCP_ERR_HEADER_MISMATCH = -32020,
	MCP_ERR_MISSING_CAPABILITY = -32021,
	MCP_ERR_UNSUPPORTED_VERSION = -32022,
};

enum mcp_era {
	MCP_ERA_LEGACY,
	MCP_ERA_MODERN,
};

/* A modern request's envelope; the values are borrowed from its params. */
struct mcp_envelope {
	const char *version;
	json_t *capabilities; /* an object; {} declares nothing */
	json_t *client_info;  /* NULL when not sent */
	bool has_log_level;   /* logs are sent only for a request that asks */
	enum log_level log_level;
};

/*
 * Classifies one request by its method and params. Returns MCP_ERA_LEGACY, or
 * MCP_ERA_MODERN with env filled; or, for a modern claim that cannot be served, a
 * JSON-RPC error code (-32602 malformed envelope, -32022 unsupported version) with
 * a message in err and, for -32022, *data = {supported, requested} (new reference).
 */
int mcp_era_classify(const char *method, const json_t *params, struct mcp_envelope *env,
                     json_t **data, char *err, size_t err_size);

/* Whether the request declared the capability named by key ("roots", "elicitation"...). */
bool mcp_envelope_has(const struct mcp_envelope *env, const char *key);
/* Whether it declared the extension with this id. */
bool mcp_envelope_has_extension(const struct mcp_envelope *env, const char *id);

#endif
