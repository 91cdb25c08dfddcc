"""Invites, owner sessions, password resets, the built-in issuer's signing keys and the admin audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, CreatedAtMixin, TenantMixin, utcnow
from backend.models.enums import Role, str_enum


class Invite(TenantMixin, CreatedAtMixin, Base):
    """A one-time invitation of an email address to an organization with a role.

    Only the keyed hash of the token is stored (`token_hash`, hex HMAC-SHA256); the token itself is shown
    once to the admin and sent to the invitee.
    """

    __tablename__ = "invites"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organizations.id"]),
        Index(None, "token_hash"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class RefreshToken(CreatedAtMixin, Base):
    """One refresh token of a signed-in browser (the `storeintel_session` cookie), docs/security.md.

    A sign-in starts a family; every refresh marks the presented token used and issues its successor in
    the same family, so presenting a used token again means it was copied: the whole family is revoked.
    Only the keyed hash of the token is stored. `expires_at` is this token's idle deadline (issue time plus
    the idle TTL, never beyond `family_expires_at`, the sign-in time plus the absolute TTL).
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index(None, "token_hash", unique=True),
        Index(None, "family_id"),
        Index(None, "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    family_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    family_expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(comment="when it was exchanged for its successor")
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(200))


class PasswordReset(CreatedAtMixin, Base):
    """A one-time password reset link sent by email; only the keyed hash of its token is stored."""

    __tablename__ = "password_resets"
    __table_args__ = (Index(None, "token_hash", unique=True), Index(None, "user_id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SigningKey(CreatedAtMixin, Base):
    """An ES256 key of the built-in token issuer. Retired keys keep verifying until their tokens expire."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]]
    retired_at: Mapped[datetime | None]


class AdminAuditEntry(Base):
    """One admin write: who did what to which entity, with the entity's state before and after (JSON)."""

    __tablename__ = "admin_audit_log"
    __table_args__ = (Index(None, "created_at"), Index(None, "org_id", "created_at"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    org_id: Mapped[uuid.UUID | None]
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
