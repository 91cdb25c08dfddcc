"""Purging an organization removes every row of it from every tenant table, found from the schema, and its
snapshot files, and touches nothing of another organization (docs/privacy.md, Deletion).

The tenant tables are discovered from the models (every table with `org_id`); each needs a filler in
`FILLERS` below, so a table added later fails this test until it is filled here too, and is then proved
purged without anyone remembering to extend a list in the purge.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend import migrate
from backend.cameras.snapshots import snapshot_folder
from backend.config import Settings
from backend.db import create_engine
from backend.models import (
    AdminAuditEntry,
    Base,
    CountAudit,
    Invite,
    Organization,
    PosTransaction,
    Role,
    User,
)
from backend.models.base import utcnow
from backend.organizations.deletion import (
    AUDIT_TABLE,
    PURGE_ACTION,
    purge_due,
    start_purge_task,
    tenant_tables,
)
from tests.conftest import settings_for
from tests.factories import (
    FAKE_JPEG,
    add_member,
    make_camera,
    make_counting_line,
    make_event,
    make_heartbeat,
    make_org,
    make_snapshot,
    make_store,
    make_user,
    make_zone,
)

NOW = datetime(2026, 12, 8, 12, tzinfo=UTC)


@dataclass
class World:
    """One organization's rows that the fillers hang theirs on."""

    org: Organization
    store: Any
    camera: Any
    settings: Settings


async def _snapshot_file(session: AsyncSession, w: World) -> None:
    folder = snapshot_folder(w.settings.data_dir, w.org.id) / str(w.camera.id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4()}.jpg"
    path.write_bytes(FAKE_JPEG)
    await make_snapshot(session, w.camera, path=str(path))


async def _invite(session: AsyncSession, w: World) -> None:
    session.add(
        Invite(
            org_id=w.org.id,
            email=f"invitee-{uuid.uuid4().hex[:6]}@example.com",
            role=Role.OWNER,
            token_hash=uuid.uuid4().hex,
            expires_at=NOW + timedelta(days=3),
        )
    )


async def _pos(session: AsyncSession, w: World) -> None:
    session.add(
        PosTransaction(
            org_id=w.org.id,
            store_id=w.store.id,
            external_id="T1",
            ts=NOW,
            amount=Decimal("9.99"),
            currency="EUR",
        )
    )


async def _count_audit(session: AsyncSession, w: World) -> None:
    session.add(
        CountAudit(
            org_id=w.org.id,
            store_id=w.store.id,
            camera_id=w.camera.id,
            window_start=NOW - timedelta(hours=1),
            window_end=NOW,
            hand_in=3,
            hand_out=2,
            system_in=3,
            system_out=2,
        )
    )


async def _nothing(session: AsyncSession, w: World) -> None:
    """The table is filled by the world itself (stores, cameras, memberships) or by another filler."""


async def _event(session: AsyncSession, w: World) -> None:
    await make_event(session, w.camera, NOW - timedelta(minutes=5))  # and its line_crossing_slots row


async def _heartbeat(session: AsyncSession, w: World) -> None:
    await make_heartbeat(session, w.camera)  # and its camera_coverage_slots row


async def _line(session: AsyncSession, w: World) -> None:
    await make_counting_line(session, w.camera)


async def _zone(session: AsyncSession, w: World) -> None:
    await make_zone(session, w.camera)


# Every tenant table, and how a row of it is made for one organization.
FILLERS: dict[str, Callable[[AsyncSession, World], Awaitable[None]]] = {
    "stores": _nothing,
    "cameras": _nothing,
    "memberships": _nothing,
    "counting_lines": _line,
    "zones": _zone,
    "events": _event,
    "line_crossing_slots": _nothing,
    "camera_heartbeats": _heartbeat,
    "camera_coverage_slots": _nothing,
    "snapshots": _snapshot_file,
    "pos_transactions": _pos,
    "invites": _invite,
    "count_audits": _count_audit,
}


async def _world(session: AsyncSession, settings: Settings, name: str, members: list[User]) -> World:
    org = await make_org(session, name)
    for user in members:
        await add_member(session, org, user, Role.OWNER)
    store = await make_store(session, org)
    camera = (await make_camera(session, settings, store)).camera
    world = World(org, store, camera, settings)
    for fill in FILLERS.values():
        await fill(session, world)
    session.add(
        AdminAuditEntry(
            action="organization.update",
            entity_type="organization",
            entity_id=str(org.id),
            org_id=org.id,
            before={"name": f"{name} before"},
            after={"name": name},
        )
    )
    await session.flush()
    return world


async def _rows(session: AsyncSession, table: Table, org_id: uuid.UUID) -> list[str]:
    rows = await session.execute(select(table).where(table.c.org_id == org_id))
    return sorted(repr(tuple(row)) for row in rows)


async def _org_row(session: AsyncSession, org_id: uuid.UUID) -> Any:
    table = Organization.__table__
    return (await session.execute(select(table).where(table.c.id == org_id))).one()


async def _count(session: AsyncSession, table: Table, org_id: uuid.UUID) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(table).where(table.c.org_id == org_id)) or 0
    )


def test_every_tenant_table_has_a_filler() -> None:
    missing = sorted({t.name for t in tenant_tables()} - set(FILLERS))
    assert not missing, (
        f"tenant table(s) {missing} have no filler in FILLERS of {__file__}: add one so the purge of "
        "an organization is proved to remove their rows"
    )
    assert AUDIT_TABLE not in FILLERS  # kept and scrubbed, not deleted


