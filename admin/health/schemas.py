"""Camera health as the admin API returns it."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from backend.cameras.status import CameraStatus


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
        description="Why a stale camera is stale: stream_<status>, no_frames, frames_not_advancing, "
        "events_stalled; null otherwise."
    )
    last_heartbeat_at: datetime | None
    fps: float | None = Field(description="Processing frames per second in the latest heartbeat.")
    frames_dropped: int | None
    worker_version: str | None
    outbox_depth: int | None = Field(description="Events waiting in the worker's outbox.")
    events_dropped: int | None
    stream_status: str | None
    last_error: str | None
    last_event_at: datetime | None
    snapshot_at: datetime | None
    snapshot_age_s: float | None = Field(description="Seconds since the latest snapshot was captured.")
    events_last_hour: int = Field(description="Events stamped within the last 3600 s.")
