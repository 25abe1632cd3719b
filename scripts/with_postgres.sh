#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL 15 cluster on a loopback port, then stop and remove it,
# whatever the command's outcome. The cluster's URL is passed as VESPER_TEST_PG_URL: the superuser, who
# creates the test databases and runs the migrations, so owns the tables. The portal's own login role,
# vesper_app (a member of vesper_portal, which migration 0011 grants to: db/roles.py), is passed as
# VESPER_TEST_PG_PORTAL_USER; the tests connect as it wherever they stand in for the portal.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PG_BIN/initdb" ]; then
  echo "PostgreSQL 15 server binaries missing; installing postgresql-15" >&2
  apt-get update -q >/dev/null && apt-get install -y -q postgresql-15 >/dev/null
fi

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

DATA_DIR=$(mktemp -d /tmp/vesper-pg.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres: "$DATA_DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cleanup() {
  as_postgres "$PG_BIN/pg_ctl" -D "$DATA_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

as_postgres "$PG_BIN/initdb" -D "$DATA_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$DATA_DIR/initdb.log" 2>&1 \
  || { cat "$DATA_DIR/initdb.log" >&2; exit 1; }
as_postgres "$PG_BIN/pg_ctl" -D "$DATA_DIR/data" -l "$DATA_DIR/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $DATA_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
  || { cat "$DATA_DIR/server.log" >&2; exit 1; }

# Created here, before any migration, as a DBA would (docs/operations.md, "Two database URLs"). Loopback
# authentication is trust, so the login role needs no password.
as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE vesper_portal NOLOGIN" \
  -c "CREATE ROLE vesper_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE vesper_portal" >/dev/null \
  || { cat "$DATA_DIR/server.log" >&2; exit 1; }

export VESPER_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
export VESPER_TEST_PG_PORTAL_USER=vesper_app
echo "PostgreSQL 15 throwaway cluster on 127.0.0.1:$PORT" >&2
"$@"
