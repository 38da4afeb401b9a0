/* What codex-mcp-http.so offers the application (see src/app/http-module.h). */
#include "app/http-module.h"

__attribute__((visibility("default"))) const struct http_module codex_mcp_http_module = {
    .listen = http_listen,
    .address_format = http_address_format,
    .transport_new = mcp_http_new,
    .transport_stop = mcp_http_stop,
    .transport_close = mcp_http_close,
    .transport_log = mcp_http_log,
    .dashboard_new = dashboard_new,
    .dashboard_handle = dashboard_handle,
    .dashboard_publish = dashboard_publish,
    .dashboard_watched = dashboard_watched,
    .dashboard_stop = dashboard_stop,
    .dashboard_free = dashboard_free,
};
