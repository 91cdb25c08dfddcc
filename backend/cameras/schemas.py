"""Owner-facing camera representations: what a store's cameras watch, drawn over their snapshots."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from backend.models.enums import InSide, ZoneKind


class CameraLineOut(BaseModel):
    """The counting line: endpoints in normalized image coordinates (0..1, y down) and the in side."""

    x1: float
    y1: float
    x2: float
    y2: float
    in_side: InSide


class CameraZoneOut(BaseModel):
    """A zone: its polygon `[[x, y], …]` in normalized image coordinates (0..1, y down)."""

    id: uuid.UUID
    name: str
    kind: ZoneKind
    polygon: list[list[float]]


class OwnerCameraOut(BaseModel):
    """A store's enabled camera as owners and viewers see it (no key, no detection settings).

    `status` is online when its last heartbeat is within the offline threshold (as in `/live`);
    `snapshot_at` (UTC) is when its latest person-blurred snapshot was taken, null when it has none.
    """

    id: uuid.UUID
    store_id: uuid.UUID
    name: str
    is_counting_line: bool
    status: Literal["online", "offline"]
    last_heartbeat_at: datetime | None
    snapshot_at: datetime | None = Field(description="UTC capture time of the latest snapshot, or null")
    line: CameraLineOut | None
    zones: list[CameraZoneOut]
