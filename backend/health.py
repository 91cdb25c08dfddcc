"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from backend.db import ping
from backend.errors import error_body, is_database_unavailable
from backend.routing import AuthFirstRoute

router = APIRouter(route_class=AuthFirstRoute, tags=["health"])

_READY_TIMEOUT_S = 3.0


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process is up and serving. Never touches the database."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "The database is unreachable"}})
async def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when `SELECT 1` succeeds within 3 s, else 503 with the error shape."""
    try:
        await asyncio.wait_for(ping(request.app.state.engine), timeout=_READY_TIMEOUT_S)
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        body = error_body(request, "service_unavailable", "The database is unreachable.")
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse({"status": "ready", "database": request.app.state.engine.dialect.name})
