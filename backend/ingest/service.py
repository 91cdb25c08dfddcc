"""Worker ingestion logic: validate and store event batches, heartbeats and snapshots; build the config.

A batch is parsed in one pass by pydantic-core (the fast path). Only when some event is malformed is it
parsed again event by event, so one bad event costs its batch a few milliseconds, never the batch itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principals import CameraPrincipal
from backend.cameras.coverage import record_coverage
from backend.cameras.snapshots import snapshot_folder
from backend.config import Settings
from backend.errors import PayloadTooLarge, ValidationFailed
from backend.ingest import repository
from backend.ingest.repository import EventColumns
from backend.models import CameraHeartbeat, Snapshot, StreamStatus
from backend.validation import clean_text
from worker.protocol import (
    EVENT,
    EVENTS_BATCH,
    INT32_MAX,
    ZONE_EVENT_TYPES,
    CountingLineOut,
    DetectionSettings,
    EventIn,
    EventsResult,
    HeartbeatIn,
    Rejection,
    SnapshotOut,
    WorkerConfig,
    ZoneOut,
    event_fields_problem,
)

_LAST_ERROR_MAX = 2000  # CameraHeartbeat.last_error column length
MAX_SNAPSHOT_SIDE = 8192  # pixels; 8K cameras fit, absurd headers are refused before decoding

# Readable reasons for malformed events, by field; anything else falls back to pydantic's message.
_FIELD_REASONS = {
    "event_id": "event_id is not a UUID",
    "type": "type must be one of IN, OUT, ZONE_ENTER, ZONE_EXIT",
    "ts": "ts is not an ISO 8601 time",
    "tracker_id": f"tracker_id must be an integer from 0 to {INT32_MAX}",
    "zone_id": "zone_id is not a UUID",
    "dwell_ms": f"dwell_ms must be null or an integer from 0 to {INT32_MAX} (milliseconds)",
    "confidence": "confidence must be null or a number from 0 to 1",
}


# --- events -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class ScreenedBatch:
    """Events that passed every check (de-duplicated), those refused, and in-batch repeats of an id."""

    rows: EventColumns
    rejected: list[Rejection]
    repeated_in_batch: int


def _item_reason(errors: Sequence[ErrorDetails]) -> str:
    reasons: list[str] = []
    for error in errors:
        loc = error["loc"]
        name = str(loc[0]) if loc else ""
        if not loc:
            reason = "event is not a JSON object"
        elif error["type"] == "missing":
            reason = f"{name} is missing"
        elif name == "ts" and error["type"] == "timezone_aware":
            reason = "ts has no UTC offset"
        else:
            reason = _FIELD_REASONS.get(name, f"{name}: {error['msg']}")
        if reason not in reasons:
            reasons.append(reason)
    return "; ".join(reasons)


def _is_item_error(loc: tuple[int | str, ...]) -> bool:
    return len(loc) >= 2 and loc[0] == "events" and isinstance(loc[1], int)


def _too_many(count: int, max_events: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"{count} events in one request; at most {max_events} are accepted.")


def parse_events(raw: bytes, max_events: int) -> tuple[list[tuple[int, EventIn]], list[Rejection]]:
    """Parse a `POST /worker/events` body into (index, event) pairs that are well-formed, and rejections.

    Raises:
        ValidationFailed: the body is not JSON, or not an object whose `events` is a list (the whole
            request is refused: 422).
        PayloadTooLarge: more than `max_events` events.
    """
    try:
        events = EVENTS_BATCH.validate_json(raw)["events"]
    except ValidationError as exc:
        envelope = [e for e in exc.errors() if not _is_item_error(e["loc"])]
        if envelope:
            fields = [
                {"field": ".".join(["body", *(str(p) for p in e["loc"])]), "message": e["msg"]}
                for e in envelope[:5]
            ]
            raise ValidationFailed(
                "The body must be a JSON object with an `events` list: "
                + "; ".join(f"{f['field']}: {f['message']}" for f in fields),
                fields=fields,
            ) from None
        return _parse_one_by_one(raw, max_events)
    if len(events) > max_events:
        raise _too_many(len(events), max_events)
    return list(enumerate(events)), []


def _parse_one_by_one(raw: bytes, max_events: int) -> tuple[list[tuple[int, EventIn]], list[Rejection]]:
    # pydantic-core already parsed this JSON; the stdlib parses the same grammar (NaN included).
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ValidationFailed.for_field("body", "the body is not valid JSON") from exc
    items = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ValidationFailed.for_field("body.events", "must be a list of events")
    if len(items) > max_events:
        raise _too_many(len(items), max_events)
    good: list[tuple[int, EventIn]] = []
    rejected: list[Rejection] = []
    for index, item in enumerate(items):
        try:
            # validate_json, not validate_python: the same (JSON-mode, strict) rules as the fast path.
            good.append((index, EVENT.validate_json(json.dumps(item))))
        except ValidationError as exc:
            rejected.append(Rejection(index=index, reason=_item_reason(exc.errors())))
    return good, rejected


def screen_events(
    events: Sequence[tuple[int, EventIn]],
    rejected: list[Rejection],
    *,
    zone_ids: frozenset[uuid.UUID],
    now: datetime,
    max_future_s: float,
    max_age_days: float,
) -> ScreenedBatch:
    """Apply the protocol's semantic rules to well-formed events and drop repeats of an id in the batch.

    Rules: `ts` at most `max_future_s` seconds after `now` and at most `max_age_days` before it (UTC);
    a zone event's `zone_id` is one of `zone_ids` (this camera's zones); then the protocol's
    `event_fields_problem` (zone events name a zone, line events none, `dwell_ms` only on ZONE_EXIT).
    The second occurrence of an `event_id` counts as a repeat. Rejections are appended to `rejected`,
    which is returned sorted by index.
    """
    latest = now + timedelta(seconds=max_future_s)
    earliest = now - timedelta(days=max_age_days)
    rows = EventColumns()
    seen: set[uuid.UUID] = set()
    repeated = 0
    for index, event in events:
        ts = event["ts"]
        type_ = event["type"]
        zone_id = event.get("zone_id")
        dwell_ms = event.get("dwell_ms")
        if ts > latest:
            reason: str | None = f"ts is more than {max_future_s:g} s in the future"
        elif ts < earliest:
            reason = f"ts is more than {max_age_days:g} days old"
        elif zone_id is not None and type_ in ZONE_EVENT_TYPES and zone_id not in zone_ids:
            reason = "zone_id does not belong to this camera"
        else:
            reason = event_fields_problem(type_, zone_id, dwell_ms)
        if reason is not None:
            rejected.append(Rejection(index=index, reason=reason))
            continue
        event_id = event["event_id"]
        if event_id in seen:
            repeated += 1
            continue
        seen.add(event_id)
        rows.event_id.append(event_id)
        rows.type.append(type_)
        rows.ts.append(ts)
        rows.tracker_id.append(event["tracker_id"])
        rows.zone_id.append(zone_id)
        rows.dwell_ms.append(dwell_ms)
        rows.confidence.append(event.get("confidence"))
    rejected.sort(key=lambda r: r.index)
    return ScreenedBatch(rows=rows, rejected=rejected, repeated_in_batch=repeated)


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """The answer to a batch and the newest `ts` among its valid events (None when it had none)."""

    result: EventsResult
    newest_event_ts: datetime | None


async def ingest_events(
    session: AsyncSession, settings: Settings, camera: CameraPrincipal, raw: bytes, now: datetime
) -> IngestOutcome:
    """Store the valid events of a raw (already inflated) `POST /worker/events` body for `camera`.

    One INSERT ... ON CONFLICT DO NOTHING for the batch, one UPDATE of the camera's health, one zone
    lookup only when the batch names zones. `now` is the server's UTC receive time.

    Raises:
        ValidationFailed: the body itself is malformed (see `parse_events`).
        PayloadTooLarge: more events than `settings.ingest_max_events`.
    """
    events, rejected = parse_events(raw, settings.ingest_max_events)
    await repository.start_writing(session, camera, now)
    needs_zones = any(event.get("zone_id") is not None for _, event in events)
    zone_ids = await repository.camera_zone_ids(session, camera) if needs_zones else frozenset()
    batch = screen_events(
        events,
        rejected,
        zone_ids=zone_ids,
        now=now,
        max_future_s=settings.ingest_max_future_s,
        max_age_days=settings.ingest_max_age_days,
    )
    inserted = await repository.insert_events(session, camera, batch.rows, now)
    newest = max(batch.rows.ts, default=None)
    await repository.touch_camera_events(session, camera, now, newest)
    result = EventsResult(
        accepted=inserted,
        duplicates=batch.repeated_in_batch + len(batch.rows) - inserted,
        rejected=batch.rejected,
    )
    return IngestOutcome(result=result, newest_event_ts=newest)


# --- heartbeats --------------------------------------------------------------------------------------


def coverage_time(
    observed_at: datetime | None, now: datetime, settings: Settings, *, late: bool = False
) -> datetime | None:
    """When a heartbeat counts for data coverage: the worker's `observed_at` (frame capture time, UTC) when
    it lies in the window events are accepted from (`ingest_max_age_days` back, `ingest_max_future_s`
    ahead), else the receive time `now`, so a skewed worker clock cannot place coverage arbitrarily.

    A `late` heartbeat (sent from the worker's buffer after an outage) was not made at `now`, so it counts
    at `observed_at` or not at all (None): outside the window, or without `observed_at`."""
    earliest = now - timedelta(days=settings.ingest_max_age_days)
    latest = now + timedelta(seconds=settings.ingest_max_future_s)
    if observed_at is not None and earliest <= observed_at <= latest:
        return observed_at
    return None if late else now


async def record_heartbeat(
    session: AsyncSession, settings: Settings, camera: CameraPrincipal, body: HeartbeatIn, now: datetime
) -> None:
    """Store a heartbeat, mark the camera as heard from at `now` (UTC) and prune its old heartbeats.

    `zone_counts` keeps only zones of this camera (another camera's zone id is dropped, not stored). The
    heartbeat is also added to the camera's coverage slot at `coverage_time(...)`. A `late` heartbeat (one
    the worker buffered through an outage) is counted in coverage only: it is not kept in the history and
    leaves `Camera.last_heartbeat_at` alone, since it says nothing about the camera's health now (only
    `last_seen_at` moves: the worker did talk to us). Admin health reads the newest history rows as the
    camera's state, so a backlog delivered after an outage must not land there.
    History older than `settings.heartbeat_retention_days` is deleted for this camera on each heartbeat.
    """
    await repository.start_writing(session, camera, now)
    zone_counts = None
    if body.zone_counts is not None:
        zone_ids = await repository.camera_zone_ids(session, camera) if body.zone_counts else frozenset()
        zone_counts = {str(z): n for z, n in body.zone_counts.items() if z in zone_ids}
    last_error = clean_text(body.last_error)[:_LAST_ERROR_MAX] if body.last_error is not None else None
    heartbeat = CameraHeartbeat(
        org_id=camera.org_id,
        camera_id=camera.camera_id,
        received_at=now,
        worker_version=clean_text(body.worker_version),
        uptime_s=body.uptime_s,
        fps=body.fps,
        frames_read=body.frames_read,
        frames_dropped=body.frames_dropped,
        outbox_depth=body.outbox_depth,
        events_dropped=body.events_dropped,
        stream_status=StreamStatus(body.stream_status),
        last_error=last_error,
        zone_counts=zone_counts,
        observed_at=body.observed_at,
    )
    await repository.add_heartbeat(session, camera, None if body.late else heartbeat, now, body)
    at = coverage_time(body.observed_at, now, settings, late=body.late)
    if at is not None:
        ok = heartbeat.stream_status is StreamStatus.OK
        await record_coverage(session, camera.org_id, camera.camera_id, [(at, ok)])
    await repository.prune_heartbeats(
        session, camera, now - timedelta(days=settings.heartbeat_retention_days)
    )


# --- config ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigDocument:
    """The serialized `GET /worker/config` body and its strong ETag (a hash of exactly those bytes)."""

    body: bytes
    etag: str


async def worker_config(session: AsyncSession, camera: CameraPrincipal) -> ConfigDocument:
    """The camera's configuration as the worker reads it, with an ETag that changes whenever any of it
    does (calibration, detection settings, snapshot request, name, timezone, not only `config_version`)."""
    rows = await repository.camera_config(session, camera)
    cam, line = rows.camera, rows.counting_line
    config = WorkerConfig(
        camera_id=cam.id,
        camera_name=cam.name,
        store_id=cam.store_id,
        timezone=rows.timezone,
        config_version=cam.config_version,
        is_counting_line=cam.is_counting_line,
        counting_line=(
            CountingLineOut(x1=line.x1, y1=line.y1, x2=line.x2, y2=line.y2, in_side=line.in_side.value)
            if line is not None
            else None
        ),
        zones=[ZoneOut(id=z.id, name=z.name, kind=z.kind.value, polygon=z.polygon) for z in rows.zones],
        detection=DetectionSettings(target_fps=cam.target_fps, imgsz=cam.imgsz, conf=cam.conf),
        snapshot_requested=cam.snapshot_requested,
    )
    body = config.model_dump_json().encode()
    return ConfigDocument(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header names `etag` (weak comparison, `*` matches anything; RFC 9110)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


# --- snapshots ---------------------------------------------------------------------------------------


def parse_captured_at(value: str | None, now: datetime, max_future_s: float) -> datetime:
    """The `X-Captured-At` header as an aware UTC datetime.

    Raises:
        ValidationFailed: missing, not ISO 8601 with an offset, or more than `max_future_s` s ahead of `now`.
    """
    field = "header.X-Captured-At"
    if not value:
        raise ValidationFailed.for_field(field, "required: the capture time, ISO 8601 with a UTC offset")
    try:
        captured_at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed.for_field(field, "not an ISO 8601 time") from None
    if captured_at.tzinfo is None:
        raise ValidationFailed.for_field(field, "has no UTC offset")
    if captured_at > now + timedelta(seconds=max_future_s):
        raise ValidationFailed.for_field(field, f"is more than {max_future_s:g} s in the future")
    try:
        return captured_at.astimezone(now.tzinfo)
    except OverflowError:
        raise ValidationFailed.for_field(field, "is out of range") from None


# Start-of-frame markers of Huffman-coded JPEG: baseline, extended sequential, progressive (ITU T.81 B.1.1.3).
_HUFFMAN_SOF = {0xC0: "baseline", 0xC1: "extended", 0xC2: "progressive"}


def _coded_data_problem(data: bytes) -> str | None:
    """Why `data` cannot hold the image its frame header claims, or None when it can.

    libjpeg pads a scan that ends early with zeros and only warns ("Premature end of JPEG file"), so a
    16x16 JPEG whose SOF header says 8000x8000 decodes as 8000x8000 without error. Every 8x8 block's DC
    coefficient is Huffman-coded in some scan with a code of at least one bit, so the file must hold at
    least one bit per block after its first start-of-scan; one that holds less is refused. Frames other
    than Huffman-coded ones (arithmetic coding, lossless) are refused: no worker sends them.
    """
    pos, frame, end = 2, None, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return "the marker structure is corrupt"
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        segment = data[pos + 4 : pos + 2 + length]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if marker not in _HUFFMAN_SOF:
                return "only baseline, extended or progressive Huffman-coded JPEG is accepted"
            frame = segment
        if marker == 0xDA:  # start of scan: the coded data follows its header
            if frame is None or len(frame) < 6:
                return "the scan comes before a frame header"
            height, width, count = (
                int.from_bytes(frame[1:3], "big"),
                int.from_bytes(frame[3:5], "big"),
                frame[5],
            )
            sampling = [(b >> 4, b & 0x0F) for b in frame[7 : 7 + 3 * count : 3]]
            if not sampling or any(h == 0 or v == 0 for h, v in sampling):
                return "the frame header is corrupt"
            h_max, v_max = max(h for h, _ in sampling), max(v for _, v in sampling)
            # A component sampled h/h_max horizontally spans ceil(width * h / h_max) samples, in 8x8 blocks.
            blocks = sum(
                math.ceil(math.ceil(width * h / h_max) / 8) * math.ceil(math.ceil(height * v / v_max) / 8)
                for h, v in sampling
            )
            coded = end - (pos + 2 + length)
            if coded * 8 < blocks:
                return f"{coded} bytes of image data cannot hold the {width}x{height} image the header claims"
            return None
        pos += 2 + length
    return "no image data"


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height (pixels) of a JPEG, after decoding it (at reduced scale) to prove it is intact.

    Raises:
        ValidationFailed: not a JPEG, corrupt or truncated, wider/taller than `MAX_SNAPSHOT_SIDE`, or with
            less coded data than its claimed size needs (see `_coded_data_problem`).
    """
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            width, height = image.size
            if width > MAX_SNAPSHOT_SIDE or height > MAX_SNAPSHOT_SIDE:
                raise ValidationFailed.for_field(
                    "body", f"the image is {width}x{height}; at most {MAX_SNAPSHOT_SIDE} pixels a side"
                )
            problem = _coded_data_problem(data)
            if problem is not None:
                raise ValidationFailed.for_field("body", f"the body is not a valid JPEG image: {problem}")
            # DCT scaling: every coefficient is still decoded (so corruption shows) into 1/8 the memory.
            image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
    except ValidationFailed:
        raise
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, DecompressionBombError…
        raise ValidationFailed.for_field("body", "the body is not a valid JPEG image") from exc
    return width, height


