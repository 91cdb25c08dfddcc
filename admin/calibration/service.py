"""Calibration logic: validate geometry, bump the camera's `config_version`, audit. Never commits.

The worker re-reads its configuration on its next poll (the config ETag changes with every calibration
change), so no worker restart is needed.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from admin.audit import service as audit
from admin.calibration import geometry, repository
from admin.calibration.schemas import CountingLineIn, CountingLineOut, ZoneIn, ZoneOut
from admin.cameras import service as cameras
from admin.cameras.schemas import CameraOut
from backend.auth.principals import UserPrincipal
from backend.cameras import snapshots
from backend.cameras.snapshots import StoredSnapshot
from backend.config import Settings
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.models import Camera, CountingLine, Zone
from backend.models.base import utcnow


def _invalid(exc: geometry.GeometryError) -> ValidationFailed:
    return ValidationFailed(
        exc.message, fields=[{"field": f"body.{name}", "message": exc.message} for name in exc.fields]
    )


async def get_line(session: AsyncSession, camera_id: uuid.UUID) -> CountingLine:
    """The camera's counting line.

    Raises:
        NotFound: no such camera, or it has no counting line yet.
    """
    camera = await cameras.get(session, camera_id)
    line = await repository.get_line(session, camera)
    if line is None:
        raise NotFound("This camera has no counting line yet.")
    return line


async def set_line(
    session: AsyncSession, actor: UserPrincipal, camera_id: uuid.UUID, body: CountingLineIn
) -> tuple[CountingLine, Camera, list[geometry.CalibrationWarning]]:
    """Create or replace the camera's counting line and bump its `config_version`.

    Returns the line, the camera and warnings computed with the latest snapshot's aspect ratio and the
    walking direction when the body gives one (see `geometry.line_warnings`).

    Raises:
        ValidationFailed: a degenerate line (naming `body.x2`, `body.y2`).
        NotFound: no such camera.
    """
    try:
        geometry.validate_line(body.x1, body.y1, body.x2, body.y2)
    except geometry.GeometryError as exc:
        raise _invalid(exc) from exc
    camera = await cameras.get(session, camera_id, for_update=True)
    size = await repository.latest_frame_size(session, camera)
    direction = (body.walking_direction.dx, body.walking_direction.dy) if body.walking_direction else None
    warnings = geometry.line_warnings(
        body.x1,
        body.y1,
        body.x2,
        body.y2,
        frame_aspect=size[0] / size[1] if size and size[1] > 0 else None,
        walking_direction=direction,
    )
    line = await repository.get_line(session, camera)
    before = CountingLineOut.model_validate(line) if line else None
    if line is None:
        line = CountingLine(org_id=camera.org_id, camera_id=camera.id)
        await _fill_line(line, body)
        await repository.add(session, line)
    else:
        await _fill_line(line, body)
    cameras.bump_config_version(camera)
    await session.flush()
    await audit.record(
        session,
        actor,
        "counting_line.set",
        entity_type="counting_line",
        entity_id=camera.id,
        org_id=camera.org_id,
        before=before,
        after=CountingLineOut.model_validate(line),
    )
    return line, camera, warnings


async def _fill_line(line: CountingLine, body: CountingLineIn) -> None:
    line.x1, line.y1, line.x2, line.y2 = body.x1, body.y1, body.x2, body.y2
    line.in_side = body.in_side
    line.updated_at = utcnow()


async def delete_line(session: AsyncSession, actor: UserPrincipal, camera_id: uuid.UUID) -> Camera:
    """Remove the camera's counting line (the worker stops counting crossings) and bump `config_version`.

    Raises:
        NotFound: no such camera, or it has no counting line.
    """
    camera = await cameras.get(session, camera_id, for_update=True)
    line = await repository.get_line(session, camera)
    if line is None:
        raise NotFound("This camera has no counting line.")
    before = CountingLineOut.model_validate(line)
    await repository.delete(session, line)
    cameras.bump_config_version(camera)
    await session.flush()
    await audit.record(
        session,
        actor,
        "counting_line.delete",
        entity_type="counting_line",
        entity_id=camera.id,
        org_id=camera.org_id,
        before=before,
        after=None,
    )
    return camera


def _checked_polygon(body: ZoneIn) -> list[list[float]]:
    try:
        points = geometry.validate_polygon([(x, y) for x, y in body.polygon])
    except geometry.GeometryError as exc:
        raise _invalid(exc) from exc
    return [[x, y] for x, y in points]


async def _unique_name(session: AsyncSession, camera: Camera, name: str, zone_id: uuid.UUID | None) -> None:
    same = await repository.zone_named(session, camera, name)
    if same is not None and same.id != zone_id:
        raise Conflict(f"This camera already has a zone named {same.name!r}.")


async def _zone(session: AsyncSession, camera: Camera, zone_id: uuid.UUID) -> Zone:
    zone = await repository.get_zone(session, camera, zone_id)
    if zone is None:
        raise NotFound("Zone not found.")
    return zone


async def create_zone(
    session: AsyncSession, actor: UserPrincipal, camera_id: uuid.UUID, body: ZoneIn
) -> tuple[Zone, Camera]:
    """Add a zone to the camera and bump its `config_version`.

    Raises:
        ValidationFailed: a degenerate or self-intersecting polygon (naming `body.polygon[.i]`).
        NotFound: no such camera.
        Conflict: the camera already has a zone of that name (case-insensitive).
    """
    polygon = _checked_polygon(body)
    camera = await cameras.get(session, camera_id, for_update=True)
    await _unique_name(session, camera, body.name, None)
    zone = Zone(
        org_id=camera.org_id,
        camera_id=camera.id,
        store_id=camera.store_id,
        name=body.name,
        kind=body.kind,
        polygon=polygon,
    )
    await repository.add(session, zone)
    cameras.bump_config_version(camera)
    await session.flush()
    await audit.record(
        session,
        actor,
        "zone.create",
        entity_type="zone",
        entity_id=zone.id,
        org_id=camera.org_id,
        before=None,
        after=ZoneOut.model_validate(zone),
    )
    return zone, camera


async def replace_zone(
    session: AsyncSession, actor: UserPrincipal, camera_id: uuid.UUID, zone_id: uuid.UUID, body: ZoneIn
) -> tuple[Zone, Camera]:
    """Replace a zone's name, kind and polygon (its id, which events refer to, stays) and bump
    `config_version`.

    Raises:
        ValidationFailed, Conflict: as for `create_zone`.
        NotFound: no such camera or zone.
    """
    polygon = _checked_polygon(body)
    camera = await cameras.get(session, camera_id, for_update=True)
    zone = await _zone(session, camera, zone_id)
    await _unique_name(session, camera, body.name, zone.id)
    before = ZoneOut.model_validate(zone)
    zone.name, zone.kind, zone.polygon = body.name, body.kind, polygon
    cameras.bump_config_version(camera)
    await session.flush()
    await audit.record(
        session,
        actor,
        "zone.update",
        entity_type="zone",
        entity_id=zone.id,
        org_id=camera.org_id,
        before=before,
        after=ZoneOut.model_validate(zone),
    )
    return zone, camera


async def delete_zone(
    session: AsyncSession, actor: UserPrincipal, camera_id: uuid.UUID, zone_id: uuid.UUID
) -> Camera:
    """Delete a zone (past events keep its id) and bump `config_version`.

    Raises:
        NotFound: no such camera or zone.
    """
    camera = await cameras.get(session, camera_id, for_update=True)
    zone = await _zone(session, camera, zone_id)
    before = ZoneOut.model_validate(zone)
    await repository.delete(session, zone)
    cameras.bump_config_version(camera)
    await session.flush()
    await audit.record(
        session,
        actor,
        "zone.delete",
        entity_type="zone",
        entity_id=zone_id,
        org_id=camera.org_id,
        before=before,
        after=None,
    )
    return camera


async def latest_snapshot(session: AsyncSession, settings: Settings, camera_id: uuid.UUID) -> StoredSnapshot:
    """The camera's latest snapshot.

    Raises:
        NotFound: no such camera, or no snapshot yet (request one with `request_snapshot`).
    """
    camera = await cameras.get(session, camera_id)
    snapshot = await snapshots.latest_snapshot(session, camera, settings.data_dir)
    if snapshot is None:
        raise NotFound("No snapshot yet; request one with POST /admin/cameras/{id}/snapshot-request.")
    return snapshot


async def request_snapshot(session: AsyncSession, actor: UserPrincipal, camera_id: uuid.UUID) -> Camera:
    """Ask the worker for a fresh snapshot through its config (`snapshot_requested`); the worker sees it
    on its next config poll and the upload clears it.

    Raises:
        NotFound: no such camera.
    """
    camera = await cameras.get(session, camera_id, for_update=True)
    before = CameraOut.model_validate(camera)
    camera.snapshot_requested = True
    await session.flush()
    await audit.record(
        session,
        actor,
        "camera.request_snapshot",
        entity_type="camera",
        entity_id=camera.id,
        org_id=camera.org_id,
        before=before,
        after=CameraOut.model_validate(camera),
    )
    return camera
