"""Request and response bodies of the authentication routes."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, EmailStr, Field

from backend.auth.passwords import MIN_PASSWORD_LENGTH
from backend.models import Role
from backend.validation import Text


class TokenRequest(BaseModel):
    """Email and password of a built-in account."""

    email: EmailStr
    password: Text = Field(min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    """An access token: send it as `Authorization: Bearer <access_token>`."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")


class InviteAcceptRequest(BaseModel):
    """Redeem an invite: the token from the invite link and the new account's password."""

    token: Text = Field(min_length=16, max_length=200)
    password: Text = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    full_name: Text | None = Field(default=None, max_length=200)


class PasswordChangeRequest(BaseModel):
    """Change the signed-in user's password: the current one (checked) and the new one."""

    current_password: Text = Field(min_length=1, max_length=1024)
    new_password: Text = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)


class PasswordResetRequest(BaseModel):
    """Ask for a password reset link by email."""

    email: EmailStr


class PasswordResetConfirm(BaseModel):
    """Complete a reset: the token from the emailed link and the new password."""

    token: Text = Field(min_length=16, max_length=200)
    password: Text = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)


class Accepted(BaseModel):
    """The request was taken; `detail` says what happens next (the same whatever the outcome)."""

    detail: str


class MembershipOut(BaseModel):
    """The user's role in one organization."""

    org_id: uuid.UUID
    org_name: str
    role: Role


class MeResponse(BaseModel):
    """The signed-in user and their organizations."""

    id: uuid.UUID
    email: str
    full_name: str | None
    is_superadmin: bool
    organizations: list[MembershipOut]
