"""Writing the coverage roll-up: one upsert per heartbeat into its camera's 15-minute UTC slot.

Shared by heartbeat ingestion (one heartbeat) and anything that loads heartbeat history in bulk.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.timegrid import SLOT_S
from backend.models import CameraCoverageSlot

SLOT = timedelta(seconds=SLOT_S)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def slot_start(ts: datetime) -> datetime:
    """The start (UTC) of the 15-minute slot that holds `ts` (timezone-aware)."""
    return _EPOCH + ((ts - _EPOCH) // SLOT) * SLOT


async def record_coverage(
    session: AsyncSession, org_id: uuid.UUID, camera_id: uuid.UUID, beats: Iterable[tuple[datetime, bool]]
) -> None:
    """Add heartbeats `(time UTC, stream ok?)` of one camera to their slots, one upsert per slot."""
    totals: Counter[datetime] = Counter()
    healthy: Counter[datetime] = Counter()
    for at, ok in beats:
        slot = slot_start(at)
        totals[slot] += 1
        healthy[slot] += int(ok)
    if not totals:
        return
    rows = [
        {
            "org_id": org_id,
            "camera_id": camera_id,
            "slot_start": s,
            "heartbeats": n,
            "heartbeats_ok": healthy[s],
        }
        for s, n in sorted(totals.items())
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(CameraCoverageSlot)
    stmt = stmt.on_conflict_do_update(
        index_elements=["org_id", "camera_id", "slot_start"],
        set_={
            "heartbeats": CameraCoverageSlot.heartbeats + stmt.excluded.heartbeats,
            "heartbeats_ok": CameraCoverageSlot.heartbeats_ok + stmt.excluded.heartbeats_ok,
        },
    )
    await session.execute(stmt, rows)
