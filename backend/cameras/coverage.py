"""Writing the coverage roll-up: one upsert per heartbeat into its camera's 15-minute UTC slot.

Shared by heartbeat ingestion (one heartbeat) and anything that loads heartbeat history in bulk.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.timegrid import SLOT_S
from backend.db import upsert_adding
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
    await upsert_adding(
        session,
        CameraCoverageSlot,
        ("org_id", "camera_id", "slot_start"),
        ("heartbeats", "heartbeats_ok"),
        rows,
    )
