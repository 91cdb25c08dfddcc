"""Owners reading while cameras write: one real backend under mixed load, PostgreSQL or SQLite.

    python bench/mixed_load.py                          # PostgreSQL, 8 cameras, 4 owners, 60 s
    python bench/mixed_load.py --database sqlite --cameras 16
    python bench/mixed_load.py --quick                  # a ~10 s smoke run

Creates a fresh database (PostgreSQL: `storeintel_bench_mixed_<pid>`, dropped at the end; SQLite: a file in
a temporary folder), migrates it and provisions `--stores` stores (one organization each, open all day)
with the `--cameras` cameras spread over them, each with a billing zone (`bench/ingest_throughput.py`'s
`provision`), and one owner per organization. Then it serves `uvicorn storeintel_app:app` (one worker,
uvloop, httptools, the app's own JSON request log at `--log-level` into a file) and, from this process,
each simulated client with its own httpx connection pool:

- every camera posts the events it produced in the last second to `POST /worker/events` once a second
  (`--events-per-s` in total, spread evenly; IN, OUT, ZONE_ENTER, ZONE_EXIT of its zone with uuid4 event
  ids, built with the worker's own `worker.protocol.Event`), and a heartbeat (`HeartbeatIn`) to
  `POST /worker/heartbeat` every 30 s. A camera whose answer takes longer than its period sends the
  events due since then in its next batch, as the worker's outbox does;
- every owner (`--owners`, round-robin over the stores) polls `GET /stores/{id}/live` every second and
  `GET /stores/{id}/dashboard?period=day` every 5 s;
- a probe polls `GET /health` every 0.25 s: the reference, measured through the same server and client
  library under the same load.

Every client starts at a random offset within its period. It prints, per route, requests, p50/p95/p99 ms,
errors (non-2xx answers and exceptions), each p95 as a ratio to `/health`'s, the issue's targets, events
sent, accepted and stored (rows counted in the database at the end: accepted must equal stored), CPU
seconds of the server and of this process, how busy the machine was, the load average and the CPU flags.
This is a benchmark, not a test: it never fails on a slow machine, it reports (`--check` exits 1 when
the counts disagree or a request failed).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.auth.passwords import hash_password  # noqa: E402
from backend.config import Settings  # noqa: E402
from backend.db import create_engine, create_sessionmaker  # noqa: E402
from backend.models import Store  # noqa: E402
from backend.models.enums import Role  # noqa: E402
from backend.models.tenancy import Membership, User  # noqa: E402
from bench.analytics_latency import PASSWORD, _percentile  # noqa: E402
from bench.ingest_throughput import (  # noqa: E402
    ADMIN_URL,
    SECRET,
    BenchCamera,
    _admin,
    count_rows,
    machine_busy,
    provision,
    tree_cpu_s,
)
from bench.owner_app_load import cpu_flags  # noqa: E402
from demo.backend_process import BackendProcess, free_port  # noqa: E402
from worker.protocol import Event, HeartbeatIn  # noqa: E402

OPEN_ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
EVENTS_PERIOD_S = 1.0
HEARTBEAT_PERIOD_S = 30.0
LIVE_PERIOD_S = 1.0
DASHBOARD_PERIOD_S = 5.0
HEALTH_PERIOD_S = 0.25
ROUTES = ("POST /worker/events", "POST /worker/heartbeat", "GET /live", "GET /dashboard?period=day")
REFERENCE = "GET /health"
TARGETS_MS = {"GET /live": 100.0, "GET /dashboard?period=day": 150.0, "POST /worker/events": 300.0}


@dataclass
class RouteStats:
    """What the clients saw of one route."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, started: float, response: httpx.Response) -> bool:
        """Record an answer; False (and an error) when it is not 2xx."""
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.is_success:
            return True
        self.errors.append(f"{response.status_code}: {response.text[:200]}")
        return False


