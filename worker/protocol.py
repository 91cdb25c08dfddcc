"""The worker ↔ backend wire (docs/worker-protocol.md, v1): every message either side sends or accepts.

The worker builds its messages with these types and the backend's ingest validates and answers with the
same ones, so the two ends cannot describe the JSON differently (`tests/test_wire_contract.py` sends every
message the worker builds through the backend's real routes). Names are the backend's view, which are
also the schema names of the published OpenAPI document: `…In` is posted by the worker, `…Out` answered
by the backend. Pydantic and the standard library only, so importing it pulls in no web framework,
database or vision library. Coordinates are normalized image coordinates (0..1, y down); times are
timezone-aware and travel in UTC.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NotRequired, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    TypeAdapter,
    model_validator,
    with_config,
)
from typing_extensions import TypedDict

INT32_MAX = 2**31 - 1  # the events/heartbeats integer columns are 32-bit on PostgreSQL

# Strict: a JSON string or float is not an integer here, and `true` is not 1.
Count = Annotated[int, Strict(), Field(ge=0, le=INT32_MAX)]
Confidence = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]
EventType = Literal["IN", "OUT", "ZONE_ENTER", "ZONE_EXIT"]  # backend.models.EventType values
ZONE_EVENT_TYPES: frozenset[str] = frozenset({"ZONE_ENTER", "ZONE_EXIT"})
# A Literal rather than the backend's StreamStatus enum keeps the schema self-contained for the OpenAPI body.
# ok: frames flow; reconnecting: the stream is being reopened; failed: several reopenings in a row failed;
# frozen: frames arrive but the image stopped changing (a hung encoder, worker/source.py); stopped: the
# worker's last heartbeat before a clean stop.
StreamStatus = Literal["ok", "reconnecting", "failed", "frozen", "stopped"]


def format_utc(ts: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a ``Z`` suffix, e.g. ``2026-11-21T08:15:03.120000Z``: how the
    worker writes every time it sends (event `ts`, heartbeat `observed_at`, the `X-Captured-At` header).

    Raises ``ValueError`` for naive datetimes: a time without an offset is ambiguous on the wire.
    """
    if ts.tzinfo is None:
        raise ValueError("naive datetime: event times must be timezone-aware (UTC)")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_representable(ts: datetime) -> datetime:
    """`ts` unchanged when it converts to UTC within `datetime`'s range (years 1 to 9999).

    `0001-01-01T00:00:00+14:00` and `9999-12-31T23:59:59-14:00` are valid ISO 8601 but have no UTC
    equivalent; every time that travels is stored as UTC, so they are refused where they are parsed.

    Raises:
        ValueError: the UTC equivalent would fall before year 1 or after year 9999 (a validation error).
    """
    try:
        ts.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC (years 1 to 9999)") from None
    return ts


def _uuid_text(value: str) -> str:
    return str(uuid.UUID(value))


# A time the worker sends: aware (naive is refused) and representable in UTC, written by `format_utc`.
SentTime = Annotated[
    AwareDatetime, AfterValidator(utc_representable), PlainSerializer(format_utc, return_type=str)
]
# An id the worker keeps as text (outbox key, zone key): any UUID spelling, held in canonical form.
UuidText = Annotated[str, AfterValidator(_uuid_text)]


def event_fields_problem(type_: str, zone_id: object, dwell_ms: int | None) -> str | None:
    """Why an event's `zone_id`/`dwell_ms` do not fit its `type`, or None when they do.

    Zone events (`ZONE_ENTER`, `ZONE_EXIT`) name a zone and line events (`IN`, `OUT`) name none; `dwell_ms`
    (milliseconds) comes only with `ZONE_EXIT`. The backend rejects such an event with this reason and the
    worker refuses to build one.
    """
    if type_ in ZONE_EVENT_TYPES:
        if zone_id is None:
            return f"zone_id is required for {type_} events"
    elif zone_id is not None:
        return f"zone_id must be null for {type_} events"
    if dwell_ms is not None and type_ != "ZONE_EXIT":
        return "dwell_ms is only sent with ZONE_EXIT events"
    return None


# --- POST /worker/events ---------------------------------------------------------------------------------
#
# The backend parses a batch as TypedDicts with one `TypeAdapter`: pydantic-core checks 500 events in well
# under a millisecond, where a model instance per event would cost several times that. The worker builds
# each event as an `Event` model, whose JSON form is an `EventIn`.


@with_config(ConfigDict(allow_inf_nan=False))
class EventIn(TypedDict):
    """One event as the worker posts it. Unknown keys are ignored (forward compatibility).

    `event_id` is generated by the worker (idempotency key); `ts` is the frame's capture time with a UTC
    offset; `zone_id` is required for zone events; `dwell_ms` is milliseconds; `confidence` is 0..1.
    """

    event_id: uuid.UUID
    type: EventType
    # Strict: only an ISO 8601 string, never a bare number read as Unix seconds.
    ts: Annotated[AwareDatetime, Strict()]
    tracker_id: Count
    zone_id: NotRequired[uuid.UUID | None]
    dwell_ms: NotRequired[Count | None]
    confidence: NotRequired[Confidence | None]


class EventsBatchIn(TypedDict):
    """Body of `POST /worker/events`: `{"events": [...]}` (the count limit is a setting, checked apart)."""

    events: list[EventIn]


