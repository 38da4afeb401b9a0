#include "proc/procfs.h"

#include "text.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stat_line {
	pid_t pid, ppid;
	char state;
	char name[64];
	unsigned long long start;
};

/* /proc/<pid>/stat: "pid (name) S ppid ... starttime(22) ..."; the name may hold spaces. */
static int read_stat(pid_t pid, struct stat_line *out)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;
	char *open, *close;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return -1;
	out->pid = pid;
	snprintf(out->name, sizeof out->name, "%.*s", (int)(close - open - 1), open + 1);
	text_sanitize_inplace(out->name);
	char *rest = close + 2;
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

json_t *proc_tree_report(pid_t root)
{
	struct stat_line *all = NULL, me;
	size_t n = 0, cap = 0;
	DIR *d;
	struct dirent *e;

	if (read_stat(root, &me) != 0)
		return json_pack("{s:s}", "state", "gone");
	d = opendir("/proc");
	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			struct stat_line *grown = realloc(all, cap * sizeof *all);
			if (!grown)
				break;
			all = grown;
		}
		if (read_stat(pid, &all[n]) == 0)
			n++;
	}
	if (d)
		closedir(d);

	/* Mark descendants of root: repeat until no new ones (trees are shallow). */
	char *in = calloc(n ? n : 1, 1);
	const struct stat_line *newest = NULL;
	for (int changed = 1; in && changed;) {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			if (in[i])
				continue;
			int parent_in = all[i].ppid == root;
			for (size_t j = 0; !parent_in && j < n; j++)
				parent_in = in[j] && all[j].pid == all[i].ppid;
			if (parent_in) {
				in[i] = 1;
				changed = 1;
				if (!newest || all[i].start >= newest->start)
					newest = &all[i];
			}
		}
	}
	json_t *report = json_pack("{s:s, s:i}", "state", state_word(me.state), "pid", (int)root);
	if (newest)
		json_object_set_new(report, "busiest",
		                    json_pack("{s:i, s:s, s:s}", "pid", (int)newest->pid, "name",
		                              newest->name, "state", state_word(newest->state)));
	free(in);
	free(all);
	return report;
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
