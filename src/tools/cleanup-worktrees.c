/* Tool `cleanup_worktrees`: remove agents' git worktrees that are merged or old. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fleet.h"
#include "app/visible.h"
#include "app/worktree.h"
#include "tools/tool.h"

static const char input_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"dry_run\": {\"type\": \"boolean\", \"description\": \"Only say what would go (default "
    "true).\"},"
    "\"older_than_days\": {\"type\": \"integer\", \"minimum\": 0, \"description\": \"Also "
    "remove worktrees made this many days ago or more; their branch stays unless merged.\"},"
    "\"force\": {\"type\": \"boolean\", \"description\": \"Also remove uncommitted changes and "
    "delete unmerged branches of the worktrees that go (default false).\"}"
    "}, \"additionalProperties\": false}";

static const char output_schema[] =
    "{\"type\": \"object\", \"properties\": {"
    "\"dry_run\": {\"type\": \"boolean\"},"
    "\"removed_count\": {\"type\": \"integer\", \"description\": \"Or, in a dry run, would "
    "be.\"},"
    "\"worktrees\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {"
    "\"task_id\": {\"type\": \"string\"},"
    "\"path\": {\"type\": \"string\"},"
    "\"branch\": {\"type\": \"string\"},"
    "\"merged\": {\"type\": \"boolean\", \"description\": \"Its branch is merged into the HEAD "
    "of the repository's own checkout, and nothing is left uncommitted.\"},"
    "\"uncommitted\": {\"type\": \"boolean\"},"
    "\"age_days\": {\"type\": \"number\"},"
    "\"action\": {\"type\": \"string\", \"enum\": [\"removed\", \"would remove\", \"kept\"]},"
    "\"branch_deleted\": {\"type\": \"boolean\"},"
    "\"reason\": {\"type\": \"string\"}"
    "}, \"required\": [\"task_id\", \"path\", \"action\"]}}"
    "}, \"required\": [\"dry_run\", \"removed_count\", \"worktrees\"]}";

/* It removes worktrees and branches unless dry_run; a second call finds them gone. */
static const char annotations[] =
    "{\"title\": \"Clean up worktrees\", \"readOnlyHint\": false, \"destructiveHint\": true, "
    "\"idempotentHint\": true, \"openWorldHint\": false}";

static const char *const known[] = {"dry_run", "older_than_days", "force", NULL};

/* One cleanup, done on libuv's thread pool: git removes whole trees, which takes a while. */
struct cleanup {
	uv_work_t req;
	struct mcp_request *mreq;
	struct store *store;
	char root[4096];
	char *subject;
	struct worktree_prune o;
	json_t *result;
};

static void cleanup_work(uv_work_t *req)
{
	struct cleanup *c = req->data;
	json_t *kept = json_array();
	json_t *candidates =
	    kept ? worktree_prunable(c->store, c->root, c->subject, false, kept) : NULL;

	if (candidates)
		c->result = worktree_prune(candidates, &c->o);
	if (c->result)
		worktree_prune_add(c->result, kept);
	json_decref(candidates);
	json_decref(kept);
}

static void cleanup_done(uv_work_t *req, int status)
{
	struct cleanup *c = req->data;

	(void)status;
	mcp_request_reply(c->mreq, c->result ? json_tool_result(c->result)
	                                     : tool_error_result("out of memory"));
	free(c->subject);
	free(c);
}

static void call_cleanup_worktrees(const struct tool_call *call, json_t *args)
{
	json_int_t days;
	int dry_run, force;
	struct arg_error e;
	struct cleanup *c;
	const char *subject = call_subject(call);

	if (args_only(args, known, &e) || arg_bool(args, "dry_run", &dry_run, &e) ||
	    arg_integer(args, "older_than_days", 0, 36500, -1, &days, &e) ||
	    arg_bool(args, "force", &force, &e)) {
		mcp_request_reply(call->req, tool_error_result(e.message));
		return;
	}
	if (!(c = calloc(1, sizeof *c)) || (subject && !(c->subject = strdup(subject)))) {
		free(c);
		mcp_request_reply(call->req, tool_error_result("out of memory"));
		return;
	}
	c->req.data = c;
	c->mreq = call->req;
	c->store = call->app->store;
	/* absent (-1) means a dry run, and no force */
	c->o = (struct worktree_prune){dry_run != 0, (int)days, force == 1};
	if (agent_worktrees_dir(call->app, c->root, sizeof c->root) != 0 ||
	    uv_queue_work(call->app->loop, &c->req, cleanup_work, cleanup_done) != 0) {
		free(c->subject);
		free(c);
		mcp_request_reply(call->req, tool_error_result("cannot start the cleanup"));
	}
}

const struct tool_entry tool_cleanup_worktrees = {
    .name = "cleanup_worktrees",
    .title = "Clean up worktrees",
    .description = "Remove the git worktrees agents worked in (spawn_agent with worktree): "
                   "those whose branch is merged into the repository's checked-out HEAD, with "
                   "their branch, and with older_than_days those made that long ago, keeping an "
                   "unmerged branch. Worktrees with uncommitted changes stay unless force. A "
                   "dry run, the default, only lists what would go and why the rest stays.",
    .input_schema = input_schema,
    .output_schema = output_schema,
    .annotations = annotations,
    .call = call_cleanup_worktrees,
};
