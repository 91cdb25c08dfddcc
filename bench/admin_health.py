"""Latency of `GET /admin/cameras/health` over a fleet of cameras with heartbeat history, on PostgreSQL.

    python bench/admin_health.py [--cameras 1000] [--heartbeats 100] [--requests 20]

Creates the database `storeintel_bench_admin` (dropped first, and dropped again at the end), applies the
migrations, inserts one organization, a store per 10 cameras, `--cameras` cameras and `--heartbeats`
heartbeats per camera (30 s apart, all online), then calls the route in-process (httpx over ASGI, no
network) as a superadmin and prints p50/min/max. The health view derives every matching camera's status
(so `total` is exact and it can sort worst first) and renders one page of 50.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend import migrate  # noqa: E402
from backend.auth.passwords import hash_password  # noqa: E402
from backend.db import create_engine, create_sessionmaker  # noqa: E402
from backend.models import Camera, CameraHeartbeat, Organization, Store, User  # noqa: E402
from backend.models.base import utcnow  # noqa: E402
from storeintel_app import create_app  # noqa: E402
from tests.conftest import create_postgres_database, drop_postgres_database, settings_for  # noqa: E402

DB = "storeintel_bench_admin"
PASSWORD = "bench password long enough"  # noqa: S105 - a throwaway account in a throwaway database


async def _fill(url: str, data_dir: Path, cameras: int, heartbeats: int) -> None:
    engine = create_engine(settings_for(url, data_dir))
    await migrate.upgrade(engine)
    now = utcnow()
    async with create_sessionmaker(engine)() as session:
        org = Organization(name="Fleet")
        session.add(org)
        await session.flush()
        stores = [
            Store(org_id=org.id, name=f"store {i}", timezone="UTC", opening_hours={})
            for i in range(max(1, cameras // 10))
        ]
        session.add_all(stores)
        await session.flush()
        rows = [
            {
                "org_id": org.id,
                "id": uuid.uuid4(),
                "store_id": stores[i % len(stores)].id,
                "name": f"cam {i:05d}",
                "key_prefix": f"{i:012x}",
                "key_hash": "0" * 64,
                "last_heartbeat_at": now,
            }
            for i in range(cameras)
        ]
        await session.execute(insert(Camera), rows)
        batch: list[dict[str, object]] = []
        for camera in rows:
            for j in range(heartbeats):
                batch.append(
                    {
                        "org_id": org.id,
                        "id": uuid.uuid4(),
                        "camera_id": camera["id"],
                        "received_at": now - timedelta(seconds=30 * j),
                        "worker_version": "0.1.0",
                        "uptime_s": 86400.0 - 30 * j,
                        "fps": 9.5,
                        "frames_read": 10_000_000 - 300 * j,
                        "frames_dropped": 0,
                        "outbox_depth": 0,
                        "events_dropped": 0,
                        "stream_status": "ok",
                    }
                )
            if len(batch) >= 20_000:
                await session.execute(insert(CameraHeartbeat), batch)
                batch = []
        if batch:
            await session.execute(insert(CameraHeartbeat), batch)
        session.add(
            User(email="ops@bench.example", password_hash=hash_password(PASSWORD), is_superadmin=True)
        )
        await session.commit()
    await engine.dispose()


async def _measure(url: str, data_dir: Path, cameras: int, requests: int) -> list[float]:
    app = create_app(settings_for(url, data_dir, log_level="WARNING"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
    ):
        token = (
            await client.post("/auth/token", json={"email": "ops@bench.example", "password": PASSWORD})
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get("/admin/cameras/health", headers=headers)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            assert response.json()["total"] == cameras
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--heartbeats", type=int, default=100)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    url = create_postgres_database(DB)
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            asyncio.run(_fill(url, Path(data_dir), args.cameras, args.heartbeats))
            timings = asyncio.run(_measure(url, Path(data_dir), args.cameras, args.requests))
    finally:
        drop_postgres_database(DB)
    ms = sorted(t * 1000 for t in timings)
    print(
        f"GET /admin/cameras/health, {args.cameras} cameras x {args.heartbeats} heartbeats, "
        f"{args.requests} requests: p50 {statistics.median(ms):.0f} ms, "
        f"min {ms[0]:.0f} ms, max {ms[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
