#!/usr/bin/env bash
# A GenStudio cluster on this machine, for trying it out: PostgreSQL, Redis, two gunicorn web processes and two
# `genstudio worker` processes, all on loopback, with the images in PostgreSQL.
#
#   scripts/cluster.sh run     start everything, wait for Ctrl-C, stop everything   (make run-cluster)
#   scripts/cluster.sh start   start everything in the background; prints the URL and the environment
#   scripts/cluster.sh stop    stop what `start` started
#   scripts/cluster.sh env     print the environment the processes share (to run `genstudio ...` against it)
#
# Settings (environment): CLUSTER_DIR (.cluster), WEB_PORT (8000), WEB_PROCESSES (2), WEB_THREADS (8), WORKERS (2),
# WORKER_SERVICES (all), and any GENSTUDIO_* variable (passed to every process). Data lives in CLUSTER_DIR.
#
# The two web processes are one gunicorn master with two worker processes on one port: the kernel spreads
# connections between them, so no load balancer is needed on one machine. Across machines, run gunicorn on
# each and put any HTTP load balancer (nginx, HAProxy, a cloud LB) in front; nothing is kept in a web process.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLUSTER_DIR="$(realpath -m "${CLUSTER_DIR:-$ROOT/.cluster}")"
WEB_PORT="${WEB_PORT:-8000}"
WEB_PROCESSES="${WEB_PROCESSES:-2}"
WEB_THREADS="${WEB_THREADS:-8}"
WORKERS="${WORKERS:-2}"
WORKER_SERVICES="${WORKER_SERVICES:-}"
BIN="${BIN:-$ROOT/.venv/bin}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
PG_DIR="$CLUSTER_DIR/pg"
RUN="$CLUSTER_DIR/run"

as_pg() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { "$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ports() {
  mkdir -p "$RUN"
  [ -f "$RUN/pg.port" ] || free_port >"$RUN/pg.port"
  [ -f "$RUN/redis.port" ] || free_port >"$RUN/redis.port"
  PG_PORT="$(cat "$RUN/pg.port")"
  REDIS_PORT="$(cat "$RUN/redis.port")"
}

cluster_env() {
  ports
  export DATABASE_URL="postgresql://genstudio@127.0.0.1:$PG_PORT/genstudio"
  export GENSTUDIO_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  export GENSTUDIO_JOB_RUNNER=celery
  export GENSTUDIO_STORAGE_BACKEND="${GENSTUDIO_STORAGE_BACKEND:-database}"
  export GENSTUDIO_RATELIMIT_STORAGE="${GENSTUDIO_RATELIMIT_STORAGE:-$GENSTUDIO_REDIS_URL}"
  export GENSTUDIO_INSTANCE="${GENSTUDIO_INSTANCE:-$CLUSTER_DIR/instance}"
  export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
}

start_postgres() {
  mkdir -p "$PG_DIR"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    if [ "$(id -u)" = "0" ]; then
      chown -R postgres "$PG_DIR"
      d="$PG_DIR"; while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
    fi
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U genstudio --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
      || { cat "$PG_DIR/initdb.log"; exit 1; }
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='$PG_DIR' -c max_connections=200" \
    start >/dev/null || { cat "$PG_DIR/server.log"; exit 1; }
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U genstudio -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='genstudio'" | grep -q 1 \
    || "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U genstudio genstudio
}

start_redis() {
  mkdir -p "$CLUSTER_DIR/redis"
  # appendonly: queued jobs survive a Redis restart (GenStudio also republishes lost ones)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --dir "$CLUSTER_DIR/redis" --daemonize yes \
    --pidfile "$RUN/redis.pid" --logfile "$CLUSTER_DIR/redis/redis.log"
  for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "redis did not start"; exit 1
}

start() {
  cluster_env
  mkdir -p "$CLUSTER_DIR/logs"
  start_postgres
  start_redis
  "$BIN/genstudio" db upgrade >"$CLUSTER_DIR/logs/db-upgrade.log" 2>&1 || { cat "$CLUSTER_DIR/logs/db-upgrade.log"; exit 1; }
  for i in $(seq "$WORKERS"); do
    args=(worker --name "worker-$i")
    [ -n "$WORKER_SERVICES" ] && args+=(--services "$WORKER_SERVICES")
    setsid "$BIN/genstudio" "${args[@]}" >"$CLUSTER_DIR/logs/worker-$i.log" 2>&1 < /dev/null &
    echo $! >"$RUN/worker-$i.pid"
  done
  setsid "$BIN/gunicorn" --workers "$WEB_PROCESSES" --worker-class gthread --threads "$WEB_THREADS" \
    --bind "127.0.0.1:$WEB_PORT" --no-control-socket --graceful-timeout 10 --timeout 60 \
    --access-logfile "$CLUSTER_DIR/logs/access.log" genstudio.wsgi:app \
    >"$CLUSTER_DIR/logs/web.log" 2>&1 < /dev/null &
  echo $! >"$RUN/web.pid"
  for _ in $(seq 600); do
    curl -fsS "http://127.0.0.1:$WEB_PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$(cat "$RUN/web.pid")" 2>/dev/null || { tail -30 "$CLUSTER_DIR/logs/web.log"; exit 1; }
    sleep 0.2
  done
  for i in $(seq "$WORKERS"); do
    for _ in $(seq 600); do
      [ "$(redis-cli -p "$REDIS_PORT" exists "genstudio:worker:worker-$i")" = "1" ] && break
      kill -0 "$(cat "$RUN/worker-$i.pid")" 2>/dev/null || { tail -30 "$CLUSTER_DIR/logs/worker-$i.log"; exit 1; }
      sleep 0.2
    done
  done
  echo "GenStudio cluster on http://127.0.0.1:$WEB_PORT/  ($WEB_PROCESSES web processes, $WORKERS workers)"
  echo "PostgreSQL 127.0.0.1:$PG_PORT, Redis 127.0.0.1:$REDIS_PORT; logs in $CLUSTER_DIR/logs"
}

stop_pid() {  # the process group that start() put the process in
  local file="$1" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop() {
  cluster_env
  stop_pid "$RUN/web.pid"
  for file in "$RUN"/worker-*.pid; do [ -e "$file" ] && stop_pid "$file"; done
  if [ -f "$RUN/redis.pid" ]; then kill "$(cat "$RUN/redis.pid")" 2>/dev/null || true; rm -f "$RUN/redis.pid"; fi
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true; fi
  echo "GenStudio cluster stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) cluster_env; env | grep -E '^(DATABASE_URL|GENSTUDIO_[A-Z_]*|PYTHONPATH)=' | sed 's/^/export /' ;;
  run)
    trap stop EXIT
    trap 'trap - EXIT; stop; exit 0' INT TERM
    start
    echo "Ctrl-C stops the cluster"
    while sleep 3600; do :; done ;;
  *) echo "usage: $0 run|start|stop|env"; exit 2 ;;
esac
