/*
 * What "without --allow-danger" promises (src/tools/confine.h), checked on the argv Codex
 * would get: no "-s danger-full-access", no -c override whose key has "dangerously" in it,
 * and no -c override of a sandbox_mode (at any depth) to "danger-full-access". Codex reads
 * "-c key=value" as a dotted key path and a TOML value.
 */
#ifndef CODEX_MCP_FUZZ_DANGER_H
#define CODEX_MCP_FUZZ_DANGER_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_toml_check.h"
#include "fuzz_util.h"

static void fuzz_check_no_danger(char *const *argv)
{
	for (size_t i = 0; argv[i]; i++) {
		if (strcmp(argv[i], "-s") == 0 && argv[i + 1])
			FUZZ_CHECK(strcmp(argv[i + 1], "danger-full-access") != 0,
			           "without --allow-danger, Codex got -s danger-full-access");
		if (strcmp(argv[i], "-c") != 0 || !argv[i + 1])
			continue;
		const char *entry = argv[++i], *eq = strchr(entry, '=');
		if (!eq)
			continue;
		size_t key_len = (size_t)(eq - entry);
		char *key = strndup(entry, key_len);
		const char *last = strrchr(key, '.');
		FUZZ_CHECK(!strstr(key, "dangerously"),
		           "without --allow-danger, Codex got -c %.200s... (%zu bytes of key)",
		           entry, key_len);
		if (strcmp(last ? last + 1 : key, "sandbox_mode") == 0) {
			json_t *v = toml_read(eq + 1);
			FUZZ_CHECK(
			    !json_is_string(v) ||
			        strcmp(json_string_value(v), "danger-full-access") != 0,
			    "without --allow-danger, Codex got -c %.200s... (%zu bytes of key)",
			    entry, key_len);
			json_decref(v);
		}
		free(key);
	}
}

#endif
