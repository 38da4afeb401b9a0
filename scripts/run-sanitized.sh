#!/bin/sh
# Runs the whole suite against a sanitizer build. Every report, from any process of
# the server's, goes to a file; one file is a failure even if no test noticed.
set -eu
build=$1
reports="$(cd "$build" && pwd)/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
status=0
ctest --test-dir "$build" --output-on-failure -j2 || status=$?
if [ -n "$(ls -A "$reports")" ]; then
	echo "sanitizer reports:" >&2
	for f in "$reports"/*; do
		echo "== $f" >&2
		head -n 60 "$f" >&2
	done
	status=1
fi
exit $status
