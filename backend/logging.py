"""Structured logging (structlog, one JSON object per line) and the per-request access log middleware."""

from __future__ import annotations

import logging
import sys
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_MAX_REQUEST_ID_LENGTH = 128


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    """Route structlog and the standard library's logging to stderr as JSON lines (or console text)."""
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log would duplicate ours.
    logging.getLogger("uvicorn.access").disabled = True


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    # Look sys.stderr up per logger, not once at configuration, so redirected streams (tests, daemons)
    # receive the lines.
    return structlog.PrintLogger(sys.stderr)


class RequestLogMiddleware:
    """Pure ASGI middleware: one `request` log line per HTTP request with trace id, status and latency (ms).

    The trace id comes from `X-Request-ID` when the client sends a sane one, else a new UUID; it is echoed
    in the response header, bound into every log line of the request and stored on `request.state`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("backend.request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        with structlog.contextvars.bound_contextvars(trace_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self.log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    latency_ms=round((time.perf_counter() - started) * 1000, 2),
                )


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            candidate: str = value.decode("latin-1").strip()
            if 0 < len(candidate) <= _MAX_REQUEST_ID_LENGTH and candidate.isprintable():
                return candidate
    return None
