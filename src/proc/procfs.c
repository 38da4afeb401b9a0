#include "proc/procfs.h"

#include "proc/child.h"
#include "util/text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct stat_line {
	pid_t pid, ppid;
	char state;
	char name[64];
	unsigned long long start;
};

/* Up to size - 1 bytes of <proc>/<pid>/<file>, NUL-terminated; returns the length or -errno. */
static ssize_t read_proc_file(const char *proc, pid_t pid, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, err;

	if ((size_t)snprintf(path, sizeof path, "%s/%d/%s", proc, (int)pid, file) >= sizeof path)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	return n;
}

/* <proc>/<pid>/stat: "pid (name) S ppid ... starttime(22) ..."; the name may hold spaces. */
static int read_stat_at(const char *proc, pid_t pid, struct stat_line *out)
{
	char buf[1024];

	if (read_proc_file(proc, pid, "stat", buf, sizeof buf) <= 0)
		return -1;
	char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp || rp[1] != ' ')
		return -1;
	out->pid = pid;
	out->ppid = 0;
	out->start = 0;
	snprintf(out->name, sizeof out->name, "%.*s", (int)(rp - lp - 1), lp + 1);
	text_sanitize_inplace(out->name);
	char *rest = rp + 2;
	out->state = *rest;
	/* Fields after the state: ppid is 4th overall, starttime 22nd. */
	char *save = NULL, *tok = strtok_r(rest, " ", &save);
	for (int field = 3; tok; field++, tok = strtok_r(NULL, " ", &save)) {
		if (field == 4)
			out->ppid = (pid_t)atoi(tok);
		if (field == 22) {
			out->start = strtoull(tok, NULL, 10);
			break;
		}
	}
	return 0;
}

static int read_stat(pid_t pid, struct stat_line *out)
{
	return read_stat_at("/proc", pid, out);
}

static const char *state_word(char s)
{
	switch (s) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "disk-wait";
	case 'T':
	case 't':
		return "stopped";
	case 'Z':
		return "zombie";
	case 'I':
		return "idle";
	default:
		return "unknown";
	}
}

const char *proc_state(pid_t pid)
{
	struct stat_line st;

	return read_stat(pid, &st) == 0 ? state_word(st.state) : NULL;
}

/* Every process in /proc, read once. */
static struct stat_line *read_all(size_t *count)
{
	struct stat_line *all = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0)
			continue;
		if (n == cap) {
			size_t grown_cap = cap ? cap * 2 : 256;
			struct stat_line *grown = realloc(all, grown_cap * sizeof *all);
			if (!grown)
				break;
			all = grown;
			cap = grown_cap;
		}
		if (read_stat(pid, &all[n]) == 0)
			n++;
	}
	if (d)
		closedir(d);
	*count = n;
	return all;
}

/* Open addressing from pid to index in all[]: slots hold index + 1, 0 is empty. */
struct pid_index {
	size_t *slot;
	size_t mask;
};

static size_t pid_hash(pid_t pid, size_t mask)
{
	return ((uint32_t)pid * 2654435761u) & mask;
}

static int index_build(struct pid_index *ix, const struct stat_line *all, size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size *= 2;
	ix->slot = calloc(size, sizeof *ix->slot);
	if (!ix->slot)
		return -1;
	ix->mask = size - 1;
	for (size_t i = 0; i < n; i++) {
		size_t h = pid_hash(all[i].pid, ix->mask);
		while (ix->slot[h])
			h = (h + 1) & ix->mask;
		ix->slot[h] = i + 1;
	}
	return 0;
}

/* The index of pid in all[], or SIZE_MAX. */
static size_t index_find(const struct pid_index *ix, const struct stat_line *all, pid_t pid)
{
	for (size_t h = pid_hash(pid, ix->mask); ix->slot[h]; h = (h + 1) & ix->mask)
		if (all[ix->slot[h] - 1].pid == pid)
			return ix->slot[h] - 1;
	return SIZE_MAX;
}

enum { UNKNOWN, INSIDE, OUTSIDE };

/*
 * Whether each process descends from root, in one pass: a walk up the parent
 * chain stops at the first process already decided, and decides every
 * process it passed.
 */
