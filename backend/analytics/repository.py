"""All SQL of the analytics feature: per-slot aggregates of events, heartbeats and POS transactions.

Every query is bounded to one store (or its cameras) that the caller fetched through `backend.tenancy`, and
groups by 15-minute UTC slot; regrouping into store-local buckets happens in Python (see `timegrid`).
The slot expression is written per dialect: PostgreSQL bins with `date_bin`, SQLite (which stores naive
UTC text, see `UTCDateTime`) divides `strftime('%s')` seconds.

Statements are built once per shape (dialect, number of ranges, ...) with bind parameters and cached
(`functools.cache`): constructing a SQLAlchemy statement cost as much as running it on these index probes,
on every request (issue 26). Values travel as parameters; `_ranges_params` names the range bounds.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
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
AnySelect = Select[*tuple[Any, ...]]
_DAY = timedelta(days=1)
_US_PER_S = 1_000_000


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _slot(dialect: str, column: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.date_bin(
            literal_column(f"interval '{SLOT_S} seconds'"), column, literal_column("'epoch'")
        )
    # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' text; cut the fraction off before strftime('%s'),
    # which would otherwise round xx:14:59.9999 up into the next slot.
    return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer).op("/")(literal(SLOT_S))


def _slot_number(dialect: str, column: Any) -> ColumnElement[Any]:
    """The slot number (epoch seconds // 900) of a slot-aligned timestamp column, as an integer in SQL:
    cheaper to fetch by the ten thousand than timestamps."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", column), BigInteger).op("/")(literal(SLOT_S))
    return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer).op("/")(literal(SLOT_S))


def _epoch_us_sql(dialect: str, column: Any) -> ColumnElement[Any]:
    """Whole UTC epoch microseconds of a timestamp column, computed in SQL as an exact integer: fetching
    integers costs a fraction of building and converting a datetime per row (a month is ~35,000 rows)."""
    if dialect == "postgresql":
        whole = cast(func.extract("epoch", func.date_trunc("second", column)), BigInteger)
        # extract(microseconds) is the seconds field with its fraction, times 10^6.
        fraction = cast(func.extract("microseconds", column), BigInteger).op("%")(literal(_US_PER_S))
        return whole * literal(_US_PER_S) + fraction
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy always writes the six fraction digits).
    whole = cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)
    return whole * literal(_US_PER_S) + cast(func.substr(column, 21, 6), BigInteger)


def _slot_value(value: Any) -> int:
    return slot_of(value.timestamp()) if isinstance(value, datetime) else int(value)


def _in_ranges(column: Any, n: int) -> ColumnElement[bool]:
    """`column` within one of `n` ranges `[lo<i>, hi<i>)` (bind parameters; see `_ranges_params`)."""
    within = or_(*[and_(column >= bindparam(f"lo{i}"), column < bindparam(f"hi{i}")) for i in range(n)])
    if n < 2:
        return within
    # PostgreSQL turns an OR of ranges into a filter over the whole index prefix (every event of the
    # store); the enclosing range bounds the index scan and keeps it index-only.
    return and_(column >= bindparam("lo_all"), column < bindparam("hi_all"), within)


def _ranges_params(ranges: Ranges) -> dict[str, datetime]:
    """The bind parameters of `_in_ranges(column, len(ranges))`."""
    params = {f"lo{i}": lo for i, (lo, _) in enumerate(ranges)} | {
        f"hi{i}": hi for i, (_, hi) in enumerate(ranges)
    }
    if len(ranges) > 1:
        params |= {"lo_all": min(lo for lo, _ in ranges), "hi_all": max(hi for _, hi in ranges)}
    return params


def _of(store: Store, **params: Any) -> dict[str, Any]:
    """Bind parameters of a statement on one store: its `org_id` and `store_id`, and `params`."""
    return {"org_id": store.org_id, "store_id": store.id, **params}


def _store_events(start: str = "start", end: str = "end") -> tuple[ColumnElement[bool], ...]:
    """Events of the store (`org_id`, `store_id`) with `ts` in `[:start, :end)`: bind parameter names."""
    return (
        Event.org_id == bindparam("org_id"),
        Event.store_id == bindparam("store_id"),
        Event.ts >= bindparam(start),
        Event.ts < bindparam(end),
    )


def _ids(name: str) -> BindParameter[Any]:
    """An expanding bind parameter: a list of ids for `IN`."""
    return bindparam(name, expanding=True)


