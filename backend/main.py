"""The ASGI application: `create_app()` wires settings, database, routers and error handling.

`uvicorn backend.main:app` serves the embedded default (SQLite in ./data) with no configuration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from backend import __version__, migrate
from backend.config import Settings
from backend.db import create_engine, create_sessionmaker
from backend.errors import install_error_handlers
from backend.health import router as health_router
from backend.logging import RequestLogMiddleware, configure_logging

log = structlog.get_logger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application. The engine and session factory are created in the lifespan, not here.

    Args:
        settings: explicit settings (tests pass their own); default reads `STOREINTEL_*` and `.env`.
    """
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        if settings.should_auto_migrate:
            await migrate.upgrade(engine)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        log.info("startup", database=engine.dialect.name, environment=settings.environment)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="Store Intelligence", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(RequestLogMiddleware)
    app.include_router(health_router)
    return app


def __getattr__(name: str) -> FastAPI:
    # `uvicorn backend.main:app` builds the app on first access instead of at import time, so importing
    # this module (tests, tools) never reads the environment.
    if name == "app":
        return create_app()
    raise AttributeError(name)
