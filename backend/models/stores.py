"""Stores, their cameras, and each camera's calibration (counting line and zones)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, CreatedAtMixin, TenantMixin, utcnow
from backend.models.enums import InSide, StreamStatus, ZoneKind, str_enum
from worker.protocol import DETECTION_DEFAULTS


class Store(TenantMixin, CreatedAtMixin, Base):
    """A physical shop of an organization.

    `opening_hours` maps weekday names (`mon` … `sun`) to lists of `["HH:MM", "HH:MM"]` store-local
    intervals; an interval whose close is not after its open runs past midnight. `timezone` is an IANA name.
    """

    __tablename__ = "stores"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organizations.id"]),
        # Admin routes address a store by id alone (the primary key leads with org_id).
        Index(None, "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    address: Mapped[str | None] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(default=True)


class Camera(TenantMixin, CreatedAtMixin, Base):
    """A camera in a store, watched by exactly one edge worker that authenticates with this camera's key.

    Only counting-line cameras (`is_counting_line`) feed footfall and occupancy. The worker key is stored as
    `key_prefix` (public, for lookup) and `key_hash` (hex HMAC-SHA256 of the key with the server secret).
    `config_version` increases with every calibration change so workers pick it up on their next poll.
    `target_fps`, `imgsz` and `conf` are the detection settings the worker applies live (defaults:
    `worker.protocol.DETECTION_DEFAULTS`).

    Health (UTC): `last_heartbeat_at` is when the latest live heartbeat arrived and `reported_*` are its
    figures (stream status, processing fps, outbox depth), kept on the row so fleet-wide checks (`/metrics`,
    the online rule in SQL) need no heartbeat history, with the config version and detection settings the
    worker says it runs (`reported_config_version`, `reported_detection`: `{target_fps, imgsz, conf}`);
    `last_event_at` is the newest event *time* (`ts`) received, `last_event_received_at` when a batch of
    events last *arrived* (replayed or late footage has old `ts` but arrives now).
    """

    __tablename__ = "cameras"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "store_id"], ["stores.org_id", "stores.id"]),
        Index(None, "key_prefix"),
        Index(None, "org_id", "store_id"),
        Index(None, "id"),
        CheckConstraint("target_fps > 0", name="target_fps_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    is_counting_line: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    key_prefix: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64))
    key_rotated_at: Mapped[datetime] = mapped_column(default=utcnow)
    config_version: Mapped[int] = mapped_column(default=1)
    target_fps: Mapped[float] = mapped_column(default=DETECTION_DEFAULTS.target_fps)
    imgsz: Mapped[int] = mapped_column(default=DETECTION_DEFAULTS.imgsz)
    conf: Mapped[float] = mapped_column(default=DETECTION_DEFAULTS.conf)
    snapshot_requested: Mapped[bool] = mapped_column(default=False)
    last_seen_at: Mapped[datetime | None]
    last_heartbeat_at: Mapped[datetime | None]
    reported_stream_status: Mapped[StreamStatus | None] = mapped_column(
        str_enum(StreamStatus, "reported_stream_status")
    )
    reported_fps: Mapped[float | None]
    reported_outbox_depth: Mapped[int | None]
    reported_config_version: Mapped[int | None]
    reported_detection: Mapped[dict[str, Any] | None]
    last_event_at: Mapped[datetime | None]
    last_event_received_at: Mapped[datetime | None]
    snapshot_at: Mapped[datetime | None]


class CountingLine(TenantMixin, Base):
    """A camera's counting line: endpoints in normalized image coordinates (0..1, y down), and the in side."""

    __tablename__ = "counting_lines"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "camera_id"], ["cameras.org_id", "cameras.id"], ondelete="CASCADE"),
    )

    camera_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    x1: Mapped[float]
    y1: Mapped[float]
    x2: Mapped[float]
    y2: Mapped[float]
    in_side: Mapped[InSide] = mapped_column(str_enum(InSide, "in_side"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Zone(TenantMixin, CreatedAtMixin, Base):
    """A named polygon on a camera's image, `[[x, y], …]` in normalized coordinates (0..1, y down)."""

    __tablename__ = "zones"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "camera_id"], ["cameras.org_id", "cameras.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["org_id", "store_id"], ["stores.org_id", "stores.id"]),
        Index(None, "org_id", "camera_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    camera_id: Mapped[uuid.UUID]
    store_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ZoneKind] = mapped_column(str_enum(ZoneKind, "zone_kind"))
    polygon: Mapped[list[Any]]
