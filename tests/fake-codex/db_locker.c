/*
 * Holds an exclusive lock on an SQLite database until its stdin closes (or it is killed):
 *
 *   db-locker PATH     prints "locked" once BEGIN EXCLUSIVE succeeded, then waits
 *
 * For the fault tests: the sqlite3 shell is not installed, and Node 20 has no SQLite.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <sqlite3.h>

int main(int argc, char **argv)
{
	sqlite3 *db;
	char *msg = NULL;
	char buf[256];

	if (argc != 2) {
		fprintf(stderr, "usage: db-locker PATH\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "db-locker: cannot open %s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	if (sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "db-locker: BEGIN EXCLUSIVE: %s\n", msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		return 1;
	}
	printf("locked\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return 0;
}
