#include <stdlib.h>
#include <string.h>

#include "codex/backend.h"

/* One table drives clearing, saving and loading, so a new option is one line. */
static const struct {
	const char *key;
	size_t offset;
} string_fields[] = {
    {"cwd", offsetof(struct codex_options, cwd)},
    {"model", offsetof(struct codex_options, model)},
    {"profile", offsetof(struct codex_options, profile)},
    {"sandbox", offsetof(struct codex_options, sandbox)},
    {"approval_policy", offsetof(struct codex_options, approval_policy)},
    {"base_instructions", offsetof(struct codex_options, base_instructions)},
    {"developer_instructions", offsetof(struct codex_options, developer_instructions)},
    {"compact_prompt", offsetof(struct codex_options, compact_prompt)},
    {"reasoning_effort", offsetof(struct codex_options, reasoning_effort)},
};

#define FIELD(o, i) ((char **)((char *)(o) + string_fields[i].offset))
#define N_FIELDS (sizeof string_fields / sizeof string_fields[0])

void codex_options_clear(struct codex_options *o)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		free(*FIELD(o, i));
	json_decref(o->config);
	memset(o, 0, sizeof *o);
}

json_t *codex_options_to_json(const struct codex_options *o)
{
	json_t *obj = json_object();

	for (size_t i = 0; obj && i < N_FIELDS; i++) {
		const char *v = *FIELD(o, i);
		if (v)
			json_object_set_new(obj, string_fields[i].key, json_string(v));
	}
	if (obj && o->config)
		json_object_set(obj, "config", o->config);
	return obj;
}

void codex_options_from_json(const json_t *obj, struct codex_options *o)
{
	memset(o, 0, sizeof *o);
	for (size_t i = 0; i < N_FIELDS; i++) {
		const char *v = json_string_value(json_object_get(obj, string_fields[i].key));
		if (v)
			*FIELD(o, i) = strdup(v);
	}
	json_t *config = json_object_get(obj, "config");
	if (json_is_object(config))
		o->config = json_deep_copy(config);
}
