"""Fixed cost of an authenticated request, as a ratio to `GET /health` through the same server and client.

    python bench/request_cost.py                      # SQLite and PostgreSQL, 500 rounds each
    python bench/request_cost.py --database sqlite --rounds 2000

For each database: a fresh one (SQLite: a file in a temporary folder; PostgreSQL:
`storeintel_bench_cost_<pid>`, dropped at the end), migrated, with one organization, one store with two
cameras and its owner (`bench/mixed_load.py`'s `provision_stores`). It serves `uvicorn storeintel_app:app`
(one worker, uvloop, httptools, the app's JSON request log at WARNING, as `bench/mixed_load.py`), signs the
owner in, and then sends, from one httpx client in this process, `--rounds` rounds of one request to each
of `GET /health` (no authentication, no database), `GET /me` (token verification, the user and their
memberships) and `GET /stores/{id}` (the same and one tenant-scoped store lookup), in a shuffled order per
round so that a busier moment of the machine falls on every route alike. The first 50 rounds warm up.

It prints p50/p95/p99 per route, each p50 and p95 as a ratio to `/health`'s, the issue's target (p50 at
most 3x `/health`), the load average and the CPU flags. A benchmark, not a test: it reports, it does not
fail on a slow machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.analytics_latency import PASSWORD, _percentile  # noqa: E402
from bench.ingest_throughput import ADMIN_URL, _admin  # noqa: E402
from bench.mixed_load import provision_stores, server  # noqa: E402
from bench.owner_app_load import cpu_flags  # noqa: E402

WARM_UP = 50
REFERENCE = "GET /health"
TARGET_RATIO_P50 = 3.0


async def _measure(base_url: str, email: str, store_id: str, rounds: int) -> dict[str, list[float]]:
    routes = {REFERENCE: "/health", "GET /me": "/me", "GET /stores/{id}": f"/stores/{store_id}"}
    timings: dict[str, list[float]] = {name: [] for name in routes}
    rng = random.Random(11)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        login = await client.post("/auth/token", json={"email": email, "password": PASSWORD})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        names = list(routes)
        for n in range(rounds + WARM_UP):
            rng.shuffle(names)
            for name in names:
                started = time.perf_counter()
                response = await client.get(routes[name], headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {response.status_code} {response.text[:200]}")
                if n >= WARM_UP:
                    timings[name].append(elapsed)
    return timings


def run(database: str, rounds: int) -> dict[str, list[float]]:
    """Provision a fresh `database` ("sqlite" or "postgresql"), serve it and measure; returns ms per route."""
    data_dir = Path(tempfile.mkdtemp(prefix="storeintel-cost-"))
    db_name = f"storeintel_bench_cost_{os.getpid()}"
    if database == "sqlite":
        url = f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
    else:
        url = ADMIN_URL.rsplit("/", 1)[0] + f"/{db_name}"
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        asyncio.run(_admin(f'CREATE DATABASE "{db_name}"'))
    try:
        (store,) = asyncio.run(provision_stores(url, data_dir, stores=1, cameras=2))
        with server(url, data_dir, "WARNING") as backend:
            return asyncio.run(_measure(backend.base_url, store.email, store.store_id, rounds))
    finally:
        if database != "sqlite":
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)


def report(database: str, timings: dict[str, list[float]], load: tuple[float, float]) -> None:
    """Print one database's table."""
    ref50, ref95 = statistics.median(timings[REFERENCE]), _percentile(timings[REFERENCE], 0.95)
    rounds = len(timings[REFERENCE])
    print(f"\n{database}: {rounds} rounds after {WARM_UP} warm-up; load {load[0]:.2f} -> {load[1]:.2f}")
    print()
    print("| route | p50 ms | p95 ms | p99 ms | p50 / health | p95 / health | target p50 | met |")
    print("|---|---|---|---|---|---|---|---|")
    for name, values in timings.items():
        p50, p95 = statistics.median(values), _percentile(values, 0.95)
        reference = name == REFERENCE
        met = "-" if reference else "yes" if p50 <= TARGET_RATIO_P50 * ref50 else "NO"
        print(
            f"| {name} | {p50:.2f} | {p95:.2f} | {_percentile(values, 0.99):.2f} | {p50 / ref50:.2f} "
            f"| {p95 / ref95:.2f} | {'-' if reference else f'<= {TARGET_RATIO_P50:g}x'} | {met} |"
        )


def main(argv: list[str] | None = None) -> int:
    """Measure on each requested database and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args(argv)
    print(cpu_flags())
    for database in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        load0 = os.getloadavg()[0]
        timings = run(database, args.rounds)
        report(database, timings, (load0, os.getloadavg()[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
