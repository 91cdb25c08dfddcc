"""`/admin/organizations`: provision and manage tenants."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from admin.common import Page, PageDep
from admin.organizations import repository, service
from admin.organizations.schemas import OrganizationCreate, OrganizationOut, OrganizationUpdate
from backend.auth.deps import CurrentAdmin
from backend.deps import SessionDep, SettingsDep
from backend.models.base import utcnow
from backend.routing import AuthFirstRoute
from backend.validation import Text

router = APIRouter(route_class=AuthFirstRoute, prefix="/organizations", tags=["admin: organizations"])
_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such organization"}}
_404_SCHEDULED: dict[int | str, dict[str, Any]] = {
    **_404,
    409: {"description": "The organization is scheduled for deletion: cancel the deletion first"},
}
_404_409: dict[int | str, dict[str, Any]] = {
    **_404,
    409: {"description": "A deletion is already scheduled (DELETE) or none is (cancel-deletion)"},
}


@router.post("", status_code=201)
async def create_organization(
    body: OrganizationCreate, admin: CurrentAdmin, session: SessionDep
) -> OrganizationOut:
    """Create an organization (active)."""
    return OrganizationOut.model_validate(await service.create(session, admin, body))


@router.get("")
async def list_organizations(
    session: SessionDep,
    page: PageDep,
    active: bool | None = None,
    q: Annotated[Text | None, Query(max_length=200, description="Name contains (case-insensitive).")] = None,
    sort: Literal["name", "-name", "created_at", "-created_at"] = "name",
) -> Page[OrganizationOut]:
    """Organizations, filtered by `active` and name, sorted."""
    rows, total = await repository.list_page(session, page, sort, active=active, name_contains=q)
    return Page(
        items=[OrganizationOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{org_id}", responses=_404)
async def get_organization(org_id: uuid.UUID, session: SessionDep) -> OrganizationOut:
    """One organization."""
    return OrganizationOut.model_validate(await service.get(session, org_id))


@router.patch("/{org_id}", responses=_404)
async def rename_organization(
    org_id: uuid.UUID, body: OrganizationUpdate, admin: CurrentAdmin, session: SessionDep
) -> OrganizationOut:
    """Rename an organization."""
    return OrganizationOut.model_validate(await service.rename(session, admin, org_id, body))


@router.post("/{org_id}/deactivate", responses=_404_SCHEDULED)
async def deactivate_organization(
    org_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep
) -> OrganizationOut:
    """Deactivate: its owners and workers stop working at once; nothing is deleted."""
    return OrganizationOut.model_validate(await service.set_active(session, admin, org_id, False))


@router.post("/{org_id}/activate", responses=_404_SCHEDULED)
async def activate_organization(
    org_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep
) -> OrganizationOut:
    """Reactivate a deactivated organization."""
    return OrganizationOut.model_validate(await service.set_active(session, admin, org_id, True))


@router.delete("/{org_id}", status_code=202, responses=_404_409)
async def delete_organization(
    org_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep
) -> OrganizationOut:
    """Schedule the organization's deletion: it is deactivated at once and, after the grace period
    (`STOREINTEL_ORG_DELETION_GRACE_S`, seconds), every row and snapshot file of it is purged.
    `deletion_due_at` (UTC) says when; until then `POST …/cancel-deletion` undoes it."""
    org = await service.schedule_deletion(
        session, admin, org_id, grace_s=settings.org_deletion_grace_s, now=utcnow()
    )
    return OrganizationOut.model_validate(org)


@router.post("/{org_id}/cancel-deletion", responses=_404_409)
async def cancel_organization_deletion(
    org_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep
) -> OrganizationOut:
    """Cancel a scheduled deletion during its grace period; the organization is active again if it was
    when the deletion was requested."""
    return OrganizationOut.model_validate(await service.cancel_deletion(session, admin, org_id))
