"""All SQL of the analytics feature: per-slot aggregates of events, heartbeats and POS transactions.

Every query is bounded to one store (or its cameras) that the caller fetched through `backend.tenancy`, and
groups by 15-minute UTC slot; regrouping into store-local buckets happens in Python (see `timegrid`).
The slot expression is written per dialect: PostgreSQL bins with `date_bin`, SQLite (which stores naive
UTC text, see `UTCDateTime`) divides `strftime('%s')` seconds.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.timegrid import SLOT_S, slot_of
from backend.models import (
    Camera,
    CameraCoverageSlot,
    Event,
    EventType,
    LineCrossingSlot,
    PosTransaction,
    Store,
    Zone,
)

Ranges = Sequence[tuple[datetime, datetime]]
_DAY = timedelta(days=1)
_US_PER_S = 1_000_000


def _slot(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.date_bin(
            literal_column(f"interval '{SLOT_S} seconds'"), column, literal_column("'epoch'")
        )
    # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' text; cut the fraction off before strftime('%s'),
    # which would otherwise round xx:14:59.9999 up into the next slot.
    return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer).op("/")(literal(SLOT_S))


def _slot_number(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    """The slot number (epoch seconds // 900) of a slot-aligned timestamp column, as an integer in SQL:
    cheaper to fetch by the ten thousand than timestamps."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), BigInteger).op("/")(literal(SLOT_S))
    return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer).op("/")(literal(SLOT_S))


def _epoch_us_sql(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    """Whole UTC epoch microseconds of a timestamp column, computed in SQL as an exact integer: fetching
    integers costs a fraction of building and converting a datetime per row (a month is ~35,000 rows)."""
    if session.get_bind().dialect.name == "postgresql":
        whole = cast(func.extract("epoch", func.date_trunc("second", column)), BigInteger)
        # extract(microseconds) is the seconds field with its fraction, times 10^6.
        fraction = cast(func.extract("microseconds", column), BigInteger).op("%")(literal(_US_PER_S))
        return whole * literal(_US_PER_S) + fraction
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy always writes the six fraction digits).
    whole = cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)
    return whole * literal(_US_PER_S) + cast(func.substr(column, 21, 6), BigInteger)


def _slot_value(value: Any) -> int:
    return slot_of(value.timestamp()) if isinstance(value, datetime) else int(value)


def _in_ranges(column: Any, ranges: Ranges) -> ColumnElement[bool]:
    within = or_(*[and_(column >= lo, column < hi) for lo, hi in ranges])
    if len(ranges) < 2:
        return within
    # PostgreSQL turns an OR of ranges into a filter over the whole index prefix (every event of the
    # store); the enclosing range bounds the index scan and keeps it index-only.
    return and_(column >= min(lo for lo, _ in ranges), column < max(hi for _, hi in ranges), within)


async def enabled_cameras(session: AsyncSession, store: Store) -> Sequence[Camera]:
    """The store's enabled cameras, by name."""
    stmt = (
        select(Camera)
        .where(Camera.org_id == store.org_id, Camera.store_id == store.id, Camera.enabled.is_(True))
        .order_by(Camera.name, Camera.id)
    )
    return (await session.scalars(stmt)).all()


async def zones(session: AsyncSession, store: Store, camera_ids: Sequence[uuid.UUID]) -> Sequence[Zone]:
    """Zones on the given cameras of the store, by name."""
    if not camera_ids:
        return []
    stmt = (
        select(Zone)
        .where(Zone.org_id == store.org_id, Zone.store_id == store.id, Zone.camera_id.in_(camera_ids))
        .order_by(Zone.name, Zone.id)
    )
    return (await session.scalars(stmt)).all()


