"""Camera status for many cameras at once, and the health view. Reads only; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from admin.count_audits import service as count_audits
from admin.health import repository
from admin.health.schemas import CameraHealth
from backend.cameras.status import (
    CameraStatus,
    HeartbeatSample,
    StatusThresholds,
    camera_status,
    stale_reason,
)
from backend.config import Settings
from backend.models import Camera, CameraHeartbeat
from worker.protocol import DetectionSettings

EVENTS_WINDOW = timedelta(hours=1)
# "status" sorts worst first.
STATUS_SEVERITY = {CameraStatus.OFFLINE: 0, CameraStatus.STALE: 1, CameraStatus.ONLINE: 2}


@dataclass(frozen=True, slots=True)
class CameraState:
    """A camera, its store's name, its derived status and its latest heartbeat (None when it has none)."""

    camera: Camera
    store_name: str
    status: CameraStatus
    stale_reason: str | None
    latest: CameraHeartbeat | None


def thresholds(settings: Settings) -> StatusThresholds:
    """The status thresholds configured in `settings`."""
    return StatusThresholds(
        offline_after_s=settings.camera_offline_after_s,
        events_stalled_after_s=settings.camera_events_stalled_after_s,
    )


def _sample(heartbeat: CameraHeartbeat | None) -> HeartbeatSample | None:
    if heartbeat is None:
        return None
    return HeartbeatSample(
        received_at=heartbeat.received_at,
        fps=heartbeat.fps,
        frames_read=heartbeat.frames_read,
        uptime_s=heartbeat.uptime_s,
        stream_status=str(heartbeat.stream_status),
        outbox_depth=heartbeat.outbox_depth,
    )


async def states(
    session: AsyncSession, settings: Settings, cameras: Sequence[tuple[Camera, str]], now: datetime
) -> list[CameraState]:
    """Derive every camera's status at `now` (UTC), in the order given (see backend/cameras/status.py)."""
    beats = await repository.latest_heartbeats(session, [camera for camera, _ in cameras])
    limits = thresholds(settings)
    result = []
    for camera, store_name in cameras:
        rows = beats.get(camera.id, [])
        latest = _sample(rows[0]) if rows else None
        previous = _sample(rows[1]) if len(rows) > 1 else None
        status = camera_status(
            camera.last_heartbeat_at, latest, previous, camera.last_event_received_at, now, limits
        )
        reason = None
        if status is CameraStatus.STALE and latest is not None:
            reason = stale_reason(
                latest, previous, camera.last_event_received_at, now, limits.events_stalled_after_s
            )
        result.append(CameraState(camera, store_name, status, reason, rows[0] if rows else None))
    return result


def sort_states(rows: list[CameraState], sort: str) -> list[CameraState]:
    """Sort by `name`, `created_at`, `status` (worst first) or `last_heartbeat_at` (never-heard-from
    first), `-` to reverse; ties by camera name and id."""
    key = sort.removeprefix("-")
    never = datetime.min.replace(tzinfo=UTC)

    def sort_key(state: CameraState) -> tuple[object, ...]:
        tie = (state.camera.name, str(state.camera.id))
        if key == "status":
            return (STATUS_SEVERITY[state.status], *tie)
        if key == "created_at":
            return (state.camera.created_at, *tie)
        if key == "last_heartbeat_at":
            return (state.camera.last_heartbeat_at or never, *tie)
        return tie

    return sorted(rows, key=sort_key, reverse=sort.startswith("-"))


async def health_rows(
    session: AsyncSession, settings: Settings, states_page: Sequence[CameraState], now: datetime
) -> list[CameraHealth]:
    """The health view of one page of cameras (adds event counts of the last hour and the last count
    audit, flagged below `settings.count_audit_target`)."""
    page_cameras = [s.camera for s in states_page]
    counts = await repository.event_counts_since(session, page_cameras, now - EVENTS_WINDOW)
    audits = await count_audits.last_per_camera(session, page_cameras)
    rows = []
    for state in states_page:
        camera, beat = state.camera, state.latest
        audit = audits.get(camera.id)
        last_audit = count_audits.view(audit, settings.count_audit_target) if audit else None
        rows.append(
            CameraHealth(
                camera_id=camera.id,
                camera_name=camera.name,
                org_id=camera.org_id,
                store_id=camera.store_id,
                store_name=state.store_name,
                enabled=camera.enabled,
                is_counting_line=camera.is_counting_line,
                status=state.status,
                stale_reason=state.stale_reason,
                last_heartbeat_at=camera.last_heartbeat_at,
                fps=beat.fps if beat else None,
                frames_dropped=beat.frames_dropped if beat else None,
                worker_version=beat.worker_version if beat else None,
                outbox_depth=beat.outbox_depth if beat else None,
                events_dropped=beat.events_dropped if beat else None,
                stream_status=str(beat.stream_status) if beat else None,
                last_error=beat.last_error if beat else None,
                last_event_at=camera.last_event_at,
                last_event_received_at=camera.last_event_received_at,
                config_version=camera.config_version,
                applied_config_version=camera.reported_config_version,
                detection_running=(
                    DetectionSettings.model_validate(camera.reported_detection)
                    if camera.reported_detection
                    else None
                ),
                snapshot_at=camera.snapshot_at,
                snapshot_age_s=(now - camera.snapshot_at).total_seconds() if camera.snapshot_at else None,
                events_last_hour=counts.get(camera.id, 0),
                last_count_audit=last_audit,
                count_audit_below_target=last_audit.below_target if last_audit else False,
            )
        )
    return rows


async def scoped_states(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    *,
    org_id: uuid.UUID | None,
    store_id: uuid.UUID | None,
    status: CameraStatus | None,
    enabled: bool | None = None,
    counting: bool | None = None,
) -> list[CameraState]:
    """Every camera matching the filters with its status, filtered by `status` when given (by name)."""
    cameras = await repository.cameras_in_scope(
        session, org_id=org_id, store_id=store_id, enabled=enabled, counting=counting
    )
    rows = await states(session, settings, cameras, now)
    return [s for s in rows if status is None or s.status is status]
