"""Database engine and sessions: one async SQLAlchemy codebase for SQLite (embedded) and PostgreSQL.

The request owns the transaction: `session_scope` commits when the handler returns and rolls back when it
raises, so services never commit.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from backend.config import Settings

SQLITE_IMMEDIATE = "storeintel_sqlite_immediate"
"""Connection execution option: begin the SQLite transaction as a writer (ignored by PostgreSQL)."""


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the async engine for `settings.effective_database_url`.

    SQLite gets WAL, foreign keys and a busy timeout, and explicit `BEGIN` handling so that savepoints and
    transactional DDL work (the pysqlite driver's own transaction handling breaks both; see SQLAlchemy's
    "Serializable isolation / Savepoints / Transactional DDL" notes for the SQLite dialect).
    PostgreSQL gets a bounded pool, a connect timeout and a ping of connections that sat idle in the pool
    (`_ping_when_idle`) so a server restarted while nobody was asking is recovered from.
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
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=settings.db_connect_timeout_s,
        hide_parameters=True,
        connect_args=connect_args,
    )
    _ping_when_idle(engine)
    return engine


IDLE_PING_AFTER_S = 1.0
"""A pooled connection unused for longer than this is pinged before a request gets it."""


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a connection on checkout only when it sat in the pool for over `IDLE_PING_AFTER_S`.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: a round trip on every request (~0.3 ms of a
    ~3 ms authenticated read). A connection handed back a moment ago is as alive as the request that just
    used it; what pre-ping is for is a server restarted while the pool sat idle. When the server goes
    away under traffic, the failing statements are disconnects: SQLAlchemy invalidates the whole pool and
    those requests answer 503 (`backend.errors`), so the next ones connect afresh either way. A failed ping
    invalidates the pool and the checkout is retried on a new connection ("Disconnect Handling -
    Pessimistic, custom" in SQLAlchemy's pooling documentation).
    """
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at <= IDLE_PING_AFTER_S:
            return  # fresh, or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise InvalidatePoolError(f"ping of an idle pooled connection failed: {exc!r}") from exc


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

    `writes=False` declares a read-only unit of work. On PostgreSQL it runs without a transaction block
    (autocommit): under READ COMMITTED every statement takes its own snapshot anyway, so `BEGIN` and
    `COMMIT` were two round trips that bought nothing; a write it still makes (an external user's first
    sign-in binds their subject) commits by itself. On SQLite a read keeps its deferred transaction (one
    snapshot across its statements, no round trips to save); a writing unit starts as a writer (see
    `SQLITE_IMMEDIATE`) so concurrent writers queue instead of failing.
    """
    async with factory() as session:
        dialect = session.get_bind().dialect.name
        if writes and dialect == "sqlite":
            await session.connection(execution_options={SQLITE_IMMEDIATE: True})
        elif not writes and dialect == "postgresql" and not isinstance(session.bind, AsyncConnection):
            # (A session bound to a connection joins that connection's transaction: the tests' fixture.)
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


async def upsert_adding(
    session: AsyncSession,
    model: type[Any],
    key: Sequence[str],
    counters: Sequence[str],
    rows: Sequence[dict[str, Any]],
) -> None:
    """Insert `rows` into `model`'s table, or where a row with the same `key` columns exists, add the new
    values of its `counters` columns to the stored ones: one `INSERT ... ON CONFLICT DO UPDATE` for all
    rows (PostgreSQL and SQLite). Callers pass rows sorted by key, so concurrent writers of overlapping rows
    lock them in one order (no deadlock). The write path of the roll-ups (coverage, line crossings)."""
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(model)
    table = model.__table__
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={column: table.c[column] + stmt.excluded[column] for column in counters},
    )
    await session.execute(stmt, list(rows))


async def ping(engine: AsyncEngine) -> None:
    """Run `SELECT 1`; raises the driver's error when the database is unreachable."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
