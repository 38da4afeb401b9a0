#include "codex/locate.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static char *search_path(const char *name)
{
	const char *path = getenv("PATH");
	char candidate[PATH_MAX];

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		if (n > 0 &&
		    snprintf(candidate, sizeof candidate, "%.*s/%s", (int)n, path, name) <
		        (int)sizeof candidate &&
		    is_executable_file(candidate))
			return strdup(candidate);
		path += n + (end ? 1 : 0);
	}
	return NULL;
}

/* The real path of the executable file the format names, or NULL. */
__attribute__((format(printf, 1, 2))) static char *executable_at(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	if (n <= 0 || (size_t)n >= sizeof path || !is_executable_file(path))
		return NULL;
	return realpath(path, NULL);
}

/* npm's wrapper is a script run by node: "#!/usr/bin/env node" or a .js file. */
static bool is_node_script(const char *path)
{
	char head[128] = {0};
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return false;
	n = fread(head, 1, sizeof head - 1, f);
	fclose(f);
	head[n] = '\0';
	if (strncmp(head, "#!", 2) != 0)
		return false;
	char *eol = strchr(head, '\n');
	if (eol)
		*eol = '\0';
	return strstr(head, "node") != NULL;
}

static char *native_beside_wrapper(const char *script)
{
	struct utsname u;
	const char *triple, *platform_pkg;
	char root[PATH_MAX];
	char *slash;

	if (uname(&u) != 0)
		return NULL;
	if (strcmp(u.machine, "aarch64") == 0) {
		triple = "aarch64-unknown-linux-musl";
		platform_pkg = "codex-linux-arm64";
	} else {
		triple = "x86_64-unknown-linux-musl";
		platform_pkg = "codex-linux-x64";
	}
	/* script is <package>/bin/codex.js */
	snprintf(root, sizeof root, "%s", script);
	for (int i = 0; i < 2; i++) {
		slash = strrchr(root, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
	}
	/* Where npm puts the platform package: nested, hoisted, bundled, older releases. */
	char *found = executable_at("%s/node_modules/@openai/%s/vendor/%s/bin/codex", root,
	                            platform_pkg, triple);
	if (!found)
		found = executable_at("%s/../%s/vendor/%s/bin/codex", root, platform_pkg, triple);
	if (!found)
		found = executable_at("%s/vendor/%s/bin/codex", root, triple);
	if (!found)
		found = executable_at("%s/vendor/%s/codex/codex", root, triple);
	return found;
}

char *codex_locate(const char *explicit_path, bool *via_npm, char *err, size_t err_size)
{
	const char *wanted = explicit_path;
	const char *source = "--codex-bin";
	char *found, *real;

	*via_npm = false;
	if (!wanted || !*wanted) {
		wanted = getenv("CODEX_BIN");
		source = "CODEX_BIN";
	}
	if (!wanted || !*wanted) {
		found = search_path("codex");
		if (!found) {
			snprintf(err, err_size,
			         "Codex was not found on PATH; install it (npm install -g "
			         "@openai/codex) or pass --codex-bin PATH");
			return NULL;
		}
	} else if (!strchr(wanted, '/')) {
		found = search_path(wanted);
		if (!found) {
			snprintf(err, err_size, "%s: \"%s\" was not found on PATH", source, wanted);
			return NULL;
		}
	} else {
		found = strdup(wanted);
	}
	if (!found) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	real = realpath(found, NULL);
	if (!real || !is_executable_file(real)) {
		snprintf(err, err_size, "cannot run Codex at %s: %s", found,
		         real ? "not an executable file" : strerror(errno));
		free(found);
		free(real);
		return NULL;
	}
	free(found);
	if (is_node_script(real)) {
		char *native = native_beside_wrapper(real);
		if (native) {
			free(real);
			*via_npm = true;
			return native;
		}
	}
	return real;
}
