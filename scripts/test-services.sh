#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback for the test tiers.
#
#   scripts/test-services.sh start [ENV_FILE]   start both on free ports; write ENV_FILE
#   scripts/test-services.sh stop  [ENV_FILE]   stop what ENV_FILE records (by PID), delete data
#
# ENV_FILE (default .test-services/env) is a shell file to source; it sets
#   TEST_POSTGRES_URL  postgresql+psycopg://postgres@127.0.0.1:PORT/grants_test (a fresh database)
#   REDIS_URL_TEST     redis://127.0.0.1:PORT/0
# plus the PIDs, ports and data folder that `stop` uses. Nothing listens beyond 127.0.0.1, no
# data outlives `stop`, and only the processes started here are ever signalled.
set -euo pipefail

cd "$(dirname "$0")/.."

DEFAULT_ENV_FILE=.test-services/env
DATABASE=grants_test

say() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'test-services: %s\n' "$*" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

postgres_bin() {
  local dir
  for dir in /usr/lib/postgresql/15/bin $(compgen -G '/usr/lib/postgresql/*/bin' | sort -rV); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return
  fi
  die "PostgreSQL is not installed (apt-get install postgresql), or run scripts/bootstrap.sh system"
}

# initdb and postgres refuse to run as root: as root, run them as the postgres user.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

record() { printf '%s=%q\n' "$1" "$2" >>"$ENV_FILE"; }

# Still running: the process exists and is not a zombie waiting for its parent to reap it.
running() {
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Signal a PID only if it is still the program we started (PIDs get reused).
stop_pid() {
  local pid=$1 name=$2 signal=$3
  [ -n "$pid" ] || return 0
  [ -r "/proc/$pid/comm" ] || return 0
  [ "$(cat "/proc/$pid/comm")" = "$name" ] || return 0
  kill "-$signal" "$pid" 2>/dev/null || return 0
  for _ in $(seq 200); do
    running "$pid" || return 0
    sleep 0.05
  done
  echo "test-services: $name ($pid) did not stop in 10 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

start_postgres() {
  local bin port
  bin="$(postgres_bin)"
  port="$(free_port)"
  mkdir -p "$SERVICES_DIR/pg" "$SERVICES_DIR/pg-run"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$SERVICES_DIR/pg" "$SERVICES_DIR/pg-run"
  fi
  chmod 0700 "$SERVICES_DIR/pg"
  chmod 0755 "$SERVICES_DIR/pg-run"
  as_postgres "$bin/initdb" -D "$SERVICES_DIR/pg" -A trust -U postgres -E UTF8 --no-sync \
    >"$SERVICES_DIR/pg-run/initdb.log" 2>&1 \
    || { cat "$SERVICES_DIR/pg-run/initdb.log" >&2; die "initdb failed"; }
  as_postgres "$bin/pg_ctl" -D "$SERVICES_DIR/pg" -l "$SERVICES_DIR/pg-run/postgres.log" -w -t 30 \
    -o "-p $port -k $SERVICES_DIR/pg-run -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null \
    || { cat "$SERVICES_DIR/pg-run/postgres.log" >&2; die "PostgreSQL did not start"; }
  local pid
  pid="$(head -n 1 "$SERVICES_DIR/pg/postmaster.pid")"
  record PG_PID "$pid"
  record PG_PORT "$port"
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE $DATABASE" >/dev/null
  record TEST_POSTGRES_URL "postgresql+psycopg://postgres@127.0.0.1:$port/$DATABASE"
  say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (pid $pid)"
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 \
    || die "redis-server is not installed (apt-get install redis-server)"
  local port pidfile
  port="$(free_port)"
  pidfile="$SERVICES_DIR/redis.pid"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$pidfile" --dir "$SERVICES_DIR" --logfile "$SERVICES_DIR/redis.log" >/dev/null
  for _ in $(seq 100); do
    if [ -s "$pidfile" ] && redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      break
    fi
    sleep 0.05
  done
  [ -s "$pidfile" ] || { cat "$SERVICES_DIR/redis.log" >&2 2>/dev/null || true; die "Redis did not start"; }
  local pid
  pid="$(cat "$pidfile")"
  record REDIS_PID "$pid"
  redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG \
    || { cat "$SERVICES_DIR/redis.log" >&2; die "Redis does not answer"; }
  record REDIS_PORT "$port"
  record REDIS_URL_TEST "redis://127.0.0.1:$port/0"
  say "Redis on 127.0.0.1:$port (pid $pid)"
}

start() {
  ENV_FILE="${1:-$DEFAULT_ENV_FILE}"
  if [ -f "$ENV_FILE" ]; then
    stop "$ENV_FILE" # left over from a run that was killed
  fi
  mkdir -p "$(dirname "$ENV_FILE")"
  SERVICES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/grants-services.XXXXXX")"
  chmod 0755 "$SERVICES_DIR" # the postgres user must reach its folders inside
  : >"$ENV_FILE"
  # The data folder first, so `stop` can clean up even if a start below fails.
  record SERVICES_DIR "$SERVICES_DIR"
  # On any failure below, stop whatever did start.
  trap 'rc=$?; if [ "$rc" -ne 0 ]; then stop "$ENV_FILE"; fi; exit "$rc"' EXIT
  start_postgres
  start_redis
  trap - EXIT
  sed 's/^/export /' "$ENV_FILE" >"$ENV_FILE.tmp" && mv "$ENV_FILE.tmp" "$ENV_FILE"
}

stop() {
  local env_file="${1:-$DEFAULT_ENV_FILE}"
  [ -f "$env_file" ] || return 0
  local PG_PID="" REDIS_PID="" SERVICES_DIR=""
  # shellcheck disable=SC1090
  . "$env_file"
  # SIGINT is PostgreSQL's fast shutdown; SIGTERM makes Redis exit without saving (--save '').
  stop_pid "$PG_PID" postgres INT
  stop_pid "$REDIS_PID" redis-server TERM
  case "$(basename "${SERVICES_DIR:-none}")" in
    grants-services.*) rm -rf "$SERVICES_DIR" ;;
  esac
  rm -f "$env_file"
  say "test services stopped"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *)
    echo "usage: $0 start|stop [ENV_FILE]" >&2
    exit 2
    ;;
esac
