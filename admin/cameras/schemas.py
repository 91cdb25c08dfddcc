"""Camera bodies and representations of the admin API. No schema here carries a key hash."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from admin.common import Name
from backend.cameras.status import CameraStatus
from worker.protocol import DETECTION_DEFAULTS


class CameraCreate(BaseModel):
    """A new camera in a store. Only counting-line cameras feed footfall and occupancy."""

    store_id: uuid.UUID
    name: Name
    is_counting_line: bool = False
    target_fps: float = Field(
        default=DETECTION_DEFAULTS.target_fps,
        gt=0,
        le=60,
        description="Frames per second the worker processes.",
    )
    imgsz: int = Field(
        default=DETECTION_DEFAULTS.imgsz,
        ge=160,
        le=1920,
        multiple_of=32,
        description="Detector input size, pixels. A fixed-size model export (the shipped OpenVINO INT8 "
        "model is 640) runs only at its own size; the worker reports any other in `last_error`.",
    )
    conf: float = Field(
        default=DETECTION_DEFAULTS.conf,
        ge=0.01,
        le=0.99,
        description="Detector confidence threshold handed to the tracker.",
    )


class CameraUpdate(BaseModel):
    """Fields to change; omitted fields keep their value. Any change bumps `config_version`."""

    name: Name | None = None
    is_counting_line: bool | None = None
    target_fps: float | None = Field(default=None, gt=0, le=60)
    imgsz: int | None = Field(default=None, ge=160, le=1920, multiple_of=32)
    conf: float | None = Field(default=None, ge=0.01, le=0.99)


class CameraOut(BaseModel):
    """A camera's configuration as admins see it (also its audit-log state). `key_prefix` is the public
    part of the worker key, shown in logs; the key itself is never returned after creation/rotation."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    store_id: uuid.UUID
    name: str
    is_counting_line: bool
    enabled: bool
    key_prefix: str
    key_rotated_at: datetime
    config_version: int
    target_fps: float
    imgsz: int
    conf: float
    snapshot_requested: bool
    created_at: datetime


class CameraDetail(CameraOut):
    """A camera with its derived status and when it was last heard from (UTC)."""

    status: CameraStatus
    last_heartbeat_at: datetime | None
    last_event_at: datetime | None
    snapshot_at: datetime | None


class CameraWithKey(BaseModel):
    """A camera and its worker key: the only response that ever contains the key. Store it in the
    worker's configuration now; it cannot be shown again (rotate to get a new one)."""

    camera: CameraOut
    worker_key: str
