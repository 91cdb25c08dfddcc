"""Worker routes (`/worker/*`), authenticated by `X-Worker-Key` where the router is included.

The camera, store and organization always come from the key (`CurrentCamera`), never from the body.
Bodies are read by hand with size caps (`backend.bodies`), so their schemas are declared in `openapi_extra`;
the shapes are `worker.protocol`'s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import ValidationError

from backend.auth.deps import CurrentCamera
from backend.bodies import UnsupportedMediaType, read_body
from backend.deps import SessionDep, SettingsDep
from backend.errors import ValidationFailed
from backend.ingest import service
from backend.ingest.schemas import WorkerConfig
from backend.metrics import Metrics
from backend.models.base import utcnow
from backend.routing import AuthFirstRoute
from worker.protocol import EVENT, EventsResult, HeartbeatIn, SnapshotOut

router = APIRouter(route_class=AuthFirstRoute, tags=["worker"])

HEARTBEAT_MAX_BYTES = 65_536  # a heartbeat is a few hundred bytes; zone counts for many zones fit easily


def _json_body(schema: dict[str, Any], *, gzip: bool = False) -> dict[str, Any]:
    description = "JSON; `Content-Encoding: gzip` is accepted." if gzip else "JSON."
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


_EVENTS_SCHEMA = {
    "type": "object",
    "required": ["events"],
    "properties": {"events": {"type": "array", "items": EVENT.json_schema()}},
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or rotated worker key"},
    403: {"description": "Camera disabled, or its store or organization deactivated"},
}


@router.get(
    "/config",
    response_model=WorkerConfig,
    responses={**_ERRORS, 304: {"description": "Unchanged since the ETag in If-None-Match"}},
)
async def get_config(
    camera: CurrentCamera,
    session: SessionDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The camera's configuration (see docs/worker-protocol.md), with an `ETag`; 304 when it matches
    `If-None-Match`."""
    document = await service.worker_config(session, camera)
    headers = {"ETag": document.etag, "Cache-Control": "no-cache"}
    if service.etag_matches(if_none_match, document.etag):
        return Response(status_code=304, headers=headers)
    return Response(content=document.body, media_type="application/json", headers=headers)


@router.post(
    "/events",
    responses={
        **_ERRORS,
        413: {"description": "Too many events or too large a body"},
        415: {"description": "Unsupported Content-Encoding"},
        422: {"description": "The body is not an object with an `events` list"},
    },
    openapi_extra=_json_body(_EVENTS_SCHEMA, gzip=True),
)
async def post_events(
    request: Request, camera: CurrentCamera, session: SessionDep, settings: SettingsDep
) -> EventsResult:
    """Store a batch of events idempotently; bad events are rejected one by one, not the batch."""
    raw = await read_body(request, settings.ingest_max_body_bytes, allow_gzip=True)
    now = utcnow()
    outcome = await service.ingest_events(session, settings, camera, raw, now)
    result = outcome.result
    metrics: Metrics | None = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.record_ingest(
            str(camera.camera_id),
            result.accepted,
            result.duplicates,
            len(result.rejected),
            outcome.newest_event_ts,
            now,
        )
    return result


@router.post(
    "/heartbeat",
    status_code=204,
    responses={**_ERRORS, 413: {"description": "Body too large"}},
    openapi_extra=_json_body(HeartbeatIn.model_json_schema()),
)
async def post_heartbeat(
    request: Request, camera: CurrentCamera, session: SessionDep, settings: SettingsDep
) -> Response:
    """Record the worker's health report and update the camera's health."""
    raw = await read_body(request, HEARTBEAT_MAX_BYTES)
    try:
        body = HeartbeatIn.model_validate_json(raw)
    except ValidationError as exc:
        raise _validation_failed(exc) from None
    await service.record_heartbeat(session, settings, camera, body, utcnow())
    return Response(status_code=204)


@router.post(
    "/snapshot",
    status_code=201,
    responses={
        **_ERRORS,
        413: {"description": "Image larger than the snapshot limit"},
        415: {"description": "Not Content-Type: image/jpeg"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def post_snapshot(
    request: Request,
    camera: CurrentCamera,
    session: SessionDep,
    settings: SettingsDep,
    x_captured_at: Annotated[str | None, Header(description="Capture time, ISO 8601 UTC")] = None,
) -> SnapshotOut:
    """Store a (person-blurred) JPEG as the camera's latest snapshot; clears `snapshot_requested`."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "image/jpeg":
        raise UnsupportedMediaType("A snapshot is sent as Content-Type: image/jpeg.")
    data = await read_body(request, settings.snapshot_max_bytes)
    return await service.store_snapshot(session, settings, camera, data, x_captured_at, utcnow())


def _validation_failed(exc: ValidationError) -> ValidationFailed:
    fields = [
        {"field": ".".join(["body", *(str(p) for p in e["loc"])]), "message": e["msg"]} for e in exc.errors()
    ]
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    return ValidationFailed(summary, fields=fields)
