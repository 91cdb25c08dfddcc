#!/usr/bin/env bash
# The test command: installs what is needed (Python packages, the browser), starts PostgreSQL if it is
# down, then runs lint (ruff, hadolint), types (mypy) and the test suite (pytest) against real PostgreSQL
# and SQLite, the real model and the real video from ../shared, and a real headless Chromium.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/backend -k ready`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$(bash scripts/bootstrap.sh)"
export PATH="$venv/bin:$PATH"
export STOREINTEL_SHARED_DIR="${STOREINTEL_SHARED_DIR:-$root/../shared}"
export YOLO_CONFIG_DIR="${YOLO_CONFIG_DIR:-${TMPDIR:-/tmp}/storeintel-yolo}"
mkdir -p "$YOLO_CONFIG_DIR"

bash scripts/ensure-services.sh
bash scripts/install-browser.sh   # Debian's chromium for the admin console's browser tests
bash scripts/install-rtsp.sh      # GStreamer's RTSP server for the worker's RTSP test

# One command per line: under `set -e` a failure inside an `a && b` list would not stop the script.
echo "== ruff"
ruff check .
ruff format --check .
echo "== hadolint"
hadolint Dockerfile
echo "== mypy"
mypy
echo "== pytest"
pytest --durations=15 "$@"
