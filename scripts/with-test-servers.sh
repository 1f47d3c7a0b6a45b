#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster and a Redis server on free loopback ports, export their URLs
# (GENSTUDIO_TEST_PG_URL, GENSTUDIO_TEST_REDIS_URL), run the given command, and stop both servers at the
# end, whatever the command's outcome. Used by `make test`; data lives in .test-servers/ (git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="$ROOT/.test-servers/run-$$"  # one folder per run: concurrent runs do not collide
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL refuses to run as root: run it as the `postgres` user (or as ourselves when not root).
as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

PG_DIR="$STATE/pg"
REDIS_DIR="$STATE/redis"
PG_PORT="$(free_port)"
REDIS_PORT="$(free_port)"

cleanup() {
  set +e
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1; fi
  if [ -f "$REDIS_DIR/redis.pid" ]; then
    pid="$(cat "$REDIS_DIR/redis.pid")"
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$STATE"
}
trap cleanup EXIT INT TERM

rm -rf "$STATE"
mkdir -p "$PG_DIR" "$REDIS_DIR"
# the postgres user must be able to reach its data directory
if [ "$(id -u)" = "0" ]; then
  chown -R postgres "$PG_DIR"
  chmod o+x "$STATE"
  d="$STATE"; while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
fi
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U genstudio --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
  || { cat "$PG_DIR/initdb.log"; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='$PG_DIR' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$PG_DIR/server.log"; exit 1; }
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U genstudio genstudio_test

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --dir "$REDIS_DIR"
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

export GENSTUDIO_TEST_PG_URL="postgresql+psycopg://genstudio@127.0.0.1:$PG_PORT/genstudio_test"
export GENSTUDIO_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
echo "test servers: PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
"$@"