@dataclass
class Tally:
    """Per-route statistics and the event counts of one run."""

    routes: dict[str, RouteStats] = field(
        default_factory=lambda: {r: RouteStats() for r in (*ROUTES, REFERENCE)}
    )
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0


@dataclass
class BenchStore:
    """A provisioned store, its cameras and its owner's credentials."""

    store_id: str
    email: str
    cameras: list[BenchCamera]


# --- set-up ------------------------------------------------------------------------------------------


async def provision_stores(url: str, data_dir: Path, stores: int, cameras: int) -> list[BenchStore]:
    """`stores` stores (one organization each, open all day) sharing `cameras` cameras round-robin, each
    with its owner (`mixed-owner-<n>@example.com`, password `PASSWORD`)."""
    per_store = [len(range(n, cameras, stores)) for n in range(stores)]
    made: list[BenchStore] = []
    settings = Settings(database_url=url, data_dir=data_dir, secret_key=SECRET, environment="test")
    for n, count in enumerate(per_store):
        bench_cameras = await provision(url, data_dir, count)
        engine = create_engine(settings)
        async with create_sessionmaker(engine)() as session:
            known = {s.store_id for s in made}
            store = next(s for s in (await session.scalars(select(Store))).all() if str(s.id) not in known)
            await session.execute(
                update(Store).where(Store.id == store.id).values(opening_hours=OPEN_ALL_DAY)
            )
            email = f"mixed-owner-{n}@example.com"
            user = User(email=email, password_hash=hash_password(PASSWORD), full_name=f"Owner {n}")
            session.add(user)
            await session.flush()
            session.add(Membership(org_id=store.org_id, user_id=user.id, role=Role.OWNER))
            await session.commit()
            made.append(BenchStore(store_id=str(store.id), email=email, cameras=bench_cameras))
        await engine.dispose()
    return made


def server(url: str, data_dir: Path, log_level: str) -> BackendProcess:
    """`uvicorn storeintel_app:app`, one worker on uvloop and httptools as `storeintel serve` picks them,
    uvicorn's access log off (the app writes its own request log, at `log_level`, into data_dir)."""
    env = {
        "STOREINTEL_DATABASE_URL": url,
        "STOREINTEL_DATA_DIR": str(data_dir),
        "STOREINTEL_SECRET_KEY": SECRET,
        "STOREINTEL_AUTO_MIGRATE": "false",
        "STOREINTEL_LOG_LEVEL": log_level,
        "STOREINTEL_ENVIRONMENT": "development",
    }
    options = ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"]
    return BackendProcess(
        env, free_port(), data_dir / "server.log", uvicorn_args=options, cwd=ROOT, stop_timeout_s=20
    )


# --- the simulated clients ---------------------------------------------------------------------------


