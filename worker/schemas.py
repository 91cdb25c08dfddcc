"""Wire models of the worker ↔ backend protocol (docs/worker-protocol.md, v1). Coordinates are normalized
0..1."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

EventType = Literal["IN", "OUT", "ZONE_ENTER", "ZONE_EXIT"]
StreamStatus = Literal["ok", "reconnecting", "failed"]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]


def format_utc(ts: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a ``Z`` suffix, e.g. ``2026-11-21T08:15:03.120000Z``.

    Raises ``ValueError`` for naive datetimes: a time without an offset is ambiguous on the wire.
    """
    if ts.tzinfo is None:
        raise ValueError("naive datetime: event times must be timezone-aware (UTC)")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


UtcDatetime = Annotated[datetime, PlainSerializer(format_utc, return_type=str)]


class Event(BaseModel):
    """One event as the backend stores it. ``event_id`` is minted on the edge so retries are idempotent."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: EventType
    ts: UtcDatetime
    tracker_id: int | None = None
    zone_id: str | None = None
    dwell_ms: int | None = Field(default=None, ge=0)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("ts")
    @classmethod
    def _aware(cls, ts: datetime) -> datetime:
        if ts.tzinfo is None:
            raise ValueError("ts must be timezone-aware")
        return ts.astimezone(UTC)


class Rejection(BaseModel):
    """A permanently refused event: ``index`` into the posted batch, and why."""

    index: int
    reason: str = ""


class EventsAnswer(BaseModel):
    """Body of a ``200`` answer to ``POST /worker/events``."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = Field(default_factory=list)


class CountingLineSpec(BaseModel):
    """The counting line in normalized coordinates; ``in_side`` is the side of (x1,y1)→(x2,y2) inside the
    store."""

    x1: Unit
    y1: Unit
    x2: Unit
    y2: Unit
    in_side: Literal["left", "right"] = "left"


class ZoneSpec(BaseModel):
    """A zone polygon in normalized coordinates, vertices in order."""

    id: str
    name: str = ""
    kind: str = ""
    polygon: list[tuple[Unit, Unit]]


class DetectionSpec(BaseModel):
    """Detection settings the backend may push: processing rate (frames/s), input size (px), threshold."""

    target_fps: float | None = Field(default=None, gt=0)
    imgsz: int | None = Field(default=None, gt=0)
    conf: float | None = Field(default=None, ge=0.0, le=1.0)


class RemoteConfig(BaseModel):
    """Body of ``GET /worker/config``. Unknown fields are ignored so the backend can add some."""

    model_config = ConfigDict(extra="ignore")

    camera_id: str | None = None
    camera_name: str | None = None
    store_id: str | None = None
    timezone: str | None = None
    config_version: int = 0
    is_counting_line: bool = True
    counting_line: CountingLineSpec | None = None
    zones: list[ZoneSpec] = Field(default_factory=list)
    detection: DetectionSpec = Field(default_factory=DetectionSpec)
    snapshot_requested: bool = False


class Heartbeat(BaseModel):
    """Body of ``POST /worker/heartbeat``: rates in frames/s, counters since start, depth in events."""

    worker_version: str
    uptime_s: float
    fps: float
    frames_read: int
    frames_dropped: int
    outbox_depth: int
    events_dropped: int
    stream_status: StreamStatus
    last_error: str | None = None
    zone_counts: dict[str, int] = Field(default_factory=dict)
    # Capture time (UTC) of the newest processed frame, on the replay clock when replaying a recording:
    # the backend's data coverage follows it, so replayed footage is covered where it is placed.
    observed_at: UtcDatetime | None = None
