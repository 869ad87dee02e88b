#!/usr/bin/env bash
# Installs what the app and its tests need, skipping whatever is already there, so repeat runs
# take a second or two.
#
#   scripts/bootstrap.sh app     uv (if missing), Python packages from uv.lock, npm packages from
#                                package-lock.json, and the built front-end assets
#   scripts/bootstrap.sh system  the Debian packages the test tiers run (PostgreSQL, Redis,
#                                Chromium, pango for PDFs, poppler-utils, ClamAV's clamd), only
#                                when a binary or library is missing; needs root (or sudo)
#
# Called by `make run` and `make test`; safe to run by hand.
set -euo pipefail

cd "$(dirname "$0")/.."

# Never let uv fetch its own Python: the machine's python3 (3.11) is the interpreter.
export UV_PYTHON_DOWNLOADS=never

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "bootstrap: '$*' needs root and sudo is not installed" >&2
    return 1
  fi
}

apt_install() {
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

has_library() {
  ldconfig -p 2>/dev/null | grep -q "$1" \
    || compgen -G "/usr/lib/*/$1*" >/dev/null \
    || compgen -G "/usr/lib/$1*" >/dev/null
}

# System packages -----------------------------------------------------------------------------

system_packages() {
  local missing=()
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  has_library libpango-1.0.so.0 || missing+=(libpango-1.0-0)
  has_library libpangoft2-1.0.so.0 || missing+=(libpangoft2-1.0-0)
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  # The tests run their own clamd with a signature they write, so no signature download is
  # needed (the packaged clamd service waits for downloaded signatures; the tests never use it).
  [ -x /usr/sbin/clamd ] || command -v clamd >/dev/null 2>&1 || missing+=(clamav-daemon)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
}

# Python (uv) ---------------------------------------------------------------------------------

# Prints the command that runs uv, installing uv with pip first if there is none.
uv_command() {
  if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then
    echo uv
    return
  fi
  if ! python3 -m uv --version >/dev/null 2>&1; then
    say "installing uv with pip"
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip >&2
    python3 -m pip install --quiet uv >&2 \
      || python3 -m pip install --quiet --break-system-packages uv >&2
  fi
  # A fresh pip install may not be on PATH yet (pyenv shims, ~/.local/bin): run it as a module.
  echo "python3 -m uv"
}

python_packages() {
  local uv
  uv="$(uv_command)"
  # Installs the runtime and dev packages exactly as locked; a no-op when they already match.
  $uv sync --frozen
}

# Front end -----------------------------------------------------------------------------------

frontend() {
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
  # npm ci records what it installed in node_modules/.package-lock.json: reinstall only when
  # the lock file is newer than that record (or nothing was installed yet).
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund
  fi
  # Rebuild when a source is newer than the last successful build (stamp outside the served
  # folder) or the output is missing.
  local stamp=node_modules/.grants-assets-built
  if [ ! -f "$stamp" ] || [ ! -f grants/static/dist/app.css ] \
    || [ -n "$(find assets scripts/build-assets.mjs package-lock.json -newer "$stamp" -print -quit)" ]; then
    say "building front-end assets"
    node scripts/build-assets.mjs
    touch "$stamp"
  fi
}

case "${1:-}" in
  app)
    python_packages
    frontend
    ;;
  system)
    system_packages
    ;;
  *)
    echo "usage: $0 app|system" >&2
    exit 2
    ;;
esac
