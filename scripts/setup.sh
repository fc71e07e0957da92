#!/usr/bin/env bash
# Set up everything qnb needs on a fresh machine: a virtualenv from the lock file, the
# JupyterLab extension built from labextension/, qnb installed (editable) with its server
# and lab extensions enabled. With --browser, also Debian's Chromium for the browser tests.
# Safe to run again: steps whose inputs did not change are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
VENV="$ROOT/.venv"
browser=0
[[ "${1:-}" == "--browser" ]] && browser=1

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
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  log "installing Python dependencies from requirements.lock"
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" -r requirements.lock
  echo "$want" > "$stamp"
fi

# The JupyterLab extension: built from labextension/ into qnb/labextension/.
if [[ -f labextension/package.json ]]; then
  if ! command -v npm >/dev/null; then
    echo "npm (Node.js >= 18) is needed to build the JupyterLab extension" >&2
    exit 1
  fi
  lstamp="$VENV/.qnb-labext"
  lwant=$( (cat labextension/package-lock.json; find labextension/src labextension/style -type f -print0 | sort -z | xargs -0 cat) | sha256sum | cut -c1-16)
  if [[ "$(cat "$lstamp" 2>/dev/null)" != "$lwant" || ! -f qnb/labextension/package.json ]]; then
    log "building the JupyterLab extension"
    (cd labextension && PATH="$VENV/bin:$PATH" npm ci --no-audit --no-fund --loglevel=error && PATH="$VENV/bin:$PATH" npm run build:prod)
    echo "$lwant" > "$lstamp"
  fi
fi

log "installing qnb (editable)"
SKIP_JUPYTER_BUILDER=1 "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" --no-deps -e .
if [[ -f qnb/labextension/package.json ]]; then
  "$VENV/bin/jupyter" labextension develop --overwrite . >/dev/null
fi
"$VENV/bin/jupyter" server extension enable --sys-prefix qnb >/dev/null 2>&1 || true

if [[ $browser == 1 && ! -x /usr/bin/chromium ]]; then
  log "installing Debian's Chromium for the browser tests"
  SUDO=""
  [[ $(id -u) != 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
log "ready"
