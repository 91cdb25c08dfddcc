#!/usr/bin/env bash
# Starts the local PostgreSQL cluster when it is not answering on 127.0.0.1:5432 (CI machines and
# developer machines of this project run one; see docs/operations.md for other set-ups).
set -euo pipefail
host="${PGHOST_CHECK:-127.0.0.1}"
if pg_isready -h "$host" -p 5432 -q 2>/dev/null; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  echo "ensure-services: starting PostgreSQL $version" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_isready -h "$host" -p 5432 -q 2>/dev/null && exit 0
    sleep 1
  done
fi
echo "ensure-services: PostgreSQL is not reachable on $host:5432 (tests that need it will fail under CI)" >&2
