"""Analytics latency through the HTTP API on 10 million events in PostgreSQL, as ratios measured in one run.

    python bench/analytics_latency.py [--requests 200] [--reuse]        # 100 stores, 90 days of history
    python bench/analytics_latency.py --days 30 --reuse                  # 30 days (its own database)
    python bench/analytics_latency.py --days 365 --stores 25 --reuse     # a year, ~10 M events again

Creates the database `storeintel_bench_analytics` (`_<days>d` appended for another history length;
dropped first, `--reuse` keeps an existing one and migrates it), applies the migrations and generates,
inside PostgreSQL (INSERT ... SELECT from generate_series): `--stores` stores in 8 timezones (+05:30,
+05:45 and DST zones among them), 4 cameras each (2 counting-line doors, a floor camera with a product
zone, a till camera with a billing zone), `--days` days up to now with a daily shape (bell around
mid-afternoon, opening hours 09:00-21:00 local) and a weekly one (weekdays 75% of weekends); about 5 events
per visitor: IN, OUT, product ZONE_ENTER/EXIT, and billing ENTER/EXIT for half of them; POS transactions for
60% of billing visitors; the roll-ups ingestion maintains (coverage: healthy every slot of the history;
line crossings: from the events). Heartbeats every 30 s for the last 30 days (the backend's default
retention) for the `MEASURED_STORES` stores the requests go to.

Then starts `uvicorn storeintel_app:app` in a subprocess (one worker) and measures, from an httpx client in
this process, rounds of one request per route in a shuffled order, random measured store and date (day
routes: 1-28 days ago), `GET /health` among them: the reference, through the same server and client in
the same moments. Each route's request also runs as bare SQL: the statements the route issued for the same
store and date (captured once in-process from SQLAlchemy), replayed through one asyncpg connection. It
prints p50/p95/p99 per route, its p95 as a ratio to `/health`'s and to its SQL's, the issue's ratio
targets, the load average and the CPU flags.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo.backend_process import BackendProcess, free_port  # noqa: E402

DB = "storeintel_bench_analytics"
ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
STORES = 100
DAYS = 90
HEARTBEAT_DAYS = 30  # Settings.heartbeat_retention_days: older heartbeats are pruned
VISITORS_PER_DAY = 272  # before the weekday factor: ~10.0 M events in total over 100 stores and 90 days
MEASURED_STORES = 6
VARIANTS = 24  # distinct (store, date) requests per route, each captured as SQL once
WARM_UP = 10
TIMEZONES = [
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Asia/Kathmandu",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Tokyo",
]
REFERENCE = "GET /health (reference)"
# route -> (ratio bound, statistic): the budgets as multiples of /health measured in the same run.
TARGETS: dict[str, tuple[float, str]] = {
    "GET /stores/{id}": (3.0, "p50"),
    "live": (4.0, "p95"),
    "dashboard_day": (8.0, "p95"),
    "footfall_90d_hourly": (30.0, "p95"),
    "anomalies_day": (30.0, "p95"),
}
PASSWORD = "bench password 1234"  # noqa: S105 - a throwaway benchmark user


def database_name(days: int) -> str:
    """The benchmark database for a history of `days` days."""
    return DB if days == DAYS else f"{DB}_{days}d"


SETUP_SQL = """
INSERT INTO organizations (id, name, is_active, created_at) VALUES ($1, 'Bench org', true, now());
INSERT INTO stores (org_id, id, name, timezone, opening_hours, is_active, created_at)
SELECT $1, gen_random_uuid(), 'store-' || lpad(n::text, 3, '0'), ($2::text[])[1 + n % array_length($2, 1)],
       (SELECT jsonb_object_agg(d, '[["09:00", "21:00"]]'::jsonb)
        FROM unnest(ARRAY['mon','tue','wed','thu','fri','sat','sun']) d),
       true, now() - interval '120 days'
FROM generate_series(0, $3 - 1) n;
INSERT INTO cameras (org_id, id, store_id, name, is_counting_line, enabled, key_prefix, key_hash,
                     key_rotated_at, config_version, target_fps, imgsz, conf, snapshot_requested,
                     last_heartbeat_at, created_at)