async def line_counts(
    session: AsyncSession, store: Store, camera_ids: Sequence[uuid.UUID], ranges: Ranges
) -> dict[int, tuple[int, int]]:
    """Slot → (IN, OUT) crossings of the given (counting-line) cameras within the slot-aligned UTC ranges.

    Read from the line-crossing roll-up (`line_crossing_slots`, written with the events: equal to counting
    them), summed over the cameras: one row per camera and slot instead of one per crossing (90 days of a
    busy store: ~4,000 rows instead of ~50,000 events). Ranges are slot-aligned, so a slot is inside a range
    exactly when its start is.
    """
    if not camera_ids or not ranges:
        return {}
    slot = _slot_number(session, LineCrossingSlot.slot_start).label("slot")
    stmt = (
        select(slot, func.sum(LineCrossingSlot.in_count), func.sum(LineCrossingSlot.out_count))
        .where(
            LineCrossingSlot.org_id == store.org_id,
            LineCrossingSlot.store_id == store.id,
            _in_ranges(LineCrossingSlot.slot_start, ranges),
            LineCrossingSlot.camera_id.in_(camera_ids),
        )
        .group_by(LineCrossingSlot.slot_start)
    )
    span = sum((hi - lo for lo, hi in ranges), timedelta())
    if session.get_bind().dialect.name == "postgresql" and span > 2 * _DAY:
        # Three arrays in one row instead of a row per slot (3,000 for 90 days): rows that live through
        # the request are what drives the garbage collector into its full collections. For a day or two
        # (live, dashboard) the plain rows are cheaper than the extra aggregate.
        grouped = stmt.subquery()
        slots, ins, outs = (
            await session.execute(
                select(
                    func.array_agg(grouped.c.slot),
                    func.array_agg(grouped.c[1]),
                    func.array_agg(grouped.c[2]),
                )
            )
        ).one()
        return dict(zip(slots or [], zip(ins or [], outs or [], strict=True), strict=True))
    return {int(s): (int(i), int(o)) for s, i, o in await session.execute(stmt)}


async def zone_counts(
    session: AsyncSession, store: Store, zone_ids: Sequence[uuid.UUID], ranges: Ranges
) -> dict[uuid.UUID, dict[int, tuple[int, int]]]:
    """Zone id → slot → (ZONE_ENTER, ZONE_EXIT) events within the UTC ranges."""
    if not zone_ids or not ranges:
        return {}
    slot = _slot(session, Event.ts).label("slot")
    stmt = (
        select(
            Event.zone_id,
            slot,
            func.sum(case((Event.type == EventType.ZONE_ENTER, 1), else_=0)),
            func.sum(case((Event.type == EventType.ZONE_EXIT, 1), else_=0)),
        )
        .where(
            Event.org_id == store.org_id,
            Event.store_id == store.id,
            _in_ranges(Event.ts, ranges),
            Event.type.in_([EventType.ZONE_ENTER, EventType.ZONE_EXIT]),
            Event.zone_id.in_(zone_ids),
        )
        .group_by(Event.zone_id, slot)
    )
    found: dict[uuid.UUID, dict[int, tuple[int, int]]] = defaultdict(dict)
    for zone_id, s, entered, left in await session.execute(stmt):
        found[zone_id][_slot_value(s)] = (int(entered), int(left))
    return found


