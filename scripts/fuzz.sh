#!/bin/sh
# Runs each fuzz target for SECONDS, starting from its checked-in seed corpus (copied, so
# the run never edits the repository). A crash, a leak or a sanitizer report fails.
set -eu
build=$1
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
work="$build/fuzz-work"
status=0
for source in "$root"/fuzz/*.c; do
	name=$(basename "$source" .c)
	rm -rf "$work/$name"
	mkdir -p "$work/$name/corpus" "$work/$name/artifacts"
	if [ -d "$root/fuzz/corpus/$name" ]; then
		cp -r "$root/fuzz/corpus/$name/." "$work/$name/corpus/"
	fi
	echo "fuzz: $name for ${seconds}s"
	if ! "$build/fuzz/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/$name/artifacts/" \
		"$work/$name/corpus" >"$work/$name/log" 2>&1; then
		echo "fuzz: $name FAILED; artifacts in $work/$name/artifacts" >&2
		tail -n 60 "$work/$name/log" >&2
		status=1
	else
		grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$work/$name/log" || true
	fi
done
exit $status
