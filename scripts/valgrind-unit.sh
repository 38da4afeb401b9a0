#!/bin/sh
# Runs every unit test under valgrind's memcheck: any error or leak fails.
set -eu
build=$1
status=0
for t in $(find "$build/tests/unit" -type f -name 'unit_*' ! -name '*.log' -perm -u+x | sort); do
	if ! valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$t" >/dev/null 2>"$t.valgrind.log"; then
		echo "valgrind: $t failed:" >&2
		cat "$t.valgrind.log" >&2
		status=1
	else
		echo "valgrind: $(basename "$t") clean"
	fi
done
exit $status
