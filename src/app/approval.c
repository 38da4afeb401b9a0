#include "app/approval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/redact.h"
#include "util/text.h"

bool approval_can_ask(const struct mcp_request *req)
{
	json_t *cap = mcp_request_client_capability(req, "elicitation");

	/* An empty object is the form mode of clients older than modes. */
	return json_is_object(cap) &&
	       (json_object_size(cap) == 0 || json_object_get(cap, "form") != NULL);
}

/* "a.c, b.c and 3 more", into buf. */
static void list_files(const json_t *changes, char *buf, size_t size)
{
	size_t n = json_array_size(changes), at = 0, shown = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && at + 1 < size; i++) {
		const char *path =
		    json_string_value(json_object_get(json_array_get(changes, i), "path"));
		if (!path)
			continue;
		if (shown == 3) {
			snprintf(buf + at, size - at, " and %zu more", n - i);
			return;
		}
		int k = snprintf(buf + at, size - at, "%s%s", shown ? ", " : "", path);
		if (k < 0 || (size_t)k >= size - at)
			return;
		at += (size_t)k;
		shown++;
	}
}

static void describe(const struct codex_question *q, const char *cwd, char *buf, size_t size)
{
	char what[600];
	int n;

	if (q->kind == CODEX_ASK_COMMAND) {
		char shown[500];
		codex_command_display(q->command ? q->command : "", shown, sizeof shown);
		snprintf(what, sizeof what, "run `%s`", shown);
	} else if (q->changes && json_array_size(q->changes)) {
		char files[500];
		list_files(q->changes, files, sizeof files);
		snprintf(what, sizeof what, "change %s", files);
	} else if (q->grant_root) {
		snprintf(what, sizeof what, "write under %s", q->grant_root);
	} else {
		snprintf(what, sizeof what, "change files");
	}
	n = snprintf(buf, size, "Codex asks to %s in %s.", what, q->cwd ? q->cwd : cwd ? cwd : ".");
	if (q->reason && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " Its reason: %s", q->reason);
}

json_t *approval_elicitation(const struct codex_question *q, const char *cwd)
{
	char message[1500];
	char *masked;
	json_t *choices;

	describe(q, cwd, message, sizeof message);
	text_sanitize_inplace(message);
	masked = redact_active() ? redact(message) : NULL;
	choices = json_pack("[{s:s, s:s}]", "const", "once", "title", "Allow this once");
	if (q->session_wide)
		json_array_append_new(choices, json_pack("{s:s, s:s}", "const", "session", "title",
		                                         "Allow for the rest of this session"));
	/*
	 * Accept allows, in the way chosen; decline or dismissing the form refuses this
	 * one step, and Codex goes on without it.
	 */
	json_t *params =
	    json_pack("{s:s, s:s, s:{s:s, s:{s:{s:s, s:s, s:s, s:o}}, s:[s]}}", "mode", "form",
	              "message", masked ? masked : message, "requestedSchema", "type", "object",
	              "properties", "decision", "type", "string", "title", "Allow", "default",
	              "once", "oneOf", choices, "required", "decision");
	free(masked);
	return params;
}

enum codex_decision approval_decision(const json_t *result)
{
	const char *action = json_string_value(json_object_get(result, "action"));
	const char *choice =
	    json_string_value(json_object_get(json_object_get(result, "content"), "decision"));

	if (!action || strcmp(action, "accept") != 0)
		return CODEX_DECLINE;
	return choice && strcmp(choice, "session") == 0 ? CODEX_ACCEPT_FOR_SESSION : CODEX_ACCEPT;
}