SELECT s.org_id, gen_random_uuid(), s.id, c.name, c.counting, true, substr(md5(random()::text), 1, 12),
       md5(random()::text) || md5(random()::text), now(), 1, 10, 640, 0.25, false, now(),
       now() - interval '120 days'
FROM stores s,
     (VALUES ('door-a', true), ('door-b', true), ('floor', false), ('till', false)) c(name, counting);
INSERT INTO zones (org_id, id, camera_id, store_id, name, kind, polygon, created_at)
SELECT c.org_id, gen_random_uuid(), c.id, c.store_id,
       CASE c.name WHEN 'floor' THEN 'Shelves' ELSE 'Till' END,
       CASE c.name WHEN 'floor' THEN 'product' ELSE 'billing' END,
       '[[0.1,0.1],[0.9,0.1],[0.9,0.9],[0.1,0.9]]'::jsonb, now()
FROM cameras c WHERE c.name IN ('floor', 'till');
"""

# One row per visitor: arrival in local opening hours, bell-shaped around 15:00; weekdays thinned to 75%.
EVENTS_SQL = """
WITH s AS (
    SELECT st.org_id, st.id, st.timezone,
           (SELECT id FROM cameras WHERE store_id = st.id AND name = 'door-a') door_a,
           (SELECT id FROM cameras WHERE store_id = st.id AND name = 'door-b') door_b,
           (SELECT id FROM cameras WHERE store_id = st.id AND name = 'floor') floor_cam,
           (SELECT id FROM cameras WHERE store_id = st.id AND name = 'till') till_cam,
           (SELECT z.id FROM zones z JOIN cameras c ON c.id = z.camera_id
             WHERE c.store_id = st.id AND c.name = 'floor') shelves,
           (SELECT z.id FROM zones z JOIN cameras c ON c.id = z.camera_id
             WHERE c.store_id = st.id AND c.name = 'till') till_zone
    FROM stores st WHERE st.name = ANY($1::text[])
), v AS (
    SELECT s.*, n AS tracker,
           ((current_date - d) + interval '9 hours'
             + interval '12 hours' * ((random() + random() + random()) / 3)) AT TIME ZONE s.timezone AS t0,
           interval '1 second' * (300 + random() * 2400) AS stay,
           (random() * 600000 + 5000)::int AS dwell_ms,
           random() < 0.5 AS buys,
           random() < 0.5 AS via_a
    FROM s, generate_series(0, $2 - 1) d, generate_series(1, $3) n
    WHERE extract(isodow FROM current_date - d) >= 6 OR random() < 0.75
)
INSERT INTO events (org_id, camera_id, event_id, store_id, type, ts, tracker_id, zone_id, dwell_ms,
                    confidence, received_at)
SELECT v.org_id, e.cam, gen_random_uuid(), v.id, e.type, e.ts, v.tracker, e.zone, e.dwell, 0.9, e.ts
FROM v CROSS JOIN LATERAL (VALUES
    (CASE WHEN v.via_a THEN v.door_a ELSE v.door_b END, 'IN', v.t0, NULL::uuid, NULL::int, true),
    (CASE WHEN v.via_a THEN v.door_b ELSE v.door_a END, 'OUT', v.t0 + v.stay, NULL, NULL, true),
    (v.floor_cam, 'ZONE_ENTER', v.t0 + interval '60 s', v.shelves, NULL, true),
    (v.floor_cam, 'ZONE_EXIT', v.t0 + interval '60 s' + v.stay / 3, v.shelves, v.dwell_ms / 3, true),
    (v.till_cam, 'ZONE_ENTER', v.t0 + v.stay * 0.7, v.till_zone, NULL, v.buys),
    (v.till_cam, 'ZONE_EXIT', v.t0 + v.stay * 0.9, v.till_zone, v.dwell_ms / 5, v.buys)
) e(cam, type, ts, zone, dwell, keep)
WHERE e.keep AND e.ts < now()
"""

POS_SQL = """
INSERT INTO pos_transactions (org_id, store_id, external_id, ts, amount, currency, created_at)
SELECT org_id, store_id, 'pos-' || event_id, ts, round((random() * 80 + 2)::numeric, 2), 'EUR', now()
FROM events WHERE type = 'ZONE_EXIT' AND zone_id IN (SELECT id FROM zones WHERE kind = 'billing')
  AND random() < 0.6
