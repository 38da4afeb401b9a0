/* Loading a module: a shared object beside the executable with one table of functions. */
#include "util/module.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int module_path(const char *file, char *path, size_t size)
{
	const char *given = getenv("CODEX_MCP_MODULE_DIR");
	char dir[PATH_MAX];
	ssize_t n;
	char *slash;

	if (given && *given) {
		snprintf(dir, sizeof dir, "%s", given);
	} else {
		n = readlink("/proc/self/exe", dir, sizeof dir - 1);
		if (n < 0)
			return -errno;
		dir[n] = '\0';
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
	}
	return snprintf(path, size, "%s/%s", dir, file) < (int)size ? 0 : -ENAMETOOLONG;
}

const void *module_load(const char *file, const char *symbol, char *err, size_t err_size)
{
	char path[PATH_MAX];
	const void *table;
	void *handle;
	int rc = module_path(file, path, sizeof path);

	if (rc != 0) {
		snprintf(err, err_size, "cannot find %s: %s", file, strerror(-rc));
		return NULL;
	}
	/* Kept loaded for the life of the process: its code runs until the end. */
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		snprintf(err, err_size, "cannot load %s: %s", file, dlerror());
		return NULL;
	}
	table = dlsym(handle, symbol);
	if (!table)
		snprintf(err, err_size, "%s: %s", path, dlerror());
	return table;
}
