"""Writing the line-crossing roll-up: IN and OUT per camera and 15-minute UTC slot (`LineCrossingSlot`).

Called with the events an insert actually added (`RETURNING` of `INSERT ... ON CONFLICT DO NOTHING`), in
the same transaction, so the roll-up equals counting the events whatever is retried or fails: a rolled-back
batch takes its roll-up rows with it, a repeated event is not returned and adds nothing. Shared by event
ingestion and anything that loads events in bulk (the tests' builders).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.cameras.coverage import slot_start
from backend.db import upsert_adding
from backend.models import EventType, LineCrossingSlot

_KEY = ("org_id", "store_id", "slot_start", "camera_id")


async def record_line_crossings(
    session: AsyncSession,
    org_id: uuid.UUID,
    store_id: uuid.UUID,
    camera_id: uuid.UUID,
    inserted: Iterable[tuple[str, datetime]],
) -> None:
    """Add the IN and OUT among newly inserted events `(type, ts UTC aware)` of one camera to their slots,
    one upsert for the batch; other event types are ignored."""
    ins: Counter[datetime] = Counter()
    outs: Counter[datetime] = Counter()
    for kind, ts in inserted:
        if kind == EventType.IN:
            ins[slot_start(ts)] += 1
        elif kind == EventType.OUT:
            outs[slot_start(ts)] += 1
    rows = [
        {
            "org_id": org_id,
            "store_id": store_id,
            "slot_start": slot,
            "camera_id": camera_id,
            "in_count": ins[slot],
            "out_count": outs[slot],
        }
        for slot in sorted(ins.keys() | outs.keys())
    ]
    await upsert_adding(session, LineCrossingSlot, _KEY, ("in_count", "out_count"), rows)
