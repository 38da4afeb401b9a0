#include <string.h>

#include "log.h"
#include "tools/tool.h"

static const struct tool_entry *const registry[] = {
    &tool_codex,
    &tool_codex_reply,
};

#define N_TOOLS (sizeof registry / sizeof registry[0])

static json_t *listing;

static json_t *parse_schema(const struct tool_entry *t, const char *text)
{
	json_error_t error;
	json_t *schema = json_loads(text, 0, &error);

	if (!schema)
		log_error("tool %s: schema line %d: %s", t->name, error.line, error.text);
	return schema;
}

int tools_init(void)
{
	listing = json_array();
	for (size_t i = 0; i < N_TOOLS; i++) {
		const struct tool_entry *t = registry[i];
		json_t *input = parse_schema(t, t->input_schema);
		json_t *entry;

		if (!input)
			return -1;
		entry = json_pack("{s:s, s:s, s:s, s:o}", "name", t->name, "title", t->title,
		                  "description", t->description, "inputSchema", input);
		if (t->output_schema) {
			json_t *output = parse_schema(t, t->output_schema);
			if (!output) {
				json_decref(entry);
				return -1;
			}
			json_object_set_new(entry, "outputSchema", output);
		}
		json_array_append_new(listing, entry);
	}
	return 0;
}

void tools_free(void)
{
	json_decref(listing);
	listing = NULL;
}

json_t *tools_list(void)
{
	return listing;
}

const struct tool_entry *tools_find(const char *name)
{
	for (size_t i = 0; i < N_TOOLS; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}
