"""Organizations (tenants), users and their memberships."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, CreatedAtMixin
from backend.models.enums import Role, str_enum


class Organization(CreatedAtMixin, Base):
    """A tenant. Its `id` is the `org_id` every tenant-owned row carries.

    Deletion (docs/privacy.md): `deletion_due_at` (UTC) is set when an admin asks for the organization to be
    deleted; it is inactive from then on and purged, every row and snapshot file, once that time has passed
    (`backend.organizations.deletion`). `deletion_requested_by` is that admin and `active_before_deletion`
    the `is_active` it had, restored when the deletion is cancelled. All three are null when none is due.
    """

    __tablename__ = "organizations"
    __table_args__ = (Index(None, "deletion_due_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    deletion_due_at: Mapped[datetime | None]
    deletion_requested_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    active_before_deletion: Mapped[bool | None]


class User(CreatedAtMixin, Base):
    """A person who signs in: a store owner or viewer, or one of our staff (`is_superadmin`).

    Users are global (one login across organizations); `external_subject` maps an external identity
    provider's `sub` claim to the user.
    """

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    external_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_superadmin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # Built-in access tokens issued (`iat`) before this time (UTC, whole seconds) are refused: set when the
    # password changes or the user loses their last membership, since access tokens are stateless for
    # their 15 minutes otherwise (backend.auth.sessions.end_all_sessions).
    tokens_valid_after: Mapped[datetime | None]


class Membership(CreatedAtMixin, Base):
    """A user's role in one organization."""

    __tablename__ = "memberships"
    __table_args__ = (Index(None, "user_id"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