async def store_snapshot(
    session: AsyncSession,
    settings: Settings,
    camera: CameraPrincipal,
    data: bytes,
    captured_at_header: str | None,
    now: datetime,
) -> SnapshotOut:
    """Validate a JPEG and make it the camera's latest snapshot (in the database or a file under
    `<data_dir>/snapshots`, per `settings.snapshot_storage`); clears `snapshot_requested`.

    Raises:
        ValidationFailed: bad `X-Captured-At` or an invalid image (see `parse_captured_at`, `jpeg_size`).
    """
    captured_at = parse_captured_at(captured_at_header, now, settings.ingest_max_future_s)
    width, height = await asyncio.to_thread(jpeg_size, data)
    await repository.start_writing(session, camera, now)
    snapshot = Snapshot(
        id=uuid.uuid4(),
        org_id=camera.org_id,
        camera_id=camera.camera_id,
        captured_at=captured_at,
        received_at=now,
        content_type="image/jpeg",
        width=width,
        height=height,
    )
    if settings.snapshot_storage == "folder":
        folder = snapshot_folder(settings.data_dir, camera.org_id) / str(camera.camera_id)
        snapshot.path = await repository.write_snapshot_file(folder / f"{snapshot.id}.jpg", data)
    else:
        snapshot.data = data
    replaced = await repository.replace_snapshot(session, camera, snapshot)
    written = [snapshot.path] if snapshot.path is not None else []
    repository.remove_files_when_settled(session, on_commit=replaced, on_rollback=written)
    return SnapshotOut(captured_at=captured_at, width=width, height=height)
