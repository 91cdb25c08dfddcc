"""Shared fixtures: real databases (PostgreSQL and SQLite), built by `alembic upgrade head`.

Every database test runs once per backend (the `database_url` fixture is parametrized). Each test runs
inside a transaction on one connection that is rolled back afterwards; the app's sessions join it through
savepoints, so a route's commit is real to the route but invisible to the next test.

PostgreSQL comes from `STOREINTEL_TEST_POSTGRES_URL` (default: the local server on 127.0.0.1:5432). When it
is unreachable the PostgreSQL half of the suite fails under CI (`CI=true`) and is skipped elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from backend import migrate
from backend.config import Settings
from backend.db import create_engine
from storeintel_app import create_app

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_ADMIN_URL = os.environ.get(
    "STOREINTEL_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def missing_dependency(reason: str) -> None:
    """Fail under CI (a missing service or file is a broken CI set-up), skip on a developer's machine."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


async def _admin_execute(sql: str) -> None:
    import asyncpg  # local: only the PostgreSQL half needs it

    url = make_url(POSTGRES_ADMIN_URL)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
        timeout=5,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_postgres_database(name: str) -> str:
    """Create an empty PostgreSQL database and return its async URL (skips/fails if the server is down)."""
    try:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
    except (TimeoutError, OSError) as exc:
        missing_dependency(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc!r}")
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    """Drop a database made by `create_postgres_database`."""
    asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def settings_for(url: str, data_dir: Path, **overrides: object) -> Settings:
    """Test settings on `url`, with no auto-migration (the fixtures migrate) and a fixed secret."""
    values: dict[str, object] = {
        "environment": "test",
        "database_url": url,
        "data_dir": data_dir,
        "auto_migrate": False,
        "secret_key": "test-secret-" + "x" * 40,
        "log_json": True,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def _upgrade(url: str) -> None:
    engine = create_engine(settings_for(url, Path(".")))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test session."""
    name = f"storeintel_test_{os.getpid()}"
    url = create_postgres_database(name)
    asyncio.run(_upgrade(url))
    yield url
    drop_postgres_database(name)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database file for this test session."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    asyncio.run(_upgrade(url))
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty (unmigrated) database of each kind, for tests that migrate or commit for real rather
    than inside the shared test transaction."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"storeintel_empty_{os.getpid()}"
    url = create_postgres_database(name)
    yield url
    drop_postgres_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of a migrated test database; every test using it runs on both backends."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for an app on the test database."""
    return settings_for(database_url, tmp_path / "data")


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the test database (NullPool: every test gets fresh connections on its own loop)."""
    if settings.is_sqlite:
        eng = create_engine(settings)
    else:
        from sqlalchemy.ext.asyncio import create_async_engine

        eng = create_async_engine(settings.effective_database_url, poolclass=NullPool)
    yield eng
    await eng.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection in an outer transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            if transaction.is_active:
                await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions that join the test's transaction; their commits only release a savepoint."""
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for arranging data and checking results directly in the database."""
    async with sessionmaker() as sess:
        yield sess


@pytest.fixture
async def app(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[FastAPI]:
    """The real application with its real lifespan, its sessions joined to the test transaction."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await application.state.engine.dispose()
        application.state.engine = engine
        application.state.sessionmaker = sessionmaker
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process (ASGI), no network."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def unique_name(prefix: str) -> str:
    """A readable unique name for rows created by a test."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