static void mark_descendants(const struct stat_line *all, size_t n, const struct pid_index *ix,
                             pid_t root, unsigned char *where, size_t *path)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = 0, at = i;
		unsigned char verdict = OUTSIDE;

		for (;;) {
			if (where[at] != UNKNOWN) {
				verdict = where[at];
				break;
			}
			if (len == n)
				break; /* a loop, from pids reused while /proc was read */
			path[len++] = at;
			if (all[at].pid == root)
				break;
			if (all[at].ppid == root) {
				verdict = INSIDE;
				break;
			}
			size_t up = index_find(ix, all, all[at].ppid);
			if (up == SIZE_MAX)
				break;
			at = up;
		}
		while (len > 0)
			where[path[--len]] = verdict;
	}
}

json_t *proc_tree_report(pid_t keeper)
{
	size_t n, ix_codex = SIZE_MAX;
	struct stat_line *all = read_all(&n);
	struct pid_index ix = {0};
	unsigned char *where = NULL;
	size_t *path = NULL;
	const struct stat_line *newest = NULL;
	json_t *report = NULL;

	/* The keeper's only child is the program it runs: that is what the report is about. */
	for (size_t i = 0; i < n; i++)
		if (all[i].ppid == keeper && all[i].pid != keeper &&
		    (ix_codex == SIZE_MAX || all[i].start >= all[ix_codex].start))
			ix_codex = i;
	if (ix_codex == SIZE_MAX) {
		free(all);
		return json_pack("{s:s}", "state", "gone");
	}
	const struct stat_line *codex = &all[ix_codex];
	where = calloc(n, 1);
	path = malloc(n * sizeof *path);
	if (where && path && index_build(&ix, all, n) == 0) {
		mark_descendants(all, n, &ix, codex->pid, where, path);
		for (size_t i = 0; i < n; i++)
			if (where[i] == INSIDE &&
			    (!newest || all[i].start > newest->start ||
			     (all[i].start == newest->start && all[i].pid > newest->pid)))
				newest = &all[i];
	}
	report = json_pack("{s:s, s:i}", "state", state_word(codex->state), "pid", (int)codex->pid);
	if (report && newest)
		json_object_set_new(report, "busiest",
		                    json_pack("{s:i, s:s, s:s}", "pid", (int)newest->pid, "name",
		                              newest->name, "state", state_word(newest->state)));
	free(ix.slot);
	free(path);
	free(where);
	free(all);
	return report;
}

size_t proc_program_descendants(pid_t keeper, struct proc_id *out, size_t max)
{
	size_t n, found = 0;
	struct stat_line *all = read_all(&n);
	pid_t program = 0;
	bool more = true;

	for (size_t i = 0; i < n; i++)
		if (all[i].ppid == keeper && all[i].pid != keeper)
			program = all[i].pid;
	/* A pass per generation: trees under a program are shallow. */
	while (program && more && found < max) {
		more = false;
		for (size_t i = 0; i < n && found < max; i++) {
			bool under = all[i].ppid == program, listed = false;
			for (size_t k = 0; k < found && !under; k++)
				under = all[i].ppid == out[k].pid;
			for (size_t k = 0; k < found && !listed; k++)
				listed = all[i].pid == out[k].pid;
			if (under && !listed) {
				out[found++] = (struct proc_id){all[i].pid, all[i].start};
				more = true;
			}
		}
	}
	free(all);
	return found;
}

bool proc_env_has(pid_t pid, const char *entry)
{
	char path[64], *env = NULL;
	size_t size = 0, len = strlen(entry);
	ssize_t n;
	FILE *f;
	bool found = false;

	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	/* NUL-separated entries, one getdelim each. */
	while (!found && (n = getdelim(&env, &size, '\0', f)) > 0)
		found = (size_t)n >= len && memcmp(env, entry, len) == 0 &&
		        ((size_t)n == len || env[len] == '\0');
	free(env);
	fclose(f);
	return found;
}

bool proc_id_alive(const struct proc_id *id)
{
	struct stat_line st;

	return read_stat(id->pid, &st) == 0 && st.start == id->start && st.state != 'Z';
}

