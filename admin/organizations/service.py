"""Organization logic: every write is audited. Raises domain errors, never commits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from admin.audit import service as audit
from admin.organizations import repository
from admin.organizations.schemas import OrganizationCreate, OrganizationOut, OrganizationUpdate
from backend.auth.principals import UserPrincipal
from backend.errors import Conflict, NotFound
from backend.models import Organization


async def get(session: AsyncSession, org_id: uuid.UUID) -> Organization:
    """The organization.

    Raises:
        NotFound: no such organization.
    """
    org = await repository.get(session, org_id)
    if org is None:
        raise NotFound("Organization not found.")
    return org


async def create(session: AsyncSession, actor: UserPrincipal, body: OrganizationCreate) -> Organization:
    """Create an active organization."""
    org = await repository.add(session, Organization(name=body.name, is_active=True))
    await _audit(session, actor, "organization.create", org, None)
    return org


async def rename(
    session: AsyncSession, actor: UserPrincipal, org_id: uuid.UUID, body: OrganizationUpdate
) -> Organization:
    """Rename an organization.

    Raises:
        NotFound: no such organization.
    """
    org = await get(session, org_id)
    before = OrganizationOut.model_validate(org)
    org.name = body.name
    await session.flush()
    await _audit(session, actor, "organization.update", org, before)
    return org


async def set_active(
    session: AsyncSession, actor: UserPrincipal, org_id: uuid.UUID, active: bool
) -> Organization:
    """Deactivate or reactivate an organization. Nothing is deleted: while inactive its members' roles in
    it are ignored (`load_principal`) and its cameras' workers are refused (`get_current_camera`).

    Raises:
        NotFound: no such organization.
        Conflict: its deletion is scheduled (cancel it first, which restores its earlier state).
    """
    org = await get(session, org_id)
    if org.deletion_due_at is not None:
        raise Conflict("The organization is scheduled for deletion: cancel the deletion first.")
    before = OrganizationOut.model_validate(org)
    org.is_active = active
    await session.flush()
    await _audit(
        session, actor, "organization.activate" if active else "organization.deactivate", org, before
    )
    return org


async def schedule_deletion(
    session: AsyncSession, actor: UserPrincipal, org_id: uuid.UUID, *, grace_s: float, now: datetime
) -> Organization:
    """Deactivate the organization at once (its owners and workers lose access, as with `/deactivate`) and
    schedule its purge for `now + grace_s` (UTC; seconds, `STOREINTEL_ORG_DELETION_GRACE_S`). The purge
    (`backend.organizations.deletion.purge_due`) then deletes every row and snapshot file of it.

    Raises:
        NotFound: no such organization.
        Conflict: its deletion is already scheduled.
    """
    org = await get(session, org_id)
    if org.deletion_due_at is not None:
        raise Conflict("The organization's deletion is already scheduled.")
    before = OrganizationOut.model_validate(org)
    org.active_before_deletion = org.is_active
    org.is_active = False
    org.deletion_due_at = now + timedelta(seconds=grace_s)
    org.deletion_requested_by = actor.user_id
    await session.flush()
    await _audit(session, actor, "organization.schedule_deletion", org, before)
    return org


async def cancel_deletion(session: AsyncSession, actor: UserPrincipal, org_id: uuid.UUID) -> Organization:
    """Cancel a scheduled deletion during its grace period: the organization gets back the `is_active` it
    had when the deletion was requested.

    Raises:
        NotFound: no such organization (also once it has been purged).
        Conflict: no deletion is scheduled.
    """
    org = await get(session, org_id)
    if org.deletion_due_at is None:
        raise Conflict("No deletion of the organization is scheduled.")
    before = OrganizationOut.model_validate(org)
    org.is_active = bool(org.active_before_deletion)
    org.deletion_due_at = org.deletion_requested_by = org.active_before_deletion = None
    await session.flush()
    await _audit(session, actor, "organization.cancel_deletion", org, before)
    return org


async def _audit(
    session: AsyncSession,
    actor: UserPrincipal,
    action: str,
    org: Organization,
    before: OrganizationOut | None,
) -> None:
    """Record an admin write of the organization, with its state before (None: created) and now."""
    await audit.record(
        session,
        actor,
        action,
        entity_type="organization",
        entity_id=org.id,
        org_id=org.id,
        before=before,
        after=OrganizationOut.model_validate(org),
    )
