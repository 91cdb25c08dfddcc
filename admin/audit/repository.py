"""SQL of the admin audit log."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.common import PageParams, fetch_page, order_by
from backend.models import AdminAuditEntry


async def add(session: AsyncSession, entry: AdminAuditEntry) -> AdminAuditEntry:
    """Insert one entry."""
    session.add(entry)
    await session.flush()
    return entry


async def list_entries(
    session: AsyncSession,
    page: PageParams,
    sort: str,
    *,
    org_id: uuid.UUID | None,
    entity_type: str | None,
    entity_id: str | None,
    actor_user_id: uuid.UUID | None,
    action: str | None,
) -> tuple[list[AdminAuditEntry], int]:
    """Entries matching every given filter, one page in `sort` order (`created_at` or `-created_at`)."""
    statement = select(AdminAuditEntry)
    filters: list[Any] = []
    if org_id is not None:
        filters.append(AdminAuditEntry.org_id == org_id)
    if entity_type is not None:
        filters.append(AdminAuditEntry.entity_type == entity_type)
    if entity_id is not None:
        filters.append(AdminAuditEntry.entity_id == entity_id)
    if actor_user_id is not None:
        filters.append(AdminAuditEntry.actor_user_id == actor_user_id)
    if action is not None:
        filters.append(AdminAuditEntry.action == action)
    if filters:
        statement = statement.where(*filters)
    ordering = order_by(sort, {"created_at": AdminAuditEntry.created_at}, AdminAuditEntry.id)
    return await fetch_page(session, statement, page, ordering)