char *proc_instance_id(pid_t pid)
{
	struct stat_line st;
	char *id;

	if (read_stat(pid, &st) != 0 || asprintf(&id, "%d:%llu", (int)pid, st.start) < 0)
		return NULL;
	return id;
}

bool proc_instance_alive(const char *id)
{
	char *now;
	bool alive;
	int pid = atoi(id);

	if (pid <= 0)
		return false;
	now = proc_instance_id(pid);
	alive = now && strcmp(now, id) == 0;
	free(now);
	return alive;
}

/* The program a process runs: the file behind <proc>/<pid>/exe, and its path. */
struct program {
	bool has_id;
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX];
};

static void read_program(const char *proc, pid_t pid, struct program *p)
{
	static const char deleted[] = " (deleted)";
	char link[PATH_MAX];
	struct stat st;
	ssize_t n;

	p->has_id = false;
	p->path[0] = '\0';
	if ((size_t)snprintf(link, sizeof link, "%s/%d/exe", proc, (int)pid) >= sizeof link)
		return;
	if (stat(link, &st) == 0) {
		p->has_id = true;
		p->dev = st.st_dev;
		p->ino = st.st_ino;
	}
	n = readlink(link, p->path, sizeof p->path - 1);
	if (n <= 0) {
		p->path[0] = '\0';
		return;
	}
	p->path[n] = '\0';
	/* A binary replaced since the process started: the path is still the program's name. */
	size_t len = (size_t)n, tail = sizeof deleted - 1;
	if (len > tail && strcmp(p->path + len - tail, deleted) == 0)
		p->path[len - tail] = '\0';
}

static bool same_program(const struct program *a, const struct program *b)
{
	if (a->has_id && b->has_id && a->dev == b->dev && a->ino == b->ino)
		return true;
	return a->path[0] == '/' && strcmp(a->path, b->path) == 0;
}

/* Whether argv[1] is the keeper's mark, and whether argv[2] then names the keeper's parent. */
static void keeper_mark(const char *proc, pid_t pid, pid_t ppid, bool *marked, bool *keeper)
{
	char buf[4096];
	ssize_t n = read_proc_file(proc, pid, "cmdline", buf, sizeof buf);
	const char *arg1, *arg2, *end = buf + (n > 0 ? n : 0);
	char *num_end;

	*marked = *keeper = false;
	if (n <= 0)
		return;
	arg1 = memchr(buf, '\0', (size_t)n);
	if (!arg1 || ++arg1 >= end || strcmp(arg1, CHILD_EXEC_ARG) != 0)
		return;
	*marked = true;
	arg2 = arg1 + strlen(arg1) + 1;
	if (arg2 >= end)
		return;
	long parent = strtol(arg2, &num_end, 10);
	*keeper = num_end != arg2 && *num_end == '\0' && parent > 0 && parent == (long)ppid;
}

int proc_servers_above(const char *proc, pid_t pid, unsigned *servers)
{
	struct program *self = malloc(sizeof *self), *other = malloc(sizeof *other);
	struct stat_line st;
	bool below_is_keeper = false;
	unsigned found = 0;
	int rc = 0;

	if (!self || !other) {
		rc = -ENOMEM;
		goto out;
	}
	if (read_stat_at(proc, pid, &st) != 0) {
		rc = -ESRCH;
		goto out;
	}
	read_program(proc, pid, self);
	/* Up the parent chain to pid 1; the bound is for pids reused while it is read. */
	for (unsigned steps = 0; st.ppid > 0 && steps < 4096; steps++) {
		pid_t up = st.ppid;
		bool marked, keeper;

		if (read_stat_at(proc, up, &st) != 0)
			break;
		keeper_mark(proc, up, st.ppid, &marked, &keeper);
		if (keeper) {
			found++; /* its parent is the server that started the run */
		} else if (!marked && !below_is_keeper) {
			read_program(proc, up, other);
			if (same_program(self, other))
				found++; /* a server whose keeper was not recognised */
		}
		below_is_keeper = keeper;
	}
	*servers = found;
out:
	free(self);
	free(other);
	return rc;
}
