#!/usr/bin/env bash
# Creates (or reuses) the project's virtual environment and prints its path on stdout.
#
# The environment lives in a cache folder keyed on the dependency declaration (pyproject.toml) and the
# Python version, so a clean clone reuses an earlier install of the same dependencies instead of
# downloading torch again; any change to the dependencies builds a new one. The project itself is always
# re-installed in editable mode so the environment runs this checkout's code.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
key="$({ cat "$root/pyproject.toml"; "$python" --version; } | sha256sum | cut -c1-16)"
venv="${STOREINTEL_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/storeintel/venv-$key}"
extras="${STOREINTEL_EXTRAS:-worker,dev,bench}"

if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete-$extras" ]; then
  echo "bootstrap: installing dependencies into $venv (first run downloads PyTorch; this takes a few minutes)" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  log="$venv/install.log"
  if ! { "$venv/bin/pip" install --upgrade pip && "$venv/bin/pip" install -e "$root[$extras]"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "bootstrap: installing dependencies failed (full log: $log)" >&2
    exit 1
  fi
  touch "$venv/.complete-$extras"
else
  if ! "$venv/bin/pip" install --no-deps -e "$root" >"$venv/install-project.log" 2>&1; then
    tail -n 40 "$venv/install-project.log" >&2
    exit 1
  fi
fi
echo "$venv"