async def line_crossings(
    session: AsyncSession, store: Store, camera_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> list[tuple[int, int]]:
    """Every IN and OUT of the given (counting-line) cameras in `[start, end)` as `(ts µs, +1 | -1)`, in
    time order (INs first at equal times): the input of `kpi.OccupancyCurve`.

    One row per crossing, two narrow columns: a day of a busy store is about a thousand rows.
    """
    if not camera_ids:
        return []
    is_in = (Event.type == EventType.IN).label("is_in")
    us = _epoch_us_sql(session, Event.ts).label("us")
    stmt = select(us, is_in).where(
        Event.org_id == store.org_id,
        Event.store_id == store.id,
        Event.ts >= start,
        Event.ts < end,
        Event.camera_id.in_(camera_ids),
        Event.type.in_([EventType.IN, EventType.OUT]),
    )
    if session.get_bind().dialect.name == "postgresql" and end - start > 2 * _DAY:
        # Two arrays in one row rather than a row per crossing (a month is ~35,000): asyncpg decodes an
        # array of integers far faster than it builds rows.
        rows = stmt.subquery()
        times, ins = (
            await session.execute(
                select(
                    func.array_agg(aggregate_order_by(rows.c.us, rows.c.us, rows.c.is_in.desc())),
                    func.array_agg(aggregate_order_by(rows.c.is_in, rows.c.us, rows.c.is_in.desc())),
                )
            )
        ).one()
        return [(t, 1 if came else -1) for t, came in zip(times or [], ins or [], strict=True)]
    stmt = stmt.order_by(us, is_in.desc())
    return [(int(t), 1 if came else -1) for t, came in await session.execute(stmt)]


async def zone_transitions(
    session: AsyncSession, store: Store, zone_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> dict[uuid.UUID, list[tuple[int, int]]]:
    """Zone id → its ZONE_ENTER (+1) and ZONE_EXIT (-1) events in `[start, end)` as `(ts µs, step)`, in
    time order (enters first at equal times): the people in a zone as a `kpi.OccupancyCurve`."""
    if not zone_ids:
        return {}
    is_enter = (Event.type == EventType.ZONE_ENTER).label("is_enter")
    stmt = (
        select(Event.zone_id, _epoch_us_sql(session, Event.ts), is_enter)
        .where(
            Event.org_id == store.org_id,
            Event.store_id == store.id,
            Event.ts >= start,
            Event.ts < end,
            Event.zone_id.in_(zone_ids),
            Event.type.in_([EventType.ZONE_ENTER, EventType.ZONE_EXIT]),
        )
        .order_by(Event.ts, is_enter.desc())
    )
    found: dict[uuid.UUID, list[tuple[int, int]]] = defaultdict(list)
    for zone_id, us, entered in await session.execute(stmt):
        if zone_id is not None:
            found[zone_id].append((int(us), 1 if entered else -1))
    return found


async def zone_visits(
    session: AsyncSession, store: Store, zone_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> tuple[dict[uuid.UUID, dict[int, int]], dict[uuid.UUID, list[tuple[int, int]]]]:
    """Per zone in `[start, end)`: slot → ZONE_ENTER count, and `(slot, dwell_ms)` of every ZONE_EXIT with
    a dwell time (the caller keeps the slots in which the zone's camera was reporting)."""
    if not zone_ids:
        return {}, {}
    base = (
        Event.org_id == store.org_id,
        Event.store_id == store.id,
        Event.ts >= start,
        Event.ts < end,
        Event.zone_id.in_(zone_ids),
    )
    slot = _slot(session, Event.ts).label("slot")
    visits_stmt = (
        select(Event.zone_id, slot, func.count())
        .where(*base, Event.type == EventType.ZONE_ENTER)
        .group_by(Event.zone_id, slot)
    )
    visits: dict[uuid.UUID, dict[int, int]] = defaultdict(dict)
    for zone_id, s, n in await session.execute(visits_stmt):
        if zone_id is not None:
            visits[zone_id][_slot_value(s)] = int(n)
    dwell_stmt = select(Event.zone_id, slot, Event.dwell_ms).where(
        *base, Event.type == EventType.ZONE_EXIT, Event.dwell_ms.is_not(None)
    )
    dwells: dict[uuid.UUID, list[tuple[int, int]]] = defaultdict(list)
    for zone_id, s, dwell in await session.execute(dwell_stmt):
        if zone_id is not None and dwell is not None:
            dwells[zone_id].append((_slot_value(s), int(dwell)))
    return visits, dwells


async def heartbeat_counts(
    session: AsyncSession, org_id: uuid.UUID, camera_ids: Sequence[uuid.UUID], ranges: Ranges
) -> dict[uuid.UUID, dict[int, tuple[int, int]]]:
    """Camera id → slot → (heartbeats, heartbeats with stream_status ok) within the UTC ranges.

    Read from the coverage roll-up (`camera_coverage_slots`, one row per camera and slot, written with
    every heartbeat), not from the heartbeat history: 96 rows per camera and day, and it outlives the
    history's retention. Ranges are slot-aligned, so a slot is inside a range exactly when its start is.
    """
    if not camera_ids or not ranges:
        return {}
    stmt = select(
        CameraCoverageSlot.camera_id,
        _slot_number(session, CameraCoverageSlot.slot_start),
        CameraCoverageSlot.heartbeats,
        CameraCoverageSlot.heartbeats_ok,
    ).where(
        CameraCoverageSlot.org_id == org_id,
        CameraCoverageSlot.camera_id.in_(camera_ids),
        _in_ranges(CameraCoverageSlot.slot_start, ranges),
    )
    found: dict[uuid.UUID, dict[int, tuple[int, int]]] = defaultdict(dict)
    for camera_id, slot, total, ok in await session.execute(stmt):
        found[camera_id][int(slot)] = (int(total), int(ok))
    return found


_RUN_BLOCK = 30  # slots per bit mask: 2**30 - 1 still fits the 32-bit integer SQL sums it as


async def coverage_runs(
    session: AsyncSession,
    org_id: uuid.UUID,
    camera_ids: Sequence[uuid.UUID],
    ranges: Ranges,
    needed: int,
) -> dict[uuid.UUID, list[tuple[int, int, bool]]]:
    """Camera id → runs `(first_slot, end_slot)` of consecutive slots within the UTC ranges in which the
    camera sent at least `needed` heartbeats, with `stream_ok` when at least `needed` of them had the
    stream ok; in slot order per state, a long run may come split in pieces. Slots in no run had fewer
    heartbeats (or none).

    Fetching and converting one row per camera and slot (17,000 for 90 days), not reading them, was what
    cost; so SQL folds each block of `_RUN_BLOCK` slots of one state into a bit mask (a hash aggregate, no
    sort), and a block whose every slot has that state is one run.
    """
    if not camera_ids or not ranges:
        return {}
    slot = _slot_number(session, CameraCoverageSlot.slot_start)
    stream_ok = (CameraCoverageSlot.heartbeats_ok >= needed).label("ok")
    block = (slot.op("/")(literal(_RUN_BLOCK))).label("block")
    # Each (camera, slot) is one row, so the sum of distinct powers of two is their bitwise OR.
    mask = func.sum(literal(1).op("<<")(cast(slot.op("%")(literal(_RUN_BLOCK)), Integer)))
    stmt = (
        select(CameraCoverageSlot.camera_id, stream_ok, block, mask)
        .where(
            CameraCoverageSlot.org_id == org_id,
            CameraCoverageSlot.camera_id.in_(camera_ids),
            _in_ranges(CameraCoverageSlot.slot_start, ranges),
            CameraCoverageSlot.heartbeats >= needed,
        )
        .group_by(CameraCoverageSlot.camera_id, stream_ok, block)
    )
    full = (1 << _RUN_BLOCK) - 1
    found: dict[uuid.UUID, list[tuple[int, int, bool]]] = defaultdict(list)
    for camera_id, ok, block_no, bits in await session.execute(stmt):
        base, bits, runs = int(block_no) * _RUN_BLOCK, int(bits), found[camera_id]
        if bits == full:
            runs.append((base, base + _RUN_BLOCK, bool(ok)))
            continue
        runs.extend((base + i, base + i + 1, bool(ok)) for i in range(_RUN_BLOCK) if bits >> i & 1)
    for runs in found.values():
        runs.sort()
    return found


async def first_heartbeats(
    session: AsyncSession, org_id: uuid.UUID, camera_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """Camera id → start of the first slot it sent a heartbeat in (cameras that never sent one are absent)."""
    if not camera_ids:
        return {}
    # One statement of per-camera `min()` subqueries: each is a primary-key probe (org_id, camera_id,
    # slot_start) rather than a grouped scan, and all of them cost one round trip.
    firsts = [
        select(func.min(CameraCoverageSlot.slot_start))
        .where(CameraCoverageSlot.org_id == org_id, CameraCoverageSlot.camera_id == camera_id)
        .scalar_subquery()
        for camera_id in camera_ids
    ]
    row = (await session.execute(select(*firsts))).one()
    return {camera_id: first for camera_id, first in zip(camera_ids, row, strict=True) if first is not None}


async def transaction_counts(session: AsyncSession, store: Store, ranges: Ranges) -> dict[int, int]:
    """Slot → POS transactions of the store within the UTC ranges."""
    if not ranges:
        return {}
    slot = _slot(session, PosTransaction.ts).label("slot")
    stmt = (
        select(slot, func.count())
        .where(
            PosTransaction.org_id == store.org_id,
            PosTransaction.store_id == store.id,
            _in_ranges(PosTransaction.ts, ranges),
        )
        .group_by(slot)
    )
    return {_slot_value(s): int(n) for s, n in await session.execute(stmt)}


async def has_transactions_before(session: AsyncSession, store: Store, end: datetime) -> bool:
    """Whether the store has any POS transaction before `end` (i.e. it sends POS data at all)."""
    found = await session.scalar(
        select(PosTransaction.ts)
        .where(
            PosTransaction.org_id == store.org_id,
            PosTransaction.store_id == store.id,
            PosTransaction.ts < end,
        )
        .limit(1)
    )
    return found is not None


async def first_transaction_at(session: AsyncSession, store: Store) -> datetime | None:
    """Time of the store's first POS transaction (None: it never sent POS data); an index probe."""
    return await session.scalar(
        select(func.min(PosTransaction.ts)).where(
            PosTransaction.org_id == store.org_id, PosTransaction.store_id == store.id
        )
    )


async def last_event_at(
    session: AsyncSession, store: Store, camera_ids: Sequence[uuid.UUID]
) -> datetime | None:
    """Capture time of the most recent event (any type) of the given (enabled) cameras of the store."""
    if not camera_ids:
        return None
    return await session.scalar(
        select(Event.ts)
        .where(Event.org_id == store.org_id, Event.store_id == store.id, Event.camera_id.in_(camera_ids))
        .order_by(Event.ts.desc())
        .limit(1)
    )
