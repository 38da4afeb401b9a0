/* approval.c: a question as a form a client can render, an answer as Codex's decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "app/approval.h"

static void test_a_command_question_names_command_cwd_and_reason(void **state)
{
	struct codex_question q = {.id = 1,
	                           .kind = CODEX_ASK_COMMAND,
	                           .command = "/bin/bash -lc 'touch /var/tmp/x'",
	                           .cwd = "/work",
	                           .reason = "outside the workspace"};
	json_t *p = approval_elicitation(&q, NULL);
	json_t *schema = json_object_get(p, "requestedSchema");
	json_t *choices = json_object_get(
	    json_object_get(json_object_get(schema, "properties"), "decision"), "oneOf");

	(void)state;
	assert_string_equal(json_string_value(json_object_get(p, "mode")), "form");
	assert_string_equal(
	    json_string_value(json_object_get(p, "message")),
	    "Codex asks to run `touch /var/tmp/x` in /work. Its reason: outside the "
	    "workspace");
	assert_int_equal(json_array_size(choices), 1); /* no session-wide answer offered */
	assert_string_equal(json_string_value(json_object_get(json_array_get(choices, 0), "const")),
	                    "once");
	json_decref(p);
}

static void test_a_file_question_lists_the_files(void **state)
{
	json_t *changes = json_loads("[{\"path\":\"a.c\"},{\"path\":\"b.c\"},{\"path\":\"c.c\"},"
	                             "{\"path\":\"d.c\"},{\"path\":\"e.c\"}]",
	                             0, NULL);
	struct codex_question q = {
	    .id = 2, .kind = CODEX_ASK_FILE_CHANGE, .changes = changes, .session_wide = true};
	json_t *p = approval_elicitation(&q, "/repo");
	json_t *choices = json_object_get(
	    json_object_get(json_object_get(json_object_get(p, "requestedSchema"), "properties"),
	                    "decision"),
	    "oneOf");

	(void)state;
	assert_string_equal(json_string_value(json_object_get(p, "message")),
	                    "Codex asks to change a.c, b.c, c.c and 2 more in /repo.");
	assert_int_equal(json_array_size(choices), 2);
	json_decref(p);
	json_decref(changes);
}

static void test_only_accept_allows(void **state)
{
	json_t *once =
	    json_loads("{\"action\":\"accept\",\"content\":{\"decision\":\"once\"}}", 0, NULL);
	json_t *session =
	    json_loads("{\"action\":\"accept\",\"content\":{\"decision\":\"session\"}}", 0, NULL);
	json_t *bare = json_loads("{\"action\":\"accept\"}", 0, NULL);
	json_t *decline = json_loads("{\"action\":\"decline\"}", 0, NULL);
	json_t *cancel = json_loads("{\"action\":\"cancel\"}", 0, NULL);
	json_t *odd = json_loads("{\"decision\":\"approved\"}", 0, NULL);

	(void)state;
	assert_int_equal(approval_decision(once), CODEX_ACCEPT);
	assert_int_equal(approval_decision(session), CODEX_ACCEPT_FOR_SESSION);
	assert_int_equal(approval_decision(bare), CODEX_ACCEPT);
	/* A dismissed form refuses the step; it never cancels the turn. */
	assert_int_equal(approval_decision(decline), CODEX_DECLINE);
	assert_int_equal(approval_decision(cancel), CODEX_DECLINE);
	assert_int_equal(approval_decision(odd), CODEX_DECLINE);
	assert_int_equal(approval_decision(NULL), CODEX_DECLINE);
	json_decref(once);
	json_decref(session);
	json_decref(bare);
	json_decref(decline);
	json_decref(cancel);
	json_decref(odd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_command_question_names_command_cwd_and_reason),
	    cmocka_unit_test(test_a_file_question_lists_the_files),
	    cmocka_unit_test(test_only_accept_allows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
