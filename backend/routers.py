"""Where every backend router is mounted, with its audience's authentication applied at inclusion.

Because authentication is attached here, an endpoint added to a feature router is protected by default.
The admin API and console are mounted after these by the composition root (`storeintel_app`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI

from backend.analytics.endpoints import router as analytics_router
from backend.auth.deps import get_current_camera, get_current_user
from backend.auth.endpoints import owner_router as me_router
from backend.auth.endpoints import public_router as auth_router
from backend.cameras.endpoints import router as cameras_router
from backend.health import router as health_router
from backend.ingest.endpoints import router as ingest_router
from backend.metrics import router as metrics_router
from backend.pos.endpoints import router as pos_router
from backend.stores.endpoints import router as stores_router

# The answers authentication adds to every operation of an audience, documented where it is attached so
# the OpenAPI document lists them for every protected operation (tests/test_api_docs.py checks it).
Responses = dict[int | str, dict[str, Any]]
OWNER_AUTH_RESPONSES: Responses = {401: {"description": "Missing, invalid or expired bearer token"}}
WORKER_AUTH_RESPONSES: Responses = {
    401: {"description": "Missing, unknown or rotated worker key"},
    403: {"description": "Camera disabled, or its store or organization deactivated"},
}
ADMIN_AUTH_RESPONSES: Responses = {
    **OWNER_AUTH_RESPONSES,
    403: {"description": "The signed-in user is not an administrator"},
}


def include_routers(app: FastAPI) -> None:
    """Mount public, owner and worker routes (the admin API is added by `storeintel_app.create_app`)."""
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(auth_router)
    for owner_router in (me_router, stores_router, cameras_router, analytics_router, pos_router):
        app.include_router(
            owner_router, dependencies=[Depends(get_current_user)], responses=OWNER_AUTH_RESPONSES
        )
    app.include_router(
        ingest_router,
        prefix="/worker",
        dependencies=[Depends(get_current_camera)],
        responses=WORKER_AUTH_RESPONSES,
    )
