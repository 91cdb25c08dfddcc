"""Owner browser sessions: refresh tokens rotated on every use, with reuse detection, and ending sessions.

A sign-in starts a *family* of refresh tokens. Each refresh exchanges the presented token for a new one in
the same family; a token is good once. Presenting a used token again means two parties hold it (it was
copied), so the whole family is revoked and both must sign in again. Tokens are stored as keyed hashes.
Services here never commit; the request's session does (so a refusal that revokes a family is *returned*,
not raised: raising would roll the revocation back).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.crypto import generate_token, keyed_hash
from backend.config import Settings
from backend.models import RefreshToken, User
from backend.models.base import utcnow

USER_AGENT_MAX_LENGTH = 200


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new refresh token (the cookie's value, shown once) and when it stops working (UTC)."""

    token: str
    expires_at: datetime


RefusalReason = Literal["unknown", "expired", "revoked", "reused", "disabled"]


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a refresh was refused; `family_id` is set when the token was ours (for the log)."""

    reason: RefusalReason
    family_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Rotated:
    """A refresh that succeeded: the user, and the successor token to set as the cookie."""

    user: User
    issued: IssuedSession


def _trim(user_agent: str | None) -> str | None:
    return user_agent[:USER_AGENT_MAX_LENGTH] if user_agent else None


def _add_token(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    family_expires_at: datetime,
    user_agent: str | None,
    now: datetime,
) -> IssuedSession:
    token = generate_token()
    expires_at = min(now + timedelta(seconds=settings.session_idle_ttl_s), family_expires_at)
    session.add(
        RefreshToken(
            family_id=family_id,
            user_id=user_id,
            token_hash=keyed_hash(settings.server_secret, token),
            created_at=now,
            expires_at=expires_at,
            family_expires_at=family_expires_at,
            user_agent=_trim(user_agent),
        )
    )
    return IssuedSession(token=token, expires_at=expires_at)


async def start_session(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, user_agent: str | None
) -> IssuedSession:
    """Start a new family for a sign-in: valid for the idle TTL, renewable up to the absolute TTL."""
    now = utcnow()
    family_expires_at = now + timedelta(seconds=settings.session_absolute_ttl_s)
    issued = _add_token(session, settings, user_id, uuid.uuid4(), family_expires_at, user_agent, now)
    await session.flush()
    return issued


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def _presented(session: AsyncSession, settings: Settings, token: str) -> RefreshToken | None:
    """The stored refresh token a browser presented (looked up by its keyed hash), or None."""
    return await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == keyed_hash(settings.server_secret, token))
    )


async def rotate_session(
    session: AsyncSession, settings: Settings, token: str, user_agent: str | None
) -> Rotated | Refused:
    """Exchange a refresh token for its successor.

    Returns `Refused` for an unknown, expired or revoked token, a disabled or deleted user (the family is
    revoked), or a token already exchanged (`reused`: the family is revoked). The caller must let the
    request commit in every case so those revocations stick.
    """
    now = utcnow()
    presented = await _presented(session, settings, token)
    if presented is None:
        return Refused("unknown")
    family_id = presented.family_id
    if presented.revoked_at is not None:
        return Refused("revoked", family_id)
    if presented.used_at is not None:
        await _revoke_family(session, family_id, now)
        return Refused("reused", family_id)
    if presented.expires_at <= now:
        return Refused("expired", family_id)
    user = await session.get(User, presented.user_id)
    if user is None or not user.is_active:
        await _revoke_family(session, family_id, now)
        return Refused("disabled", family_id)
    # Conditional on "not used yet" so two concurrent refreshes with one token cannot both succeed: the
    # loser sees no row updated and is treated as a reuse.
    claimed = await session.scalar(
        update(RefreshToken)
        .where(
            RefreshToken.id == presented.id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
        .returning(RefreshToken.id)
    )
    if claimed is None:
        await _revoke_family(session, family_id, now)
        return Refused("reused", family_id)
    issued = _add_token(
        session,
        settings,
        user.id,
        family_id,
        presented.family_expires_at,
        user_agent or presented.user_agent,
        now,
    )
    await session.flush()
    return Rotated(user=user, issued=issued)


async def end_session(session: AsyncSession, settings: Settings, token: str) -> uuid.UUID | None:
    """Revoke the family of a presented refresh token (sign-out). Returns the user id, None if unknown."""
    presented = await _presented(session, settings, token)
    if presented is None:
        return None
    await _revoke_family(session, presented.family_id, utcnow())
    return presented.user_id


async def end_all_sessions(session: AsyncSession, user_id: uuid.UUID) -> datetime:
    """Sign a user out everywhere: revoke every refresh token and refuse every access token issued so far.

    Access tokens carry `iat` in whole seconds, so the cutoff is now truncated to the second: tokens
    issued before this second are refused, and a token issued after this call (its `iat` is this second
    or later) is accepted. Returns the cutoff (UTC).
    """
    now = utcnow()
    cutoff = now.replace(microsecond=0)
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(update(User).where(User.id == user_id).values(tokens_valid_after=cutoff))
    return cutoff
