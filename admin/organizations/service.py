"""Organization logic: every write is audited. Raises domain errors, never commits."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from admin.audit import service as audit
from admin.organizations import repository
from admin.organizations.schemas import OrganizationCreate, OrganizationOut, OrganizationUpdate
from backend.auth.principals import UserPrincipal
from backend.errors import NotFound
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
    await audit.record(
        session,
        actor,
        "organization.create",
        entity_type="organization",
        entity_id=org.id,
        org_id=org.id,
        before=None,
        after=OrganizationOut.model_validate(org),
    )
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
    await audit.record(
        session,
        actor,
        "organization.update",
        entity_type="organization",
        entity_id=org.id,
        org_id=org.id,
        before=before,
        after=OrganizationOut.model_validate(org),
    )
    return org


async def set_active(
    session: AsyncSession, actor: UserPrincipal, org_id: uuid.UUID, active: bool
) -> Organization:
    """Deactivate or reactivate an organization. Nothing is deleted: while inactive its members' roles in
    it are ignored (`load_principal`) and its cameras' workers are refused (`get_current_camera`).

    Raises:
        NotFound: no such organization.
    """
    org = await get(session, org_id)
    before = OrganizationOut.model_validate(org)
    org.is_active = active
    await session.flush()
    await audit.record(
        session,
        actor,
        "organization.activate" if active else "organization.deactivate",
        entity_type="organization",
        entity_id=org.id,
        org_id=org.id,
        before=before,
        after=OrganizationOut.model_validate(org),
    )
    return org
