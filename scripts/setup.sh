#!/bin/sh
# Installs what building and testing codex-mcp needs on Debian 12, only if missing.
set -eu

need=""
# clang and its runtime for the fuzzers; valgrind for the unit tests' memory check.
# José and curl for the HTTP transport's OAuth; microhttpd, libssl-dev and the openssl tool
# for its tests. libpq for the PostgreSQL store, and a PostgreSQL server its tests start; haproxy in
# front of replicas. git for the agents' worktrees, and the tests' repositories. Chromium,
# headless, shows the dashboard to its tests. jsmn tokenizes Codex's event lines.
for pkg in build-essential cmake pkg-config git libuv1-dev libjansson-dev libjsmn-dev libsqlite3-dev \
	libsodium-dev libcmocka-dev clang libclang-rt-14-dev valgrind \
	libjose-dev libcurl4-openssl-dev libmicrohttpd-dev libssl-dev openssl \
	libpq-dev postgresql haproxy chromium; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
		need="$need $pkg"
done
# The benchmarks draw their plot with gnuplot; wrk drives the HTTP load benchmark.
if [ "${1:-}" = "--bench" ]; then
	for pkg in gnuplot-nox wrk; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
			need="$need $pkg"
	done
fi
# Node runs the MCP client in the demo and the integration tests; any node >= 18 will do.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	need="$need nodejs npm"
fi
if [ -n "$need" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages:$need (run as root, or install them)" >&2
		exit 1
	fi
	echo "setup: installing$need"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
fi
