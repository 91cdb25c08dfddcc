"""The backend's app factory: `create_app()` wires settings, database, backend routers and error handling.

It mounts no admin routes: the composition root `storeintel_app` adds them and serves `uvicorn
storeintel_app:app`, so that `backend` never imports `admin`.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx
import structlog
from fastapi import FastAPI

from backend import __version__, migrate
from backend.auth.ratelimit import FailureLimiter
from backend.auth.tokens import BuiltinIssuer, RemoteJwks, TokenVerifier
from backend.config import Settings
from backend.db import create_engine, create_sessionmaker
from backend.errors import install_error_handlers
from backend.logging import RequestLogMiddleware, configure_logging
from backend.metrics import Metrics, MetricsMiddleware
from backend.organizations.deletion import start_purge_task
from backend.owner_app import mount_owner_app
from backend.routers import include_routers

log = structlog.get_logger(__name__)


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the backend application, without the admin routes (`storeintel_app.create_app` adds them).

    The engine, session factory and HTTP client are created in the lifespan.

    Args:
        settings: explicit settings (tests pass their own); default reads `STOREINTEL_*` and `.env`.
        http_transport: transport for outgoing HTTP (the external JWKS); tests pass an `httpx.MockTransport`.
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
        http = httpx.AsyncClient(transport=http_transport, follow_redirects=False)
        issuer = BuiltinIssuer(settings)
        external = None
        if settings.external_jwks_url and settings.external_issuer:
            external = RemoteJwks(
                settings.external_jwks_url,
                http,
                settings.jwks_cache_ttl_s,
                settings.jwks_refresh_min_interval_s,
            )
        app.state.token_issuer = issuer
        app.state.token_verifier = TokenVerifier(settings, issuer, external)
        app.state.login_limit_account = FailureLimiter(
            settings.login_max_failures_per_account, settings.login_window_s
        )
        app.state.login_limit_address = FailureLimiter(
            settings.login_max_failures_per_address, settings.login_window_s
        )
        # Password-reset requests (every request counts, not only failures: each may send a mail).
        app.state.password_reset_limit_account = FailureLimiter(
            settings.password_reset_max_per_account, settings.password_reset_window_s
        )
        app.state.password_reset_limit_address = FailureLimiter(
            settings.password_reset_max_per_address, settings.password_reset_window_s
        )
        log.info("startup", database=engine.dialect.name, environment=settings.environment)
        # Everything allocated at start-up lives for the process: keep it out of the garbage collector's
        # full passes, which otherwise add 40-70 ms to an unlucky request (docs/benchmarks.md, Analytics).
        gc.freeze()
        purger = start_purge_task(app.state.sessionmaker, settings)
        try:
            yield
        finally:
            if purger is not None:
                purger.cancel()
                with suppress(asyncio.CancelledError):
                    await purger
            await http.aclose()
            await engine.dispose()

    app = FastAPI(title="Store Intelligence", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.state.metrics = Metrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestLogMiddleware)
    include_routers(app)
    mount_owner_app(app)
    return app
