"""SQL of worker ingestion: the batched idempotent event insert, camera health, heartbeats and snapshots.

The event insert is one statement per batch on both databases. PostgreSQL gets a dialect-specific fast
path: the batch travels as seven typed arrays expanded by `unnest()`, so the driver binds 7 parameters
instead of 11 per row and the server plans one small statement; SQLite gets multi-row
`INSERT ... ON CONFLICT DO NOTHING` statements. Both return the rows they added, whose line crossings
go into the roll-up footfall is read from (`backend.ingest.rollup`).
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, case, delete, event, literal, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from backend.auth.principals import CameraPrincipal
from backend.ingest.rollup import record_line_crossings
from backend.models import Camera, CameraHeartbeat, CountingLine, Event, Snapshot, Store, Zone
from worker.protocol import HeartbeatIn


@dataclass(slots=True)
class EventColumns:
    """A batch of validated, de-duplicated events of one camera, column by column (same length each).

    `ts` values are timezone-aware; `dwell_ms` is milliseconds; `confidence` is 0..1.
    """

    event_id: list[uuid.UUID] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    ts: list[datetime] = field(default_factory=list)
    tracker_id: list[int] = field(default_factory=list)
    zone_id: list[uuid.UUID | None] = field(default_factory=list)
    dwell_ms: list[int | None] = field(default_factory=list)
    confidence: list[float | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.event_id)


_EVENTS = Event.metadata.tables[Event.__tablename__]

# Scalars for what every row of the batch shares; arrays for the rest. The casts give asyncpg the types.
# ORDER BY: two concurrent batches of one camera that share ids (a retry racing its original) would
# otherwise each wait on a row the other inserted first, in opposite orders: a deadlock. In key order,
# the later one simply waits for the earlier one to commit.
_PG_INSERT_EVENTS = text(
    """
    INSERT INTO events (org_id, camera_id, store_id, received_at,
                        event_id, type, ts, tracker_id, zone_id, dwell_ms, confidence)
    SELECT CAST(:org_id AS uuid), CAST(:camera_id AS uuid), CAST(:store_id AS uuid),
           CAST(:received_at AS timestamptz),
           u.event_id, u.type, u.ts, u.tracker_id, u.zone_id, u.dwell_ms, u.confidence
    FROM unnest(CAST(:event_ids AS uuid[]), CAST(:types AS varchar[]), CAST(:ts AS timestamptz[]),
                CAST(:tracker_ids AS integer[]), CAST(:zone_ids AS uuid[]), CAST(:dwell_ms AS integer[]),
                CAST(:confidences AS float8[]))
         AS u(event_id, type, ts, tracker_id, zone_id, dwell_ms, confidence)
    ORDER BY u.event_id
    ON CONFLICT DO NOTHING
    RETURNING type, ts
    """
)


async def insert_events(
    session: AsyncSession, camera: CameraPrincipal, rows: EventColumns, received_at: datetime
) -> int:
    """Insert `rows` for `camera` in one statement, skipping event ids this camera already stored, and add
    the inserted line crossings to the roll-up (`backend.ingest.rollup`, one more statement).

    `rows` must hold no id twice. Returns how many rows were inserted; the rest were duplicates.
    """
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        result = await (await session.connection()).execute(
            _PG_INSERT_EVENTS,
            {
                "org_id": camera.org_id,
                "camera_id": camera.camera_id,
                "store_id": camera.store_id,
                "received_at": received_at,
                "event_ids": rows.event_id,
                "types": rows.type,
                "ts": rows.ts,
                "tracker_ids": rows.tracker_id,
                "zone_ids": rows.zone_id,
                "dwell_ms": rows.dwell_ms,
                "confidences": rows.confidence,
            },
        )
    else:
        params = [
            {
                "org_id": camera.org_id,
                "camera_id": camera.camera_id,
                "store_id": camera.store_id,
                "received_at": received_at,
                "event_id": event_id,
                "type": type_,
                "ts": ts,
                "tracker_id": tracker_id,
                "zone_id": zone_id,
                "dwell_ms": dwell_ms,
                "confidence": confidence,
            }
            for event_id, type_, ts, tracker_id, zone_id, dwell_ms, confidence in zip(
                rows.event_id,
                rows.type,
                rows.ts,
                rows.tracker_id,
                rows.zone_id,
                rows.dwell_ms,
                rows.confidence,
                strict=True,
            )
        ]
        # Core table, not the ORM entity. With RETURNING, SQLAlchemy sends the rows as multi-row INSERTs
        # ("insertmanyvalues"); a conflicting row returns nothing.
        connection = await session.connection()
        result = await connection.execute(
            sqlite_insert(_EVENTS).on_conflict_do_nothing().returning(_EVENTS.c.type, _EVENTS.c.ts), params
        )
    inserted = [(str(kind), ts) for kind, ts in result]
    await record_line_crossings(session, camera.org_id, camera.store_id, camera.camera_id, inserted)
    return len(inserted)


# One writer at a time per SQLite database in this process, handed over in arrival order. Left to SQLite,
# waiting writers sleep and poll in its busy handler (up to 100 ms a try), which under concurrent batches
# turns into second-long latency tails. Other processes still meet the busy timeout.
_sqlite_writers: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


async def start_writing(session: AsyncSession, camera: CameraPrincipal, now: datetime) -> None:
    """Make the rest of the request's transaction a writer that waits its turn (SQLite only; a no-op on
    PostgreSQL, whose row locks need nothing of the kind).

    SQLite in WAL mode refuses at once (SQLITE_BUSY_SNAPSHOT, no busy wait) to upgrade a transaction that
    has already read to a writer when another connection committed since its first read; authentication
    has just read. So the read-only transaction is committed (it wrote nothing), this process's writer lock
    is awaited, and a new transaction starts with a write (the camera's `last_seen_at`), which takes
    SQLite's write lock and keeps it until the request commits or rolls back, when the lock is passed on.
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    await session.commit()
    lock = _sqlite_writers.setdefault(bind.engine, asyncio.Lock())
    await lock.acquire()
    released = False

    def release(_session: Session, transaction: SessionTransaction) -> None:
        nonlocal released
        if transaction.parent is None and not released:
            released = True
            lock.release()

    event.listen(session.sync_session, "after_transaction_end", release)
    try:
        await session.execute(
            update(Camera)
            .where(Camera.org_id == camera.org_id, Camera.id == camera.camera_id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    except BaseException:
        if not session.in_transaction() and not released:  # no transaction whose end would release it
            released = True
            lock.release()
        raise


async def camera_zone_ids(session: AsyncSession, camera: CameraPrincipal) -> frozenset[uuid.UUID]:
    """Ids of the zones drawn on this camera."""
    rows = await session.scalars(
        select(Zone.id).where(Zone.org_id == camera.org_id, Zone.camera_id == camera.camera_id)
    )
    return frozenset(rows)


def _later(column: Any, value: datetime) -> Any:
    """`value` when the column is null or earlier, else the column: a timestamp that never goes back.

    The value is bound with the column's type (`UTCDateTime`): bound bare in the CASE it took the generic
    DateTime, which on SQLite writes an aware time's wall clock, not its UTC (an event stamped +05:30 moved
    `last_event_at` 5 h 30 min ahead)."""
    bound = literal(value, type_=column.type)
    return case((column.is_(None) | (column < bound), bound), else_=column)


async def touch_camera_events(
    session: AsyncSession, camera: CameraPrincipal, now: datetime, newest_event_ts: datetime | None
) -> None:
    """Record that the camera was seen at `now` and, when given, sent an event stamped `newest_event_ts`.

    One UPDATE per batch; `last_event_at` only moves forward (late events do not rewind it);
    `last_event_received_at` becomes `now` whenever the batch held a valid event (a repeat included: the
    worker's delivery is flowing), which is what camera health's "events stalled" rule reads.
    """
    values: dict[str, Any] = {"last_seen_at": now}
    if newest_event_ts is not None:
        values["last_event_at"] = _later(Camera.last_event_at, newest_event_ts)
        values["last_event_received_at"] = _later(Camera.last_event_received_at, now)
    await session.execute(
        update(Camera)
        .where(Camera.org_id == camera.org_id, Camera.id == camera.camera_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def add_heartbeat(
    session: AsyncSession,
    camera: CameraPrincipal,
    heartbeat: CameraHeartbeat | None,
    now: datetime,
    running: HeartbeatIn | None = None,
) -> None:
    """Mark the camera as seen at `now` (UTC); with a live `heartbeat`, store its row, set
    `last_heartbeat_at` (never backwards) and copy its figures, and what `running` (the heartbeat's body)
    says the worker runs, to the camera's `reported_*` columns. None
    stands for a late heartbeat from the worker's buffer: it is not kept in the history, whose newest rows
    admin health reads as the camera's state now."""
    values: dict[str, Any] = {"last_seen_at": now}
    if heartbeat is not None:
        session.add(heartbeat)
        await session.flush()
        values["last_heartbeat_at"] = _later(Camera.last_heartbeat_at, now)
        values["reported_stream_status"] = heartbeat.stream_status
        values["reported_fps"] = heartbeat.fps
        values["reported_outbox_depth"] = heartbeat.outbox_depth
        values["reported_config_version"] = running.config_version if running else None
        values["reported_detection"] = (
            running.detection.model_dump() if running and running.detection else None
        )
    await session.execute(
        update(Camera)
        .where(Camera.org_id == camera.org_id, Camera.id == camera.camera_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def prune_heartbeats(session: AsyncSession, camera: CameraPrincipal, older_than: datetime) -> int:
    """Delete this camera's heartbeats received before `older_than` (UTC); returns how many.

    Per camera, through the (org_id, camera_id, received_at) index: cheap when there is nothing to delete,
    and two cameras' heartbeats never wait on each other's deletes.
    """
    result = await session.execute(
        delete(CameraHeartbeat)
        .where(
            CameraHeartbeat.org_id == camera.org_id,
            CameraHeartbeat.camera_id == camera.camera_id,
            CameraHeartbeat.received_at < older_than,
        )
        .execution_options(synchronize_session=False)
    )
    deleted: int = result.rowcount  # type: ignore[attr-defined]
    return deleted


@dataclass(frozen=True, slots=True)
class CameraConfigRows:
    """What `GET /worker/config` is built from."""

    camera: Camera
    timezone: str
    counting_line: CountingLine | None
    zones: Sequence[Zone]


async def camera_config(session: AsyncSession, camera: CameraPrincipal) -> CameraConfigRows:
    """The camera row, its store's timezone, its counting line (or None) and its zones by name."""
    row = (
        await session.execute(
            select(Camera, Store.timezone)
            .join(Store, (Store.org_id == Camera.org_id) & (Store.id == Camera.store_id))
            .where(Camera.org_id == camera.org_id, Camera.id == camera.camera_id)
        )
    ).one()
    line = await session.get(CountingLine, (camera.org_id, camera.camera_id))
    zones = (
        await session.scalars(
            select(Zone)
            .where(Zone.org_id == camera.org_id, Zone.camera_id == camera.camera_id)
            .order_by(Zone.name, Zone.id)
        )
    ).all()
    return CameraConfigRows(camera=row[0], timezone=row[1], counting_line=line, zones=zones)


async def replace_snapshot(session: AsyncSession, camera: CameraPrincipal, snapshot: Snapshot) -> list[str]:
    """Make `snapshot` the camera's only stored snapshot, clear `snapshot_requested` and set
    `snapshot_at`/`last_seen_at`. Returns the file paths of the snapshots it replaced (to unlink)."""
    old_paths = [
        p
        for p in await session.scalars(
            select(Snapshot.path).where(
                Snapshot.org_id == camera.org_id, Snapshot.camera_id == camera.camera_id
            )
        )
        if p is not None
    ]
    await session.execute(
        delete(Snapshot)
        .where(Snapshot.org_id == camera.org_id, Snapshot.camera_id == camera.camera_id)
        .execution_options(synchronize_session=False)
    )
    session.add(snapshot)
    await session.flush()
    await session.execute(
        update(Camera)
        .where(Camera.org_id == camera.org_id, Camera.id == camera.camera_id)
        .values(snapshot_requested=False, snapshot_at=snapshot.captured_at, last_seen_at=snapshot.received_at)
        .execution_options(synchronize_session=False)
    )
    return old_paths


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # readers never see half a file


async def write_snapshot_file(path: Path, data: bytes) -> str:
    """Write a snapshot file atomically (creating its folders); returns the path to store in the row."""
    await asyncio.to_thread(_write_file, path, data)
    return str(path)


def remove_files_when_settled(
    session: AsyncSession, *, on_commit: Sequence[str], on_rollback: Sequence[str]
) -> None:
    """Delete `on_commit` files once the request's transaction commits, or `on_rollback` files if it rolls
    back, so the files on disk always match the committed rows (a missing file is not an error)."""
    settled = False

    def remove(paths: Sequence[str]) -> None:
        nonlocal settled
        if settled:
            return
        settled = True
        for path in paths:
            Path(path).unlink(missing_ok=True)  # small local unlinks, in the commit's own callback

    event.listen(session.sync_session, "after_commit", lambda _s: remove(on_commit), once=True)
    event.listen(session.sync_session, "after_rollback", lambda _s: remove(on_rollback), once=True)