_ENABLED_CAMERAS = (
    select(Camera)
    .where(
        Camera.org_id == bindparam("org_id"),
        Camera.store_id == bindparam("store_id"),
        Camera.enabled.is_(True),
    )
    .order_by(Camera.name, Camera.id)
)
_ZONES = (
    select(Zone)
    .where(
        Zone.org_id == bindparam("org_id"),
        Zone.store_id == bindparam("store_id"),
        Zone.camera_id.in_(_ids("camera_ids")),
    )
    .order_by(Zone.name, Zone.id)
)


async def enabled_cameras(session: AsyncSession, store: Store) -> Sequence[Camera]:
    """The store's enabled cameras, by name."""
    return (await session.scalars(_ENABLED_CAMERAS, {"org_id": store.org_id, "store_id": store.id})).all()


async def zones(session: AsyncSession, store: Store, camera_ids: Sequence[uuid.UUID]) -> Sequence[Zone]:
    """Zones on the given cameras of the store, by name."""
    if not camera_ids:
        return []
    params = {"org_id": store.org_id, "store_id": store.id, "camera_ids": list(camera_ids)}
    return (await session.scalars(_ZONES, params)).all()


@functools.cache
def _line_counts_stmt(dialect: str, n_ranges: int, arrays: bool) -> AnySelect:
    slot = _slot_number(dialect, LineCrossingSlot.slot_start).label("slot")
    stmt = (
        select(slot, func.sum(LineCrossingSlot.in_count), func.sum(LineCrossingSlot.out_count))
        .where(
            LineCrossingSlot.org_id == bindparam("org_id"),
            LineCrossingSlot.store_id == bindparam("store_id"),
            _in_ranges(LineCrossingSlot.slot_start, n_ranges),
            LineCrossingSlot.camera_id.in_(_ids("camera_ids")),
        )
        .group_by(LineCrossingSlot.slot_start)
    )
    if not arrays:
        return stmt
    grouped = stmt.subquery()
    return select(func.array_agg(grouped.c.slot), func.array_agg(grouped.c[1]), func.array_agg(grouped.c[2]))


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
    dialect = _dialect(session)
    span = sum((hi - lo for lo, hi in ranges), timedelta())
    # On PostgreSQL beyond two days: three arrays in one row instead of a row per slot (3,000 for 90 days):
    # rows that live through the request are what drives the garbage collector into its full collections.
    # For a day or two (live, dashboard) the plain rows are cheaper than the extra aggregate.
    arrays = dialect == "postgresql" and span > 2 * _DAY
    stmt = _line_counts_stmt(dialect, len(ranges), arrays)
    params = {"org_id": store.org_id, "store_id": store.id, "camera_ids": list(camera_ids)}
    params |= _ranges_params(ranges)
    if arrays:
        slots, ins, outs = (await session.execute(stmt, params)).one()
        return dict(zip(slots or [], zip(ins or [], outs or [], strict=True), strict=True))
    return {int(s): (int(i), int(o)) for s, i, o in await session.execute(stmt, params)}


@functools.cache
def _zone_counts_stmt(dialect: str, n_ranges: int) -> AnySelect:
    slot = _slot(dialect, Event.ts).label("slot")
    return (
        select(
            Event.zone_id,
            slot,
            func.sum(case((Event.type == EventType.ZONE_ENTER, 1), else_=0)),
            func.sum(case((Event.type == EventType.ZONE_EXIT, 1), else_=0)),
        )
        .where(
            Event.org_id == bindparam("org_id"),
            Event.store_id == bindparam("store_id"),
            _in_ranges(Event.ts, n_ranges),
            Event.type.in_([EventType.ZONE_ENTER, EventType.ZONE_EXIT]),
            Event.zone_id.in_(_ids("zone_ids")),
        )
        .group_by(Event.zone_id, slot)
    )


async def zone_counts(
    session: AsyncSession, store: Store, zone_ids: Sequence[uuid.UUID], ranges: Ranges
) -> dict[uuid.UUID, dict[int, tuple[int, int]]]:
    """Zone id → slot → (ZONE_ENTER, ZONE_EXIT) events within the UTC ranges."""
    if not zone_ids or not ranges:
        return {}
    stmt = _zone_counts_stmt(_dialect(session), len(ranges))
    params = {"org_id": store.org_id, "store_id": store.id, "zone_ids": list(zone_ids)} | _ranges_params(
        ranges
    )
    found: dict[uuid.UUID, dict[int, tuple[int, int]]] = defaultdict(dict)
    for zone_id, s, entered, left in await session.execute(stmt, params):
        found[zone_id][_slot_value(s)] = (int(entered), int(left))
    return found


