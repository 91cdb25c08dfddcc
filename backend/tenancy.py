"""The one place tenant scoping is written: which stores a principal may read or write.

Every owner-facing query starts from `readable_stores` (or a store fetched through `get_readable_store`),
so a route cannot forget a tenant filter. Another tenant's store is indistinguishable from a missing one.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principals import UserPrincipal
from backend.errors import Forbidden, NotFound
from backend.models import Role, Store


def readable_stores(principal: UserPrincipal) -> Select[Store]:
    """Active stores of the active organizations the principal is an owner or viewer of."""
    return select(Store).where(Store.org_id.in_(list(principal.roles)), Store.is_active.is_(True))


async def get_readable_store(session: AsyncSession, principal: UserPrincipal, store_id: uuid.UUID) -> Store:
    """One store the principal may read.

    Raises:
        NotFound: the store does not exist, is deactivated, or belongs to another organization.
    """
    store = await session.scalar(readable_stores(principal).where(Store.id == store_id))
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
