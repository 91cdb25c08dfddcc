"""SQL of POS ingestion: idempotent inserts keyed by (org_id, store_id, external_id)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import PosTransaction, Store
from backend.pos.schemas import StoredTransaction

# Keeps every IN (...) list and multi-row INSERT well under SQLite's bound-parameter limit.
_CHUNK = 500


async def existing_ids(session: AsyncSession, store: Store, external_ids: Sequence[str]) -> set[str]:
    """Which of `external_ids` the store already has."""
    found: set[str] = set()
    for i in range(0, len(external_ids), _CHUNK):
        chunk = external_ids[i : i + _CHUNK]
        rows = await session.scalars(
            select(PosTransaction.external_id).where(
                PosTransaction.org_id == store.org_id,
                PosTransaction.store_id == store.id,
                PosTransaction.external_id.in_(chunk),
            )
        )
        found.update(rows)
    return found


async def insert_new(session: AsyncSession, store: Store, rows: Sequence[StoredTransaction]) -> int:
    """Insert rows, skipping external ids stored meanwhile (ON CONFLICT DO NOTHING); returns rows stored."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stored = 0
    for i in range(0, len(rows), _CHUNK):
        values = [
            {"org_id": store.org_id, "store_id": store.id, **row.model_dump()} for row in rows[i : i + _CHUNK]
        ]
        stmt = (
            insert(PosTransaction)
            .values(values)
            .on_conflict_do_nothing()
            .returning(PosTransaction.external_id)
        )
        stored += len((await session.scalars(stmt)).all())
    return stored
