/* The client's roots, as local directories runs may be confined to. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/session-int.h"

/* "file:///a%20b" -> "/a b"; NULL for anything but a local file URI. */
static char *path_of_uri(const char *uri)
{
	const char *p;
	char *out, *o;

	if (strncmp(uri, "file://", 7) != 0)
		return NULL;
	p = uri + 7;
	if (strncmp(p, "localhost/", 10) == 0)
		p += 9;
	if (*p != '/')
		return NULL;
	out = o = malloc(strlen(p) + 1);
	if (!out)
		return NULL;
	for (; *p; p++) {
		unsigned v;
		/* Two hex digits or it is not an escape: never step over the end of the string. */
		if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
		    sscanf(p + 1, "%2x", &v) == 1 && v != 0) {
			*o++ = (char)v;
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	/* Compare like with like: the cwd we check is resolved too. */
	char *real = realpath(out, NULL);
	if (real) {
		free(out);
		return real;
	}
	return out;
}

int roots_parse(const json_t *result, char ***paths, size_t *n, size_t *listed)
{
	json_t *roots = json_object_get(result, "roots"), *root;
	size_t i;

	*paths = NULL;
	*n = *listed = 0;
	if (!json_is_array(roots))
		return -1;
	*listed = json_array_size(roots);
	*paths = calloc(*listed + 1, sizeof **paths);
	if (!*paths)
		return -1;
	json_array_foreach(roots, i, root)
	{
		const char *uri = json_string_value(json_object_get(root, "uri"));
		char *path = uri ? path_of_uri(uri) : NULL;
		if (path)
			(*paths)[(*n)++] = path;
	}
	return 0;
}

void roots_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}
