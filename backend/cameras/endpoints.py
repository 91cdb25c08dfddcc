"""`GET /stores/{store_id}/cameras` and each camera's latest snapshot, for owners and viewers.

The owner app draws zones (visits and dwell) over the person-blurred snapshot. Another organization's
store or camera answers 404, like one that does not exist (`backend.tenancy`).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from backend.auth.deps import CurrentUser
from backend.cameras.schemas import CameraLineOut, CameraZoneOut, OwnerCameraOut
from backend.cameras.snapshots import latest_snapshot
from backend.cameras.status import is_online
from backend.deps import SessionDep, SettingsDep
from backend.errors import NotFound
from backend.models import Camera, CountingLine, Zone
from backend.models.base import utcnow
from backend.routing import AuthFirstRoute
from backend.tenancy import get_readable_store

router = APIRouter(route_class=AuthFirstRoute, tags=["stores"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such store (or camera) for this user"}
}


@router.get("/stores/{store_id}/cameras", responses=_NOT_FOUND)
async def list_cameras(
    store_id: uuid.UUID, principal: CurrentUser, session: SessionDep, settings: SettingsDep
) -> list[OwnerCameraOut]:
    """The store's enabled cameras by name, each with its counting line and zones (normalized 0..1)."""
    store = await get_readable_store(session, principal, store_id)
    cameras = (
        await session.scalars(
            select(Camera)
            .where(Camera.org_id == store.org_id, Camera.store_id == store.id, Camera.enabled.is_(True))
            .order_by(Camera.name, Camera.id)
        )
    ).all()
    ids = [c.id for c in cameras]
    lines = {
        line.camera_id: line
        for line in await session.scalars(
            select(CountingLine).where(CountingLine.org_id == store.org_id, CountingLine.camera_id.in_(ids))
        )
    }
    zones: dict[uuid.UUID, list[CameraZoneOut]] = {}
    for zone in await session.scalars(
        select(Zone).where(Zone.org_id == store.org_id, Zone.camera_id.in_(ids)).order_by(Zone.name, Zone.id)
    ):
        zones.setdefault(zone.camera_id, []).append(
            CameraZoneOut(id=zone.id, name=zone.name, kind=zone.kind, polygon=zone.polygon)
        )
    now = utcnow()
    out = []
    for camera in cameras:
        line = lines.get(camera.id)
        out.append(
            OwnerCameraOut(
                id=camera.id,
                store_id=camera.store_id,
                name=camera.name,
                is_counting_line=camera.is_counting_line,
                status="online"
                if is_online(
                    camera.last_heartbeat_at,
                    now,
                    settings.camera_offline_after_s,
                    reported_stream_status=camera.reported_stream_status,
                )
                else "offline",
                last_heartbeat_at=camera.last_heartbeat_at,
                snapshot_at=camera.snapshot_at,
                line=None
                if line is None
                else CameraLineOut(x1=line.x1, y1=line.y1, x2=line.x2, y2=line.y2, in_side=line.in_side),
                zones=zones.get(camera.id, []),
            )
        )
    return out


@router.get(
    "/stores/{store_id}/cameras/{camera_id}/snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "The JPEG"}, **_NOT_FOUND},
)
async def get_camera_snapshot(
    store_id: uuid.UUID,
    camera_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The camera's latest snapshot: a JPEG in which every detected person is blurred. Headers:
    `X-Captured-At` (UTC ISO 8601), `X-Snapshot-Width` and `X-Snapshot-Height` (pixels).

    Raises:
        NotFound: no such store or camera for this user, a disabled camera, or no snapshot yet.
    """
    store = await get_readable_store(session, principal, store_id)
    camera = await session.scalar(
        select(Camera).where(
            Camera.org_id == store.org_id,
            Camera.store_id == store.id,
            Camera.id == camera_id,
            Camera.enabled.is_(True),
        )
    )
    if camera is None:
        raise NotFound("Camera not found.")
    snapshot = await latest_snapshot(session, camera, settings.data_dir)
    if snapshot is None:
        raise NotFound("This camera has no snapshot yet.")
    return Response(content=snapshot.data, media_type=snapshot.content_type, headers=snapshot.headers())
