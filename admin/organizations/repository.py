"""SQL of the admin organization routes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import PageParams, fetch_page, order_by
from backend.models import Organization


async def get(session: AsyncSession, org_id: uuid.UUID) -> Organization | None:
    """The organization, or None."""
    return await session.get(Organization, org_id)


async def add(session: AsyncSession, org: Organization) -> Organization:
    """Insert an organization."""
    session.add(org)
    await session.flush()
    return org


async def list_page(
    session: AsyncSession, page: PageParams, sort: str, *, active: bool | None, name_contains: str | None
) -> tuple[list[Organization], int]:
    """Organizations, optionally only (in)active ones or those whose name contains a string
    (case-insensitive)."""
    statement = select(Organization)
    filters: list[Any] = []
    if active is not None:
        filters.append(Organization.is_active.is_(active))
    if name_contains:
        filters.append(Organization.name.icontains(name_contains, autoescape=True))
    if filters:
        statement = statement.where(*filters)
    columns = {"name": Organization.name, "created_at": Organization.created_at}
    return await fetch_page(session, statement, page, order_by(sort, columns, Organization.id))
