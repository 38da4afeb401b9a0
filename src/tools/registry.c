#include <stdio.h>
#include <string.h>

#include "tools/tool.h"
#include "util/log.h"

/* Steering is beyond both tool sets it extends: only "all", or by name. */
enum { COMPAT = 1, FLEET = 2, STEER = 4 };

static const struct {
	const struct tool_entry *tool;
	int set;
} registry[] = {
    {&tool_codex, COMPAT},
    {&tool_codex_reply, COMPAT},
    {&tool_spawn_agent, FLEET},
    {&tool_spawn_agent_async, FLEET},
    {&tool_get_agent_status, FLEET},
    {&tool_kill_agent, FLEET},
    {&tool_list_running_agents, FLEET},
    {&tool_list_agent_tasks, FLEET},
    {&tool_spawn_agents_parallel, FLEET},
    {&tool_list_agent_logs, FLEET},
    {&tool_cleanup_old_logs, FLEET},
    {&tool_cleanup_worktrees, FLEET},
    {&tool_codex_steer, STEER},
    {&tool_message_agent, STEER},
};

#define N_TOOLS (sizeof registry / sizeof registry[0])

static bool served[N_TOOLS];

static json_t *parse_schema(const struct tool_entry *t, const char *text)
{
	json_error_t error;
	json_t *schema = json_loads(text, 0, &error);

	if (!schema)
		log_error("tool %s: schema line %d: %s", t->name, error.line, error.text);
	return schema;
}

/* Marks the tools one word of the selection names. */
static int select_word(const char *word, size_t len)
{
	int set = 0;

	if (len == 3 && strncmp(word, "all", 3) == 0)
		set = COMPAT | FLEET | STEER;
	else if (len == 6 && strncmp(word, "compat", 6) == 0)
		set = COMPAT;
	else if (len == 5 && strncmp(word, "fleet", 5) == 0)
		set = FLEET;
	for (size_t i = 0; i < N_TOOLS; i++) {
		const char *name = registry[i].tool->name;
		if ((registry[i].set & set) ||
		    (strlen(name) == len && strncmp(name, word, len) == 0)) {
			served[i] = true;
			if (!set)
				return 0;
		}
	}
	return set ? 0 : -1;
}

int tools_init(const char *selection, char *err, size_t err_size)
{
	const char *p = selection;

	memset(served, 0, sizeof served);
	while (*p) {
		size_t len = strcspn(p, ",");
		while (len > 0 && p[0] == ' ') {
			p++;
			len--;
		}
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len > 0 && select_word(p, len) != 0) {
			snprintf(err, err_size, "unknown tool or set \"%.*s\"", (int)len, p);
			return -1;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}

	for (size_t i = 0; i < N_TOOLS; i++)
		if (served[i])
			return 0;
	snprintf(err, err_size, "no tools selected");
	return -1;
}

/* One tool as tools/list shows it, or NULL when a schema of it does not parse. */
static json_t *tool_json(const struct tool_entry *t)
{
	json_t *input = parse_schema(t, t->input_schema), *entry;

	if (!input)
		return NULL;
	entry = json_pack("{s:s, s:s, s:s, s:o}", "name", t->name, "title", t->title, "description",
	                  t->description, "inputSchema", input);
	if (entry && t->output_schema) {
		json_t *output = parse_schema(t, t->output_schema);
		if (!output) {
			json_decref(entry);
			return NULL;
		}
		json_object_set_new(entry, "outputSchema", output);
	}
	if (entry && t->annotations) {
		json_t *annotations = parse_schema(t, t->annotations);
		if (!json_is_object(annotations)) {
			json_decref(annotations);
			json_decref(entry);
			return NULL;
		}
		json_object_set_new(entry, "annotations", annotations);
	}
	if (entry && t->task_support)
		json_object_set_new(entry, "execution",
		                    json_pack("{s:s}", "taskSupport", "optional"));
	return entry;
}

void tools_free(void)
{
	memset(served, 0, sizeof served);
}

/*
 * Made anew for each caller, which keeps the text it needs and lets the tree go:
 * parsing the schemas is most of a cold start's work, and their tree most of the
 * memory a listing would hold for the life of the server.
 */
json_t *tools_list(void)
{
	json_t *listing = json_array();

	for (size_t i = 0; listing && i < N_TOOLS; i++) {
		json_t *entry = served[i] ? tool_json(registry[i].tool) : NULL;
		if (served[i] && !entry) {
			/* A schema that does not parse is a bug the registry's test catches. */
			json_decref(listing);
			return NULL;
		}
		if (entry)
			json_array_append_new(listing, entry);
	}
	return listing;
}
const struct tool_entry *tools_find(const char *name)
{
	for (size_t i = 0; i < N_TOOLS; i++)
		if (served[i] && strcmp(registry[i].tool->name, name) == 0)
			return registry[i].tool;
	return NULL;
}
