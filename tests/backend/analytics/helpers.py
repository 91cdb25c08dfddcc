"""Bulk builders for analytics tests: events and heartbeat history written in one statement each."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principals import UserPrincipal
from backend.cameras.coverage import record_coverage
from backend.ingest.rollup import record_line_crossings
from backend.models import Camera, CameraHeartbeat, Event, EventType, Organization, Role, StreamStatus


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


async def add_events(
    session: AsyncSession,
    camera: Camera,
    events: Iterable[tuple[datetime, EventType]],
    *,
    zone_id: uuid.UUID | None = None,
    dwell_ms: int | None = None,
) -> None:
    """Events of `camera` at the given times (zone events get `zone_id` and, for exits, `dwell_ms`), with
    their line crossings in the roll-up and the camera's `last_event_at` moved forward, as ingestion
    writes them."""
    rows = [
        {
            "org_id": camera.org_id,
            "camera_id": camera.id,
            "event_id": uuid.uuid4(),
            "store_id": camera.store_id,
            "type": kind,
            "ts": ts,
            "tracker_id": n,
            "zone_id": zone_id,
            "dwell_ms": dwell_ms if kind is EventType.ZONE_EXIT else None,
            "confidence": 0.9,
        }
        for n, (ts, kind) in enumerate(events)
    ]
    if rows:
        await session.execute(insert(Event), rows)
        await record_line_crossings(
            session, camera.org_id, camera.store_id, camera.id, [(r["type"], r["ts"]) for r in rows]
        )
        newest = max(r["ts"] for r in rows)
        if camera.last_event_at is None or camera.last_event_at < newest:
            camera.last_event_at = newest
            await session.flush()


async def crossings(session: AsyncSession, camera: Camera, at: datetime, kind: EventType, count: int) -> None:
    """`count` events of one type, one second apart from `at`."""
    await add_events(session, camera, [(at + timedelta(seconds=i), kind) for i in range(count)])


async def add_heartbeats(
    session: AsyncSession,
    camera: Camera,
    start: datetime,
    end: datetime,
    *,
    every_s: int = 60,
    status: StreamStatus = StreamStatus.OK,
) -> None:
    """Heartbeats of `camera` every `every_s` seconds in `[start, end)` (60 s: just enough to cover)."""
    rows = []
    ts = start
    while ts < end:
        rows.append(
            {
                "org_id": camera.org_id,
                "id": uuid.uuid4(),
                "camera_id": camera.id,
                "received_at": ts,
                "worker_version": "0.1.0",
                "uptime_s": 1.0,
                "fps": 10.0,
                "frames_read": 1,
                "frames_dropped": 0,
                "outbox_depth": 0,
                "events_dropped": 0,
                "stream_status": status,
            }
        )
        ts += timedelta(seconds=every_s)
    if rows:
        await session.execute(insert(CameraHeartbeat), rows)
        # As heartbeat ingestion does: the coverage roll-up that analytics reads.
        await record_coverage(
            session, camera.org_id, camera.id, [(r["received_at"], status is StreamStatus.OK) for r in rows]
        )


def owner_of(org: Organization) -> UserPrincipal:
    """A principal that owns `org`, for calling services directly (with an injected `now`)."""
    return UserPrincipal(uuid.uuid4(), "owner@example.com", False, {org.id: Role.OWNER})
