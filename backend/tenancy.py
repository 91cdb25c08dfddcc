"""The one place tenant scoping is written: which stores a principal may read or write.

Every owner-facing query starts from `readable_stores` (or a store fetched through `get_readable_store`),
so a route cannot forget a tenant filter. Another tenant's store is indistinguishable from a missing one.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BindParameter, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principals import UserPrincipal
from backend.errors import Forbidden, NotFound
from backend.models import Role, Store


def _active_stores_of(org_ids: list[uuid.UUID] | BindParameter[list[uuid.UUID]]) -> Select[Store]:
    return select(Store).where(Store.org_id.in_(org_ids), Store.is_active.is_(True))


def readable_stores(principal: UserPrincipal) -> Select[Store]:
    """Active stores of the active organizations the principal is an owner or viewer of."""
    return _active_stores_of(list(principal.roles))


# `get_readable_store` runs on nearly every owner request: built once, as constructing it cost about as
# much as running it.
_READABLE_STORE = _active_stores_of(bindparam("org_ids", expanding=True)).where(
    Store.id == bindparam("store_id")
)


async def get_readable_store(session: AsyncSession, principal: UserPrincipal, store_id: uuid.UUID) -> Store:
    """One store the principal may read.

    Raises:
        NotFound: the store does not exist, is deactivated, or belongs to another organization.
    """
    store = await session.scalar(_READABLE_STORE, {"org_ids": list(principal.roles), "store_id": store_id})
    if store is None:
        raise NotFound("Store not found.")
    return store


async def get_writable_store(session: AsyncSession, principal: UserPrincipal, store_id: uuid.UUID) -> Store:
    """One store the principal may write to (owners only).

    Raises:
        NotFound: as for `get_readable_store`.
        Forbidden: the principal is only a viewer of the store's organization.
    """
    store = await get_readable_store(session, principal, store_id)
    if principal.role_in(store.org_id) is not Role.OWNER:
        raise Forbidden("Viewers cannot change store data.")
    return store