def test_no_table_without_org_id_references_a_tenant_table() -> None:
    # Such a table would hold an organization's rows that a purge by org_id cannot see.
    tenant = {t.name for t in tenant_tables()}
    for table in Base.metadata.sorted_tables:
        if "org_id" in table.columns:
            continue
        referenced = {fk.column.table.name for fk in table.foreign_keys}
        assert not referenced & tenant, f"{table.name} references {referenced & tenant} without org_id"


async def test_purge_removes_every_row_and_file_of_one_organization_and_nothing_of_another(
    empty_database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(empty_database_url, tmp_path / "data", snapshot_storage="folder")
    engine = create_engine(settings)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    try:
        await migrate.upgrade(engine)
        async with factory() as session:
            admin = await make_user(session, superadmin=True)
            only_here = await make_user(session)  # member of the purged organization only: goes
            shared = await make_user(session)  # member of both: stays, loses the membership
            staff_member = await make_user(session, superadmin=True)  # staff account: stays
            gone = await _world(session, settings, "Gone", [only_here, shared, staff_member])
            kept = await _world(session, settings, "Kept", [shared])
            gone.org.is_active = False
            gone.org.deletion_due_at = NOW - timedelta(seconds=1)
            gone.org.deletion_requested_by = admin.id
            kept.org.deletion_due_at = NOW + timedelta(seconds=1)  # scheduled, not yet due
            await session.commit()
            gone_id, kept_id = gone.org.id, kept.org.id

        tables = tenant_tables()
        async with factory() as session:
            for table in tables:
                for org_id in (gone_id, kept_id):
                    assert await _count(session, table, org_id) > 0, f"{table.name}: the filler added no row"
            kept_before = {t.name: await _rows(session, t, kept_id) for t in tables}
            kept_org_before = await _org_row(session, kept_id)
        gone_files = list(snapshot_folder(settings.data_dir, gone_id).rglob("*.jpg"))
        kept_files = list(snapshot_folder(settings.data_dir, kept_id).rglob("*.jpg"))
        assert gone_files
        assert kept_files

        results = await purge_due(factory, settings.data_dir, now=NOW)

        assert [r.org_id for r in results] == [gone_id]
        async with factory() as session:
            for table in tables:
                assert await _count(session, table, gone_id) == 0, f"{table.name} still holds rows of it"
                assert await _rows(session, table, kept_id) == kept_before[table.name], table.name
            assert await session.get(Organization, gone_id) is None
            assert await _org_row(session, kept_id) == kept_org_before
            assert await session.get(User, only_here.id) is None
            assert await session.get(User, shared.id) is not None
            assert await session.get(User, staff_member.id) is not None

            entries = list(
                await session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.org_id == gone_id))
            )
            purge = [e for e in entries if e.action == PURGE_ACTION]
            assert len(purge) == 1
            assert purge[0].actor_user_id == admin.id
            assert purge[0].after is not None
            assert purge[0].after["rows_deleted"]["events"] == 1
            assert purge[0].after["rows_deleted"]["users"] == 1
            assert "Gone" not in repr(purge[0].after)
            assert all(e.before is None and e.after is None for e in entries if e.action != PURGE_ACTION)
            kept_entry = await session.scalar(
                select(AdminAuditEntry).where(AdminAuditEntry.org_id == kept_id)
            )
            assert kept_entry is not None
            assert kept_entry.after == {"name": "Kept"}
        assert not snapshot_folder(settings.data_dir, gone_id).exists()
        assert all(p.exists() for p in kept_files)

        assert await purge_due(factory, settings.data_dir, now=NOW) == []  # idempotent: nothing left due
    finally:
        await engine.dispose()


async def _due_org(factory: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with factory() as session:
        org = await make_org(session, active=False)
        org.deletion_due_at = utcnow() - timedelta(seconds=1)  # the task and the command purge as of now
        await session.commit()
        return org.id


async def test_the_backend_task_purges_due_organizations_every_interval(
    empty_database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(empty_database_url, tmp_path / "data", org_purge_interval_s=0.05)
    engine = create_engine(settings)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    try:
        await migrate.upgrade(engine)
        assert start_purge_task(factory, settings.model_copy(update={"org_purge_interval_s": 0})) is None
        org_id = await _due_org(factory)
        task = start_purge_task(factory, settings)
        assert task is not None
        try:
            for _ in range(100):
                await asyncio.sleep(0.05)
                async with factory() as session:
                    if await session.get(Organization, org_id) is None:
                        break
            else:
                raise AssertionError("the task did not purge the due organization within 5 s")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await engine.dispose()


def test_the_purge_due_command_purges_and_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from backend.cli import app

    monkeypatch.setenv("STOREINTEL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STOREINTEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = CliRunner().invoke(app, ["organizations", "purge-due"])  # migrates the new SQLite file
    assert first.exit_code == 0, first.output
    assert "0 organization(s) purged" in first.output

    async def arrange() -> uuid.UUID:
        engine = create_engine(settings_for(f"sqlite+aiosqlite:///{tmp_path / 'storeintel.db'}", tmp_path))
        try:
            return await _due_org(async_sessionmaker(engine, expire_on_commit=False))
        finally:
            await engine.dispose()

    org_id = asyncio.run(arrange())
    second = CliRunner().invoke(app, ["organizations", "purge-due"])
    assert second.exit_code == 0, second.output
    assert f"purged organization {org_id}: 1 rows, 0 snapshot files" in second.output
    assert "1 organization(s) purged" in second.output
