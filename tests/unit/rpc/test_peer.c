#include "unit.h"

#include <errno.h>

#include "rpc/peer.h"

/* The other side, as a test sees it: what we wrote, and what reached the owner. */
struct side {
	json_t *written; /* array of the messages written */
	json_t *requests, *notifications;
	int garbage;
	char last_garbage[128];
	int fail_writes; /* -errno for the next write, once */
	struct rpc_peer *peer;
	bool close_on_request;
};

struct answer {
	int calls;
	json_t *result, *error; /* copies */
};

static int side_write(void *ctx, const char *text, size_t len)
{
	struct side *s = ctx;
	json_error_t err;
	json_t *msg;

	if (s->fail_writes) {
		int rc = s->fail_writes;
		s->fail_writes = 0;
		return rc;
	}
	msg = json_loadb(text, len, 0, &err);
	if (!msg)
		fail_msg("the peer wrote no JSON: %.*s", (int)len, text);
	if (memchr(text, '\n', len))
		fail_msg("the peer wrote a newline inside a message");
	json_array_append_new(s->written, msg);
	return 0;
}

static void side_request(void *ctx, json_t *id, const char *method, json_t *params)
{
	struct side *s = ctx;

	json_array_append_new(s->requests, json_pack("{s:O, s:s, s:O?}", "id", id, "method", method,
	                                             "params", params));
	if (s->close_on_request)
		rpc_peer_close(s->peer, "closed while asked");
}

static void side_notification(void *ctx, const char *method, json_t *params)
{
	struct side *s = ctx;

	json_array_append_new(s->notifications,
	                      json_pack("{s:s, s:O?}", "method", method, "params", params));
}

static void side_garbage(void *ctx, const char *why, const char *line, size_t len)
{
	struct side *s = ctx;

	(void)line;
	(void)len;
	s->garbage++;
	snprintf(s->last_garbage, sizeof s->last_garbage, "%s", why);
}

static void on_answer(void *data, json_t *result, json_t *error)
{
	struct answer *a = data;

	a->calls++;
	a->result = result ? json_deep_copy(result) : NULL;
	a->error = error ? json_deep_copy(error) : NULL;
}

static int setup(void **state)
{
	struct side *s = calloc(1, sizeof *s);
	struct rpc_peer_handler h = {side_write, side_request, side_notification, side_garbage, s};

	if (!s)
		return -1;
	s->written = json_array();
	s->requests = json_array();
	s->notifications = json_array();
	if (rpc_peer_new(&h, &s->peer) != 0)
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct side *s = *state;

	if (s->peer)
		rpc_peer_close(s->peer, "test over");
	json_decref(s->written);
	json_decref(s->requests);
	json_decref(s->notifications);
	free(s);
	return 0;
}

static void receive(struct side *s, const char *line)
{
	rpc_peer_receive(s->peer, line, strlen(line));
}

static void answer_free(struct answer *a)
{
	json_decref(a->result);
	json_decref(a->error);
}

/* Requests are numbered and carry jsonrpc 2.0; answers reach their own callbacks in any order. */
static void test_answers_match_their_requests(void **state)
{
	struct side *s = *state;
	struct answer a = {0}, b = {0};
	int64_t ia, ib;

	assert_int_equal(rpc_peer_request(s->peer, "thread/start", json_pack("{s:s}", "cwd", "/w"),
	                                  on_answer, &a, &ia),
	                 0);
	assert_int_equal(rpc_peer_request(s->peer, "turn/start", NULL, on_answer, &b, &ib), 0);
	assert_true(ia != ib);
	assert_int_equal(rpc_peer_pending(s->peer), 2);
	json_t *first = json_array_get(s->written, 0);
	assert_string_equal(json_string_value(json_object_get(first, "jsonrpc")), "2.0");
	assert_string_equal(json_string_value(json_object_get(first, "method")), "thread/start");
	assert_int_equal(json_integer_value(json_object_get(first, "id")), ia);
	assert_null(json_object_get(json_array_get(s->written, 1), "params"));

	/* The app-server leaves out "jsonrpc": the answers still count. */
	char line[128];
	snprintf(line, sizeof line, "{\"id\":%lld,\"result\":{\"turn\":1}}", (long long)ib);
	receive(s, line);
	assert_int_equal(b.calls, 1);
	assert_int_equal(a.calls, 0);
	assert_int_equal(json_integer_value(json_object_get(b.result, "turn")), 1);
	snprintf(line, sizeof line, "{\"id\":%lld,\"error\":{\"code\":-32600,\"message\":\"no\"}}",
	         (long long)ia);
	receive(s, line);
	assert_int_equal(a.calls, 1);
	assert_null(a.result);
	assert_int_equal(json_integer_value(json_object_get(a.error, "code")), -32600);
	assert_int_equal(rpc_peer_pending(s->peer), 0);

	/* Answered once: the same answer again is garbage. */
	receive(s, line);
	assert_int_equal(a.calls, 1);
	assert_int_equal(s->garbage, 1);
	assert_string_equal(s->last_garbage, "an answer to nothing asked");
	answer_free(&a);
	answer_free(&b);
}

