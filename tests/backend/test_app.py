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
from sqlalchemy import select

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
