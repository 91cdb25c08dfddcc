"""What workers and point-of-sale systems send: events, heartbeats, snapshots and POS transactions."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, CreatedAtMixin, TenantMixin, utcnow
from backend.models.enums import EventType, StreamStatus, str_enum


class Event(TenantMixin, Base):
    """One line crossing or zone transition seen by a worker; the raw material of every KPI.

    The primary key `(org_id, camera_id, event_id)` makes ingestion idempotent: the worker generates
    `event_id` and retries freely. `ts` is the frame's capture time (UTC); `dwell_ms` is milliseconds.
    No foreign keys on this table: it is the hot insert path, and the camera/store/zone ids are derived
    from the worker key and checked by the ingestion service before insert.
    """

    __tablename__ = "events"
    __table_args__ = (
        # Analytics read "one store, a time range" (and "one camera, a time range" for health). On
        # PostgreSQL the store index also carries every column the KPIs read, so a 90-day series is an
        # index-only scan instead of ~100k random heap reads (docs/benchmarks.md).
        Index(
            None, "org_id", "store_id", "ts", postgresql_include=["type", "camera_id", "zone_id", "dwell_ms"]
        ),
        Index(None, "org_id", "camera_id", "ts"),
        CheckConstraint("dwell_ms IS NULL OR dwell_ms >= 0", name="dwell_ms_non_negative"),
    )

    camera_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    store_id: Mapped[uuid.UUID]
    type: Mapped[EventType] = mapped_column(str_enum(EventType, "event_type"))
    ts: Mapped[datetime]
    tracker_id: Mapped[int]
    zone_id: Mapped[uuid.UUID | None]
    dwell_ms: Mapped[int | None]
    confidence: Mapped[float | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class CameraHeartbeat(TenantMixin, Base):
    """A worker's periodic health report; history is kept for a configurable time."""

    __tablename__ = "camera_heartbeats"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "camera_id"], ["cameras.org_id", "cameras.id"], ondelete="CASCADE"),
        Index(None, "org_id", "camera_id", "received_at"),
        Index(None, "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    camera_id: Mapped[uuid.UUID]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    worker_version: Mapped[str] = mapped_column(String(50))
    uptime_s: Mapped[float]
    fps: Mapped[float]
    frames_read: Mapped[int]
    frames_dropped: Mapped[int]
    outbox_depth: Mapped[int]
    events_dropped: Mapped[int]
    stream_status: Mapped[StreamStatus] = mapped_column(str_enum(StreamStatus, "stream_status"))
    last_error: Mapped[str | None] = mapped_column(String(2000))
    zone_counts: Mapped[dict[str, Any] | None]
    # Capture time of the newest frame the worker had processed (UTC); differs from `received_at` when a
    # recording is replayed. Data coverage follows it (see CameraCoverageSlot).
    observed_at: Mapped[datetime | None]


class CameraCoverageSlot(TenantMixin, Base):
    """Heartbeats per camera and 15-minute UTC slot: the roll-up that data coverage is computed from.

    Updated by every heartbeat (one upsert), kept after the heartbeat history is pruned, so coverage of any
    past period costs one range read of 96 rows per camera and day. `slot_start` is aligned to :00, :15,
    :30, :45 UTC (every real timezone offset is a multiple of 15 minutes, so slots nest in local hours).
    """

    __tablename__ = "camera_coverage_slots"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "camera_id"], ["cameras.org_id", "cameras.id"], ondelete="CASCADE"),
    )

    camera_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(primary_key=True)
    heartbeats: Mapped[int] = mapped_column(default=0)
    heartbeats_ok: Mapped[int] = mapped_column(default=0, comment="of them, with stream_status ok")


class LineCrossingSlot(TenantMixin, Base):
    """IN and OUT line crossings per camera and 15-minute UTC slot: the roll-up footfall is read from.

    Written in the transaction that inserts the events, from the rows that insert actually added (a
    retried batch adds nothing), so it always equals counting the events (`backend.ingest.rollup`). Like
    `events`, no foreign keys: rows outlive the camera, as the events they count do. `slot_start` is aligned
    to :00, :15, :30, :45 UTC. The primary key leads with the store and the slot: footfall reads "one store,
    a range of slots, its counting cameras".
    """

    __tablename__ = "line_crossing_slots"

    store_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(primary_key=True)
    camera_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    in_count: Mapped[int] = mapped_column(default=0, comment="IN crossings")
    out_count: Mapped[int] = mapped_column(default=0, comment="OUT crossings")


class Snapshot(TenantMixin, Base):
    """A person-blurred JPEG from a camera, for calibration; stored inline or as a file path."""

    __tablename__ = "snapshots"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "camera_id"], ["cameras.org_id", "cameras.id"], ondelete="CASCADE"),
        Index(None, "org_id", "camera_id", "captured_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    camera_id: Mapped[uuid.UUID]
    captured_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_type: Mapped[str] = mapped_column(String(50), default="image/jpeg")
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    path: Mapped[str | None] = mapped_column(String(500))


class PosTransaction(TenantMixin, CreatedAtMixin, Base):
    """A point-of-sale transaction; idempotent by the POS system's own id (`external_id`) per store."""

    __tablename__ = "pos_transactions"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "store_id"], ["stores.org_id", "stores.id"]),
        Index(None, "org_id", "store_id", "ts"),
        CheckConstraint("length(currency) = 3", name="currency_iso4217"),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    ts: Mapped[datetime]
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
