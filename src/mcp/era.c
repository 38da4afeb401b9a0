#include "mcp/era.h"

#include <stdio.h>
#include <string.h>

#include "rpc/jsonrpc.h"
#include "util/text.h"

static const char *const modern_versions[] = {MCP_MODERN_VERSION};

static bool served(const char *version)
{
	for (size_t i = 0; i < sizeof modern_versions / sizeof modern_versions[0]; i++)
		if (strcmp(version, modern_versions[i]) == 0)
			return true;
	return false;
}

static int malformed(char *err, size_t err_size, const char *key, const char *problem)
{
	snprintf(err, err_size, "invalid request envelope: _meta \"%s\" %s", key, problem);
	return RPC_INVALID_PARAMS;
}

/* Checks the keys of a modern claim; the version is checked after its shape. */
static int read_envelope(const json_t *meta, struct mcp_envelope *env, char *err, size_t err_size)
{
	json_t *version = json_object_get(meta, MCP_META_PROTOCOL_VERSION);
	json_t *caps = json_object_get(meta, MCP_META_CLIENT_CAPS);
	json_t *info = json_object_get(meta, MCP_META_CLIENT_INFO);
	json_t *level = json_object_get(meta, MCP_META_LOG_LEVEL);

	memset(env, 0, sizeof *env);
	if (!json_is_string(version))
		return malformed(err, err_size, MCP_META_PROTOCOL_VERSION, "must be a string");
	if (!caps)
		return malformed(err, err_size, MCP_META_CLIENT_CAPS, "is missing");
	if (!json_is_object(caps))
		return malformed(err, err_size, MCP_META_CLIENT_CAPS, "must be an object");
	/* clientInfo is optional (servers must not require it), but typed when sent. */
	if (info && !json_is_object(info))
		return malformed(err, err_size, MCP_META_CLIENT_INFO, "must be an object");
	if (level) {
		if (!json_is_string(level) ||
		    log_level_parse(json_string_value(level), &env->log_level) != 0)
			return malformed(err, err_size, MCP_META_LOG_LEVEL,
			                 "must be one of debug, info, notice, warning, error, "
			                 "critical, alert, emergency");
		env->has_log_level = true;
	}
	env->version = json_string_value(version);
	env->capabilities = caps;
	env->client_info = info;
	return 0;
}

int mcp_era_classify(const char *method, const json_t *params, struct mcp_envelope *env,
                     json_t **data, char *err, size_t err_size)
{
	json_t *meta = json_object_get(params, "_meta");
	int rc;

	*data = NULL;
	/* Only the version key makes a claim; clientInfo or a progressToken alone do not. */
	if (!json_is_object(meta) || !json_object_get(meta, MCP_META_PROTOCOL_VERSION))
		return MCP_ERA_LEGACY;
	rc = read_envelope(meta, env, err, err_size);
	/* An initialize without a valid envelope naming a version we serve is the legacy
	 * handshake. */
	if (strcmp(method, "initialize") == 0 && (rc != 0 || !served(env->version)))
		return MCP_ERA_LEGACY;
	if (rc == 0 && !served(env->version)) {
		/* Cut on a character boundary: the message is JSON text. */
		int n = (int)text_utf8_prefix(env->version, strlen(env->version), 64);
		snprintf(err, err_size, "unsupported protocol version \"%.*s\"", n, env->version);
		*data = json_pack("{s:[s], s:s}", "supported", MCP_MODERN_VERSION, "requested",
		                  env->version);
		return MCP_ERR_UNSUPPORTED_VERSION;
	}
	return rc == 0 ? MCP_ERA_MODERN : rc;
}

bool mcp_envelope_has(const struct mcp_envelope *env, const char *key)
{
	return json_is_object(json_object_get(env->capabilities, key));
}

bool mcp_envelope_has_extension(const struct mcp_envelope *env, const char *id)
{
	json_t *ext = json_object_get(env->capabilities, "extensions");

	return json_is_object(json_object_get(ext, id));
}
