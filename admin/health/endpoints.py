"""`GET /admin/cameras/health`: every camera's status and figures, across organizations."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from admin.common import Page, PageDep
from admin.health import service
from admin.health.schemas import CameraHealth
from backend.cameras.status import CameraStatus
from backend.deps import SessionDep, SettingsDep
from backend.models.base import utcnow
from backend.routing import AuthFirstRoute

router = APIRouter(route_class=AuthFirstRoute, tags=["admin: health"])


@router.get("/cameras/health")
async def camera_health(
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    org_id: uuid.UUID | None = None,
    store_id: uuid.UUID | None = None,
    status: CameraStatus | None = None,
    sort: Literal["name", "-name", "status", "-status", "last_heartbeat_at", "-last_heartbeat_at"] = "status",
) -> Page[CameraHealth]:
    """Cameras with their status (online / stale / offline, see docs/admin-api.md), latest heartbeat
    figures, snapshot age, events in the last hour and the last count audit (`count_audit_below_target`).
    `sort=status` lists the worst first."""
    now = utcnow()
    states = await service.scoped_states(
        session, settings, now, org_id=org_id, store_id=store_id, status=status
    )
    ordered = service.sort_states(states, sort)
    items = await service.health_rows(session, settings, page.slice(ordered), now)
    return Page(items=items, total=len(ordered), limit=page.limit, offset=page.offset)
