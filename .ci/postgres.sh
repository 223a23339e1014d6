#!/usr/bin/env bash
# A private PostgreSQL on 127.0.0.1 for the readmodel store tests.
#
# Installs Debian's postgresql when no server binaries are found, creates a
# cluster of its own (not Debian's "main") in $GUAPOCADO_PG_DIR (default
# /tmp/guapocado-pg), listening on 127.0.0.1:$GUAPOCADO_PG_PORT (default
# 15432) only, with a role and database "guapocado" whose password is made
# at random once and kept in that folder. Then writes
#     export GUAPOCADO_PG_DSN='postgres://guapocado:...@127.0.0.1:15432/guapocado?sslmode=disable'
# to $GUAPOCADO_PG_DIR/dsn.env for the caller to source, and prints it.
#
# Safe to run again: a running cluster is reused, a stopped one restarted.
# Reads no standard input. `postgres.sh stop` stops the cluster.
set -euo pipefail

# Below 32768, outside Linux's ephemeral range, so that no client socket of
# a concurrent test can be holding it.
PORT="${GUAPOCADO_PG_PORT:-15432}"
DIR="${GUAPOCADO_PG_DIR:-/tmp/guapocado-pg}"
DATA="$DIR/data"
RUN="$DIR/run"
DSN_FILE="$DIR/dsn.env"
log() { printf 'postgres.sh: %s\n' "$*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# as_owner runs a command as the user that owns the cluster: postgres when
# we are root (the server refuses to run as root), else ourselves.
if [ "$(id -u)" = 0 ]; then
	as_owner() { runuser -u postgres -- "$@"; }
else
	as_owner() { "$@"; }
fi

BIN="$(pg_bin)"
if [ "${1:-}" = stop ]; then
	if [ -n "$BIN" ] && [ -f "$DATA/PG_VERSION" ]; then
		as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop || true
	fi
	exit 0
fi

if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
	[ "$(id -u)" = 0 ] || { log "PostgreSQL is not installed and installing it needs root"; exit 1; }
	log "installing Debian's postgresql"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=300 update -qq </dev/null
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq postgresql </dev/null >/dev/null
	BIN="$(pg_bin)"
	[ -x "$BIN/initdb" ] || { log "no initdb after installing postgresql"; exit 1; }
fi
log "using $("$BIN/postgres" --version)"

mkdir -p "$DIR"
chmod 755 "$DIR"
if [ ! -f "$DATA/PG_VERSION" ]; then
	log "creating a cluster in $DATA"
	rm -rf "$DATA" "$RUN"
	mkdir -p "$DATA" "$RUN"
	[ "$(id -u)" = 0 ] && chown postgres: "$DATA" "$RUN"
	chmod 700 "$DATA"
	# Local socket connections: the cluster owner only (peer). TCP: passwords.
	as_owner "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --no-locale \
		--auth-local=peer --auth-host=scram-sha-256 >/dev/null </dev/null
	cat >>"$DATA/postgresql.conf" <<-EOF
		# guapocado-go test cluster (.ci/postgres.sh)
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$RUN'
		max_connections = 200
		# A throwaway test database: durability is not needed, speed is.
		fsync = off
		synchronous_commit = off
		full_page_writes = off
	EOF
fi
mkdir -p "$RUN"
[ "$(id -u)" = 0 ] && chown postgres: "$RUN"

if as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
	log "cluster already running"
else
	log "starting the cluster on 127.0.0.1:$PORT"
	if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -o "-p $PORT" -w -t 60 start >/dev/null </dev/null; then
		log "the server did not start; the end of its log:"
		tail -n 20 "$DATA/server.log" >&2 || true
		exit 1
	fi
fi

if [ ! -s "$DIR/password" ]; then
	(umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/password")
fi
PASSWORD="$(cat "$DIR/password")"

psql_admin() { as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -U postgres -d postgres "$@" </dev/null; }
psql_admin -c "DO \$\$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'guapocado') THEN
		CREATE ROLE guapocado LOGIN PASSWORD '$PASSWORD';
	ELSE
		ALTER ROLE guapocado LOGIN PASSWORD '$PASSWORD';
	END IF;
END \$\$;"
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'guapocado'")" != 1 ]; then
	psql_admin -c "CREATE DATABASE guapocado OWNER guapocado"
fi

DSN="postgres://guapocado:$PASSWORD@127.0.0.1:$PORT/guapocado?sslmode=disable"
# Check what the tests will do: a password login over TCP.
if ! "$BIN/psql" -X -q -tA -c 'SELECT 1' "$DSN" </dev/null >/dev/null; then
	log "cannot log in as guapocado over TCP"
	exit 1
fi
printf "export GUAPOCADO_PG_DSN='%s'\n" "$DSN" >"$DSN_FILE"
chmod 644 "$DSN_FILE"
log "ready; source $DSN_FILE"
echo "GUAPOCADO_PG_DSN=$DSN"