@functools.cache
def _line_crossings_stmt(dialect: str, arrays: bool) -> AnySelect:
    is_in = (Event.type == EventType.IN).label("is_in")
    us = _epoch_us_sql(dialect, Event.ts).label("us")
    stmt = select(us, is_in).where(
        *_store_events(),
        Event.camera_id.in_(_ids("camera_ids")),
        Event.type.in_([EventType.IN, EventType.OUT]),
    )
    if not arrays:
        return stmt.order_by(us, is_in.desc())
    rows = stmt.subquery()
    return select(
        func.array_agg(aggregate_order_by(rows.c.us, rows.c.us, rows.c.is_in.desc())),
        func.array_agg(aggregate_order_by(rows.c.is_in, rows.c.us, rows.c.is_in.desc())),
    )


async def line_crossings(
    session: AsyncSession, store: Store, camera_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> list[tuple[int, int]]:
    """Every IN and OUT of the given (counting-line) cameras in `[start, end)` as `(ts µs, +1 | -1)`, in
    time order (INs first at equal times): the input of `kpi.OccupancyCurve`.

    One row per crossing, two narrow columns: a day of a busy store is about a thousand rows.
    """
    if not camera_ids:
        return []
    dialect = _dialect(session)
    # On PostgreSQL beyond two days: two arrays in one row rather than a row per crossing (a month is
    # ~35,000): asyncpg decodes an array of integers far faster than it builds rows.
    arrays = dialect == "postgresql" and end - start > 2 * _DAY
    params = _of(store, start=start, end=end, camera_ids=list(camera_ids))
    result = await session.execute(_line_crossings_stmt(dialect, arrays), params)
    if arrays:
        times, ins = result.one()
        return [(t, 1 if came else -1) for t, came in zip(times or [], ins or [], strict=True)]
    return [(int(t), 1 if came else -1) for t, came in result]


@dataclass(frozen=True, slots=True)
class LiveLevels:
    """What `/live` reads from the events: INs since local midnight and the people now, in the store and in
    each billing zone (zones without events since the restart are absent: 0)."""

    footfall: int
    occupancy: int
    zone_people: dict[uuid.UUID, int]


def _live_levels_stmt() -> AnySelect:
    # The store's crossings (zone_id NULL) and its billing zones' transitions as one series per zone_id.
    crossings = select(
        cast(literal(None), Uuid).label("zone_id"),
        Event.ts.label("ts"),
        (Event.type == EventType.IN).label("plus"),
    ).where(
        *_store_events("lo"),
        Event.camera_id.in_(_ids("camera_ids")),
        Event.type.in_([EventType.IN, EventType.OUT]),
    )
    transitions = select(Event.zone_id, Event.ts, (Event.type == EventType.ZONE_ENTER).label("plus")).where(
        *_store_events("restart"),
        Event.zone_id.in_(_ids("zone_ids")),
        Event.type.in_([EventType.ZONE_ENTER, EventType.ZONE_EXIT]),
    )
    steps = union_all(crossings, transitions).subquery()
    step = case((steps.c.ts >= bindparam("restart"), case((steps.c.plus, 1), else_=-1)), else_=0)
    walk = select(
        steps.c.zone_id,
        steps.c.ts,
        steps.c.plus,
        step.label("step"),
        func.sum(step)
        .over(partition_by=steps.c.zone_id, order_by=(steps.c.ts, steps.c.plus.desc()), rows=(None, 0))
        .label("running"),
    ).subquery()
    counted_in = and_(walk.c.plus, walk.c.ts >= bindparam("midnight"), walk.c.zone_id.is_(None))
    return select(
        walk.c.zone_id,
        func.sum(case((counted_in, 1), else_=0)),
        func.sum(walk.c.step),
        func.min(walk.c.running),
    ).group_by(walk.c.zone_id)


_LIVE_LEVELS = _live_levels_stmt()


async def live_levels(
    session: AsyncSession,
    store: Store,
    counting_ids: Sequence[uuid.UUID],
    zone_ids: Sequence[uuid.UUID],
    *,
    restart: datetime,
    midnight: datetime,
    end: datetime,
) -> LiveLevels:
    """INs of the counting cameras in `[midnight, end)`, and the people in the store (their crossings) and
    in each of `zone_ids` (ZONE_ENTER/ZONE_EXIT) at `end` counting from 0 at `restart` (UTC): one
    statement that returns a row per series instead of every event since midnight.

    The level is `kpi.OccupancyCurve`'s (docs/analytics.md, "Occupancy"): steps in time order, at equal
    times the +1 first, and a -1 at 0 does nothing. That walk `L_n = max(0, L_(n-1) + x_n)` from `L_0 = 0`
    ends at `S_n - min(0, min_k S_k)`, with `S_k` the plain running sum (Lindley's recursion and its
    reflection form; e.g. Asmussen, *Applied Probability and Queues*, 2nd ed., III.6), so SQL sums the
    steps with a window and keeps the lowest running sum.
    """
    params = _of(
        store,
        lo=min(restart, midnight),
        restart=restart,
        midnight=midnight,
        end=end,
        camera_ids=list(counting_ids),
        zone_ids=list(zone_ids),
    )
    footfall, occupancy, zone_people = 0, 0, {}
    for zone_id, ins, total, lowest in await session.execute(_LIVE_LEVELS, params):
        level = int(total or 0) - min(0, int(lowest or 0))
        if zone_id is None:
            footfall, occupancy = int(ins or 0), level
        else:
            zone_people[zone_id] = level
    return LiveLevels(footfall, occupancy, zone_people)


@functools.cache
def _zone_visits_stmts(dialect: str) -> tuple[AnySelect, AnySelect]:
    base = (
        *_store_events(),
        Event.zone_id.in_(_ids("zone_ids")),
    )
    slot = _slot(dialect, Event.ts).label("slot")
    visits = (
        select(Event.zone_id, slot, func.count())
        .where(*base, Event.type == EventType.ZONE_ENTER)
        .group_by(Event.zone_id, slot)
    )
    dwells = select(Event.zone_id, slot, Event.dwell_ms).where(
        *base, Event.type == EventType.ZONE_EXIT, Event.dwell_ms.is_not(None)
    )
    return visits, dwells


async def zone_visits(
    session: AsyncSession, store: Store, zone_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> tuple[dict[uuid.UUID, dict[int, int]], dict[uuid.UUID, list[tuple[int, int]]]]:
    """Per zone in `[start, end)`: slot → ZONE_ENTER count, and `(slot, dwell_ms)` of every ZONE_EXIT with
    a dwell time (the caller keeps the slots in which the zone's camera was reporting)."""
    if not zone_ids:
        return {}, {}
    visits_stmt, dwell_stmt = _zone_visits_stmts(_dialect(session))
    params = {
        "org_id": store.org_id,
        "store_id": store.id,
        "start": start,
        "end": end,
        "zone_ids": list(zone_ids),
    }
    visits: dict[uuid.UUID, dict[int, int]] = defaultdict(dict)
    for zone_id, s, n in await session.execute(visits_stmt, params):
        if zone_id is not None:
            visits[zone_id][_slot_value(s)] = int(n)
    dwells: dict[uuid.UUID, list[tuple[int, int]]] = defaultdict(list)
    for zone_id, s, dwell in await session.execute(dwell_stmt, params):
        if zone_id is not None and dwell is not None:
            dwells[zone_id].append((_slot_value(s), int(dwell)))
    return visits, dwells


@functools.cache
def _heartbeat_counts_stmt(dialect: str, n_ranges: int) -> AnySelect:
    return select(
        CameraCoverageSlot.camera_id,
        _slot_number(dialect, CameraCoverageSlot.slot_start),
        CameraCoverageSlot.heartbeats,
        CameraCoverageSlot.heartbeats_ok,
    ).where(
        CameraCoverageSlot.org_id == bindparam("org_id"),
        CameraCoverageSlot.camera_id.in_(_ids("camera_ids")),
        _in_ranges(CameraCoverageSlot.slot_start, n_ranges),
    )


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
    stmt = _heartbeat_counts_stmt(_dialect(session), len(ranges))
    params = {"org_id": org_id, "camera_ids": list(camera_ids)} | _ranges_params(ranges)
    found: dict[uuid.UUID, dict[int, tuple[int, int]]] = defaultdict(dict)
    for camera_id, slot, total, ok in await session.execute(stmt, params):
        found[camera_id][int(slot)] = (int(total), int(ok))
    return found


_RUN_BLOCK = 30  # slots per bit mask: 2**30 - 1 still fits the 32-bit integer SQL sums it as


@functools.cache
def _coverage_runs_stmt(dialect: str, n_ranges: int) -> AnySelect:
    slot = _slot_number(dialect, CameraCoverageSlot.slot_start)
    stream_ok = (CameraCoverageSlot.heartbeats_ok >= bindparam("needed")).label("ok")
    block = (slot.op("/")(literal(_RUN_BLOCK))).label("block")
    # Each (camera, slot) is one row, so the sum of distinct powers of two is their bitwise OR.
    mask = func.sum(literal(1).op("<<")(cast(slot.op("%")(literal(_RUN_BLOCK)), Integer)))
    return (
        select(CameraCoverageSlot.camera_id, stream_ok, block, mask)
        .where(
            CameraCoverageSlot.org_id == bindparam("org_id"),
            CameraCoverageSlot.camera_id.in_(_ids("camera_ids")),
            _in_ranges(CameraCoverageSlot.slot_start, n_ranges),
            CameraCoverageSlot.heartbeats >= bindparam("needed"),
        )
        .group_by(CameraCoverageSlot.camera_id, stream_ok, block)
    )


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
    stmt = _coverage_runs_stmt(_dialect(session), len(ranges))
    params = {"org_id": org_id, "camera_ids": list(camera_ids), "needed": needed} | _ranges_params(ranges)
    full = (1 << _RUN_BLOCK) - 1
    found: dict[uuid.UUID, list[tuple[int, int, bool]]] = defaultdict(list)
    for camera_id, ok, block_no, bits in await session.execute(stmt, params):
        base, bits, runs = int(block_no) * _RUN_BLOCK, int(bits), found[camera_id]
        if bits == full:
            runs.append((base, base + _RUN_BLOCK, bool(ok)))
            continue
        runs.extend((base + i, base + i + 1, bool(ok)) for i in range(_RUN_BLOCK) if bits >> i & 1)
    for runs in found.values():
        runs.sort()
    return found


@functools.cache
def _first_heartbeats_stmt(cameras: int) -> AnySelect:
    # One statement of per-camera `min()` subqueries: each is a primary-key probe (org_id, camera_id,
    # slot_start) rather than a grouped scan, and all of them cost one round trip.
    return select(
        *[
            select(func.min(CameraCoverageSlot.slot_start))
            .where(
                CameraCoverageSlot.org_id == bindparam("org_id"),
                CameraCoverageSlot.camera_id == bindparam(f"camera{i}"),
            )
            .scalar_subquery()
            for i in range(cameras)
        ]
    )


async def first_heartbeats(
    session: AsyncSession, org_id: uuid.UUID, camera_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """Camera id → start of the first slot it sent a heartbeat in (cameras that never sent one are absent)."""
    if not camera_ids:
        return {}
    params: dict[str, Any] = {"org_id": org_id} | {f"camera{i}": c for i, c in enumerate(camera_ids)}
    row = (await session.execute(_first_heartbeats_stmt(len(camera_ids)), params)).one()
    return {camera_id: first for camera_id, first in zip(camera_ids, row, strict=True) if first is not None}


@functools.cache
def _transaction_counts_stmt(dialect: str, n_ranges: int) -> AnySelect:
    slot = _slot(dialect, PosTransaction.ts).label("slot")
    return (
        select(slot, func.count())
        .where(
            PosTransaction.org_id == bindparam("org_id"),
            PosTransaction.store_id == bindparam("store_id"),
            _in_ranges(PosTransaction.ts, n_ranges),
        )
        .group_by(slot)
    )


async def transaction_counts(session: AsyncSession, store: Store, ranges: Ranges) -> dict[int, int]:
    """Slot → POS transactions of the store within the UTC ranges."""
    if not ranges:
        return {}
    stmt = _transaction_counts_stmt(_dialect(session), len(ranges))
    params = {"org_id": store.org_id, "store_id": store.id} | _ranges_params(ranges)
    return {_slot_value(s): int(n) for s, n in await session.execute(stmt, params)}


_TRANSACTION_BEFORE = (
    select(PosTransaction.ts)
    .where(
        PosTransaction.org_id == bindparam("org_id"),
        PosTransaction.store_id == bindparam("store_id"),
        PosTransaction.ts < bindparam("end"),
    )
    .limit(1)
)
_FIRST_TRANSACTION = select(func.min(PosTransaction.ts)).where(
    PosTransaction.org_id == bindparam("org_id"), PosTransaction.store_id == bindparam("store_id")
)


async def has_transactions_before(session: AsyncSession, store: Store, end: datetime) -> bool:
    """Whether the store has any POS transaction before `end` (i.e. it sends POS data at all)."""
    params = {"org_id": store.org_id, "store_id": store.id, "end": end}
    return await session.scalar(_TRANSACTION_BEFORE, params) is not None


async def first_transaction_at(session: AsyncSession, store: Store) -> datetime | None:
    """Time of the store's first POS transaction (None: it never sent POS data); an index probe."""
    return await session.scalar(_FIRST_TRANSACTION, {"org_id": store.org_id, "store_id": store.id})
