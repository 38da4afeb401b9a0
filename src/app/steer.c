#include "app/steer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/args.h"
#include "app/fleet.h"

static void answer(struct mcp_request *req, bool steered, const char *message)
{
	mcp_request_reply(
	    req, json_tool_result(json_pack("{s:b, s:s}", "steered", steered, "message", message)));
}

static void on_steered(void *data, const char *error)
{
	char message[300];

	if (error)
		snprintf(message, sizeof message, "not taken: %.250s", error);
	answer(data, !error, error ? message : "the running turn took the message");
}

void tool_steer(const struct tool_call *call, struct task *t, const char *prompt, const char *why)
{
	int rc = t ? task_steer(t, prompt, on_steered, call->req) : -ENOENT;

	if (rc == 0)
		return;
	if (rc == -ENOTSUP)
		why = "its backend cannot add to a running turn (codex exec): use --backend "
		      "app-server";
	else if (rc == -EAGAIN)
		why = "its turn has not started yet, or is stopping: try again";
	else if (rc != -ENOENT)
		why = "it could not be sent to Codex";
	answer(call->req, false, why ? why : "nothing runs there");
}
