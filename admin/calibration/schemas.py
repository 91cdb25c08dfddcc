"""Calibration bodies and representations. Coordinates are normalized: 0..1 from the top-left, y down."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.models import InSide, ZoneKind
from backend.validation import Text

Coordinate = Annotated[float, Field(ge=0.0, le=1.0)]


class Direction(BaseModel):
    """A direction in normalized image coordinates (x right, y down), for example drawn as an arrow on
    the snapshot; only its direction matters."""

    dx: float = Field(ge=-1.0, le=1.0)
    dy: float = Field(ge=-1.0, le=1.0)


class CountingLineIn(BaseModel):
    """The counting line: endpoints (x1, y1) → (x2, y2) and which side of that directed segment is inside
    the store (see docs/worker-protocol.md for the side convention)."""

    x1: Coordinate
    y1: Coordinate
    x2: Coordinate
    y2: Coordinate
    in_side: InSide
    walking_direction: Direction | None = Field(
        default=None,
        description="The usual walking direction through the entrance, when known; used only to warn "
        "when the line is nearly parallel to it. Not stored.",
    )


class CountingLineOut(BaseModel):
    """A stored counting line (also its audit-log state)."""

    model_config = ConfigDict(from_attributes=True)

    camera_id: uuid.UUID
    x1: float
    y1: float
    x2: float
    y2: float
    in_side: InSide
    updated_at: datetime


class CalibrationWarningOut(BaseModel):
    """A hint that does not block saving: `short_line`, `near_edge` or `parallel_to_walking`."""

    code: str
    message: str


class CountingLineSaved(BaseModel):
    """The saved line, the camera's new `config_version`, and calibration warnings (possibly none)."""

    counting_line: CountingLineOut
    config_version: int
    warnings: list[CalibrationWarningOut]


class ZoneIn(BaseModel):
    """A named zone: a simple polygon of 3 to 100 vertices `[[x, y], ...]` in normalized coordinates."""

    name: Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    kind: ZoneKind
    polygon: list[tuple[Coordinate, Coordinate]] = Field(min_length=3, max_length=100)


class ZoneOut(BaseModel):
    """A stored zone (also its audit-log state)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    camera_id: uuid.UUID
    store_id: uuid.UUID
    name: str
    kind: ZoneKind
    polygon: list[list[float]]
    created_at: datetime


class ZoneSaved(BaseModel):
    """The saved zone and the camera's new `config_version`."""

    zone: ZoneOut
    config_version: int


class SnapshotRequested(BaseModel):
    """The camera's worker will upload a fresh snapshot after its next config poll."""

    snapshot_requested: bool
