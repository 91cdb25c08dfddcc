"""`/admin/cameras/{camera_id}/counting-line`, `/zones`, `/snapshot` and `/snapshot-request`."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Response

from admin.calibration import repository, service
from admin.calibration.schemas import (
    CalibrationWarningOut,
    CountingLineIn,
    CountingLineOut,
    CountingLineSaved,
    SnapshotRequested,
    ZoneIn,
    ZoneOut,
    ZoneSaved,
)
from admin.cameras import service as cameras
from admin.common import Page, PageDep
from backend.auth.deps import CurrentAdmin
from backend.deps import SessionDep, SettingsDep
from backend.routing import AuthFirstRoute

router = APIRouter(route_class=AuthFirstRoute, prefix="/cameras/{camera_id}", tags=["admin: calibration"])
_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such camera (or line, zone, snapshot)"}}


@router.get("/counting-line", responses=_404)
async def get_counting_line(camera_id: uuid.UUID, session: SessionDep) -> CountingLineOut:
    """The camera's counting line (404 when not calibrated yet)."""
    return CountingLineOut.model_validate(await service.get_line(session, camera_id))


@router.put("/counting-line", responses=_404)
async def set_counting_line(
    camera_id: uuid.UUID, body: CountingLineIn, admin: CurrentAdmin, session: SessionDep
) -> CountingLineSaved:
    """Set the counting line. 422 for an out-of-frame or degenerate line; `warnings` for risky ones
    (short, hugging an edge, parallel to the walking direction). Bumps `config_version`."""
    line, camera, warnings = await service.set_line(session, admin, camera_id, body)
    return CountingLineSaved(
        counting_line=CountingLineOut.model_validate(line),
        config_version=camera.config_version,
        warnings=[CalibrationWarningOut(code=w.code, message=w.message) for w in warnings],
    )


@router.delete("/counting-line", status_code=204, responses=_404)
async def delete_counting_line(camera_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep) -> Response:
    """Remove the counting line; bumps `config_version`."""
    await service.delete_line(session, admin, camera_id)
    return Response(status_code=204)


@router.get("/zones", responses=_404)
async def list_zones(
    camera_id: uuid.UUID,
    session: SessionDep,
    page: PageDep,
    sort: Literal["name", "-name", "created_at", "-created_at"] = "name",
) -> Page[ZoneOut]:
    """The camera's zones."""
    camera = await cameras.get(session, camera_id)
    rows, total = await repository.list_zones(session, camera, page, sort)
    return Page(
        items=[ZoneOut.model_validate(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/zones", status_code=201, responses={**_404, 409: {"description": "Duplicate zone name"}})
async def create_zone(
    camera_id: uuid.UUID, body: ZoneIn, admin: CurrentAdmin, session: SessionDep
) -> ZoneSaved:
    """Add a zone; 422 for a degenerate or self-intersecting polygon. Bumps `config_version`."""
    zone, camera = await service.create_zone(session, admin, camera_id, body)
    return ZoneSaved(zone=ZoneOut.model_validate(zone), config_version=camera.config_version)


@router.put("/zones/{zone_id}", responses={**_404, 409: {"description": "Duplicate zone name"}})
async def replace_zone(
    camera_id: uuid.UUID, zone_id: uuid.UUID, body: ZoneIn, admin: CurrentAdmin, session: SessionDep
) -> ZoneSaved:
    """Replace a zone's name, kind and polygon (its id stays). Bumps `config_version`."""
    zone, camera = await service.replace_zone(session, admin, camera_id, zone_id, body)
    return ZoneSaved(zone=ZoneOut.model_validate(zone), config_version=camera.config_version)


@router.delete("/zones/{zone_id}", status_code=204, responses=_404)
async def delete_zone(
    camera_id: uuid.UUID, zone_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep
) -> Response:
    """Delete a zone. Bumps `config_version`."""
    await service.delete_zone(session, admin, camera_id, zone_id)
    return Response(status_code=204)


@router.get(
    "/snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "The JPEG"}, **_404},
)
async def get_snapshot(camera_id: uuid.UUID, session: SessionDep, settings: SettingsDep) -> Response:
    """The latest snapshot (person-blurred JPEG). Headers: `X-Captured-At` (UTC ISO 8601),
    `X-Snapshot-Width` and `X-Snapshot-Height` (pixels)."""
    snapshot = await service.latest_snapshot(session, settings, camera_id)
    return Response(
        content=snapshot.data,
        media_type=snapshot.content_type,
        headers=snapshot.headers(),
    )


@router.post("/snapshot-request", status_code=202, responses=_404)
async def request_snapshot(
    camera_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep
) -> SnapshotRequested:
    """Ask the worker for a fresh snapshot; it uploads one after its next config poll."""
    camera = await service.request_snapshot(session, admin, camera_id)
    return SnapshotRequested(snapshot_requested=camera.snapshot_requested)
