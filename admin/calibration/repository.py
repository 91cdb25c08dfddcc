"""SQL of calibration: counting lines, zones, and the latest snapshot of a camera."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import PageParams, fetch_page, order_by
from backend.models import Camera, CountingLine, Snapshot, Zone


async def get_line(session: AsyncSession, camera: Camera) -> CountingLine | None:
    """The camera's counting line, or None."""
    return await session.get(CountingLine, (camera.org_id, camera.id))


async def add(session: AsyncSession, row: CountingLine | Zone) -> None:
    """Insert a line or zone."""
    session.add(row)
    await session.flush()


async def delete(session: AsyncSession, row: CountingLine | Zone) -> None:
    """Delete a line or zone."""
    await session.delete(row)
    await session.flush()


async def get_zone(session: AsyncSession, camera: Camera, zone_id: uuid.UUID) -> Zone | None:
    """The camera's zone with this id, or None."""
    return await session.scalar(
        select(Zone).where(Zone.org_id == camera.org_id, Zone.camera_id == camera.id, Zone.id == zone_id)
    )


async def zone_named(session: AsyncSession, camera: Camera, name: str) -> Zone | None:
    """The camera's zone with this name (case-insensitive), or None."""
    return await session.scalar(
        select(Zone).where(
            Zone.org_id == camera.org_id,
            Zone.camera_id == camera.id,
            func.lower(Zone.name) == name.lower(),
        )
    )


async def list_zones(
    session: AsyncSession, camera: Camera, page: PageParams, sort: str
) -> tuple[list[Zone], int]:
    """One page of the camera's zones."""
    statement = select(Zone).where(Zone.org_id == camera.org_id, Zone.camera_id == camera.id)
    columns = {"name": Zone.name, "created_at": Zone.created_at}
    return await fetch_page(session, statement, page, order_by(sort, columns, Zone.id))


async def latest_frame_size(session: AsyncSession, camera: Camera) -> tuple[int, int] | None:
    """(width, height) in pixels of the camera's latest snapshot, or None when it has none."""
    row = (
        await session.execute(
            select(Snapshot.width, Snapshot.height)
            .where(Snapshot.org_id == camera.org_id, Snapshot.camera_id == camera.id)
            .order_by(Snapshot.captured_at.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """A snapshot's bytes, content type and capture time (UTC), and its size in pixels."""

    data: bytes
    content_type: str
    captured_at: datetime
    width: int
    height: int


async def latest_snapshot(session: AsyncSession, camera: Camera, data_dir: Path) -> StoredSnapshot | None:
    """The camera's latest snapshot, inline or read from its file (a relative path is under `data_dir`);
    None when there is none or its file has gone."""
    snapshot = await session.scalar(
        select(Snapshot)
        .where(Snapshot.org_id == camera.org_id, Snapshot.camera_id == camera.id)
        .order_by(Snapshot.captured_at.desc())
        .limit(1)
    )
    if snapshot is None:
        return None
    data = snapshot.data
    if data is None and snapshot.path:
        path = Path(snapshot.path)
        if not path.is_absolute():
            path = data_dir / path
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError:
            return None
    if data is None:
        return None
    return StoredSnapshot(data, snapshot.content_type, snapshot.captured_at, snapshot.width, snapshot.height)
