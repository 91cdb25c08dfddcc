"""Audit log entries as the admin API returns them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryOut(BaseModel):
    """One admin write: `action` is `<entity>.<verb>`; `before`/`after` are the entity's admin views."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    actor_user_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: str | None
    org_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
