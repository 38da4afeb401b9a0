#!/bin/sh
# Runs every unit test under valgrind's memcheck: any error or leak fails. Forked test
# children leave by _exit() with their parent's memory still theirs: only the test process
# itself is judged.
set -eu
build=$1
status=0
for t in $(find "$build/tests/unit" -type f -name 'unit_*' ! -name '*.log' ! -name '*.out' -perm -u+x | sort); do
	if ! valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --child-silent-after-fork=yes "$t" >"$t.valgrind.out" 2>"$t.valgrind.log"; then
		echo "valgrind: $t failed:" >&2
		cat "$t.valgrind.log" >&2
		status=1
	else
		# Tests that need the keeper re-executed outside valgrind say so; count them.
		skipped=$(grep -c '^\[  SKIPPED \]' "$t.valgrind.out" || true)
		[ "$skipped" = 0 ] && skipped=
		echo "valgrind: $(basename "$t") clean${skipped:+, $skipped not run under valgrind}"
	fi
done
# The store's suite again, against a real PostgreSQL (the module loaded from the build).
pg=/var/tmp/codex-mcp-pg-valgrind-$$
if url=$("$(dirname "$0")/../tests/pg/cluster.sh" start "$pg"); then
	t="$build/tests/unit/unit_store_store"
	if ! CODEX_MCP_TEST_PG="$url" CODEX_MCP_MODULE_DIR="$build" valgrind --quiet --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 --child-silent-after-fork=yes "$t" >"$t.pg.valgrind.out" \
		2>"$t.pg.valgrind.log"; then
		echo "valgrind: $t against PostgreSQL failed:" >&2
		cat "$t.pg.valgrind.log" >&2
		status=1
	else
		echo "valgrind: unit_store_store against PostgreSQL clean"
	fi
	"$(dirname "$0")/../tests/pg/cluster.sh" stop "$pg"
else
	echo "valgrind: cannot start PostgreSQL for the store's suite" >&2
	status=1
fi
exit $status
