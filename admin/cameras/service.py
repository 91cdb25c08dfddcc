"""Camera logic: worker keys shown once and stored as keyed hashes, config versions, audit. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from admin.audit import service as audit
from admin.cameras import repository
from admin.cameras.schemas import CameraCreate, CameraOut, CameraUpdate
from admin.stores import service as stores
from backend.auth.crypto import generate_worker_key
from backend.auth.principals import UserPrincipal
from backend.config import Settings
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.models import Camera
from backend.models.base import utcnow


async def get(session: AsyncSession, camera_id: uuid.UUID, *, for_update: bool = False) -> Camera:
    """The camera.

    Raises:
        NotFound: no such camera.
    """
    camera = await repository.get(session, camera_id, for_update=for_update)
    if camera is None:
        raise NotFound("Camera not found.")
    return camera


async def _audit(
    session: AsyncSession, actor: UserPrincipal, action: str, camera: Camera, before: CameraOut | None
) -> None:
    await audit.record(
        session,
        actor,
        action,
        entity_type="camera",
        entity_id=camera.id,
        org_id=camera.org_id,
        before=before,
        after=CameraOut.model_validate(camera),
    )


def bump_config_version(camera: Camera) -> None:
    """Mark the worker configuration as changed: the worker sees the new version on its next config poll
    (no restart). Callers load the camera `for_update` so concurrent bumps do not collide."""
    camera.config_version += 1


async def create(
    session: AsyncSession, settings: Settings, actor: UserPrincipal, body: CameraCreate
) -> tuple[Camera, str]:
    """Create a camera with a fresh worker key; returns the camera and the key (shown once).

    Raises:
        NotFound: no such store.
        Conflict: the store is deactivated.
    """
    store = await stores.get(session, body.store_id)
    if not store.is_active:
        raise Conflict("The store is deactivated; reactivate it before adding cameras.")
    key = generate_worker_key(settings.server_secret)
    camera = await repository.add(
        session,
        Camera(
            org_id=store.org_id,
            store_id=store.id,
            name=body.name,
            is_counting_line=body.is_counting_line,
            enabled=True,
            key_prefix=key.prefix,
            key_hash=key.hash,
            key_rotated_at=utcnow(),
            config_version=1,
            target_fps=body.target_fps,
            imgsz=body.imgsz,
            conf=body.conf,
        ),
    )
    await _audit(session, actor, "camera.create", camera, None)
    return camera, key.value


async def update(
    session: AsyncSession, actor: UserPrincipal, camera_id: uuid.UUID, body: CameraUpdate
) -> Camera:
    """Change the fields present in `body`; bumps `config_version` when anything changed (name, counting
    role and detection settings are all part of the worker's configuration).

    Raises:
        ValidationFailed: an explicit null.
        NotFound: no such camera.
    """
    changes = body.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None:
            raise ValidationFailed.for_field(f"body.{field}", "cannot be null")
    camera = await get(session, camera_id, for_update=True)
    before = CameraOut.model_validate(camera)
    changed = {f: v for f, v in changes.items() if getattr(camera, f) != v}
    if not changed:
        return camera
    for field, value in changed.items():
        setattr(camera, field, value)
    bump_config_version(camera)
    await session.flush()
    await _audit(session, actor, "camera.update", camera, before)
    return camera


async def set_enabled(
    session: AsyncSession, actor: UserPrincipal, camera_id: uuid.UUID, enabled: bool
) -> Camera:
    """Enable or disable a camera; a disabled camera's worker is refused (403) until it is enabled again.

    Raises:
        NotFound: no such camera.
    """
    camera = await get(session, camera_id, for_update=True)
    before = CameraOut.model_validate(camera)
    camera.enabled = enabled
    await session.flush()
    await _audit(session, actor, "camera.enable" if enabled else "camera.disable", camera, before)
    return camera


async def rotate_key(
    session: AsyncSession, settings: Settings, actor: UserPrincipal, camera_id: uuid.UUID
) -> tuple[Camera, str]:
    """Replace the camera's worker key; the old key stops working at once. Returns the new key (shown once).

    Raises:
        NotFound: no such camera.
    """
    camera = await get(session, camera_id, for_update=True)
    before = CameraOut.model_validate(camera)
    key = generate_worker_key(settings.server_secret)
    camera.key_prefix, camera.key_hash, camera.key_rotated_at = key.prefix, key.hash, utcnow()
    await session.flush()
    await _audit(session, actor, "camera.rotate_key", camera, before)
    return camera, key.value
