"""Accounts: password login, superadmins, and invites. Services raise domain errors and never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.crypto import generate_token, keyed_hash
from backend.auth.passwords import MIN_PASSWORD_LENGTH, hash_password, needs_rehash, verify_password
from backend.config import Settings
from backend.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from backend.models import Invite, Membership, Organization, Role, User
from backend.models.base import utcnow
from backend.validation import email_address


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively: store and look them up lower-cased and trimmed."""
    return email.strip().lower()


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    """The active user with this email and password.

    Raises:
        NotAuthenticated: unknown email, wrong password, no password set, or a disabled user (one message).
    """
    user = await session.scalar(select(User).where(User.email == normalize_email(email)))
    if (
        not verify_password(user.password_hash if user else None, password)
        or user is None
        or not user.is_active
    ):
        raise NotAuthenticated("Wrong email or password.")
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


async def create_superadmin(session: AsyncSession, email: str, password: str) -> User:
    """Create a superadmin, or promote an existing user (setting the password given).

    Raises:
        ValidationFailed: the email is one the login route would refuse (`email_address`), or the
            password is shorter than the minimum.
    """
    email_address(email.strip())
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.for_field("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    email = normalize_email(email)
    user = await session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email)
        session.add(user)
    user.password_hash = hash_password(password)
    user.is_superadmin = True
    user.is_active = True
    await session.flush()
    return user


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    """A new invite and its one-time token (shown once; only its hash is stored)."""

    invite: Invite
    token: str
    link: str


async def create_invite(
    session: AsyncSession,
    settings: Settings,
    org_id: uuid.UUID,
    email: str,
    role: Role,
    created_by: uuid.UUID | None,
) -> IssuedInvite:
    """Invite `email` to an organization with `role`; earlier pending invites for that email are revoked.

    Raises:
        NotFound: the organization does not exist.
        Conflict: the email already belongs to a member of the organization.
    """
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound("Organization not found.")
    email = normalize_email(email)
    member = await session.scalar(
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.org_id == org_id, User.email == email)
    )
    if member is not None:
        raise Conflict(f"{email} is already a member of this organization.")
    now = utcnow()
    pending = await session.scalars(
        select(Invite).where(
            Invite.org_id == org_id,
            Invite.email == email,
            Invite.accepted_at.is_(None),
            Invite.revoked_at.is_(None),
        )
    )
    for earlier in pending:
        earlier.revoked_at = now
    token = generate_token()
    invite = Invite(
        org_id=org_id,
        email=email,
        role=role,
        token_hash=keyed_hash(settings.server_secret, token),
        expires_at=now + timedelta(hours=settings.invite_ttl_hours),
        created_by=created_by,
    )
    session.add(invite)
    await session.flush()
    link = f"{settings.public_base_url.rstrip('/')}/invite#token={token}"
    return IssuedInvite(invite=invite, token=token, link=link)


async def accept_invite(
    session: AsyncSession, settings: Settings, token: str, password: str, full_name: str | None
) -> User:
    """Redeem an invite: create the account (or set the password of an existing one) and the membership.

    Raises:
        NotFound: the token is unknown, already used, revoked or expired (one message, nothing leaks).
    """
    token_hash = keyed_hash(settings.server_secret, token)
    invite = await session.scalar(select(Invite).where(Invite.token_hash == token_hash).with_for_update())
    now = utcnow()
    if invite is None or invite.accepted_at or invite.revoked_at or invite.expires_at <= now:
        raise NotFound("This invite is invalid or has expired.")
    user = await session.scalar(select(User).where(User.email == invite.email))
    if user is None:
        user = User(email=invite.email, full_name=full_name)
        session.add(user)
    elif full_name:
        user.full_name = full_name
    user.password_hash = hash_password(password)
    user.is_active = True
    await session.flush()
    membership = await session.get(Membership, (invite.org_id, user.id))
    if membership is None:
        session.add(Membership(org_id=invite.org_id, user_id=user.id, role=invite.role))
    else:
        membership.role = invite.role
    invite.accepted_at = now
    await session.flush()
    return user
