"""Accounts: password login, password change and reset, superadmins, and invites.

Services raise domain errors and never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.crypto import generate_token, keyed_hash
from backend.auth.passwords import MIN_PASSWORD_LENGTH, hash_password, needs_rehash, verify_password
from backend.auth.sessions import end_all_sessions
from backend.config import Settings
from backend.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from backend.models import Invite, Membership, Organization, PasswordReset, Role, User
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


async def change_password(
    session: AsyncSession, user: User, current_password: str, new_password: str
) -> None:
    """Set a new password after checking the current one, and sign the user out everywhere
    (`end_all_sessions`: every refresh token revoked, every access token issued so far refused).

    Raises:
        ValidationFailed: on `body.current_password` when it is wrong (or the account has no password).
    """
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed.for_field("body.current_password", "is not your current password")
    user.password_hash = hash_password(new_password)
    await end_all_sessions(session, user.id)


def _link(settings: Settings, page: str, token: str) -> str:
    """The owner app's page `page` (`reset`, `invite`) with a one-time token in the URL fragment, which
    browsers never send to a server nor put in a Referer."""
    return f"{settings.public_base_url.rstrip('/')}/app/{page}#token={token}"


async def request_password_reset(session: AsyncSession, settings: Settings, email: str) -> str | None:
    """Issue a one-time reset link for the active user with this email who has a built-in password.

    Returns the link to email, or None when nobody gets one: an unknown email, a disabled user, or one
    without a password (invited but never accepted, or signing in through the external IdP only). The
    caller answers the same in every case. Earlier unused links of the user are revoked.
    """
    user = await session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active or user.password_hash is None:
        return None
    now = utcnow()
    pending = await session.scalars(
        select(PasswordReset).where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
        )
    )
    for earlier in pending:
        earlier.revoked_at = now
    token = generate_token()
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=keyed_hash(settings.server_secret, token),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.password_reset_ttl_minutes),
        )
    )
    await session.flush()
    return _link(settings, "reset", token)


async def confirm_password_reset(
    session: AsyncSession, settings: Settings, token: str, password: str
) -> User:
    """Redeem a reset token: set the new password and sign the user out everywhere (`end_all_sessions`).

    Raises:
        NotFound: the token is unknown, used, revoked or expired, or the user is disabled (one message).
    """
    token_hash = keyed_hash(settings.server_secret, token)
    reset = await session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash).with_for_update()
    )
    now = utcnow()
    user = await session.get(User, reset.user_id) if reset is not None else None
    if (
        reset is None
        or user is None
        or not user.is_active
        or reset.used_at
        or reset.revoked_at
        or reset.expires_at <= now
    ):
        raise NotFound("This link is invalid or has expired.")
    reset.used_at = now
    user.password_hash = hash_password(password)
    await end_all_sessions(session, user.id)
    await session.flush()
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
    link = _link(settings, "invite", token)
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
