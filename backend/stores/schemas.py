"""Owner-facing store representations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class CameraSummary(BaseModel):
    """How many of a store's cameras are reporting (online: a heartbeat within the offline threshold)."""

    total: int
    online: int
    offline: int
    counting_cameras: int


class StoreOut(BaseModel):
    """A store as its owners and viewers see it. `opening_hours` is store-local (see the Store model)."""

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    timezone: str
    opening_hours: dict[str, Any]
    address: str | None
    created_at: datetime
    cameras: CameraSummary
