"""App factory, probes, the error shape, request logging and the request-owned transaction."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.deps import SessionDep
from backend.models import Organization
from storeintel_app import create_app
from tests.conftest import POSTGRES_ADMIN_URL, settings_for


async def test_health_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_the_database(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json()["database"] == ("sqlite" if settings.is_sqlite else "postgresql")


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/health", headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["x-request-id"] == "trace-123"
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32


async def test_unknown_route_uses_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-route", headers={"X-Request-ID": "r1"})
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not Found", "fields": []},
        "request_id": "r1",
    }


class _Item(BaseModel):
    name: str = Field(min_length=1)
    quantity: int = Field(ge=0)


def _add_probe_routes(app: FastAPI) -> None:
    """Routes that exercise validation and the session's commit/rollback through the real stack."""

    @app.post("/_probe/items")
    async def create_item(item: _Item) -> dict[str, str]:
        return {"name": item.name}

    @app.post("/_probe/orgs")
    async def create_org(session: SessionDep, name: str, fail: bool = False) -> dict[str, str]:
        session.add(Organization(name=name))
        await session.flush()
        if fail:
            raise RuntimeError("handler failed after writing")
        return {"name": name}


async def test_a_failed_commit_is_never_reported_as_success(app: FastAPI, client: httpx.AsyncClient) -> None:
    @app.post("/_probe/unflushed")
    async def write_invalid_row(session: SessionDep) -> dict[str, str]:
        session.add(Organization(name=None))  # NOT NULL: fails only when the commit flushes it
        return {"status": "saved"}

    response = await client.post("/_probe/unflushed")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"


async def test_validation_error_names_the_field(app: FastAPI, client: httpx.AsyncClient) -> None:
    _add_probe_routes(app)
    response = await client.post("/_probe/items", json={"name": "tea", "quantity": -1})
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert [f["field"] for f in body["error"]["fields"]] == ["body.quantity"]


