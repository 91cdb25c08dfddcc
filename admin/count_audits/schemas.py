"""Count-audit bodies and representations. Times are UTC; accuracies are fractions 0..1 (null: not
measured)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from backend.validation import Text, UtcTimestamp

# A door of a busy store sees a few thousand crossings a day; far above that is a typing error.
MAX_HAND_COUNT = 1_000_000


class CountAuditIn(BaseModel):
    """A hand count of the camera's line crossings over `[window_start, window_end)`: IN and OUT as a person
    counted them watching the door or a recording of it."""

    window_start: UtcTimestamp = Field(
        description="Start of the counted window, ISO 8601 with an offset (stored in UTC); an event stamped "
        "exactly at the start counts."
    )
    window_end: UtcTimestamp = Field(
        description="End of the window (exclusive): after the start, at most 24 h after it, not in the "
        "future."
    )
    hand_in: int = Field(ge=0, le=MAX_HAND_COUNT, description="People counted entering (IN).")
    hand_out: int = Field(ge=0, le=MAX_HAND_COUNT, description="People counted leaving (OUT).")
    note: Text | None = Field(
        default=None,
        max_length=1000,
        description="Free text: who counted, from what (live at the door, a recording), anything unusual.",
    )


class CountAuditOut(BaseModel):
    """A recorded count audit (also its audit-log state). `system_in`/`system_out` are the camera's IN/OUT
    events with `ts` in the window, as stored when the audit was recorded."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    store_id: uuid.UUID
    camera_id: uuid.UUID
    window_start: datetime
    window_end: datetime
    hand_in: int
    hand_out: int
    system_in: int
    system_out: int
    accuracy_in: float | None = Field(
        description="max(0, 1 - |system_in - hand_in| / hand_in); hand_in 0: null if system_in is 0 too "
        "(not measured), else 0."
    )
    accuracy_out: float | None = Field(description="As accuracy_in, for OUT.")
    accuracy: float | None = Field(
        description="Both directions: max(0, 1 - (|system_in - hand_in| + |system_out - hand_out|) / "
        "(hand_in + hand_out)); null when both hand counts and both errors are 0."
    )
    below_target: bool = Field(
        description="`accuracy` is below STOREINTEL_COUNT_AUDIT_TARGET (0.95 by default)."
    )
    note: str | None
    recorded_by: uuid.UUID | None = Field(description="The admin who recorded it.")
    created_at: datetime = Field(description="When it was recorded.")
