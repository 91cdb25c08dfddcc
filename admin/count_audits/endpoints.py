"""`/admin/cameras/{camera_id}/count-audits`: record a hand count of a camera and list its audits."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter

from admin.cameras import service as cameras
from admin.common import Page, PageDep
from admin.count_audits import repository, service
from admin.count_audits.schemas import CountAuditIn, CountAuditOut
from backend.auth.deps import CurrentAdmin
from backend.deps import SessionDep, SettingsDep
from backend.models.base import utcnow
from backend.routing import AuthFirstRoute

router = APIRouter(route_class=AuthFirstRoute, prefix="/cameras/{camera_id}", tags=["admin: count audits"])
_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such camera"}}


@router.post("/count-audits", status_code=201, responses=_404)
async def record_count_audit(
    camera_id: uuid.UUID, body: CountAuditIn, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep
) -> CountAuditOut:
    """Record a hand count of the camera's IN and OUT over `[window_start, window_end)` and compare it with
    the IN/OUT events stored for that camera and window. 422 for a window that is empty, in the future or
    longer than 24 h (`body.window_end`), or a negative count."""
    audit = await service.record(session, settings, admin, camera_id, body, utcnow())
    return service.view(audit, settings.count_audit_target)


@router.get("/count-audits", responses=_404)
async def list_count_audits(
    camera_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    sort: Literal["window_end", "-window_end", "created_at", "-created_at"] = "-window_end",
) -> Page[CountAuditOut]:
    """The camera's count audits, the latest window first by default."""
    camera = await cameras.get(session, camera_id)
    rows, total = await repository.list_for_camera(session, camera, page, sort)
    return Page(
        items=[service.view(r, settings.count_audit_target) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
