"""`GET /stores` and `GET /stores/{store_id}` for owners and viewers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from backend.auth.deps import CurrentUser
from backend.deps import SessionDep, SettingsDep
from backend.models import Store
from backend.models.base import utcnow
from backend.routing import AuthFirstRoute
from backend.stores import repository
from backend.stores.schemas import CameraSummary, StoreOut
from backend.tenancy import get_readable_store

router = APIRouter(route_class=AuthFirstRoute, tags=["stores"])


def _out(store: Store, cameras: CameraSummary) -> StoreOut:
    return StoreOut(
        id=store.id,
        org_id=store.org_id,
        name=store.name,
        timezone=store.timezone,
        opening_hours=store.opening_hours,
        address=store.address,
        created_at=store.created_at,
        cameras=cameras,
    )


@router.get("/stores")
async def list_stores(principal: CurrentUser, session: SessionDep, settings: SettingsDep) -> list[StoreOut]:
    """The stores this user may read, with their cameras' status summary."""
    stores = await repository.list_readable(session, principal)
    summaries = await repository.camera_summaries(session, stores, utcnow(), settings.camera_offline_after_s)
    return [_out(s, summaries[s.id]) for s in stores]


@router.get("/stores/{store_id}", responses={404: {"description": "No such store for this user"}})
async def get_store(
    store_id: uuid.UUID, principal: CurrentUser, session: SessionDep, settings: SettingsDep
) -> StoreOut:
    """One store (404 when it does not exist or belongs to another organization)."""
    store = await get_readable_store(session, principal, store_id)
    summaries = await repository.camera_summaries(session, [store], utcnow(), settings.camera_offline_after_s)
    return _out(store, summaries[store.id])
