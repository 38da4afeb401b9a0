/*
 * Fills a store with N finished tasks, for the stored-history and replica benchmarks:
 * a state directory's database, or a store URL (postgresql://...). With --ids, prints
 * the tasks' ids, one a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store.h"
#include "tasks/runner.h"

int main(int argc, char **argv)
{
	char err[512], path[4096];
	struct store *s;
	long n;
	bool ids = argc == 4 && strcmp(argv[3], "--ids") == 0;

	if ((argc != 3 && !ids) || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: seed-store STATE_DIR|STORE_URL COUNT [--ids]\n");
		return 2;
	}
	if (strstr(argv[1], "://"))
		snprintf(path, sizeof path, "%s", argv[1]);
	else
		snprintf(path, sizeof path, "%s/codex-mcp.db", argv[1]);
	if (store_open(path, &s, err, sizeof err) != 0) {
		fprintf(stderr, "seed-store: %s\n", err);
		return 1;
	}
	int64_t now = store_now_ms();
	for (long i = 0; i < n; i++) {
		struct task_record t = {
		    .tool = "spawn_agent_async",
		    .status = i % 10 ? "completed" : "failed",
		    .cwd = "/work",
		    .output = "All tests pass. I added the missing check in parse_args and a test "
		              "for it.",
		    .error = i % 10 ? NULL : "codex exited with status 1",
		    .created_at = now - (n - i) * 1000,
		    .started_at = now - (n - i) * 1000,
		    .completed_at = now - (n - i) * 1000 + 500,
		    .last_activity = now - (n - i) * 1000 + 500,
		};
		task_new_id(t.id);
		if (ids)
			printf("%s\n", t.id);
		if (store_put_task(s, &t) != 0) {
			fprintf(stderr, "seed-store: write %ld failed\n", i);
			store_close(s);
			return 1;
		}
	}
	store_close(s);
	return 0;
}
