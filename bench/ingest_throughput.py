"""Sustained `POST /worker/events` throughput against a real uvicorn server, PostgreSQL and SQLite.

For each database the script creates a fresh one (PostgreSQL: its own database, dropped afterwards;
SQLite: a file in a temporary folder), migrates it, provisions an organization, a store, cameras and a
zone directly in the database, starts `uvicorn storeintel_app:app` as a subprocess, and drives it from a
separate load-generator process over loopback: pre-built 500-event batches (5% of events repeat an id
already sent, so they must come back as duplicates), gzip-compressed as the worker sends them, from
several concurrent connections. Afterwards it counts the stored rows (they must equal the unique ids:
nothing lost, nothing stored twice) and, on PostgreSQL, times a plain COPY of the same rows into a
table like `events` for comparison.

    python bench/ingest_throughput.py                      # both databases, defaults below
    python bench/ingest_throughput.py --database postgresql --batches 2000 --workers 2

Figures are printed, with one Markdown table row per database for docs/benchmarks.md. This is a
benchmark, not a test: it never fails on a slow machine, it reports.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing as mp
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend import migrate  # noqa: E402
from backend.auth.crypto import generate_worker_key  # noqa: E402
from backend.config import Settings  # noqa: E402
from backend.db import create_engine, create_sessionmaker  # noqa: E402
from backend.models import Camera, Organization, Store, Zone, ZoneKind  # noqa: E402
from demo.backend_process import BackendProcess, free_port  # noqa: E402

SECRET = "bench-secret-" + "k" * 40
ADMIN_URL = os.environ.get(
    "STOREINTEL_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class BenchCamera:
    """A provisioned camera: its key and the zone its zone events use."""

    key: str
    zone_id: str


@dataclass
class LoadResult:
    """What the load generator saw."""

    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    cpu_s: float = 0.0
    sent_events: int = 0


# --- set-up ------------------------------------------------------------------------------------------


async def _admin(sql: str) -> None:
    import asyncpg

    url = make_url(ADMIN_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def provision(database_url: str, data_dir: Path, cameras: int) -> list[BenchCamera]:
    """Migrate the database and create one org, one store and `cameras` cameras with a zone each."""
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key=SECRET,
        auto_migrate=False,
        environment="test",
    )
    engine = create_engine(settings)
    await migrate.upgrade(engine)
    made: list[BenchCamera] = []
    async with create_sessionmaker(engine)() as session:
        org = Organization(name="bench")
        session.add(org)
        await session.flush()
        store = Store(org_id=org.id, name="bench store", timezone="Europe/London", opening_hours={})
        session.add(store)
        await session.flush()
        for n in range(cameras):
            key = generate_worker_key(settings.server_secret)
            camera = Camera(
                org_id=org.id,
                store_id=store.id,
                name=f"cam {n}",
                is_counting_line=True,
                key_prefix=key.prefix,
                key_hash=key.hash,
            )
            session.add(camera)
            await session.flush()
            zone = Zone(
                org_id=org.id,
                camera_id=camera.id,
                store_id=store.id,
                name="Billing",
                kind=ZoneKind.BILLING,
                polygon=[[0.1, 0.6], [0.4, 0.6], [0.4, 0.9], [0.1, 0.9]],
            )
            session.add(zone)
            await session.flush()
            made.append(BenchCamera(key=key.value, zone_id=str(zone.id)))
        await session.commit()
    await engine.dispose()
    return made


def backend(database_url: str, data_dir: Path, port: int, workers: int) -> BackendProcess:
    """The server under test: uvicorn on uvloop and httptools, access log off, its own process group."""
    env = {
        "STOREINTEL_DATABASE_URL": database_url,
        "STOREINTEL_DATA_DIR": str(data_dir),
        "STOREINTEL_SECRET_KEY": SECRET,
        "STOREINTEL_AUTO_MIGRATE": "false",
        "STOREINTEL_LOG_LEVEL": "WARNING",
        "STOREINTEL_ENVIRONMENT": "development",
    }
    options = ["--workers", str(workers), "--loop", "uvloop", "--http", "httptools"]
    options += ["--log-level", "warning", "--no-access-log"]
    server = BackendProcess(env, port, uvicorn_args=options, cwd=ROOT, process_group=True, stop_timeout_s=20)
    print("server:", " ".join(server.command[1:]))
    return server


def tree_cpu_s(pid: int) -> float:
    """User+system CPU seconds of a process and its children still alive (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            pass
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far (Linux /proc/stat)."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return float(sum(parts) - idle), float(sum(parts))


# --- load generator (its own process) ----------------------------------------------------------------


def build_batches(
    cameras: list[BenchCamera], batches: int, batch_size: int, dup_ratio: float, use_gzip: bool, seed: int
) -> tuple[list[tuple[str, bytes]], int, int]:
    """Pre-built request bodies `(key, body)`, the number of unique event ids and of duplicate slots.

    Each batch has round(batch_size * dup_ratio) events whose id repeats one already sent by the same
    camera (earlier in this batch or an earlier batch); the rest are fresh. A third of the fresh events
    are zone events of the camera's zone, the rest line crossings.
    """
    rng = random.Random(seed)
    now = datetime.now(UTC)
    sent: dict[str, list[dict[str, Any]]] = {c.key: [] for c in cameras}
    out: list[tuple[str, bytes]] = []
    unique = dups = 0
    n_dup = round(batch_size * dup_ratio)
    for b in range(batches):
        cam = cameras[b % len(cameras)]
        history = sent[cam.key]
        events: list[dict[str, Any]] = []
        for _ in range(batch_size - n_dup):
            kind = rng.random()
            ts = (now - timedelta(seconds=rng.uniform(0, 120))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            ev: dict[str, Any] = {
                "event_id": str(uuid.uuid4()),
                "type": "IN"
                if kind < 0.33
                else "OUT"
                if kind < 0.66
                else "ZONE_ENTER"
                if kind < 0.83
                else "ZONE_EXIT",
                "ts": ts,
                "tracker_id": rng.randrange(1, 100_000),
                "zone_id": None,
                "dwell_ms": None,
                "confidence": round(rng.uniform(0.25, 1.0), 4),
            }
            if ev["type"].startswith("ZONE"):
                ev["zone_id"] = cam.zone_id
                if ev["type"] == "ZONE_EXIT":
                    ev["dwell_ms"] = rng.randrange(0, 600_000)
            events.append(ev)
        unique += len(events)
        pool = history[-20 * batch_size :] + events
        for _ in range(n_dup):
            events.insert(rng.randrange(len(events) + 1), dict(rng.choice(pool)))
        dups += n_dup
        history.extend(events)
        body = json.dumps({"events": events}, separators=(",", ":")).encode()
        out.append((cam.key, gzip.compress(body, compresslevel=5) if use_gzip else body))
    return out, unique, dups


async def _drive(port: int, bodies: list[tuple[str, bytes]], concurrency: int, use_gzip: bool) -> LoadResult:
    result = LoadResult()
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    headers = {"Content-Type": "application/json"}
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as http:

        async def worker() -> None:
            while True:
                try:
                    key, body = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                try:
                    resp = await http.post(
                        "/worker/events", content=body, headers={**headers, "X-Worker-Key": key}
                    )
                except httpx.HTTPError as exc:
                    result.errors.append(repr(exc))
                    continue
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                if resp.status_code != 200:
                    result.errors.append(f"{resp.status_code}: {resp.text[:200]}")
                    continue
                answer = resp.json()
                result.accepted += answer["accepted"]
                result.duplicates += answer["duplicates"]
                result.rejected += len(answer["rejected"])

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed_s = time.perf_counter() - started
    return result


def load_process(
    port: int, cameras: list[BenchCamera], args: dict[str, Any], conn: Any
) -> None:  # runs in a spawned process
    warm, unique_w, _ = build_batches(cameras, args["warmup"], args["batch_size"], 0.0, args["gzip"], 1)
    bodies, unique, dups = build_batches(
        cameras, args["batches"], args["batch_size"], args["dup_ratio"], args["gzip"], 2
    )
    asyncio.run(_drive(port, warm, args["concurrency"], args["gzip"]))
    conn.send("ready")
    conn.recv()  # "go", once the parent has sampled CPU counters
    cpu0 = time.process_time()
    result = asyncio.run(_drive(port, bodies, args["concurrency"], args["gzip"]))
    result.cpu_s = time.process_time() - cpu0
    result.sent_events = len(bodies) * args["batch_size"]
    conn.send((result, unique, dups, unique_w))
    conn.close()


# --- checks and the COPY baseline --------------------------------------------------------------------


async def count_rows(database_url: str, data_dir: Path) -> int:
    from sqlalchemy import text

    settings = Settings(database_url=database_url, data_dir=data_dir, secret_key=SECRET)
    engine = create_engine(settings)
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM events"))).scalar_one()
    await engine.dispose()
    return int(count)


async def copy_rate(database: str) -> tuple[int, float]:
    """Rows and seconds for one COPY of every stored event into a fresh table like `events`."""
    import asyncpg

    url = make_url(ADMIN_URL)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, database=database)
    try:
        await conn.execute("CREATE TABLE events_copy (LIKE events INCLUDING ALL)")
        # LIKE copies the column order, so SELECT * rows fit the new table as they are.
        records = [tuple(r) for r in await conn.fetch("SELECT * FROM events")]
        started = time.perf_counter()
        await conn.copy_records_to_table("events_copy", records=records)
        return len(records), time.perf_counter() - started
    finally:
        await conn.close()


# --- one run -----------------------------------------------------------------------------------------


def run(database: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="storeintel-bench-"))
    pg_name = f"storeintel_bench_{os.getpid()}"
    if database == "postgresql":
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        asyncio.run(_admin(f'CREATE DATABASE "{pg_name}"'))
        url = make_url(ADMIN_URL).set(database=pg_name).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    workers = args.workers if database == "postgresql" else 1
    try:
        cameras = asyncio.run(provision(url, tmp, args.cameras))
        port = free_port()
        with backend(url, tmp, port, workers) as server:
            ctx = mp.get_context("spawn")
            parent, child = ctx.Pipe()
            load_args = {
                "warmup": args.warmup,
                "batches": args.batches,
                "batch_size": args.batch_size,
                "dup_ratio": args.dup_ratio,
                "gzip": args.gzip,
                "concurrency": args.concurrency,
            }
            loader = ctx.Process(target=load_process, args=(port, cameras, load_args, child))
            loader.start()
            # The load process builds its bodies and sends the warm-up first; CPU is sampled from "go".
            if parent.recv() != "ready":
                raise RuntimeError("load generator did not start")
            server_cpu0, (busy0, total0) = tree_cpu_s(server.pid), machine_busy()
            parent.send("go")
            result, unique, dups, unique_warm = parent.recv()
            server_cpu = tree_cpu_s(server.pid) - server_cpu0
            busy1, total1 = machine_busy()
            loader.join()
        stored = asyncio.run(count_rows(url, tmp))
        copy_rows, copy_s = asyncio.run(copy_rate(pg_name)) if database == "postgresql" else (0, 0.0)
    finally:
        if database == "postgresql":
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        shutil.rmtree(tmp, ignore_errors=True)

    lat = sorted(result.latencies_ms)
    rate = result.sent_events / result.elapsed_s if result.elapsed_s else 0.0
    expected = unique + unique_warm
    report = {
        "database": database,
        "workers": workers,
        "events_per_s": rate,
        "batches_per_s": len(lat) / result.elapsed_s if result.elapsed_s else 0.0,
        "p50_ms": statistics.median(lat) if lat else 0.0,
        "p95_ms": lat[int(0.95 * (len(lat) - 1))] if lat else 0.0,
        "p99_ms": lat[int(0.99 * (len(lat) - 1))] if lat else 0.0,
        "max_ms": lat[-1] if lat else 0.0,
        "sent": result.sent_events,
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "rejected": result.rejected,
        "expected_unique": unique,
        "expected_duplicates": dups,
        "stored": stored,
        "expected_stored": expected,
        "errors": result.errors[:5],
        "n_errors": len(result.errors),
        "elapsed_s": result.elapsed_s,
        "server_cpu_s": server_cpu,
        "loadgen_cpu_s": result.cpu_s,
        "machine_busy_pct": 100 * (busy1 - busy0) / max(1.0, total1 - total0) if total1 > total0 else 0.0,
        "copy_rows_per_s": copy_rows / copy_s if copy_s else None,
    }
    report["correct"] = (
        stored == expected and result.accepted == unique and result.duplicates == dups and not result.errors
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--batches", type=int, default=1000, help="timed batches (default 1000)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed batches first (default 20)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--dup-ratio", type=float, default=0.05, help="share of repeated ids (default 0.05)")
    parser.add_argument("--concurrency", type=int, default=3, help="concurrent connections (default 3)")
    parser.add_argument("--cameras", type=int, default=8, help="cameras posting, round-robin (default 8)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers on PostgreSQL (default 1)")
    parser.add_argument("--no-gzip", dest="gzip", action="store_false", help="send plain JSON bodies")
    args = parser.parse_args()
    databases = ["postgresql", "sqlite"] if args.database == "both" else [args.database]
    reports = [run(db, args) for db in databases]
    print()
    for r in reports:
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()}, indent=None))
    print()
    print(
        "| database | uvicorn workers | events/s | p50 ms | p95 ms | p99 ms | stored = unique "
        "| COPY rows/s | API/COPY |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in reports:
        copy = r["copy_rows_per_s"]
        copy_cell = f"{copy:,.0f}" if copy else "-"
        ratio_cell = f"{r['events_per_s'] / copy:.0%}" if copy else "-"
        correct = "yes" if r["correct"] else "NO"
        print(
            f"| {r['database']} | {r['workers']} | {r['events_per_s']:,.0f} | {r['p50_ms']:.0f} "
            f"| {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {correct} ({r['stored']:,}) "
            f"| {copy_cell} | {ratio_cell} |"
        )


if __name__ == "__main__":
    main()
