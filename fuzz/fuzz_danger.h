/*
 * What "without --allow-danger" promises (src/tools/confine.h), checked on the argv Codex
 * would get: no "--sandbox=danger-full-access", no --config override whose key has
 * "dangerously" in it, and no --config override of a sandbox_mode (at any depth) to
 * "danger-full-access", and none of the keys that lead out of the sandbox another way
 * (escapes, below). Codex reads "--config=key=value" as a dotted key path and a TOML
 * value. Options come as one "--name=value" element each (src/codex/argv.c); a bare "-s" or
 * "-c" would let a value be read as a flag, so none may appear.
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
		FUZZ_CHECK(strcmp(argv[i], "-s") != 0 && strcmp(argv[i], "-c") != 0,
		           "argv[%zu] is a bare %s", i, argv[i]);
		if (strcmp(argv[i], "resume") == 0)
			break; /* what follows is the thread id and "-" */
		FUZZ_CHECK(strcmp(argv[i], "--sandbox=danger-full-access") != 0,
		           "without --allow-danger, Codex got --sandbox=danger-full-access");
		if (strncmp(argv[i], "--config=", 9) != 0)
			continue;
		const char *entry = argv[i] + 9, *eq = strchr(entry, '=');
		if (!eq)
			continue;
		size_t key_len = (size_t)(eq - entry);
		char *key = strndup(entry, key_len);
		const char *last = strrchr(key, '.');
		FUZZ_CHECK(
		    !strstr(key, "dangerously"),
		    "without --allow-danger, Codex got --config=%.200s... (%zu bytes of key)",
		    entry, key_len);
		if (strcmp(last ? last + 1 : key, "sandbox_mode") == 0) {
			json_t *v = toml_read(eq + 1);
			FUZZ_CHECK(!json_is_string(v) ||
			               strcmp(json_string_value(v), "danger-full-access") != 0,
			           "without --allow-danger, Codex got --config=%.200s... (%zu "
			           "bytes of key)",
			           entry, key_len);
			json_decref(v);
		}
		free(key);
	}
}

#endif
