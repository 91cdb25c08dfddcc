"""Record admin writes. Callers pass public representations (pydantic models) so secrets never enter."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from admin.audit import repository
from backend.auth.principals import UserPrincipal
from backend.models import AdminAuditEntry


def _state(value: BaseModel | None) -> dict[str, Any] | None:
    return None if value is None else value.model_dump(mode="json")


async def record(
    session: AsyncSession,
    actor: UserPrincipal,
    action: str,
    *,
    entity_type: str,
    entity_id: uuid.UUID | str,
    org_id: uuid.UUID | None,
    before: BaseModel | None,
    after: BaseModel | None,
) -> AdminAuditEntry:
    """Add one audit entry in the request's transaction (it commits or rolls back with the write).

    Args:
        action: `<entity>.<verb>`, for example `camera.rotate_key`.
        before, after: the entity's admin representation before and after the write (None for a create's
            before or a delete's after). These schemas never carry worker keys, key hashes or invite
            tokens, which is why a model and not a free-form dict is required here.
    """
    return await repository.add(
        session,
        AdminAuditEntry(
            actor_user_id=actor.user_id,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            org_id=org_id,
            before=_state(before),
            after=_state(after),
        ),
    )
