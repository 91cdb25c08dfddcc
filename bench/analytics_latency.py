"""Analytics latency through the HTTP API on 10 million events in PostgreSQL.

    python bench/analytics_latency.py [--requests 200] [--reuse]

Creates the database `storeintel_bench_analytics` (dropped first; `--reuse` keeps an existing one), applies
the migrations and generates, inside PostgreSQL (INSERT ... SELECT from generate_series):
100 stores in 8 timezones (+05:30, +05:45 and DST zones among them), 4 cameras each (2 counting-line
doors, a floor camera with a product zone, a till camera with a billing zone), 90 days up to now with a
daily shape (bell around mid-afternoon, opening hours 09:00-21:00 local) and a weekly one (weekdays 75% of
weekends); about 5 events per visitor: IN, OUT, product ZONE_ENTER/EXIT, and billing ENTER/EXIT for half
of them; POS transactions for 60% of billing visitors. Heartbeats every 30 s for 90 days (1 M rows per
store) are generated for the `MEASURED_STORES` stores the requests go to: coverage reads them.

Then starts `uvicorn storeintel_app:app` in a subprocess (one worker) and measures sequential requests with
an httpx client in this process: p50/p95/p99 per route against the issue's targets. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo.backend_process import BackendProcess, free_port  # noqa: E402

DB = "storeintel_bench_analytics"
ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
STORES = 100
DAYS = 90
VISITORS_PER_DAY = 272  # before the weekday factor: ~10.0 M events in total
MEASURED_STORES = 6
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
TARGETS_MS: dict[str, float | None] = {
    "store_get (reference: auth + one lookup)": None,
    "live": 10,
    "dashboard_day": 50,
    "footfall_90d_hourly": 100,
    "anomalies_day": 100,
}
PASSWORD = "bench password 1234"  # noqa: S105 - a throwaway benchmark user

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
     generate_series(date_trunc('day', now()) - interval '90 days', now(), interval '30 seconds') t
WHERE s.name = $1
"""

# The coverage roll-up that heartbeat ingestion maintains (backend/cameras/coverage.py): every camera of
# every store healthy for 90 days, 30 heartbeats per 15-minute slot.
COVERAGE_SQL = """
INSERT INTO camera_coverage_slots (org_id, camera_id, slot_start, heartbeats, heartbeats_ok)
SELECT c.org_id, c.id, t, 30, 30
FROM cameras c,
     generate_series(date_trunc('day', now()) - interval '90 days', now(), interval '15 minutes') t
ON CONFLICT DO NOTHING
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


async def generate(reuse: bool, db: str = DB, stores: int = STORES, measured: int = MEASURED_STORES) -> None:
    """Create and fill benchmark database `db` with `stores` stores, the first `measured` of them with
    heartbeat history (skipped with `reuse` when it exists)."""
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
        await conn.execute(EVENTS_SQL, names[i : i + 10], DAYS, VISITORS_PER_DAY)
        print(
            f"  events for stores {i}..{min(i + 10, stores) - 1}: {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    await conn.execute(POS_SQL)
    for name in names[:measured]:
        await conn.execute(HEARTBEATS_SQL, name)
        print(f"  heartbeats for {name}: {time.perf_counter() - started:.0f} s", flush=True)
    await conn.execute(COVERAGE_SQL)
    await conn.execute("VACUUM ANALYZE")
    counts = {
        t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # noqa: S608 - fixed table names
        for t in ("events", "camera_heartbeats", "camera_coverage_slots", "pos_transactions")
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


async def measure(
    email: str, stores: list[tuple[str, str]], requests: int, port: int
) -> dict[str, list[float]]:
    """Sequential timed requests per route (after a warm-up), random measured store and date."""
    rng = random.Random(7)
    today = datetime.now(UTC).date()
    timings: dict[str, list[float]] = {name: [] for name in TARGETS_MS}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        login = await client.post("/auth/token", json={"email": email, "password": PASSWORD})
        if login.status_code != 200:
            raise RuntimeError(f"login failed: {login.status_code} {login.text}")
        token = login.json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"

        def request(name: str) -> tuple[str, dict[str, str]]:
            store, _ = rng.choice(stores)
            day = today - timedelta(days=rng.randint(1, 60))
            if name.startswith("store_get"):
                return f"/stores/{store}", {}
            if name == "live":
                return f"/stores/{store}/live", {}
            if name == "dashboard_day":
                return f"/stores/{store}/dashboard", {"period": "day", "date": day.isoformat()}
            if name == "footfall_90d_hourly":
                first = today - timedelta(days=89)
                return f"/stores/{store}/footfall", {"from": first.isoformat(), "to": today.isoformat()}
            return f"/stores/{store}/anomalies", {"period": "day", "date": day.isoformat()}

        for name in TARGETS_MS:
            for i in range(requests + 20):
                url, params = request(name)
                started = time.perf_counter()
                response = await client.get(url, params=params)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{url} {params}: {response.status_code} {response.text[:300]}")
                if i >= 20:
                    timings[name].append(elapsed)
    return timings


def serve(db: str) -> BackendProcess:
    """`uvicorn storeintel_app:app` (one worker, uvloop, httptools) on benchmark database `db` and a free
    port, not yet started: use it as a context manager."""
    env = {
        "STOREINTEL_DATABASE_URL": async_url(db),
        "STOREINTEL_ENVIRONMENT": "test",
        "STOREINTEL_SECRET_KEY": "bench-secret-" + "x" * 40,
        "STOREINTEL_LOG_LEVEL": "WARNING",
        "STOREINTEL_AUTO_MIGRATE": "false",
        "STOREINTEL_DATA_DIR": str(ROOT / "data" / "bench"),
    }
    options = ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"]
    return BackendProcess(env, free_port(), uvicorn_args=options, cwd=ROOT, stop_timeout_s=10)


def main() -> None:
    """Generate (or reuse) the data, serve the app, measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="reuse an existing benchmark database")
    args = parser.parse_args()
    asyncio.run(generate(args.reuse))
    email, stores = asyncio.run(add_user())
    with serve(DB) as backend:
        timings = asyncio.run(measure(email, stores, args.requests, backend.port))
    print(f"\n{args.requests} sequential requests per route after 20 warm-up, {len(stores)} stores:\n")
    print("| route | p50 ms | p95 ms | p99 ms | target p95 ms | met |")
    print("|---|---|---|---|---|---|")
    for name, values in timings.items():
        p95, target = _percentile(values, 0.95), TARGETS_MS[name]
        met = "-" if target is None else "yes" if p95 <= target else "NO"
        print(
            f"| {name} | {statistics.median(values):.1f} | {p95:.1f} | {_percentile(values, 0.99):.1f} "
            f"| {target or '-'} | {met} |"
        )
    print(f"\n(database {DB} kept for --reuse; drop it with: dropdb -h 127.0.0.1 -U postgres {DB})")


if __name__ == "__main__":
    main()