EVENTS_BATCH = TypeAdapter(EventsBatchIn)
EVENT = TypeAdapter(EventIn)


class Event(BaseModel):
    """One event as the worker builds it; ``model_dump(mode="json")`` is the `EventIn` it posts.

    ``event_id`` is minted on the edge so retries are idempotent; ``ts`` is converted to UTC. Building an
    event the backend would refuse for its shape (see `event_fields_problem`) raises ``ValidationError``.
    """

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    event_id: UuidText = Field(default_factory=lambda: str(uuid.uuid4()))
    type: EventType
    ts: Annotated[SentTime, AfterValidator(lambda ts: ts.astimezone(UTC))]
    tracker_id: Count
    zone_id: UuidText | None = None
    dwell_ms: Count | None = None
    confidence: Confidence | None = None

    @model_validator(mode="after")
    def _fits_its_type(self) -> Self:
        problem = event_fields_problem(self.type, self.zone_id, self.dwell_ms)
        if problem is not None:
            raise ValueError(problem)
        return self


class Rejection(BaseModel):
    """An event refused for good: its `index` in the posted list and a readable reason."""

    index: int
    reason: str


class EventsResult(BaseModel):
    """Answer to `POST /worker/events`: stored now, already stored (or repeated in the batch), refused."""

    accepted: int
    duplicates: int
    rejected: list[Rejection]


# --- POST /worker/heartbeat ------------------------------------------------------------------------------


class DetectionSettings(BaseModel):
    """Detection settings: processing rate (frames/s; 0: every frame), model input size (pixels), confidence
    threshold 0..1. The camera's in `GET /worker/config`, the worker's running ones in its heartbeat."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    target_fps: float = Field(ge=0, le=1000)
    imgsz: int = Field(ge=1, le=10_000)
    conf: float = Field(ge=0, le=1)


class HeartbeatIn(BaseModel):
    """Body of `POST /worker/heartbeat`: rates in frames/s, counters since the worker started, depth in
    events; `zone_counts` maps zone ids of this camera to the people in them now."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    worker_version: str = Field(min_length=1, max_length=50)
    uptime_s: float = Field(ge=0)
    fps: float = Field(ge=0)
    frames_read: Count
    frames_dropped: Count
    outbox_depth: Count
    events_dropped: Count
    stream_status: StreamStatus
    # Longer messages are cut to the column's 2,000 characters rather than refused: a heartbeat must land.
    last_error: str | None = None
    zone_counts: dict[uuid.UUID, Count] | None = Field(default=None, max_length=1000)
    # Capture time of the newest processed frame; for a replayed recording it lies in the past. Data
    # coverage is counted at this time when it is within the accepted event window, else at receipt.
    observed_at: SentTime | None = None
    # True when the worker could not deliver this heartbeat when it was made and sends it later from its
    # durable buffer (worker/heartbeats.py). A late heartbeat counts for data coverage at `observed_at` only
    # (never at receipt, which is not when it was made) and does not renew the camera's health: its
    # figures are history, the live heartbeat sent before it is the camera's state.
    late: Annotated[bool, Strict()] = False
    # What the worker runs now: the `config_version` of the camera config it applied (None: none yet, it
    # runs on its local settings) and the detection settings in use, which differ from the config's where
    # the worker refused one (an image size its fixed-size model cannot take; `last_error` says why).
    config_version: int | None = Field(default=None, ge=1)
    detection: DetectionSettings | None = None


# --- GET /worker/config ----------------------------------------------------------------------------------


class CountingLineOut(BaseModel):
    """The counting line in normalized image coordinates (0..1, y down); `in_side` is the store's side."""

    x1: float
    y1: float
    x2: float
    y2: float
    in_side: Literal["left", "right"]


class ZoneOut(BaseModel):
    """A zone polygon `[[x, y], …]` in normalized image coordinates (0..1, y down)."""

    id: uuid.UUID
    name: str
    kind: str
    polygon: list[Any]


# The one home of the detection defaults: a new camera's row (backend.models.Camera), the admin API's
# camera body and the worker's own settings before the backend answered all read them here, so the admin
# sees what the worker runs. conf 0.1 keeps ByteTrack's low-score association fed (worker/detector.py).
DETECTION_DEFAULTS = DetectionSettings(target_fps=10.0, imgsz=640, conf=0.1)


class WorkerConfig(BaseModel):
    """Body of `GET /worker/config`; `timezone` is the store's IANA name."""

    # Unknown fields are ignored (pydantic's default), so the backend can add some without breaking workers.

    camera_id: uuid.UUID
    camera_name: str
    store_id: uuid.UUID
    timezone: str
    config_version: int
    is_counting_line: bool
    counting_line: CountingLineOut | None
    zones: list[ZoneOut]
    detection: DetectionSettings
    snapshot_requested: bool


# --- POST /worker/snapshot -------------------------------------------------------------------------------
# The body is the JPEG itself; its capture time travels in the `X-Captured-At` header (`format_utc`).


class SnapshotOut(BaseModel):
    """Answer to `POST /worker/snapshot`: the stored image's capture time (UTC) and size in pixels."""

    captured_at: datetime
    width: int
    height: int
