"""SQL of calibration: counting lines, zones, and the size of a camera's latest snapshot."""

from __future__ import annotations

import uuid

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
