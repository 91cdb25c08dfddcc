"""Organization bodies and representations of the admin API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from admin.common import Name


class OrganizationCreate(BaseModel):
    """A new organization."""

    name: Name


class OrganizationUpdate(BaseModel):
    """A rename."""

    name: Name


class OrganizationOut(BaseModel):
    """An organization as admins see it (also its audit-log state)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    is_active: bool
    created_at: datetime
    deletion_due_at: datetime | None = Field(
        description="UTC time at which the organization and all its data are purged; null: no deletion "
        "is scheduled. Cancellable until then (POST …/cancel-deletion)."
    )
