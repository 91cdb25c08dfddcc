"""`GET /admin/audit`: the admin audit log, newest first by default."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from admin.audit import repository
from admin.audit.schemas import AuditEntryOut
from admin.common import Page, PageDep
from backend.deps import SessionDep
from backend.routing import AuthFirstRoute
from backend.validation import Text

router = APIRouter(route_class=AuthFirstRoute, tags=["admin: audit"])


@router.get("/audit")
async def list_audit(
    session: SessionDep,
    page: PageDep,
    org_id: uuid.UUID | None = None,
    entity_type: Annotated[Text | None, Query(max_length=50)] = None,
    entity_id: Annotated[Text | None, Query(max_length=100)] = None,
    actor_user_id: uuid.UUID | None = None,
    action: Annotated[Text | None, Query(max_length=100)] = None,
    sort: Literal["created_at", "-created_at"] = "-created_at",
) -> Page[AuditEntryOut]:
    """Admin writes matching every given filter (organization, entity, actor, action)."""
    rows, total = await repository.list_entries(
        session,
        page,
        sort,
        org_id=org_id,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_user_id=actor_user_id,
        action=action,
    )
    return Page(
        items=[AuditEntryOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
