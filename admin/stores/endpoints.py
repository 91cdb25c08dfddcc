"""`/admin/stores`: provision and manage stores of any organization."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter

from admin.common import Page, PageDep
from admin.stores import repository, service
from admin.stores.schemas import StoreCreate, StoreOut, StoreUpdate
from backend.auth.deps import CurrentAdmin
from backend.deps import SessionDep
from backend.routing import AuthFirstRoute

router = APIRouter(route_class=AuthFirstRoute, prefix="/stores", tags=["admin: stores"])
_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such store"}}


@router.post("", status_code=201, responses={404: {"description": "No such organization"}, 409: {}})
async def create_store(body: StoreCreate, admin: CurrentAdmin, session: SessionDep) -> StoreOut:
    """Create a store in an active organization."""
    return StoreOut.model_validate(await service.create(session, admin, body))


@router.get("")
async def list_stores(
    session: SessionDep,
    page: PageDep,
    org_id: uuid.UUID | None = None,
    active: bool | None = None,
    sort: Literal["name", "-name", "created_at", "-created_at"] = "name",
) -> Page[StoreOut]:
    """Stores, filtered by organization and `active`, sorted."""
    rows, total = await repository.list_page(session, page, sort, org_id=org_id, active=active)
    return Page(
        items=[StoreOut.model_validate(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{store_id}", responses=_404)
async def get_store(store_id: uuid.UUID, session: SessionDep) -> StoreOut:
    """One store."""
    return StoreOut.model_validate(await service.get(session, store_id))


@router.patch("/{store_id}", responses=_404)
async def update_store(
    store_id: uuid.UUID, body: StoreUpdate, admin: CurrentAdmin, session: SessionDep
) -> StoreOut:
    """Change a store's name, timezone, opening hours or address."""
    return StoreOut.model_validate(await service.update(session, admin, store_id, body))


@router.post("/{store_id}/deactivate", responses=_404)
async def deactivate_store(store_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep) -> StoreOut:
    """Deactivate: owners stop seeing it and its workers are refused; nothing is deleted."""
    return StoreOut.model_validate(await service.set_active(session, admin, store_id, False))


@router.post("/{store_id}/activate", responses=_404)
async def activate_store(store_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep) -> StoreOut:
    """Reactivate a deactivated store."""
    return StoreOut.model_validate(await service.set_active(session, admin, store_id, True))
