"""The migrations build exactly the schema the models describe, on both databases, and fully revert."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from backend import migrate
from backend.db import create_engine
from backend.migrate import render_item
from backend.models import Base
from tests.conftest import create_postgres_database, drop_postgres_database, settings_for


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind (migrations are destructive, so not the shared test DB)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"storeintel_migrations_{os.getpid()}"
    url = create_postgres_database(name)
    yield url
    drop_postgres_database(name)


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "render_item": render_item})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_models_and_migrations_agree_and_downgrade_to_base(
    empty_database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(settings_for(empty_database_url, tmp_path))
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            tables = await conn.run_sync(_tables)
        assert set(Base.metadata.tables) <= tables

        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) <= {"alembic_version"}

        # A database that went down to base can come back up again.
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


def test_every_tenant_owned_table_leads_its_primary_key_with_org_id() -> None:
    # Citus requires the distribution column in every primary key and unique constraint.
    global_tables = {"organizations", "users", "signing_keys", "admin_audit_log"}
    for table in Base.metadata.sorted_tables:
        if table.name in global_tables:
            continue
        assert "org_id" in table.columns, table.name
        assert next(iter(table.primary_key.columns)).name == "org_id", table.name
        for constraint in table.constraints:
            if constraint.__class__.__name__ == "UniqueConstraint":
                assert "org_id" in constraint.columns, (table.name, constraint.name)  # type: ignore[attr-defined]
