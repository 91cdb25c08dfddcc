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
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  "$venv/bin/pip" install --quiet -e "$root[$extras]" >&2
  touch "$venv/.complete-$extras"
else
  "$venv/bin/pip" install --quiet --no-deps -e "$root" >&2
fi
echo "$venv"
