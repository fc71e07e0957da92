#!/usr/bin/env bash
# Set up everything qnb needs on a fresh machine: a virtualenv from the lock file, the
# JupyterLab extension built from labextension/, qnb installed (editable) with its server
# and lab extensions enabled. With --test, also what the tests start: Debian's Chromium (the
# browser tests), Debian's PostgreSQL server (the shared store's tests; they start their
# own server, so none is left running) and configurable-http-proxy (the JupyterHub test's
# proxy, from npm). --browser is the old name of --test.
# Safe to run again: steps whose inputs did not change are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
VENV="$ROOT/.venv"
browser=0
[[ "${1:-}" == "--browser" || "${1:-}" == "--test" ]] && browser=1

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "qnb needs Python >= 3.11 (found: $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV"
  "$PY" -m venv "$VENV"
fi
if [[ ! -x "$VENV/bin/uv" ]]; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "uv==0.13.8"
fi

stamp="$VENV/.qnb-deps"
# "bytecode": installs are compiled to bytecode (uv does not by default), so that no process,
# least of all a kernel, a runner or its workers, compiles Qiskit from source on every start
# where bytecode is not written (PYTHONDONTWRITEBYTECODE, a read-only venv): 3x faster imports.
want=$( (cat requirements.lock pyproject.toml; echo bytecode) | sha256sum | cut -c1-16)
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  log "installing Python dependencies from requirements.lock"
  "$VENV/bin/uv" pip install -q --compile-bytecode --python "$VENV/bin/python" -r requirements.lock
  echo "$want" > "$stamp"
fi

# The JupyterLab extension: built from labextension/ into qnb/labextension/.
if [[ -f labextension/package.json ]]; then
  if ! command -v npm >/dev/null; then
    echo "npm (Node.js >= 18) is needed to build the JupyterLab extension" >&2
    exit 1
  fi
  lstamp="$VENV/.qnb-labext"
  lwant=$( (cat labextension/package-lock.json; find labextension/src labextension/style labextension/schema -type f -print0 | sort -z | xargs -0 cat) | sha256sum | cut -c1-16)
  if [[ "$(cat "$lstamp" 2>/dev/null)" != "$lwant" || ! -f qnb/labextension/package.json ]]; then
    log "building the JupyterLab extension"
    (cd labextension && PATH="$VENV/bin:$PATH" npm ci --no-audit --no-fund --loglevel=error && PATH="$VENV/bin:$PATH" npm run build:prod)
    echo "$lwant" > "$lstamp"
  fi
fi

log "installing qnb (editable)"
# The editable install copies qnb/labextension into the venv (shared-data); a link left by an
# earlier run is removed first, so the installer never writes through it into qnb/labextension.
labext="$VENV/share/jupyter/labextensions/qnb-labextension"
[[ -L "$labext" ]] && rm "$labext"
SKIP_JUPYTER_BUILDER=1 "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" --no-deps -e .
# Replace that copy by a link to the build output, so `npm run build` is picked up without
# reinstalling (what `jupyter labextension develop` did; JupyterLab 4.6 hands that command to
# the separate jupyter-builder package).
if [[ -f qnb/labextension/package.json ]]; then
  rm -rf "$labext"
  mkdir -p "$(dirname "$labext")"
  ln -s "$ROOT/qnb/labextension" "$labext"
fi
"$VENV/bin/jupyter" server extension enable --sys-prefix qnb >/dev/null 2>&1 || true

apt_packages=()
if [[ $browser == 1 && ! -x /usr/bin/chromium ]]; then
  apt_packages+=(chromium)
fi
# initdb and pg_trgm/citext (postgresql-contrib) for the shared store's tests
if [[ $browser == 1 ]] && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  apt_packages+=(postgresql postgresql-contrib)
fi
# configurable-http-proxy (JupyterHub's default proxy, Node.js) for the hub's end-to-end test,
# into the venv from scripts/chp's lock file (npm ci: every package at its locked version);
# skipped when that lock is the one installed.
chp_dir="$VENV/chp"
if [[ $browser == 1 ]] && ! cmp -s scripts/chp/package-lock.json "$chp_dir/package-lock.json"; then
  log "installing configurable-http-proxy (scripts/chp) for the hub test"
  rm -rf "$chp_dir" && mkdir -p "$chp_dir"
  cp scripts/chp/package.json scripts/chp/package-lock.json "$chp_dir/"
  npm ci --prefix "$chp_dir" --no-audit --no-fund --loglevel=error >/dev/null
fi
if (( ${#apt_packages[@]} )); then
  log "installing Debian's ${apt_packages[*]} for the tests"
  SUDO=""
  [[ $(id -u) != 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  # the package's own cluster is not wanted: the tests make their own, as the postgres user
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_packages[@]}" >/dev/null
  if compgen -G "/etc/postgresql/*/main" >/dev/null && command -v pg_dropcluster >/dev/null; then
    for conf in /etc/postgresql/*/main; do
      version=$(basename "$(dirname "$conf")")
      $SUDO pg_ctlcluster "$version" main stop 2>/dev/null || true
    done
  fi
fi
# Check both extensions (output captured first: grep -q would cut the pipe under pipefail).
labexts=$("$VENV/bin/jupyter" labextension list 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
if ! grep -Eq 'qnb-labextension v[^ ]+ enabled OK' <<<"$labexts"; then
  printf '%s\n' "$labexts" >&2
  echo "the JupyterLab extension qnb-labextension is not enabled OK (see above)" >&2
  exit 1
fi
srvexts=$("$VENV/bin/jupyter" server extension list 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
if ! grep -Eq '^ +qnb enabled' <<<"$srvexts" || ! grep -Eq '^ +qnb [^ ]+ OK' <<<"$srvexts"; then
  printf '%s\n' "$srvexts" >&2
  echo "the server extension qnb is not enabled OK (see above)" >&2
  exit 1
fi
log "ready"
