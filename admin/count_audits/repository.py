"""SQL of count audits: insert, a camera's audits, and the last audit of each of many cameras."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import PageParams, fetch_page, order_by
from backend.models import Camera, CountAudit

# The last audit of a camera is the one whose window ended last (the newest measurement of how it counts
# now), then the one recorded last.
_NEWEST_FIRST = (CountAudit.window_end.desc(), CountAudit.created_at.desc(), CountAudit.id.desc())


async def add(session: AsyncSession, audit: CountAudit) -> CountAudit:
    """Insert a count audit."""
    session.add(audit)
    await session.flush()
    return audit


async def list_for_camera(
    session: AsyncSession, camera: Camera, page: PageParams, sort: str
) -> tuple[list[CountAudit], int]:
    """One page of the camera's audits in `sort` order (`window_end` or `created_at`, `-` descending)."""
    statement = select(CountAudit).where(
        CountAudit.org_id == camera.org_id, CountAudit.camera_id == camera.id
    )
    columns = {"window_end": CountAudit.window_end, "created_at": CountAudit.created_at}
    return await fetch_page(session, statement, page, order_by(sort, columns, CountAudit.id))


async def last_per_camera(session: AsyncSession, cameras: Sequence[Camera]) -> dict[uuid.UUID, CountAudit]:
    """Camera id → its last audit (see `_NEWEST_FIRST`), for the cameras that have one; one round trip.

    A camera has a handful of audits, so numbering every audit of these cameras (a window function both
    databases run) costs less than a subquery per camera.
    """
    if not cameras:
        return {}
    rank = func.row_number().over(partition_by=CountAudit.camera_id, order_by=_NEWEST_FIRST).label("rank")
    ranked = (
        select(CountAudit.org_id, CountAudit.id, rank)
        .where(
            CountAudit.org_id.in_({c.org_id for c in cameras}),
            CountAudit.camera_id.in_([c.id for c in cameras]),
        )
        .subquery()
    )
    rows = await session.scalars(
        select(CountAudit).join(
            ranked,
            (ranked.c.org_id == CountAudit.org_id) & (ranked.c.id == CountAudit.id) & (ranked.c.rank == 1),
        )
    )
    return {audit.camera_id: audit for audit in rows}
