"""SQL of organization members and invites."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import PageParams, fetch_page, fetch_row_page, order_by
from backend.models import Invite, Membership, Organization, User


async def get_member(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Membership, User] | None:
    """The membership of `user_id` in `org_id` and the user, or None."""
    row = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.org_id == org_id, Membership.user_id == user_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def list_members(
    session: AsyncSession, org_id: uuid.UUID, page: PageParams, sort: str
) -> tuple[list[tuple[Membership, User]], int]:
    """One page of the organization's members, each with its user."""
    statement = (
        select(Membership, User).join(User, User.id == Membership.user_id).where(Membership.org_id == org_id)
    )
    columns = {"email": User.email, "created_at": Membership.created_at, "role": Membership.role}
    rows, total = await fetch_row_page(session, statement, page, order_by(sort, columns, Membership.user_id))
    return [(m, u) for m, u in rows], total


async def delete_member(session: AsyncSession, membership: Membership) -> None:
    """Remove a membership row (the user account stays)."""
    await session.delete(membership)
    await session.flush()


async def has_active_membership(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """True when the user is still a member of at least one active organization."""
    found = await session.scalar(
        select(Membership.org_id)
        .join(Organization, Organization.id == Membership.org_id)
        .where(Membership.user_id == user_id, Organization.is_active.is_(True))
        .limit(1)
    )
    return found is not None


async def get_invite(session: AsyncSession, org_id: uuid.UUID, invite_id: uuid.UUID) -> Invite | None:
    """The invite, or None."""
    return await session.get(Invite, (org_id, invite_id))


async def list_invites(
    session: AsyncSession, org_id: uuid.UUID, page: PageParams, sort: str, *, pending_at: datetime | None
) -> tuple[list[Invite], int]:
    """One page of the organization's invites; when `pending_at` (UTC) is given, only those still
    redeemable then (not accepted, not revoked, not expired)."""
    statement = select(Invite).where(Invite.org_id == org_id)
    if pending_at is not None:
        statement = statement.where(
            Invite.accepted_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > pending_at
        )
    columns = {"email": Invite.email, "created_at": Invite.created_at}
    return await fetch_page(session, statement, page, order_by(sort, columns, Invite.id))


async def pending_invites_for(session: AsyncSession, org_id: uuid.UUID, email: str) -> list[Invite]:
    """Invites of `email` (normalized) to the organization that are neither accepted nor revoked."""
    rows = await session.scalars(
        select(Invite).where(
            Invite.org_id == org_id,
            Invite.email == email,
            Invite.accepted_at.is_(None),
            Invite.revoked_at.is_(None),
        )
    )
    return list(rows)
