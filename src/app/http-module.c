#include "app/http-module.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int module_path(char *path, size_t size)
{
	const char *given = getenv("CODEX_MCP_HTTP_MODULE");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (given && *given)
		return snprintf(path, size, "%s", given) < (int)size ? 0 : -ENAMETOOLONG;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	return snprintf(path, size, "%s/%s", exe, HTTP_MODULE_FILE) < (int)size ? 0 : -ENAMETOOLONG;
}

const struct http_module *http_module_load(char *err, size_t err_size)
{
	static const struct http_module *module;
	char path[PATH_MAX];
	void *handle;

	if (module)
		return module;
	if (module_path(path, sizeof path) != 0) {
		snprintf(err, err_size, "cannot find %s: %s", HTTP_MODULE_FILE, strerror(errno));
		return NULL;
	}
	/* Kept loaded for the life of the process: its code runs until the end. */
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		snprintf(err, err_size, "--http needs %s: %s", HTTP_MODULE_FILE, dlerror());
		return NULL;
	}
	module = dlsym(handle, HTTP_MODULE_SYMBOL);
	if (!module)
		snprintf(err, err_size, "%s: %s", path, dlerror());
	return module;
}
