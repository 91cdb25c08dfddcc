"""SQL for the owner-facing store routes; every statement starts from the principal's readable stores."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principals import UserPrincipal
from backend.cameras.status import online_clause, online_since
from backend.models import Camera, Store
from backend.stores.schemas import CameraSummary
from backend.tenancy import readable_stores


async def list_readable(session: AsyncSession, principal: UserPrincipal) -> Sequence[Store]:
    """The principal's stores, by name."""
    return (await session.scalars(readable_stores(principal).order_by(Store.name, Store.id))).all()


# Built once (constructing it cost more than running it); `org_ids` and `store_ids` expand to IN lists.
_CAMERA_SUMMARIES = (
    select(
        Camera.store_id,
        func.count(),
        func.coalesce(func.sum(case((online_clause(bindparam("online_since")), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Camera.is_counting_line.is_(True), 1), else_=0)), 0),
    )
    .where(
        Camera.org_id.in_(bindparam("org_ids", expanding=True)),
        Camera.store_id.in_(bindparam("store_ids", expanding=True)),
        Camera.enabled.is_(True),
    )
    .group_by(Camera.store_id)
)


async def camera_summaries(
    session: AsyncSession, stores: Sequence[Store], now: datetime, offline_after_s: float
) -> dict[uuid.UUID, CameraSummary]:
    """Per store id: enabled cameras and how many are online at `now` (UTC).

    Online is `backend.cameras.status.is_online`, counted in SQL (`online_clause`).
    """
    if not stores:
        return {}
    rows = await session.execute(
        _CAMERA_SUMMARIES,
        {
            "online_since": online_since(now, offline_after_s),
            "org_ids": list({s.org_id for s in stores}),
            "store_ids": [s.id for s in stores],
        },
    )
    summaries = {
        store_id: CameraSummary(
            total=total, online=int(up), offline=total - int(up), counting_cameras=int(counting)
        )
        for store_id, total, up, counting in rows
    }
    empty = CameraSummary(total=0, online=0, offline=0, counting_cameras=0)
    return {s.id: summaries.get(s.id, empty) for s in stores}