"""

HEARTBEATS_SQL = """
INSERT INTO camera_heartbeats (org_id, id, camera_id, received_at, worker_version, uptime_s, fps,
                               frames_read, frames_dropped, outbox_depth, events_dropped, stream_status)
SELECT c.org_id, gen_random_uuid(), c.id, t, '0.1.0', 1, 10, 1, 0, 0, 0, 'ok'
FROM cameras c JOIN stores s ON s.id = c.store_id,
     generate_series(date_trunc('day', now()) - make_interval(days => $2), now(), interval '30 seconds') t
WHERE s.name = $1
"""

# The coverage roll-up that heartbeat ingestion maintains (backend/cameras/coverage.py): every camera of
# every store healthy for the whole history, 30 heartbeats per 15-minute slot.
COVERAGE_SQL = """
INSERT INTO camera_coverage_slots (org_id, camera_id, slot_start, heartbeats, heartbeats_ok)
SELECT c.org_id, c.id, t, 30, 30
FROM cameras c,
     generate_series(date_trunc('day', now()) - make_interval(days => $1), now(), interval '15 minutes') t
ON CONFLICT DO NOTHING
"""

# The line-crossing roll-up that event ingestion maintains (backend/ingest/rollup.py), from the events.
CROSSINGS_SQL = """
INSERT INTO line_crossing_slots (org_id, store_id, slot_start, camera_id, in_count, out_count)
SELECT org_id, store_id, date_bin(interval '15 minutes', ts, timestamptz 'epoch'), camera_id,
       count(*) FILTER (WHERE type = 'IN'), count(*) FILTER (WHERE type = 'OUT')
