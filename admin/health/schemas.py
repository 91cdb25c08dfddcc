"""Camera health as the admin API returns it."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from admin.count_audits.schemas import CountAuditOut
from backend.cameras.status import CameraStatus
from worker.protocol import DetectionSettings


class CameraHealth(BaseModel):
    """One camera's health. Heartbeat figures come from its latest heartbeat (null when it never sent one);
    times are UTC."""

    camera_id: uuid.UUID
    camera_name: str
    org_id: uuid.UUID
    store_id: uuid.UUID
    store_name: str
    enabled: bool
    is_counting_line: bool
    status: CameraStatus
    stale_reason: str | None = Field(
        description="Why a stale camera is stale: stream_reconnecting, stream_failed, stream_frozen, "
        "no_frames, frames_not_advancing, events_stalled; null otherwise."
    )
    last_heartbeat_at: datetime | None
    fps: float | None = Field(description="Processing frames per second in the latest heartbeat.")
    frames_dropped: int | None
    worker_version: str | None
    outbox_depth: int | None = Field(description="Events waiting in the worker's outbox.")
    events_dropped: int | None
    stream_status: str | None
    last_error: str | None
    last_event_at: datetime | None = Field(description="The newest event time (`ts`) received.")
    last_event_received_at: datetime | None = Field(
        description="When a batch of events last arrived (replayed or late events have older `ts`)."
    )
    config_version: int = Field(
        description="The camera config's current version (every change increments it)."
    )
    applied_config_version: int | None = Field(
        description="The config version the worker reported running in its latest live heartbeat (null: none "
        "reported; lower than `config_version`: the change has not reached the worker yet)."
    )
    detection_running: DetectionSettings | None = Field(
        description="The detection settings the worker reported running; they differ from the camera's "
        "where the worker refused one (`last_error` says why)."
    )
    snapshot_at: datetime | None
    snapshot_age_s: float | None = Field(description="Seconds since the latest snapshot was captured.")
    events_last_hour: int = Field(description="Events that arrived within the last 3600 s.")
    last_count_audit: CountAuditOut | None = Field(
        description="The camera's last count audit (the latest window, then the latest recorded); null when "
        "it has none."
    )
    count_audit_below_target: bool = Field(
        description="The last count audit's overall accuracy is below STOREINTEL_COUNT_AUDIT_TARGET (0.95 by "
        "default); false without an audit or when it measured nothing."
    )
