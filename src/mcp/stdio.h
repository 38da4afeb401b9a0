/* The stdio transport: newline-delimited JSON-RPC on stdin and stdout. */
#ifndef CODEX_MCP_STDIO_H
#define CODEX_MCP_STDIO_H

#include <uv.h>

#include "mcp/session.h"
#include "rpc/framing.h"

struct stdio_transport;

/* Lines go to the sink; on_eof runs once stdin ends or fails. */
struct stdio_transport *stdio_transport_new(uv_loop_t *loop, size_t max_line,
                                            const struct line_sink *sink,
                                            void (*on_eof)(void *data), void *data);
/* Starts reading stdin. */
int stdio_transport_start(struct stdio_transport *t);
/* The transport as the session sees it. */
struct mcp_transport stdio_transport_as_mcp(struct stdio_transport *t);
/* Stops reading and closes the handles; the object is freed once they are closed. */
void stdio_transport_close(struct stdio_transport *t);

#endif
