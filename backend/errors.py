"""Domain errors and the one JSON error shape every failure answers with.

Shape: `{"error": {"code": "...", "message": "...", "fields": [{"field": "body.name", "message": "..."}]},
"request_id": "..."}`. Services raise `AppError` subclasses; they never raise HTTP exceptions.
"""

from __future__ import annotations

import traceback
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.routing import InvalidJson
from backend.validation import validation_message

log = structlog.get_logger(__name__)


class AppError(Exception):
    """Base domain error: carries the HTTP status, a stable machine code and a human message."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []
        self.headers = headers


class NotAuthenticated(AppError):
    """401: no credentials, or credentials that do not verify."""

    status_code = 401
    code = "not_authenticated"


class Forbidden(AppError):
    """403: authenticated but not allowed (for example a disabled camera or a non-admin on an admin route)."""

    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    """404: does not exist, or belongs to another tenant (the two are indistinguishable on purpose)."""

    status_code = 404
    code = "not_found"


class Conflict(AppError):
    """409: the write conflicts with existing state (for example a duplicate email)."""

    status_code = 409
    code = "conflict"


class PayloadTooLarge(AppError):
    """413: the request exceeds a configured size or count limit."""

    status_code = 413
    code = "payload_too_large"


class ValidationFailed(AppError):
    """422 raised by a service for a semantically invalid field; name the field in `fields`."""

    status_code = 422
    code = "validation_error"

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationFailed:
        """One-field validation error: `field` is a dotted path such as `body.timezone`."""
        return cls(f"{field}: {message}", fields=[{"field": field, "message": message}])


class TooManyRequests(AppError):
    """429: rate limited; `retry_after_s` becomes the `Retry-After` header."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_s))})


class ServiceUnavailable(AppError):
    """503: a dependency (the database) is unreachable; clients should retry."""

    status_code = 503
    code = "service_unavailable"


def error_body(
    request: Request, code: str, message: str, fields: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The JSON error document."""
    return {
        "error": {"code": code, "message": message, "fields": fields or []},
        "request_id": getattr(request.state, "request_id", None),
    }


def _json(
    request: Request,
    status: int,
    code: str,
    message: str,
    fields: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(request, code, message, fields), status_code=status, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


_HTTP_CODES = {
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}

# Errors that mean "the database is not there" rather than "the query is wrong".
_DB_DOWN = (OperationalError, InterfaceError, PoolTimeoutError, ConnectionError, TimeoutError, OSError)
# SQLSTATEs (PostgreSQL, Appendix A) of a server that is not taking work now but will: class 08
# (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting
# up, shutting down, in recovery) and 53300 too_many_connections. asyncpg raises them as PostgresError
# subclasses, which SQLAlchemy wraps as a plain DBAPIError.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_UNAVAILABLE_SQLSTATE_CLASSES = ("08",)


def _sqlstate(exc: BaseException) -> str | None:
    code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return code if isinstance(code, str) else None


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc`, then what it wraps (`DBAPIError.orig`, `__cause__`, `__context__`), each once."""
    chain: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is seen for seen in chain):
            continue
        chain.append(current)
        for inner in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(inner, BaseException):
                todo.append(inner)
    return chain


def is_database_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or anything it wraps) says the database cannot be reached or is not accepting
    work now (shutting down, starting up, out of connections): a retryable 503, not a 500."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    for seen in _causes(exc):
        if isinstance(seen, _DB_DOWN):
            return True
        code = _sqlstate(seen)
        if code is not None and (
            code in _UNAVAILABLE_SQLSTATES or code.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)
        ):
            return True
    return False


def database_error_fields(exc: BaseException) -> dict[str, Any]:
    """What the `database_error` log line says about `exc`: the error classes, the SQLSTATE, the SQL text
    (placeholders, never the bound values) and the stack frames (file, line, function, source line).

    Never the exception messages: they carry the statement's parameters (a password hash on an INSERT
    into users) and PostgreSQL's own messages quote offending values. The engine also hides parameters
    (`hide_parameters=True` in `backend.db.create_engine`), so a message logged elsewhere cannot leak them.
    """
    chain = _causes(exc)
    statement = getattr(exc, "statement", None)
    frames = traceback.extract_tb(exc.__traceback__)
    return {
        "error": type(exc).__name__,
        "causes": [type(inner).__name__ for inner in chain[1:]],
        "sqlstate": next((code for code in map(_sqlstate, chain) if code is not None), None),
        "statement": statement if isinstance(statement, str) else None,
        "stack": [f"{f.filename}:{f.lineno} in {f.name}: {f.line}" for f in frames],
    }


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every exception into the one JSON error shape."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return _json(request, exc.status_code, exc.code, exc.message, exc.fields, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields: list[dict[str, str]] = []
        for err in exc.errors():
            if isinstance(err.get("input"), InvalidJson):  # see backend.routing: not JSON at all
                field = {"field": "body", "message": f"JSON decode error: {err['input'].reason}"}
            else:
                pattern = (err.get("ctx") or {}).get("pattern")
                message = validation_message(str(err.get("type", "")), pattern, str(err.get("msg", "")))
                field = {"field": _field_path(err.get("loc", ())), "message": message}
            if field not in fields:
                fields.append(field)
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
        return _json(request, 422, "validation_error", summary or "invalid request", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers) if exc.headers else None
        return _json(request, exc.status_code, code, str(exc.detail), None, headers)

    # Registered per class (not only on Exception) so Starlette's ExceptionMiddleware answers them and
    # nothing is re-raised into the server: an unreachable database is an expected, retryable state.
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        if is_database_unavailable(exc):
            fields = database_error_fields(exc)
            log.warning("database_unavailable", error=fields["error"], sqlstate=fields["sqlstate"])
            return _json(
                request,
                503,
                "service_unavailable",
                "The database is unavailable; retry shortly.",
                headers={"Retry-After": "5"},
            )
        log.error("database_error", **database_error_fields(exc))
        return _json(request, 500, "internal_error", "Internal server error.")

    for exc_class in (DBAPIError, PoolTimeoutError, OSError):
        app.add_exception_handler(exc_class, _database)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", exc_info=exc)
        return _json(request, 500, "internal_error", "Internal server error.")