async def test_malformed_json_is_422_not_500(app: FastAPI, client: httpx.AsyncClient) -> None:
    _add_probe_routes(app)
    response = await client.post(
        "/_probe/items", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_request_commits_on_success_and_rolls_back_on_error(
    app: FastAPI, client: httpx.AsyncClient, session: object
) -> None:
    _add_probe_routes(app)
    ok_name, failed_name = f"ok-{uuid.uuid4()}", f"failed-{uuid.uuid4()}"
    assert (await client.post("/_probe/orgs", params={"name": ok_name})).status_code == 200
    with pytest.raises(RuntimeError):
        # ASGITransport re-raises unhandled errors after the 500 response has been produced.
        await client.post("/_probe/orgs", params={"name": failed_name, "fail": True})
    async with app.state.sessionmaker() as check:
        names = set((await check.scalars(select(Organization.name))).all())
    assert ok_name in names
    assert failed_name not in names


async def test_each_request_logs_one_json_line(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    await client.get("/health", headers={"X-Request-ID": "log-check"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) == 1
    entry = requests[0]
    assert entry["trace_id"] == "log-check"
    assert entry["method"] == "GET"
    assert entry["path"] == "/health"
    assert entry["status"] == 200
    assert isinstance(entry["latency_ms"], float)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.CancelledError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


class _TcpProxy:
    """A loopback TCP proxy to PostgreSQL that the test can cut and restore, like a database outage."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.port = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self.writers: list[asyncio.StreamWriter] = []

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers += [writer, up_writer]
        for coro in (_pipe(reader, up_writer), _pipe(up_reader, writer)):
            task = asyncio.create_task(coro)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        for task in list(self.tasks):
            task.cancel()
        await self.server.wait_closed()
        self.writers.clear()


@pytest.fixture
async def proxied_postgres_app(postgres_url: str, tmp_path: Path) -> AsyncIterator[tuple[FastAPI, _TcpProxy]]:
    from sqlalchemy.engine import make_url

    target = make_url(POSTGRES_ADMIN_URL).port or 5432
    proxy = _TcpProxy(target)
    await proxy.start()
    url = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    application = create_app(settings_for(url, tmp_path, db_connect_timeout_s=2.0))
    async with application.router.lifespan_context(application):
        yield application, proxy
    await proxy.stop()


@pytest.mark.postgres
async def test_ready_is_503_while_postgres_is_down_and_recovers(
    proxied_postgres_app: tuple[FastAPI, _TcpProxy],
) -> None:
    application, proxy = proxied_postgres_app
    _add_probe_routes(application)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/ready")).status_code == 200

        await proxy.stop()
        down = await http.get("/ready")
        assert down.status_code == 503
        assert down.json()["error"]["code"] == "service_unavailable"
        # A route that needs the database answers 503 too, never 500.
        write = await http.post("/_probe/orgs", params={"name": "during-outage"})
        assert write.status_code == 503
        assert write.headers["retry-after"] == "5"

        await proxy.start()  # same port: the database is back
        assert (await http.get("/ready")).status_code == 200


@pytest.mark.postgres
async def test_a_server_restarted_while_the_pool_sat_idle_costs_no_request(
    proxied_postgres_app: tuple[FastAPI, _TcpProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool pings a connection that sat idle (`backend.db._ping_when_idle`), not every checkout: after
    a restart with no traffic in between, the first request still succeeds on a fresh connection."""
    import backend.db

    application, proxy = proxied_postgres_app

    @application.get("/_probe/read")
    async def read(session: SessionDep) -> dict[str, int]:
        # A read on the shared test database: nothing is committed that other tests would see.
        return {"one": int(await session.scalar(text("SELECT 1")) or 0)}

    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/_probe/read")).status_code == 200
        await proxy.stop()  # every pooled connection dies while nobody asks
        await proxy.start()
        monkeypatch.setattr(backend.db, "IDLE_PING_AFTER_S", 0.0)
        after = await http.get("/_probe/read")
        assert after.status_code == 200, after.text
        monkeypatch.setattr(backend.db, "IDLE_PING_AFTER_S", 3600.0)
        await proxy.stop()
        await proxy.start()
        # Used a moment ago, so not pinged: the request meets the dead connection and answers 503 (retry),
        # never 500, and the pool is invalidated so the next one connects afresh.
        unpinged = await http.get("/_probe/read")
        assert unpinged.status_code == 503, unpinged.text
        assert (await http.get("/_probe/read")).status_code == 200


async def test_ready_is_503_when_the_database_was_never_reachable(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    settings = settings_for(
        "postgresql+asyncpg://postgres@127.0.0.1:9/none", tmp_path, db_connect_timeout_s=1.0
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "The database is unreachable."


# --- PostgreSQL shutting down or starting up is unavailability (issue 25) ---------------------------


def _wrapped_like_sqlalchemy(error: Exception) -> Exception:
    """`error` (an asyncpg exception) as SQLAlchemy's asyncpg dialect raises it to the app."""
    import asyncpg
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
    from sqlalchemy.exc import DBAPIError

    dbapi = AsyncAdapt_asyncpg_dbapi(asyncpg)
    translated = next(
        wrapper(error.args[0], error)
        for cls in type(error).__mro__
        if (wrapper := dbapi._asyncpg_error_translate.get(cls)) is not None
    )
    translated.__cause__ = error
    wrapped = DBAPIError.instance("SELECT 1", None, translated, dbapi.Error)
    wrapped.__cause__ = translated
    return wrapped


@pytest.mark.parametrize(
    ("name", "sqlstate"),
    [
        ("AdminShutdownError", "57P01"),
        ("CrashShutdownError", "57P02"),
        ("CannotConnectNowError", "57P03"),
        ("TooManyConnectionsError", "53300"),
        ("ConnectionDoesNotExistError", "08003"),
        ("ConnectionFailureError", "08006"),
    ],
)
def test_postgres_going_away_is_unavailability(name: str, sqlstate: str) -> None:
    import asyncpg

    from backend.errors import is_database_unavailable

    error_class = getattr(asyncpg.exceptions, name)
    assert error_class.sqlstate == sqlstate
    error = error_class("the database system is shutting down")
    assert is_database_unavailable(error)
    assert is_database_unavailable(_wrapped_like_sqlalchemy(error))


@pytest.mark.parametrize(
    ("name", "sqlstate"), [("UniqueViolationError", "23505"), ("UndefinedTableError", "42P01")]
)
def test_query_errors_are_not_unavailability(name: str, sqlstate: str) -> None:
    import asyncpg

    from backend.errors import is_database_unavailable

    error = getattr(asyncpg.exceptions, name)("a bug, not an outage")
    assert error.sqlstate == sqlstate
    assert not is_database_unavailable(_wrapped_like_sqlalchemy(error))


async def _answer_startup_with(code: str, message: str) -> asyncio.Server:
    """A loopback server speaking just enough of PostgreSQL's protocol to refuse every session as a
    starting or stopping server does: it declines SSL, then answers the startup message with a FATAL
    ErrorResponse carrying SQLSTATE `code`."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                length = int.from_bytes(await reader.readexactly(4), "big")
                payload = await reader.readexactly(length - 4)
                if payload[:4] == (80877103).to_bytes(4, "big"):  # SSLRequest
                    writer.write(b"N")
                    await writer.drain()
                    continue
                fields = b"".join(
                    tag + value.encode() + b"\0"
                    for tag, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", code), (b"M", message))
                )
                body = fields + b"\0"
                writer.write(b"E" + (len(body) + 4).to_bytes(4, "big") + body)
                await writer.drain()
                break
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("57P03", "the database system is starting up"),
        ("57P01", "terminating connection due to administrator command"),
    ],
)
async def test_a_postgres_that_is_starting_or_stopping_answers_503(
    tmp_path: Path, code: str, message: str
) -> None:
    server = await _answer_startup_with(code, message)
    port = server.sockets[0].getsockname()[1]
    settings = settings_for(
        f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x", tmp_path, db_connect_timeout_s=2.0
    )
    application = create_app(settings)
    _add_probe_routes(application)
    try:
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                ready = await http.get("/ready")
                write = await http.post("/_probe/orgs", params={"name": "during-restart"})
    finally:
        server.close()
        await server.wait_closed()
    assert ready.status_code == 503, ready.text
    assert write.status_code == 503, write.text  # was a 500: not recognised as unavailability
    assert write.headers["retry-after"] == "5"
    assert write.json()["error"]["code"] == "service_unavailable"


# --- no secret in any log (issue 25) -------------------------------------------------------------------


def test_the_engine_hides_sql_parameters(tmp_path: Path) -> None:
    from backend.db import create_engine

    for url in (
        "sqlite+aiosqlite:///" + str(tmp_path / "x.db"),
        "postgresql+asyncpg://postgres@127.0.0.1:9/x",
    ):
        assert create_engine(settings_for(url, tmp_path)).sync_engine.hide_parameters is True


async def test_no_secret_reaches_the_log_on_any_error_path(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from backend.auth import service as auth
    from backend.auth.passwords import hash_password
    from backend.models import Role, User
    from tests.factories import PASSWORD, make_camera, make_org, make_store, make_user

    secret_password = "secret-password-" + uuid.uuid4().hex
    secret_hash = hash_password(secret_password)
    user = await make_user(session)
    org = await make_org(session)
    camera = await make_camera(session, settings, await make_store(session, org))
    issued = await auth.create_invite(session, settings, org.id, "invitee@example.com", Role.OWNER, None)
    token = (await client.post("/auth/token", json={"email": user.email, "password": PASSWORD})).json()[
        "access_token"
    ]

    @app.post("/_probe/users")
    async def insert_user_twice(session: SessionDep) -> dict[str, str]:
        # A database error on an INSERT that carries a password hash, as the NUL invite-accept did.
        for _ in range(2):
            session.add(User(id=user.id, email=f"{uuid.uuid4().hex}@example.com", password_hash=secret_hash))
            await session.flush()
        return {}

    capsys.readouterr()  # drop the invite_link line: logging the link without SMTP is documented
    failed = await client.post("/_probe/users")
    assert failed.status_code == 500
    answers = [
        await client.post("/auth/token", json={"email": user.email, "password": secret_password}),
        await client.post("/auth/token", json={"email": "not-an-email", "password": secret_password}),
        await client.post(
            "/auth/invites/accept",
            json={"token": issued.token, "password": secret_password, "full_name": "A\u0000B"},
        ),
        await client.post("/auth/invites/accept", json={"token": issued.token + "x", "password": "short"}),
        await client.get("/me", headers={"Authorization": f"Bearer {token}x"}),
        await client.get("/me", headers={"Authorization": f"Bearer {token[:-4]}AAAA"}),
        await client.get("/worker/config", headers={"X-Worker-Key": camera.key + "x"}),
        await client.get("/worker/config", headers={"X-Worker-Key": camera.key[:-2]}),
    ]
    assert [a.status_code for a in answers] == [401, 422, 422, 422, 401, 401, 401, 401]
    logged = capsys.readouterr().err
    assert '"database_error"' in logged
    for secret in (
        secret_password,
        secret_hash,
        "$argon2",
        token,
        token[:-4],
        camera.key,
        camera.key[:-2],
        issued.token,
    ):
        assert secret not in logged, secret[:12]


def _json_body_operations() -> list[tuple[str, str]]:
    document = create_app().openapi()
    return sorted(
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
        and "application/json" in operation.get("requestBody", {}).get("content", {})
    )


@pytest.mark.parametrize(("method", "path"), _json_body_operations())
async def test_authentication_is_checked_before_the_body(
    method: str, path: str, client: httpx.AsyncClient
) -> None:
    # `{bad` without credentials answered 422 (the body was decoded before authentication ran).
    url = path.replace("{", "").replace("}", "")
    for name in ("org_id", "store_id", "camera_id", "zone_id", "invite_id", "user_id"):
        url = url.replace(name, str(uuid.uuid4()))
    response = await client.request(
        method, url, content=b"{bad", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401, response.text


async def test_a_body_that_is_not_json_is_still_422_on_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/token", content=b"{bad", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["body"]


@pytest.mark.parametrize("content", [b"\xbf\xc5\x9a\xe6", b'{"email": "\xff"}'], ids=["bytes", "in-a-string"])
async def test_a_body_that_is_not_utf8_is_422_on_body(client: httpx.AsyncClient, content: bytes) -> None:
    # Found by tests/test_no_5xx.py: json.loads raised UnicodeDecodeError, FastAPI's bare 400 "There was
    # an error parsing the body", which no operation documents.
    response = await client.post("/auth/token", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    (field,) = response.json()["error"]["fields"]
    assert field["field"] == "body"
    assert "UTF-8" in field["message"]
