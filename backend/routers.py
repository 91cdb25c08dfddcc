"""Where every router is mounted, with its audience's authentication applied at inclusion.

Because authentication is attached here, an endpoint added to a feature router is protected by default.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

from admin.api import router as admin_router
from admin.console_routes import mount_console
from backend.analytics.endpoints import router as analytics_router
from backend.auth.deps import get_current_admin, get_current_camera, get_current_user
from backend.auth.endpoints import owner_router as me_router
from backend.auth.endpoints import public_router as auth_router
from backend.health import router as health_router
from backend.ingest.endpoints import router as ingest_router
from backend.metrics import router as metrics_router
from backend.pos.endpoints import router as pos_router
from backend.stores.endpoints import router as stores_router


def include_routers(app: FastAPI) -> None:
    """Mount public, owner, worker and admin routes, and the admin console's static files."""
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(auth_router)
    for owner_router in (me_router, stores_router, analytics_router, pos_router):
        app.include_router(owner_router, dependencies=[Depends(get_current_user)])
    app.include_router(ingest_router, prefix="/worker", dependencies=[Depends(get_current_camera)])
    app.include_router(admin_router, prefix="/admin", dependencies=[Depends(get_current_admin)])
    # Static files only, public so the login form can load; its data comes from the admin API above.
    mount_console(app)
