#include "app/args.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/text.h"

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

int arg_string(const json_t *args, const char *name, bool required, const char **out,
               struct arg_error *e)
{
	json_t *v = json_object_get(args, name);

	*out = NULL;
	if (!v) {
		if (!required)
			return 0;
		snprintf(e->message, sizeof e->message, "%s: is required", name);
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(e->message, sizeof e->message, "%s: must be a string, not %s", name,
		         type_name(v));
		return -1;
	}
	if (required && json_string_length(v) == 0) {
		snprintf(e->message, sizeof e->message, "%s: must not be empty", name);
		return -1;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(e->message, sizeof e->message, "%s: must not contain NUL characters",
		         name);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int arg_enum(const json_t *args, const char *name, const char *const *allowed, const char **out,
             struct arg_error *e)
{
	char list[256] = "";

	if (arg_string(args, name, false, out, e) != 0)
		return -1;
	if (!*out)
		return 0;
	for (const char *const *a = allowed; *a; a++) {
		if (strcmp(*out, *a) == 0)
			return 0;
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
		         a == allowed ? "" : ", ", *a);
	}
	snprintf(e->message, sizeof e->message, "%s: \"%.100s\" is not one of %s", name, *out,
	         list);
	*out = NULL;
	return -1;
}

int arg_bool(const json_t *args, const char *name, int *out, struct arg_error *e)
{
	json_t *v = json_object_get(args, name);

	*out = -1;
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(e->message, sizeof e->message, "%s: must be a boolean, not %s", name,
		         type_name(v));
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int arg_integer(const json_t *args, const char *name, json_int_t min, json_int_t max,
                json_int_t dflt, json_int_t *out, struct arg_error *e)
{
	json_t *v = json_object_get(args, name);

	*out = dflt;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(e->message, sizeof e->message,
		         "%s: must be a whole number from %" JSON_INTEGER_FORMAT
		         " to %" JSON_INTEGER_FORMAT,
		         name, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int arg_object(const json_t *args, const char *name, json_t **out, struct arg_error *e)
{
	json_t *v = json_object_get(args, name);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_object(v)) {
		snprintf(e->message, sizeof e->message, "%s: must be an object, not %s", name,
		         type_name(v));
		return -1;
	}
	*out = v;
	return 0;
}

int args_only(const json_t *args, const char *const *known, struct arg_error *e)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)args, key, v)
	{
		const char *const *k = known;
		while (*k && strcmp(*k, key) != 0)
			k++;
		if (!*k) {
			snprintf(e->message, sizeof e->message, "%.100s: is not a known argument",
			         key);
			return -1;
		}
	}
	return 0;
}

char *arg_resolve_dir(const char *name, const char *path, const char *base, struct arg_error *e)
{
	char joined[PATH_MAX];
	struct stat st;
	char *real;

	int n = path[0] == '/' ? snprintf(joined, sizeof joined, "%s", path)
	                       : snprintf(joined, sizeof joined, "%s/%s", base, path);

	if (n < 0 || (size_t)n >= sizeof joined) {
		snprintf(e->message, sizeof e->message, "%s: the path is too long", name);
		return NULL;
	}
	real = realpath(joined, NULL);
	if (!real || stat(real, &st) != 0) {
		snprintf(e->message, sizeof e->message, "%s: %.300s: %s", name, joined,
		         strerror(errno));
		free(real);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(e->message, sizeof e->message, "%s: %.300s is not a directory", name,
		         joined);
		free(real);
		return NULL;
	}
	return real;
}

json_t *tool_error_result(const char *message)
{
	/* A message cut at a fixed size may end inside a character. */
	char *text = text_sanitize(message, strlen(message));
	json_t *result = json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text",
	                           text ? text : "error", "isError", 1);

	free(text);
	return result;
}

json_t *tool_text_result(const char *text, json_t *structured)
{
	json_t *result = json_pack("{s:[{s:s, s:s}]}", "content", "type", "text", "text", text);

	if (result && structured)
		json_object_set_new(result, "structuredContent", structured);
	else
		json_decref(structured);
	return result;
}
