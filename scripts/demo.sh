#!/usr/bin/env bash
# The main job: installs what is needed, starts the backend on the embedded default (SQLite in
# ./data/demo, secrets generated, migrations applied), provisions a demo store through the admin API, runs
# the real worker on the sample video, prints the KPIs, and keeps the backend running until Ctrl-C.
# Options go to `python -m demo` (see `--help`), e.g. `bash scripts/demo.sh --exit` for scripts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$(bash scripts/bootstrap.sh)"
export PATH="$venv/bin:$PATH"
export STOREINTEL_SHARED_DIR="${STOREINTEL_SHARED_DIR:-$root/../shared}"
export YOLO_CONFIG_DIR="${YOLO_CONFIG_DIR:-$root/data/ultralytics}"
exec python -m demo "$@"