/* The other side's requests and notifications reach the owner, who answers by id. */
static void test_requests_and_notifications_reach_the_owner(void **state)
{
	struct side *s = *state;

	receive(s, "{\"id\":0,\"method\":\"item/commandExecution/requestApproval\","
	           "\"params\":{\"command\":\"ls\"}}");
	receive(s, "{\"method\":\"turn/started\",\"params\":{\"turn\":{}},\"emittedAtMs\":1}");
	assert_int_equal(json_array_size(s->requests), 1);
	assert_int_equal(json_array_size(s->notifications), 1);
	json_t *req = json_array_get(s->requests, 0);
	assert_string_equal(json_string_value(json_object_get(req, "method")),
	                    "item/commandExecution/requestApproval");
	assert_int_equal(rpc_peer_reply(s->peer, json_object_get(req, "id"),
	                                json_pack("{s:s}", "decision", "accept")),
	                 0);
	assert_int_equal(rpc_peer_reply_error(s->peer, json_object_get(req, "id"), -32601, "nope"),
	                 0);
	json_t *reply = json_array_get(s->written, 0);
	assert_int_equal(json_integer_value(json_object_get(reply, "id")), 0);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(reply, "result"), "decision")),
	    "accept");
	json_t *err = json_object_get(json_array_get(s->written, 1), "error");
	assert_int_equal(json_integer_value(json_object_get(err, "code")), -32601);
	assert_int_equal(rpc_peer_notify(s->peer, "initialized", NULL), 0);
	assert_null(json_object_get(json_array_get(s->written, 2), "id"));
	assert_int_equal(s->garbage, 0);
}

/* Lines that are no message are reported and change nothing. */
static void test_garbage_is_reported(void **state)
{
	struct side *s = *state;
	struct answer a = {0};
	static const char *const lines[] = {
	    "not json",
	    "[1,2]",
	    "{\"jsonrpc\":\"1.0\",\"method\":\"x\"}",
	    "{\"id\":{},\"result\":1}",
	    "{\"x\":1}",
	    "{\"id\":null,\"error\":{\"code\":-32700,\"message\":\"parse\"}}",
	};

	assert_int_equal(rpc_peer_request(s->peer, "m", NULL, on_answer, &a, NULL), 0);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		receive(s, lines[i]);
	assert_int_equal(s->garbage, (int)(sizeof lines / sizeof lines[0]));
	assert_int_equal(a.calls, 0);
	assert_int_equal(rpc_peer_pending(s->peer), 1);
	rpc_peer_forget(s->peer, 1);
	assert_int_equal(rpc_peer_pending(s->peer), 0);
}

/* Closing answers what waits, once; a request that could not be written is never answered. */
static void test_close_answers_what_waits(void **state)
{
	struct side *s = *state;
	struct answer a = {0}, b = {0}, c = {0};
	int64_t ib;

	s->fail_writes = -EPIPE;
	assert_int_equal(rpc_peer_request(s->peer, "m", NULL, on_answer, &c, NULL), -EPIPE);
	assert_int_equal(rpc_peer_pending(s->peer), 0);
	assert_int_equal(rpc_peer_request(s->peer, "m", NULL, on_answer, &a, NULL), 0);
	assert_int_equal(rpc_peer_request(s->peer, "m", NULL, on_answer, &b, &ib), 0);
	rpc_peer_forget(s->peer, ib);
	rpc_peer_close(s->peer, "app-server exited");
	s->peer = NULL;
	assert_int_equal(a.calls, 1);
	assert_int_equal(json_integer_value(json_object_get(a.error, "code")), RPC_PEER_GONE);
	assert_string_equal(json_string_value(json_object_get(a.error, "message")),
	                    "app-server exited");
	assert_int_equal(b.calls, 0);
	assert_int_equal(c.calls, 0);
	answer_free(&a);
}

/* The owner may close the peer from one of its callbacks: it goes once the callback is done. */
static void test_close_from_a_callback(void **state)
{
	struct side *s = *state;
	struct answer a = {0};

	assert_int_equal(rpc_peer_request(s->peer, "m", NULL, on_answer, &a, NULL), 0);
	s->close_on_request = true;
	receive(s, "{\"id\":\"x\",\"method\":\"ask\"}");
	s->peer = NULL; /* freed: ASan and valgrind see any use after this */
	assert_int_equal(a.calls, 1);
	assert_int_equal(json_integer_value(json_object_get(a.error, "code")), RPC_PEER_GONE);
	answer_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_answers_match_their_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_requests_and_notifications_reach_the_owner, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_is_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_answers_what_waits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_from_a_callback, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
