#include "unit.h"

#include "tools/tool.h"

static const char *const fleet[] = {"spawn_agent",
                                    "spawn_agent_async",
                                    "get_agent_status",
                                    "kill_agent",
                                    "list_running_agents",
                                    "list_agent_tasks",
                                    "spawn_agents_parallel",
                                    "list_agent_logs",
                                    "cleanup_old_logs",
                                    "cleanup_worktrees",
                                    NULL};

static bool in(const char *const *names, const char *name)
{
	for (; *names; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

static json_t *listing; /* what tools/list answers with, made once for the tests */

static int setup(void **state)
{
	char err[200] = "";

	(void)state;
	if (tools_init("all", err, sizeof err) != 0) {
		print_error("tools_init: %s\n", err);
		return -1;
	}
	listing = tools_list();
	return listing ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(listing);
	tools_free();
	return 0;
}

static json_t *find(const char *name)
{
	size_t i;
	json_t *tool;

	json_array_foreach(listing, i, tool)
	{
		if (strcmp(json_string_value(json_object_get(tool, "name")), name) == 0)
			return tool;
	}
	fail_msg("no tool %s listed", name);
	return NULL;
}

/* ---- annotations ---- */

static void test_every_tool_annotated(void **state)
{
	static const char *const hints[] = {"readOnlyHint", "destructiveHint", "idempotentHint",
	                                    "openWorldHint", NULL};
	size_t i;
	json_t *tool;

	(void)state;
	assert_int_equal(json_array_size(listing), 14); /* both sets, and steering */
	json_array_foreach(listing, i, tool)
	{
		const char *name = json_string_value(json_object_get(tool, "name"));
		json_t *a = json_object_get(tool, "annotations");

		if (!json_is_object(a))
			fail_msg("%s has no annotations", name);
		if (!json_equal(json_object_get(a, "title"), json_object_get(tool, "title")))
			fail_msg("%s: the annotations' title is not the tool's", name);
		for (const char *const *h = hints; *h; h++)
			if (!json_is_boolean(json_object_get(a, *h)))
				fail_msg("%s: %s is not set", name, *h);
		/* Nothing unknown to ToolAnnotations. */
		assert_int_equal(json_object_size(a), 5);
		if (json_is_true(json_object_get(a, "readOnlyHint")) &&
		    json_is_true(json_object_get(a, "destructiveHint")))
			fail_msg("%s is read-only yet destructive", name);
	}
}

static void assert_hints(const char *name, bool read_only, bool destructive, bool idempotent,
                         bool open_world)
{
	json_t *a = json_object_get(find(name), "annotations");

	if (json_is_true(json_object_get(a, "readOnlyHint")) != read_only ||
	    json_is_true(json_object_get(a, "destructiveHint")) != destructive ||
	    json_is_true(json_object_get(a, "idempotentHint")) != idempotent ||
	    json_is_true(json_object_get(a, "openWorldHint")) != open_world)
		fail_msg("%s: unexpected hints", name);
}

static void test_hints(void **state)
{
	(void)state;
	/* An agent run writes and deletes files, runs commands and reaches a model. */
	assert_hints("codex", false, true, false, true);
	assert_hints("codex-reply", false, true, false, true);
	assert_hints("spawn_agent", false, true, false, true);
	assert_hints("spawn_agent_async", false, true, false, true);
	assert_hints("spawn_agents_parallel", false, true, false, true);
	/* Status and lists only read what the server keeps. */
	assert_hints("get_agent_status", true, false, true, false);
	assert_hints("list_running_agents", true, false, true, false);
	assert_hints("list_agent_tasks", true, false, true, false);
	assert_hints("list_agent_logs", true, false, true, false);
	/* They destroy, but only the server's own, and once. */
	assert_hints("kill_agent", false, true, true, false);
	assert_hints("cleanup_old_logs", false, true, true, false);
	assert_hints("cleanup_worktrees", false, true, true, false);
}

/* ---- output schemas ---- */

/* Every "required" of an object schema names one of its properties, all the way down. */
static void assert_required_declared(const char *tool, const json_t *schema)
{
	const json_t *props = json_object_get(schema, "properties");
	const json_t *value;
	const char *key;
	size_t i;

	json_array_foreach(json_object_get(schema, "required"), i, value)
	{
		if (!json_object_get(props, json_string_value(value)))
			fail_msg("%s: required \"%s\" is no property", tool,
			         json_string_value(value));
	}
	json_object_foreach((json_t *)props, key, value)
	{
		assert_required_declared(tool, value);
	}
	if (json_object_get(schema, "items"))
		assert_required_declared(tool, json_object_get(schema, "items"));
}

static void test_fleet_output_schemas(void **state)
{
	size_t i;
	json_t *tool;

	(void)state;
	json_array_foreach(listing, i, tool)
	{
		const char *name = json_string_value(json_object_get(tool, "name"));
		json_t *schema = json_object_get(tool, "outputSchema");

		if (!in(fleet, name))
			continue;
		if (!json_is_object(schema))
			fail_msg("%s has no outputSchema", name);
		assert_string_equal(json_string_value(json_object_get(schema, "type")), "object");
		assert_true(json_is_object(json_object_get(schema, "properties")));
		assert_required_declared(name, schema);
	}
}

/* The three tools that answer one task answer it alike. */
static void test_task_schema_shared(void **state)
{
	json_t *status = json_object_get(find("get_agent_status"), "outputSchema");
	json_t *tasks = json_object_get(find("list_agent_tasks"), "outputSchema");

	(void)state;
	assert_true(json_equal(status, json_object_get(find("spawn_agent"), "outputSchema")));
	assert_true(json_equal(
	    status, json_object_get(json_object_get(json_object_get(tasks, "properties"), "tasks"),
	                            "items")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_tool_annotated),
	    cmocka_unit_test(test_hints),
	    cmocka_unit_test(test_fleet_output_schemas),
	    cmocka_unit_test(test_task_schema_shared),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
