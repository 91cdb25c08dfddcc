"""Database engine and sessions: one async SQLAlchemy codebase for SQLite (embedded) and PostgreSQL.

The request owns the transaction: `session_scope` commits when the handler returns and rolls back when it
raises, so services never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from backend.config import Settings

SQLITE_IMMEDIATE = "storeintel_sqlite_immediate"
"""Connection execution option: begin the SQLite transaction as a writer (ignored by PostgreSQL)."""


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the async engine for `settings.effective_database_url`.

    SQLite gets WAL, foreign keys and a busy timeout, and explicit `BEGIN` handling so that savepoints and
    transactional DDL work (the pysqlite driver's own transaction handling breaks both; see SQLAlchemy's
    "Serializable isolation / Savepoints / Transactional DDL" notes for the SQLite dialect).
    PostgreSQL gets a bounded pool, a connect timeout and pre-ping so a restarted server is recovered from.
    Both hide bound parameters from error messages (`hide_parameters`): a failed INSERT into users would
    otherwise carry the password hash into whatever logs the error.
    """
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql+asyncpg"):
        connect_args = {
            "timeout": settings.db_connect_timeout_s,
            "command_timeout": 60,
            # Our queries are short index scans; JIT compilation costs 10-20 ms each and never pays back.
            "server_settings": {"jit": "off"},
        }
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        pool_timeout=settings.db_connect_timeout_s,
        hide_parameters=True,
        connect_args=connect_args,
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A transaction that will write takes the write lock up front (IMMEDIATE), waiting in the busy
        # handler for its turn. Started DEFERRED, a transaction that has read and then writes fails at once
        # with SQLITE_BUSY_SNAPSHOT whenever another connection committed in between (WAL mode).
        immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory; objects stay usable after commit so responses can be built from them."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def session_scope(
    factory: async_sessionmaker[AsyncSession], *, writes: bool = True
) -> AsyncIterator[AsyncSession]:
    """Yield a session; commit on success, roll back on any exception (which is re-raised).

    `writes=False` declares a read-only unit of work; otherwise, on SQLite, the transaction starts as a
    writer (see `SQLITE_IMMEDIATE`) so concurrent writers queue instead of failing.
    """
    async with factory() as session:
        if writes and session.get_bind().dialect.name == "sqlite":
            await session.connection(execution_options={SQLITE_IMMEDIATE: True})
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


async def ping(engine: AsyncEngine) -> None:
    """Run `SELECT 1`; raises the driver's error when the database is unreachable."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
