#!/usr/bin/env bash
# The main job: the backend on the embedded default (SQLite in ./data, secrets generated, migrations
# applied). The end-to-end demo (worker on the sample video, KPIs printed) builds on this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$(bash scripts/bootstrap.sh)"
export PATH="$venv/bin:$PATH"
exec uvicorn backend.main:app --host "${STOREINTEL_HOST:-127.0.0.1}" --port "${STOREINTEL_PORT:-8000}"
