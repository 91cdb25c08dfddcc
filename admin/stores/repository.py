"""SQL of the admin store routes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import PageParams, fetch_page, order_by
from backend.models import Store


async def get(session: AsyncSession, store_id: uuid.UUID, *, for_update: bool = False) -> Store | None:
    """The store with this id in any organization, or None."""
    statement = select(Store).where(Store.id == store_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def add(session: AsyncSession, store: Store) -> Store:
    """Insert a store."""
    session.add(store)
    await session.flush()
    return store


async def list_page(
    session: AsyncSession, page: PageParams, sort: str, *, org_id: uuid.UUID | None, active: bool | None
) -> tuple[list[Store], int]:
    """Stores, optionally of one organization and/or only (in)active ones."""
    statement = select(Store)
    filters: list[Any] = []
    if org_id is not None:
        filters.append(Store.org_id == org_id)
    if active is not None:
        filters.append(Store.is_active.is_(active))
    if filters:
        statement = statement.where(*filters)
    columns = {"name": Store.name, "created_at": Store.created_at}
    return await fetch_page(session, statement, page, order_by(sort, columns, Store.id))
