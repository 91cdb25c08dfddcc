"""The composition root: the one module that imports both the backend's features and the admin package.

`create_app()` builds the backend (`backend.main.create_app`) and mounts the admin API under `/admin`
and the admin console's static files. `backend` never imports `admin`, so the admin package can build
on the backend's models, auth and errors without an import cycle. `uvicorn storeintel_app:app` serves
the embedded default (SQLite in ./data) with no configuration.
"""

from __future__ import annotations

import httpx
from fastapi import Depends, FastAPI

from admin.api import router as admin_router
from admin.console_routes import mount_console
from backend.auth.deps import get_current_admin
from backend.config import Settings
from backend.main import create_app as create_backend_app
from backend.routers import ADMIN_AUTH_RESPONSES


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The whole application: the backend's routes, then the admin API and the admin console.

    Args:
        settings: explicit settings (tests pass their own); default reads `STOREINTEL_*` and `.env`.
        http_transport: transport for outgoing HTTP (the external JWKS); tests pass an `httpx.MockTransport`.
    """
    app = create_backend_app(settings, http_transport=http_transport)
    # After every backend router, so the route table (and the OpenAPI document) keeps its order.
    app.include_router(
        admin_router,
        prefix="/admin",
        dependencies=[Depends(get_current_admin)],
        responses=ADMIN_AUTH_RESPONSES,
    )
    # Static files only, public so the login form can load; its data comes from the admin API above.
    mount_console(app)
    return app


def __getattr__(name: str) -> FastAPI:
    # `uvicorn storeintel_app:app` builds the app on first access instead of at import time, so importing
    # this module (tests, tools) never reads the environment.
    if name == "app":
        return create_app()
    raise AttributeError(name)
