"""`/admin/cameras`: provision cameras, manage their worker keys and settings."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter

from admin.cameras import service
from admin.cameras.schemas import CameraCreate, CameraDetail, CameraOut, CameraUpdate, CameraWithKey
from admin.common import Page, PageDep
from admin.health import service as health
from backend.auth.deps import CurrentAdmin
from backend.cameras.status import CameraStatus
from backend.deps import SessionDep, SettingsDep
from backend.models.base import utcnow
from backend.routing import AuthFirstRoute

router = APIRouter(route_class=AuthFirstRoute, prefix="/cameras", tags=["admin: cameras"])
_404: dict[int | str, dict[str, Any]] = {404: {"description": "No such camera"}}


def _detail(state: health.CameraState) -> CameraDetail:
    camera = state.camera
    return CameraDetail(
        **CameraOut.model_validate(camera).model_dump(),
        status=state.status,
        last_heartbeat_at=camera.last_heartbeat_at,
        last_event_at=camera.last_event_at,
        snapshot_at=camera.snapshot_at,
    )


@router.post("", status_code=201, responses={404: {"description": "No such store"}, 409: {}})
async def create_camera(
    body: CameraCreate, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep
) -> CameraWithKey:
    """Create a camera. The response holds its worker key, which is never shown again."""
    camera, key = await service.create(session, settings, admin, body)
    return CameraWithKey(camera=CameraOut.model_validate(camera), worker_key=key)


@router.get("")
async def list_cameras(
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    org_id: uuid.UUID | None = None,
    store_id: uuid.UUID | None = None,
    status: CameraStatus | None = None,
    enabled: bool | None = None,
    is_counting_line: bool | None = None,
    sort: Literal["name", "-name", "created_at", "-created_at", "status", "-status"] = "name",
) -> Page[CameraDetail]:
    """Cameras filtered by organization, store, status, `enabled` and counting role, sorted."""
    states = await health.scoped_states(
        session,
        settings,
        utcnow(),
        org_id=org_id,
        store_id=store_id,
        status=status,
        enabled=enabled,
        counting=is_counting_line,
    )
    ordered = health.sort_states(states, sort)
    return Page(
        items=[_detail(s) for s in page.slice(ordered)],
        total=len(ordered),
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{camera_id}", responses=_404)
async def get_camera(camera_id: uuid.UUID, session: SessionDep, settings: SettingsDep) -> CameraDetail:
    """One camera with its status."""
    camera = await service.get(session, camera_id)
    [state] = await health.states(session, settings, [(camera, "")], utcnow())
    return _detail(state)


@router.patch("/{camera_id}", responses=_404)
async def update_camera(
    camera_id: uuid.UUID, body: CameraUpdate, admin: CurrentAdmin, session: SessionDep
) -> CameraOut:
    """Change name, counting role (`is_counting_line`) or detection settings; bumps `config_version`."""
    return CameraOut.model_validate(await service.update(session, admin, camera_id, body))


@router.post("/{camera_id}/enable", responses=_404)
async def enable_camera(camera_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep) -> CameraOut:
    """Let the camera's worker in again."""
    return CameraOut.model_validate(await service.set_enabled(session, admin, camera_id, True))


@router.post("/{camera_id}/disable", responses=_404)
async def disable_camera(camera_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep) -> CameraOut:
    """Refuse the camera's worker (403) until enabled; its data stays."""
    return CameraOut.model_validate(await service.set_enabled(session, admin, camera_id, False))


@router.post("/{camera_id}/rotate-key", responses=_404)
async def rotate_camera_key(
    camera_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep
) -> CameraWithKey:
    """Issue a new worker key (shown once); the old key stops working immediately."""
    camera, key = await service.rotate_key(session, settings, admin, camera_id)
    return CameraWithKey(camera=CameraOut.model_validate(camera), worker_key=key)
