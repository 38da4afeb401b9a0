#!/bin/sh
# A throwaway PostgreSQL 15 for the tests: initdb and pg_ctl in a directory of its own, run by
# an unprivileged user (postgres, when the tests run as root), on a free loopback port.
#
#   tests/pg/cluster.sh start DIR   makes and starts it; prints its URL, also in DIR/url
#   tests/pg/cluster.sh stop DIR    stops it and removes DIR
#   tests/pg/cluster.sh restart DIR stops it (fast) and starts it again on the same port
#   tests/pg/cluster.sh down DIR    stops it (fast), keeping its data; up DIR starts it again
set -eu

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || {
	echo "cluster.sh: no PostgreSQL server found (scripts/setup.sh installs it)" >&2
	exit 1
}
cmd=$1
dir=$2

# As root, the cluster runs as postgres: the server refuses to run as root.
as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
	else
		"$@"
	fi
}

start() {
	as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
		-o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
}

case "$cmd" in
start)
	rm -rf "$dir"
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
	as_user "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	# Quick and unsafe on power loss, which a test database never sees.
	printf '%s\n' "fsync = off" "synchronous_commit = off" "full_page_writes = off" \
		"max_connections = 200" >>"$dir/data/postgresql.conf"
	# A free port: try random ones until the server starts on one.
	for _ in 1 2 3 4 5 6 7 8; do
		echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000)) >"$dir/port"
		[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/port"
		if start 2>"$dir/start.err"; then
			url="postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
			echo "$url" >"$dir/url"
			echo "$url"
			exit 0
		fi
	done
	cat "$dir/start.err" "$dir/log" >&2 || true
	exit 1
	;;
restart)
	as_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	start
	;;
down)
	as_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	;;
up)
	start
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: cluster.sh start|stop|restart|down|up DIR" >&2
	exit 2
	;;
esac
