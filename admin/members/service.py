"""Member and invite logic on top of backend.auth.service; every write is audited. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from admin.audit import service as audit
from admin.common import PageParams
from admin.members import repository
from admin.members.schemas import InviteCreate, InviteOut, MemberOut, MemberUpdate
from admin.organizations import service as organizations
from backend.auth import service as auth
from backend.auth.mail import deliver_invite
from backend.auth.principals import UserPrincipal
from backend.auth.sessions import end_all_sessions
from backend.config import Settings
from backend.errors import Conflict, NotFound
from backend.models import Invite, Membership, User
from backend.models.base import utcnow


def member_out(membership: Membership, user: User) -> MemberOut:
    """The admin view of one membership."""
    return MemberOut(
        org_id=membership.org_id,
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=membership.role,
        is_active=user.is_active,
        created_at=membership.created_at,
    )


async def invite(
    session: AsyncSession, settings: Settings, actor: UserPrincipal, org_id: uuid.UUID, body: InviteCreate
) -> tuple[auth.IssuedInvite, bool]:
    """Invite an email to an active organization and deliver the link (SMTP when configured, else logged).

    Earlier pending invites of the same email to this organization are revoked (and audited). Returns the
    issued invite (token shown once) and whether it was emailed.

    Raises:
        NotFound: no such organization.
        Conflict: the organization is deactivated, or the email is already a member.
    """
    org = await organizations.get(session, org_id)
    if not org.is_active:
        raise Conflict("The organization is deactivated; reactivate it before inviting members.")
    email = auth.normalize_email(str(body.email))
    earlier = await repository.pending_invites_for(session, org_id, email)
    before = {i.id: InviteOut.model_validate(i) for i in earlier}
    issued = await auth.create_invite(session, settings, org_id, email, body.role, actor.user_id)
    for revoked in earlier:
        await audit.record(
            session,
            actor,
            "invite.revoke",
            entity_type="invite",
            entity_id=revoked.id,
            org_id=org_id,
            before=before[revoked.id],
            after=InviteOut.model_validate(revoked),
        )
    await audit.record(
        session,
        actor,
        "invite.create",
        entity_type="invite",
        entity_id=issued.invite.id,
        org_id=org_id,
        before=None,
        after=InviteOut.model_validate(issued.invite),
    )
    emailed = await deliver_invite(settings, email, org.name, issued.link)
    return issued, emailed


async def revoke_invite(
    session: AsyncSession, actor: UserPrincipal, org_id: uuid.UUID, invite_id: uuid.UUID
) -> Invite:
    """Revoke a pending invite so its link stops working (revoking twice changes nothing).

    Raises:
        NotFound: no such invite in this organization.
        Conflict: the invite was already accepted (remove the member instead).
    """
    found = await repository.get_invite(session, org_id, invite_id)
    if found is None:
        raise NotFound("Invite not found.")
    if found.accepted_at is not None:
        raise Conflict("The invite was already accepted; remove the member instead.")
    if found.revoked_at is None:
        before = InviteOut.model_validate(found)
        found.revoked_at = utcnow()
        await session.flush()
        await audit.record(
            session,
            actor,
            "invite.revoke",
            entity_type="invite",
            entity_id=found.id,
            org_id=org_id,
            before=before,
            after=InviteOut.model_validate(found),
        )
    return found


async def list_invites(
    session: AsyncSession, org_id: uuid.UUID, page: PageParams, sort: str, *, pending_only: bool
) -> tuple[list[Invite], int]:
    """The organization's invites (only redeemable ones when `pending_only`).

    Raises:
        NotFound: no such organization.
    """
    await organizations.get(session, org_id)
    return await repository.list_invites(
        session, org_id, page, sort, pending_at=utcnow() if pending_only else None
    )


async def list_members(
    session: AsyncSession, org_id: uuid.UUID, page: PageParams, sort: str
) -> tuple[list[MemberOut], int]:
    """One page of the organization's members.

    Raises:
        NotFound: no such organization.
    """
    await organizations.get(session, org_id)
    rows, total = await repository.list_members(session, org_id, page, sort)
    return [member_out(m, u) for m, u in rows], total


async def _member(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Membership, User]:
    found = await repository.get_member(session, org_id, user_id)
    if found is None:
        raise NotFound("Member not found.")
    return found


async def change_role(
    session: AsyncSession, actor: UserPrincipal, org_id: uuid.UUID, user_id: uuid.UUID, body: MemberUpdate
) -> MemberOut:
    """Give a member a new role; effective on their next request.

    Raises:
        NotFound: the user is not a member of the organization.
    """
    membership, user = await _member(session, org_id, user_id)
    before = member_out(membership, user)
    membership.role = body.role
    await session.flush()
    after = member_out(membership, user)
    await audit.record(
        session,
        actor,
        "member.update",
        entity_type="member",
        entity_id=f"{org_id}:{user_id}",
        org_id=org_id,
        before=before,
        after=after,
    )
    return after


async def remove(session: AsyncSession, actor: UserPrincipal, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Remove a member from the organization; their account stays (other memberships are untouched).

    Roles are read on every request, so the organization is gone from the user's next request. A user left
    with no membership of an active organization (and not a superadmin) is also signed out everywhere
    (`end_all_sessions`), so no browser of theirs keeps a session it has no use for.

    Raises:
        NotFound: the user is not a member of the organization.
    """
    membership, user = await _member(session, org_id, user_id)
    before = member_out(membership, user)
    await repository.delete_member(session, membership)
    if not user.is_superadmin and not await repository.has_active_membership(session, user_id):
        await end_all_sessions(session, user_id)
    await audit.record(
        session,
        actor,
        "member.remove",
        entity_type="member",
        entity_id=f"{org_id}:{user_id}",
        org_id=org_id,
        before=before,
        after=None,
    )
