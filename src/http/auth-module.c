/* What codex-mcp-auth.so offers the application (see src/app/http-module.h). */
#include "app/http-module.h"

__attribute__((visibility("default"))) const struct auth_module codex_mcp_auth_module = {
    .create = http_auth_new,
    .free = http_auth_free,
    .check = http_auth_check,
    .metadata = http_auth_resource_metadata,
};
