/* codex_fold: what a turn's events add up to, from either backend's events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "codex/fold.h"

static void fold_exec_line(struct codex_fold *f, const char *line)
{
	struct codex_event ev;

	assert_int_equal(codex_event_parse(line, strlen(line), &ev), 0);
	assert_int_equal(codex_fold_event(f, &ev), 0);
	codex_event_clear(&ev);
}

static void fold_app(struct codex_fold *f, const char *method, const char *params)
{
	json_t *p = json_loads(params, 0, NULL);
	struct codex_event ev;

	assert_non_null(p);
	codex_event_from_app_server(method, p, &ev);
	assert_int_equal(codex_fold_event(f, &ev), 0);
	codex_event_clear(&ev);
	json_decref(p);
}

static void test_exec_turn_completes_with_its_usage(void **state)
{
	struct codex_fold f;
	struct codex_outcome out;

	(void)state;
	assert_int_equal(codex_fold_init(&f, NULL), 0);
	fold_exec_line(&f, "{\"type\":\"thread.started\",\"thread_id\":\"t1\"}");
	fold_exec_line(&f, "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\","
	                   "\"text\":\"first\"}}");
	fold_exec_line(&f, "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\","
	                   "\"text\":\"last\"}}");
	fold_exec_line(&f, "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":10,"
	                   "\"cached_input_tokens\":2,\"output_tokens\":3,"
	                   "\"reasoning_output_tokens\":1}}");
	codex_fold_outcome(&f, false, NULL, &out);
	assert_int_equal(out.status, CODEX_TURN_COMPLETED);
	assert_string_equal(out.thread_id, "t1");
	assert_string_equal(out.final_message, "last");
	assert_null(out.error);
	assert_int_equal(out.usage.input_tokens, 10);
	assert_int_equal(out.usage.reasoning_output_tokens, 1);
	codex_fold_clear(&f);
}

/* app-server reports the thread's totals: the turn used what they grew by. */
static void test_app_server_usage_is_what_the_totals_grew_by(void **state)
{
	struct codex_fold f;
	struct codex_outcome out;

	(void)state;
	assert_int_equal(codex_fold_init(&f, "t2"), 0);
	fold_app(&f, "thread/tokenUsage/updated",
	         "{\"tokenUsage\":{\"total\":{\"inputTokens\":110,\"outputTokens\":55},"
	         "\"last\":{\"inputTokens\":10,\"outputTokens\":5}}}");
	fold_app(&f, "thread/tokenUsage/updated",
	         "{\"tokenUsage\":{\"total\":{\"inputTokens\":120,\"outputTokens\":60},"
	         "\"last\":{\"inputTokens\":10,\"outputTokens\":5}}}");
	fold_app(&f, "turn/completed", "{\"turn\":{\"id\":\"u\",\"status\":\"completed\"}}");
	codex_fold_outcome(&f, false, NULL, &out);
	assert_int_equal(out.status, CODEX_TURN_COMPLETED);
	assert_string_equal(out.thread_id, "t2");
	assert_int_equal(out.usage.input_tokens, 20);
	assert_int_equal(out.usage.output_tokens, 10);
	codex_fold_clear(&f);
}

static void test_failure_says_why_and_cancel_wins(void **state)
{
	struct codex_fold f;
	struct codex_outcome out;

	(void)state;
	assert_int_equal(codex_fold_init(&f, NULL), 0);
	codex_fold_outcome(&f, false, "codex exited with status 3", &out);
	assert_int_equal(out.status, CODEX_TURN_FAILED);
	assert_string_equal(out.error, "codex exited with status 3");
	fold_app(&f, "error", "{\"error\":{\"message\":\"stream broke\"}}");
	codex_fold_outcome(&f, false, "codex exited with status 3", &out);
	assert_string_equal(out.error, "stream broke");
	fold_app(&f, "turn/completed",
	         "{\"turn\":{\"status\":\"failed\",\"error\":{\"message\":\"model said no\"}}}");
	codex_fold_outcome(&f, false, NULL, &out);
	assert_string_equal(out.error, "model said no");
	codex_fold_outcome(&f, true, NULL, &out);
	assert_int_equal(out.status, CODEX_TURN_CANCELLED);
	codex_fold_clear(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exec_turn_completes_with_its_usage),
	    cmocka_unit_test(test_app_server_usage_is_what_the_totals_grew_by),
	    cmocka_unit_test(test_failure_says_why_and_cancel_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