FROM events WHERE type IN ('IN', 'OUT')
GROUP BY 1, 2, 3, 4
"""


def async_url(db: str) -> str:
    """The SQLAlchemy URL of benchmark database `db` on the local PostgreSQL."""
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"


async def _migrate(db: str) -> None:
    from backend import migrate
    from backend.config import Settings
    from backend.db import create_engine

    engine = create_engine(Settings(database_url=async_url(db), environment="test", secret_key="b" * 40))
    await migrate.upgrade(engine)
    await engine.dispose()


async def generate(
    reuse: bool, db: str = DB, stores: int = STORES, measured: int = MEASURED_STORES, days: int = DAYS
) -> None:
    """Create and fill benchmark database `db` with `stores` stores and `days` days of history, the first
    `measured` of them with heartbeat history (skipped with `reuse` when it exists)."""
    admin = await asyncpg.connect(ADMIN_DSN)
    exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db)
    if reuse and exists:
        await admin.close()
        print(f"reusing database {db} (migrating it to head)")
        await _migrate(db)
        return
    await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{db}"')
    await admin.close()

    await _migrate(db)

    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + "/" + db)
    org_id = "00000000-0000-4000-8000-000000000001"
    started = time.perf_counter()
    async with conn.transaction():
        for statement in SETUP_SQL.strip().split(";\n"):
            if "$1" in statement and "$3" in statement:
                await conn.execute(statement, org_id, TIMEZONES, stores)
            elif "$1" in statement:
                await conn.execute(statement, org_id)
            else:
                await conn.execute(statement)
    names = [f"store-{n:03d}" for n in range(stores)]
    for i in range(0, stores, 10):
        await conn.execute(EVENTS_SQL, names[i : i + 10], days, VISITORS_PER_DAY)
        print(
            f"  events for stores {i}..{min(i + 10, stores) - 1}: {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    await conn.execute(POS_SQL)
    for name in names[:measured]:
        await conn.execute(HEARTBEATS_SQL, name, min(days, HEARTBEAT_DAYS))
        print(f"  heartbeats for {name}: {time.perf_counter() - started:.0f} s", flush=True)
    await conn.execute(COVERAGE_SQL, days)
    await conn.execute(CROSSINGS_SQL)
    await conn.execute("VACUUM ANALYZE")
    counts = {
        t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # noqa: S608 - fixed table names
        for t in (
            "events",
            "camera_heartbeats",
            "camera_coverage_slots",
            "line_crossing_slots",
            "pos_transactions",
        )
    }
    await conn.close()
    print(f"generated in {time.perf_counter() - started:.0f} s: {counts}")


async def add_user(db: str = DB, measured: int = MEASURED_STORES) -> tuple[str, list[tuple[str, str]]]:
    """An owner of the bench organization; returns their email and (store id, timezone) of measured stores."""
    from backend.auth.passwords import hash_password

    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + "/" + db)
    email = "bench-owner@example.com"
    await conn.execute(
        "DELETE FROM memberships WHERE user_id IN (SELECT id FROM users WHERE email = $1)", email
    )
    await conn.execute("DELETE FROM users WHERE email = $1", email)
    user_id = await conn.fetchval(
        "INSERT INTO users (id, email, password_hash, is_superadmin, is_active, created_at) "
        "VALUES (gen_random_uuid(), $1, $2, false, true, now()) RETURNING id",
        email,
        hash_password(PASSWORD),
    )
    await conn.execute(
        "INSERT INTO memberships (org_id, user_id, role, created_at) "
        "SELECT id, $1, 'owner', now() FROM organizations",
        user_id,
    )
    rows = await conn.fetch(
        "SELECT id::text, timezone FROM stores WHERE name = ANY($1::text[]) ORDER BY name",
        [f"store-{n:03d}" for n in range(measured)],
    )
    await conn.close()
    return email, [(r["id"], r["timezone"]) for r in rows]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Timings:
    """Milliseconds per route: through HTTP, and its statements replayed as bare SQL."""

    http: dict[str, list[float]] = field(default_factory=dict)
    sql: dict[str, list[float]] = field(default_factory=dict)


Request = tuple[str, dict[str, str]]


def requests_for(stores: list[tuple[str, str]], rng: random.Random) -> dict[str, list[Request]]:
    """`VARIANTS` requests per route (path, query), random measured store and date (1-28 days ago)."""
    today = datetime.now(UTC).date()

    def one(name: str) -> Request:
        store, _ = rng.choice(stores)
        day = (today - timedelta(days=rng.randint(1, 28))).isoformat()
        if name == "GET /stores/{id}":
            return f"/stores/{store}", {}
        if name == "live":
            return f"/stores/{store}/live", {}
        if name == "dashboard_day":
            return f"/stores/{store}/dashboard", {"period": "day", "date": day}
        if name == "footfall_90d_hourly":
            first: date = today - timedelta(days=89)
            return f"/stores/{store}/footfall", {"from": first.isoformat(), "to": today.isoformat()}
        return f"/stores/{store}/anomalies", {"period": "day", "date": day}

    return {name: [one(name) for _ in range(VARIANTS)] for name in TARGETS}


async def capture_sql(
    db: str, email: str, requests: dict[str, list[Request]]
) -> dict[str, list[list[tuple[str, tuple[Any, ...]]]]]:
    """The SQL statements (with their parameters, as the driver got them) each request issues, by running
    it once in-process through the app against database `db`."""
    from sqlalchemy import event

    from backend.config import Settings
    from storeintel_app import create_app

    app = create_app(Settings(**server_settings(db)))
    statements: list[tuple[str, tuple[Any, ...]]] = []
    captured: dict[str, list[list[tuple[str, tuple[Any, ...]]]]] = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
    ):
        login = await client.post("/auth/token", json={"email": email, "password": PASSWORD})
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

        @event.listens_for(app.state.engine.sync_engine, "before_cursor_execute")
        def _capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            statements.append((statement, tuple(parameters or ())))

        for name, variants in requests.items():
            captured[name] = []
            for path, query in variants:
                statements.clear()
                response = await client.get(path, params=query)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} {query}: {response.status_code} {response.text[:300]}")
                captured[name].append(list(statements))
    return captured


async def measure(db: str, email: str, stores: list[tuple[str, str]], rounds: int, port: int) -> Timings:
    """`rounds` rounds (after `WARM_UP`) of one request per route and one `/health`, in a shuffled order;
    after each request, its SQL replayed through asyncpg."""
    rng = random.Random(7)
    requests = requests_for(stores, rng)
    sql = await capture_sql(db, email, requests)
    names = [REFERENCE, *TARGETS]
    timings = Timings({n: [] for n in names}, {n: [] for n in TARGETS})
    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + "/" + db, server_settings={"jit": "off"})
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        login = await client.post("/auth/token", json={"email": email, "password": PASSWORD})
        if login.status_code != 200:
            raise RuntimeError(f"login failed: {login.status_code} {login.text}")
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        for n in range(rounds + WARM_UP):
            rng.shuffle(names)
            for name in names:
                variant = n % VARIANTS
                path, query = ("/health", {}) if name == REFERENCE else requests[name][variant]
                started = time.perf_counter()
                response = await client.get(path, params=query)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{path} {query}: {response.status_code} {response.text[:300]}")
                if n >= WARM_UP:
                    timings.http[name].append(elapsed)
                if name == REFERENCE:
                    continue
                started = time.perf_counter()
                for statement, parameters in sql[name][variant]:
                    await conn.fetch(statement, *parameters)
                if n >= WARM_UP:
                    timings.sql[name].append((time.perf_counter() - started) * 1000)
    await conn.close()
    return timings


def server_settings(db: str) -> dict[str, str]:
    """The backend's settings on benchmark database `db`: the served process's and the in-process app's."""
    return {
        "database_url": async_url(db),
        "environment": "test",
        "secret_key": "bench-secret-" + "x" * 40,
        "log_level": "WARNING",
        "auto_migrate": "false",
        "data_dir": str(ROOT / "data" / "bench"),
    }


