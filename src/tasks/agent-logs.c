#include "tasks/agent-logs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int newest_first(const void *a, const void *b)
{
	const struct log_entry *x = a, *y = b;

	if (x->modified != y->modified)
		return x->modified < y->modified ? 1 : -1;
	return strcmp(y->name, x->name);
}

int agent_logs_scan(const char *dir, struct log_entry **out, int *dirfd_out)
{
	/* O_NOFOLLOW: a log dir that is itself a symlink is refused, not followed. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct log_entry *list = NULL;
	size_t n = 0, cap = 0;
	DIR *d;
	struct dirent *e;

	*out = NULL;
	if (dfd < 0)
		return errno == ENOENT ? 0 : -1;
	d = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 0));
	if (!d) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d))) {
		struct stat st;
		if (fnmatch("codex_agent_*.log", e->d_name, 0) != 0 &&
		    fnmatch("codex_agent_*.log.1", e->d_name, 0) != 0)
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct log_entry *grown = realloc(list, cap * sizeof *list);
			if (!grown)
				break;
			list = grown;
		}
		snprintf(list[n].name, sizeof list[n].name, "%s", e->d_name);
		list[n].size = st.st_size;
		list[n].modified = st.st_mtime;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(list, n, sizeof *list, newest_first);
	*out = list;
	if (dirfd_out)
		*dirfd_out = dfd;
	else
		close(dfd);
	return (int)n;
}
