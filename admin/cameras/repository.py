"""SQL of the admin camera routes."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Camera


async def get(session: AsyncSession, camera_id: uuid.UUID, *, for_update: bool = False) -> Camera | None:
    """The camera with this id in any organization, or None; `for_update` locks the row (PostgreSQL) so
    concurrent `config_version` bumps serialize."""
    statement = select(Camera).where(Camera.id == camera_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def add(session: AsyncSession, camera: Camera) -> Camera:
    """Insert a camera."""
    session.add(camera)
    await session.flush()
    return camera
