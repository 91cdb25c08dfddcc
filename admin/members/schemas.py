"""Member and invite bodies and representations. Invite tokens appear only in `InviteIssued`."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr

from backend.models import Role


class InviteCreate(BaseModel):
    """Invite an email address to the organization with a role (owner by default)."""

    email: EmailStr
    role: Role = Role.OWNER


class InviteOut(BaseModel):
    """An invite as admins see it (also its audit-log state); never its token or token hash."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    created_by: uuid.UUID | None


class InviteIssued(BaseModel):
    """A new invite with its one-time `token` and `link` (shown once). `emailed` is true when the link was
    sent by SMTP; otherwise hand the link to the invitee yourself."""

    invite: InviteOut
    token: str
    link: str
    emailed: bool


class MemberOut(BaseModel):
    """A user's membership of the organization (also its audit-log state)."""

    org_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    full_name: str | None
    role: Role
    is_active: bool
    created_at: datetime


class MemberUpdate(BaseModel):
    """A new role."""

    role: Role
