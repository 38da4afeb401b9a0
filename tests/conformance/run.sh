#!/bin/sh
# Runs the MCP conformance suite against a server started here, over HTTP.
#
#   run.sh --node NODE --cli CONFORMANCE_DIST_INDEX_JS \
#          --server fixture|codex-mcp --bin SERVER_BINARY \
#          --expected-failures FILE --out DIR \
#          [--scenario NAME]... [-- MORE_CLI_ARGUMENTS...]
#
# The server listens on 127.0.0.1:0; its URL is read from the line it prints on
# stderr. Without --scenario the CLI runs once with the arguments after --
# (e.g. --requirements 2026-07-28); with them, once per scenario. The run fails
# when the CLI reports a failure not in the expected-failures file (or an entry
# there that now passes), when the server cannot start, or when it does not
# exit cleanly on SIGTERM afterwards.
set -u

node= cli= kind= bin= expected= out= scenarios=
while [ $# -gt 0 ]; do
	case $1 in
	--node) node=$2; shift 2 ;;
	--cli) cli=$2; shift 2 ;;
	--server) kind=$2; shift 2 ;;
	--bin) bin=$2; shift 2 ;;
	--expected-failures) expected=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--scenario) scenarios="$scenarios $2"; shift 2 ;;
	--) shift; break ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
for v in node cli kind bin expected out; do
	eval "[ -n \"\$$v\" ]" || { echo "run.sh: --$v is required" >&2; exit 2; }
done
[ -x "$node" ] || { echo "run.sh: no Node 22 at $node (npm ci in tests/integration)" >&2; exit 2; }
[ -f "$cli" ] || { echo "run.sh: no conformance CLI at $cli (npm ci in tests/integration)" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out/results"
log=$out/server.log
# Bounded, so that a server this script could not stop (it was killed) ends anyway;
# --foreground: the server alone gets the signal, once.
limit="timeout --foreground --preserve-status 900"
case $kind in
fixture)
	$limit "$bin" --http 127.0.0.1:0 2>"$log" &
	;;
codex-mcp)
	mkdir -p "$out/state"
	$limit "$bin" --http 127.0.0.1:0 --state-dir "$out/state" --log-level warning 2>"$log" &
	;;
*)
	echo "run.sh: --server is fixture or codex-mcp" >&2
	exit 2
	;;
esac
pid=$!
stopped=
stop_server() {
	[ -n "$stopped" ] && return 0
	stopped=1
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
}
trap 'stop_server' EXIT
trap 'exit 130' INT TERM

url=
for _ in $(seq 100); do
	url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log" | head -n 1)
	[ -n "$url" ] && break
	if ! kill -0 "$pid" 2>/dev/null; then
		break
	fi
	sleep 0.1
done
if [ -z "$url" ]; then
	echo "run.sh: the server did not start:" >&2
	cat "$log" >&2
	exit 1
fi
echo "run.sh: $kind at $url"

status=0
run_cli() {
	"$node" "$cli" server --url "$url" --expected-failures "$expected" -o "$out/results" "$@"
	rc=$?
	[ $rc -eq 0 ] || status=1
}
if [ -n "$scenarios" ]; then
	for s in $scenarios; do
		echo "=== $s"
		run_cli --scenario "$s" "$@"
	done
else
	run_cli "$@"
fi

stop_server
rc=$?
if [ $rc -ne 0 ]; then
	echo "run.sh: the server exited with status $rc on SIGTERM; its log:" >&2
	tail -n 50 "$log" >&2
	status=1
fi
if [ $status -eq 0 ]; then
	echo "run.sh: conformance passed (expected failures: $expected)"
else
	echo "run.sh: conformance FAILED; results in $out/results"
fi
exit $status