def _utc(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CameraTraffic:
    """The events one camera's worker produces: visitors crossing the line and visiting its zone."""

    def __init__(self, camera: BenchCamera, rng: random.Random) -> None:
        self.camera = camera
        self.rng = rng
        self.trackers = itertools.count(rng.randrange(1, 1000))
        self.inside: list[int] = []  # tracker ids that crossed IN
        self.in_zone: dict[int, datetime] = {}  # tracker id -> zone entry time

    def events(self, n: int, until: datetime) -> list[dict[str, Any]]:
        """`n` events captured within the second before `until`, as JSON the worker posts."""
        out = []
        for ts in sorted(until - timedelta(seconds=self.rng.uniform(0, 1)) for _ in range(n)):
            kind = self.rng.random()
            if kind < 0.35 or not self.inside:
                tracker = next(self.trackers)
                self.inside.append(tracker)
                event = Event(type="IN", ts=ts, tracker_id=tracker, confidence=0.8)
            elif kind < 0.6 and self.inside:
                tracker = self.inside.pop(self.rng.randrange(len(self.inside)))
                self.in_zone.pop(tracker, None)
                event = Event(type="OUT", ts=ts, tracker_id=tracker, confidence=0.8)
            elif self.in_zone and (kind >= 0.8 or len(self.in_zone) >= len(self.inside)):
                tracker, entered = self.in_zone.popitem()
                dwell = max(0, int((ts - entered).total_seconds() * 1000))
                event = Event(
                    type="ZONE_EXIT", ts=ts, tracker_id=tracker, zone_id=self.camera.zone_id, dwell_ms=dwell
                )
            else:
                tracker = self.rng.choice([t for t in self.inside if t not in self.in_zone] or self.inside)
                self.in_zone[tracker] = ts
                event = Event(type="ZONE_ENTER", ts=ts, tracker_id=tracker, zone_id=self.camera.zone_id)
            out.append(event.model_dump(mode="json"))
        return out


def heartbeat(started: float, zone_id: str) -> dict[str, Any]:
    """A live heartbeat as the worker sends it."""
    uptime = max(0.0, time.perf_counter() - started)
    return HeartbeatIn(
        worker_version="0.1.0",
        uptime_s=uptime,
        fps=10.0,
        frames_read=int(uptime * 10),
        frames_dropped=0,
        outbox_depth=0,
        events_dropped=0,
        stream_status="ok",
        zone_counts={uuid.UUID(zone_id): 1},
        observed_at=datetime.now(UTC),
        config_version=1,
        detection={"target_fps": 10.0, "imgsz": 640, "conf": 0.1},
    ).model_dump(mode="json", exclude_none=True)


async def every(period_s: float, start: float, end: float, tick: Callable[[int], Awaitable[None]]) -> None:
    """Call `tick(k)` at `start + k * period_s` until `end` (at once when late; never two at a time)."""
    for k in itertools.count():
        due = start + k * period_s
        if due >= end:
            return
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await tick(k)


def _client(base_url: str, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    return httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30)


async def _timed(stats: RouteStats, call: Awaitable[httpx.Response]) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await call
    except httpx.HTTPError as exc:
        stats.latencies_ms.append((time.perf_counter() - started) * 1000)
        stats.errors.append(repr(exc))
        return None
    return response if stats.add(started, response) else None


async def run_camera(
    base_url: str, camera: BenchCamera, rate: float, start: float, end: float, tally: Tally, seed: int
) -> None:
    """One camera's worker: events every second, a heartbeat every 30 s (the first one at once)."""
    rng = random.Random(seed)
    traffic = CameraTraffic(camera, rng)
    async with _client(base_url, {"X-Worker-Key": camera.key}) as http:
        await http.post("/worker/heartbeat", json=heartbeat(start, camera.zone_id))  # untimed warm-up

        async def post_events(k: int) -> None:
            due_total = int(rate * (k + 1))
            n = due_total - post_events.sent  # type: ignore[attr-defined]
            if n <= 0:
                return
            post_events.sent = due_total  # type: ignore[attr-defined]
            events = traffic.events(n, datetime.now(UTC))
            tally.sent += n
            response = await _timed(
                tally.routes["POST /worker/events"], http.post("/worker/events", json={"events": events})
            )
            if response is not None:
                answer = response.json()
                tally.accepted += answer["accepted"]
                tally.duplicates += answer["duplicates"]
                tally.rejected += len(answer["rejected"])

        post_events.sent = 0  # type: ignore[attr-defined]

        async def post_heartbeat(_k: int) -> None:
            body = heartbeat(start, camera.zone_id)
            await _timed(tally.routes["POST /worker/heartbeat"], http.post("/worker/heartbeat", json=body))

        offset = rng.uniform(0, EVENTS_PERIOD_S)
        await asyncio.gather(
            every(EVENTS_PERIOD_S, start + offset, end, post_events),
            every(HEARTBEAT_PERIOD_S, start + rng.uniform(0, 2), end, post_heartbeat),
        )


async def run_owner(
    base_url: str, store: BenchStore, start: float, end: float, tally: Tally, seed: int
) -> None:
    """One owner's app: `/live` every second and the day's dashboard every 5 s."""
    rng = random.Random(seed)
    async with _client(base_url) as http:
        login = await http.post("/auth/token", json={"email": store.email, "password": PASSWORD})
        login.raise_for_status()
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        live, dashboard = f"/stores/{store.store_id}/live", f"/stores/{store.store_id}/dashboard"
        (await http.get(live)).raise_for_status()  # untimed warm-up
        (await http.get(dashboard, params={"period": "day"})).raise_for_status()

        async def get_live(_k: int) -> None:
            await _timed(tally.routes["GET /live"], http.get(live))

        async def get_dashboard(_k: int) -> None:
            await _timed(
                tally.routes["GET /dashboard?period=day"], http.get(dashboard, params={"period": "day"})
            )

        await asyncio.gather(
            every(LIVE_PERIOD_S, start + rng.uniform(0, LIVE_PERIOD_S), end, get_live),
            every(DASHBOARD_PERIOD_S, start + rng.uniform(0, DASHBOARD_PERIOD_S), end, get_dashboard),
        )


async def run_probe(base_url: str, start: float, end: float, tally: Tally) -> None:
    """The reference: `/health` every 0.25 s from its own pool."""
    async with _client(base_url) as http:
        (await http.get("/health")).raise_for_status()

        async def get_health(_k: int) -> None:
            await _timed(tally.routes[REFERENCE], http.get("/health"))

        await every(HEALTH_PERIOD_S, start, end, get_health)


async def drive(base_url: str, stores: list[BenchStore], args: argparse.Namespace) -> tuple[Tally, float]:
    """Run every client for `args.duration_s`; the tally and the seconds from the first tick to the last
    answer."""
    tally = Tally()
    cameras = [c for s in stores for c in s.cameras]
    rate = args.events_per_s / len(cameras)
    start = time.perf_counter() + 2.0  # room for logins and warm-up requests first
    end = start + args.duration_s
    owners = [stores[n % len(stores)] for n in range(args.owners)]
    await asyncio.gather(
        *(run_camera(base_url, c, rate, start, end, tally, 100 + n) for n, c in enumerate(cameras)),
        *(run_owner(base_url, s, start, end, tally, 200 + n) for n, s in enumerate(owners)),
        run_probe(base_url, start, end, tally),
    )
    return tally, time.perf_counter() - start


# --- one run -----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Provision, serve, drive and count; the figures of the run."""
    tmp = Path(tempfile.mkdtemp(prefix="storeintel-mixed-"))
    pg_name = f"storeintel_bench_mixed_{os.getpid()}"
    if args.database == "postgresql":
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        asyncio.run(_admin(f'CREATE DATABASE "{pg_name}"'))
        url = make_url(ADMIN_URL).set(database=pg_name).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    try:
        stores = asyncio.run(provision_stores(url, tmp, args.stores, args.cameras))
        with server(url, tmp, args.log_level) as backend:
            load0 = os.getloadavg()
            cpu0, busy0, client0 = tree_cpu_s(backend.pid), machine_busy(), time.process_time()
            tally, elapsed = asyncio.run(drive(backend.base_url, stores, args))
            server_cpu = tree_cpu_s(backend.pid) - cpu0
            client_cpu = time.process_time() - client0
            busy1, load1 = machine_busy(), os.getloadavg()
        stored = asyncio.run(count_rows(url, tmp))
    finally:
        if args.database == "postgresql":
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        shutil.rmtree(tmp, ignore_errors=True)
    routes = {}
    for name, stats in tally.routes.items():
        lat = stats.latencies_ms
        routes[name] = {
            "requests": len(lat),
            "p50_ms": statistics.median(lat) if lat else 0.0,
            "p95_ms": _percentile(lat, 0.95) if lat else 0.0,
            "p99_ms": _percentile(lat, 0.99) if lat else 0.0,
            "max_ms": max(lat) if lat else 0.0,
            "errors": len(stats.errors),
            "first_errors": stats.errors[:3],
        }
    busy = 100 * (busy1[0] - busy0[0]) / max(1.0, busy1[1] - busy0[1])
    return {
        "database": args.database,
        "cameras": args.cameras,
        "stores": args.stores,
        "owners": args.owners,
        "events_per_s_target": args.events_per_s,
        "duration_s": args.duration_s,
        "elapsed_s": elapsed,
        "routes": routes,
        "sent": tally.sent,
        "accepted": tally.accepted,
        "duplicates": tally.duplicates,
        "rejected": tally.rejected,
        "stored": stored,
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
        "machine_busy_pct": busy,
        "loadavg_start": load0,
        "loadavg_end": load1,
    }


def report(r: dict[str, Any]) -> bool:
    """Print the figures as Markdown; True when nothing failed and accepted = stored = sent."""
    ref = r["routes"][REFERENCE]
    print(f"\n{cpu_flags()}")
    print(
        f"{r['database']}: {r['cameras']} cameras in {r['stores']} stores posting "
        f"{r['events_per_s_target']:g} events/s in all, {r['owners']} owners, {r['duration_s']:g} s "
        f"(last answer after {r['elapsed_s']:.1f} s); load average {r['loadavg_start'][0]:.2f} at the start, "
        f"{r['loadavg_end'][0]:.2f} at the end (1 min); machine {r['machine_busy_pct']:.0f} % busy; "
        f"CPU s: server {r['server_cpu_s']:.1f}, load generator {r['client_cpu_s']:.1f}\n"
    )
    print(
        "| route | requests | p50 ms | p95 ms | p99 ms | max ms | errors | p95 ÷ /health p95 "
        "| target p95 | met |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    all_met = True
    for name, s in r["routes"].items():
        target = TARGETS_MS.get(name)
        ratio = s["p95_ms"] / ref["p95_ms"] if ref["p95_ms"] and name != REFERENCE else None
        met = "-" if target is None else "yes" if s["p95_ms"] <= target and not s["errors"] else "NO"
        all_met &= met != "NO"
        label = f"{name} (reference)" if name == REFERENCE else name
        print(
            f"| {label} | {s['requests']} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} "
            f"| {s['max_ms']:.0f} | {s['errors']} | {f'{ratio:.1f}x' if ratio else '-'} "
            f"| {f'≤ {target:.0f} ms' if target else '-'} | {met} |"
        )
    errors = sum(s["errors"] for s in r["routes"].values())
    counts_ok = r["sent"] == r["accepted"] == r["stored"] and not r["duplicates"] and not r["rejected"]
    print(
        f"\nevents: sent {r['sent']:,}, accepted {r['accepted']:,}, stored {r['stored']:,} "
        f"(duplicates {r['duplicates']}, rejected {r['rejected']}): "
        f"{'accepted = stored = sent' if counts_ok else 'MISMATCH'}; errors in all: {errors}; "
        f"targets {'met' if all_met and counts_ok else 'NOT all met'}"
    )
    for name, s in r["routes"].items():
        for error in s["first_errors"]:
            print(f"  {name}: {error}")
    print("\n" + json.dumps({k: v for k, v in r.items() if k != "routes"}, default=str))
    return counts_ok and errors == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--cameras", type=int, default=8, help="simulated workers (default 8)")
    parser.add_argument(
        "--stores", type=int, default=3, help="stores the cameras are spread over (default 3)"
    )
    parser.add_argument("--owners", type=int, default=4, help="owners polling, round-robin over stores (4)")
    parser.add_argument("--events-per-s", type=float, default=200.0, help="all cameras together (200)")
    parser.add_argument("--duration-s", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="a ~10 s smoke run (--duration-s 10)")
    parser.add_argument("--log-level", default="INFO", help="the server's STOREINTEL_LOG_LEVEL (INFO)")
    parser.add_argument("--check", action="store_true", help="exit 1 on a failed request or a count mismatch")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration_s = 10.0
    args.stores = max(1, min(args.stores, args.cameras))
    ok = report(run(args))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
