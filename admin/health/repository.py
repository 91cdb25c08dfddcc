"""SQL of camera health: the cameras in scope, their two latest heartbeats, recent event counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.models import Camera, CameraHeartbeat, Event, Store


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

    Two correlated MAX() subqueries per camera, each answered from the (org_id, camera_id, received_at)
    index without reading the heartbeat history.
    """
    if not cameras:
        return {}
    hb = aliased(CameraHeartbeat)
    older = aliased(CameraHeartbeat)
    latest_at = (
        select(func.max(hb.received_at))
        .where(hb.org_id == Camera.org_id, hb.camera_id == Camera.id)
        .scalar_subquery()
    )
    previous_at = (
        select(func.max(older.received_at))
        .where(older.org_id == Camera.org_id, older.camera_id == Camera.id, older.received_at < latest_at)
        .scalar_subquery()
    )
    marks = (
        select(
            Camera.org_id.label("org_id"),
            Camera.id.label("camera_id"),
            latest_at.label("latest_at"),
            previous_at.label("previous_at"),
        )
        .where(Camera.org_id.in_({c.org_id for c in cameras}), Camera.id.in_([c.id for c in cameras]))
        .subquery()
    )
    rows = await session.scalars(
        select(CameraHeartbeat)
        .join(
            marks,
            and_(
                CameraHeartbeat.org_id == marks.c.org_id,
                CameraHeartbeat.camera_id == marks.c.camera_id,
                or_(
                    CameraHeartbeat.received_at == marks.c.latest_at,
                    CameraHeartbeat.received_at == marks.c.previous_at,
                ),
            ),
        )
        .order_by(CameraHeartbeat.camera_id, CameraHeartbeat.received_at.desc())
    )
    result: dict[uuid.UUID, list[CameraHeartbeat]] = {}
    for row in rows:
        kept = result.setdefault(row.camera_id, [])
        # Two heartbeats stamped in the same microsecond would both match; keep one per timestamp.
        if len(kept) < 2 and all(k.received_at != row.received_at for k in kept):
            kept.append(row)
    return result


async def event_counts_since(
    session: AsyncSession, cameras: Sequence[Camera], since: datetime
) -> dict[uuid.UUID, int]:
    """Per camera id, how many events it sent stamped (`ts`) at or after `since` (UTC)."""
    if not cameras:
        return {}
    rows = await session.execute(
        select(Event.camera_id, func.count())
        .where(
            Event.org_id.in_({c.org_id for c in cameras}),
            Event.camera_id.in_([c.id for c in cameras]),
            Event.ts >= since,
        )
        .group_by(Event.camera_id)
    )
    return {camera_id: int(count) for camera_id, count in rows}
