"""SQL of camera health: the cameras in scope, their two latest heartbeats, recent event counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.models import Camera, CameraHeartbeat, Event, Store

# Cameras per round trip: keeps the bound parameters far below the drivers' limits.
_CHUNK = 1000


async def cameras_in_scope(
    session: AsyncSession,
    *,
    org_id: uuid.UUID | None,
    store_id: uuid.UUID | None,
    enabled: bool | None = None,
    counting: bool | None = None,
) -> list[tuple[Camera, str]]:
    """Every camera matching the filters with its store's name, by camera name then id."""
    statement = select(Camera, Store.name).join(
        Store, (Store.org_id == Camera.org_id) & (Store.id == Camera.store_id)
    )
    filters: list[Any] = []
    if org_id is not None:
        filters.append(Camera.org_id == org_id)
    if store_id is not None:
        filters.append(Camera.store_id == store_id)
    if enabled is not None:
        filters.append(Camera.enabled.is_(enabled))
    if counting is not None:
        filters.append(Camera.is_counting_line.is_(counting))
    if filters:
        statement = statement.where(*filters)
    rows = await session.execute(statement.order_by(Camera.name, Camera.id))
    return [(camera, store_name) for camera, store_name in rows]


async def latest_heartbeats(
    session: AsyncSession, cameras: Sequence[Camera]
) -> dict[uuid.UUID, list[CameraHeartbeat]]:
    """Per camera id, its latest heartbeat and the one before it (newest first; 0 to 2 rows).

    Two round trips per chunk of cameras: the ids of each camera's two newest heartbeats (correlated
    `ORDER BY received_at DESC LIMIT 1` subqueries, each a short backward scan of the
    `(org_id, camera_id, received_at)` index), then those rows by primary key. The heartbeat history is
    never scanned. (Joining the subqueries back to the heartbeats in one statement made PostgreSQL
    re-evaluate them per heartbeat row, and a row-value IN list of keys was planned as a scan: both took
    close to a second for 1,000 cameras.)
    """
    result: dict[uuid.UUID, list[CameraHeartbeat]] = {}
    for start in range(0, len(cameras), _CHUNK):
        chunk = cameras[start : start + _CHUNK]
        newest = [
            select(hb.id)
            .where(hb.org_id == Camera.org_id, hb.camera_id == Camera.id)
            .order_by(hb.received_at.desc())
            .offset(skip)
            .limit(1)
            .scalar_subquery()
            for skip, hb in enumerate((aliased(CameraHeartbeat), aliased(CameraHeartbeat)))
        ]
        marks = await session.execute(
            select(*newest).where(
                Camera.org_id.in_({c.org_id for c in chunk}), Camera.id.in_([c.id for c in chunk])
            )
        )
        ids = [heartbeat_id for pair in marks for heartbeat_id in pair if heartbeat_id is not None]
        if not ids:
            continue
        rows = await session.scalars(
            select(CameraHeartbeat)
            .where(CameraHeartbeat.org_id.in_({c.org_id for c in chunk}), CameraHeartbeat.id.in_(ids))
            .order_by(CameraHeartbeat.camera_id, CameraHeartbeat.received_at.desc())
        )
        for row in rows:
            result.setdefault(row.camera_id, []).append(row)
    return result


async def event_counts_since(
    session: AsyncSession, cameras: Sequence[Camera], since: datetime
) -> dict[uuid.UUID, int]:
    """Per camera id, how many of its events arrived (`received_at`) at or after `since` (UTC); through the
    `(org_id, camera_id, received_at)` index."""
    if not cameras:
        return {}
    rows = await session.execute(
        select(Event.camera_id, func.count())
        .where(
            Event.org_id.in_({c.org_id for c in cameras}),
            Event.camera_id.in_([c.id for c in cameras]),
            Event.received_at >= since,
        )
        .group_by(Event.camera_id)
    )
    return {camera_id: int(count) for camera_id, count in rows}