def serve(db: str) -> BackendProcess:
    """`uvicorn storeintel_app:app` (one worker, uvloop, httptools) on benchmark database `db` and a free
    port, not yet started: use it as a context manager."""
    env = {f"STOREINTEL_{name.upper()}": str(value) for name, value in server_settings(db).items()}
    options = ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"]
    return BackendProcess(env, free_port(), uvicorn_args=options, cwd=ROOT, stop_timeout_s=10)


def report(timings: Timings, rounds: int, stores: int, days: int, load: tuple[float, float]) -> bool:
    """Print the table; True when every ratio target is met."""
    from bench.owner_app_load import cpu_flags

    ref = timings.http[REFERENCE]
    ref_stat = {"p50": statistics.median(ref), "p95": _percentile(ref, 0.95)}
    print(f"\n{cpu_flags()}")
    print(
        f"{rounds} rounds after {WARM_UP} warm-up, {stores} stores, {days} days of history; "
        f"load average {load[0]:.2f} at the start, {load[1]:.2f} at the end (1 min)\n"
    )
    print(
        "| route | p50 ms | p95 ms | p99 ms | SQL p50 / p95 ms | p95 / SQL p95 | ratio to /health "
        "| target | met |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {REFERENCE} | {ref_stat['p50']:.2f} | {ref_stat['p95']:.2f} | {_percentile(ref, 0.99):.2f} "
        "| - | - | 1 | - | - |"
    )
    all_met = True
    for name, (bound, stat) in TARGETS.items():
        values, sql = timings.http[name], timings.sql[name]
        p50, p95, sql95 = statistics.median(values), _percentile(values, 0.95), _percentile(sql, 0.95)
        ratio = (p50 if stat == "p50" else p95) / ref_stat[stat]
        met = ratio <= bound
        all_met &= met
        print(
            f"| {name} | {p50:.2f} | {p95:.2f} | {_percentile(values, 0.99):.2f} "
            f"| {statistics.median(sql):.2f} / {sql95:.2f} | {p95 / sql95:.1f} "
            f"| {ratio:.1f} ({stat}) | <= {bound:g}x | {'yes' if met else 'NO'} |"
        )
    return all_met


def main(argv: list[str] | None = None) -> int:
    """Generate (or reuse) the data, serve the app, measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="rounds of one request per route")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing benchmark database")
    parser.add_argument("--days", type=int, default=DAYS, help="days of history per store")
    parser.add_argument("--stores", type=int, default=STORES)
    args = parser.parse_args(argv)
    db = database_name(args.days)
    asyncio.run(generate(args.reuse, db=db, stores=args.stores, days=args.days))
    email, stores = asyncio.run(add_user(db=db))
    load0 = os.getloadavg()[0]
    with serve(db) as backend:
        timings = asyncio.run(measure(db, email, stores, args.requests, backend.port))
    report(timings, args.requests, args.stores, args.days, (load0, os.getloadavg()[0]))
    print(f"\n(database {db} kept for --reuse; drop it with: dropdb -h 127.0.0.1 -U postgres {db})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
