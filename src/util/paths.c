#include "util/paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int make_private_dirs(const char *dir, char *err, size_t err_size)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);
	struct stat st;

	if (n == 0 || n >= sizeof path) {
		snprintf(err, err_size, "%.200s: %s", dir, strerror(ENAMETOOLONG));
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			snprintf(err, err_size, "cannot create %.200s: %s", path, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if ((mkdir(path, 0700) != 0 && errno != EEXIST) || stat(path, &st) != 0) {
		snprintf(err, err_size, "cannot create %.200s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, err_size, "%.200s: %s", path, strerror(ENOTDIR));
		return -1;
	}
	/* Another user's directory could hold a planted database, or read what is written. */
	if (st.st_uid != geteuid()) {
		snprintf(
		    err, err_size,
		    "%.200s belongs to another user (uid %lu); the server keeps its files only "
		    "in a directory of its own",
		    path, (unsigned long)st.st_uid);
		return -1;
	}
	return 0;
}
