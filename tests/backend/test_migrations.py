"""The migrations build exactly the schema the models describe, on both databases, and fully revert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from backend import migrate
from backend.db import create_engine
from backend.migrate import render_item
from backend.models import Base
from tests.conftest import settings_for


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
    # Accounts and their sessions belong to a user, not to one organization.
    global_tables = {
        *("organizations", "users", "signing_keys", "admin_audit_log"),
        *("refresh_tokens", "password_resets"),
    }
    for table in Base.metadata.sorted_tables:
        if table.name in global_tables:
            continue
        assert "org_id" in table.columns, table.name
        assert next(iter(table.primary_key.columns)).name == "org_id", table.name
        for constraint in table.constraints:
            if constraint.__class__.__name__ == "UniqueConstraint":
                assert "org_id" in constraint.columns, (table.name, constraint.name)  # type: ignore[attr-defined]


async def test_revision_0002_backfills_coverage_slots_from_heartbeats(
    empty_database_url: str, tmp_path: Path
) -> None:
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from backend.models import Camera, CameraCoverageSlot, CameraHeartbeat, Organization, Store

    engine = create_engine(settings_for(empty_database_url, tmp_path))
    org, store, camera = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    beats = [  # two in the 09:00 slot (one not ok), one at 09:15 exactly
        (datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC), "ok"),
        (datetime(2026, 3, 1, 9, 14, 59, 999999, tzinfo=UTC), "failed"),
        (datetime(2026, 3, 1, 9, 15, tzinfo=UTC), "ok"),
    ]
    try:
        await migrate.upgrade(engine, "0001")
        async with engine.begin() as conn:
            await conn.execute(
                insert(Organization.__table__).values(
                    id=org, name="o", is_active=True, created_at=beats[0][0]
                )
            )
            await conn.execute(
                insert(Store.__table__).values(
                    org_id=org,
                    id=store,
                    name="s",
                    timezone="UTC",
                    opening_hours={},
                    is_active=True,
                    created_at=beats[0][0],
                )
            )
            await conn.execute(
                insert(Camera.__table__).values(
                    org_id=org,
                    id=camera,
                    store_id=store,
                    name="c",
                    is_counting_line=True,
                    enabled=True,
                    key_prefix="p",
                    key_hash="h",
                    key_rotated_at=beats[0][0],
                    config_version=1,
                    target_fps=10.0,
                    imgsz=640,
                    conf=0.25,
                    snapshot_requested=False,
                    created_at=beats[0][0],
                )
            )
            heartbeat_columns = {c.name for c in CameraHeartbeat.__table__.columns} - {"observed_at"}
            table = CameraHeartbeat.__table__
            for at, status in beats:
                await conn.execute(
                    insert(table)
                    .values(
                        {
                            "org_id": org,
                            "id": uuid.uuid4(),
                            "camera_id": camera,
                            "received_at": at,
                            "worker_version": "0.1.0",
                            "uptime_s": 1.0,
                            "fps": 10.0,
                            "frames_read": 1,
                            "frames_dropped": 0,
                            "outbox_depth": 0,
                            "events_dropped": 0,
                            "stream_status": status,
                        }
                    )
                    .execution_options(),
                )
            assert heartbeat_columns  # the 0001 shape, without observed_at
        await migrate.upgrade(engine, "0002")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        CameraCoverageSlot.slot_start,
                        CameraCoverageSlot.heartbeats,
                        CameraCoverageSlot.heartbeats_ok,
                    ).order_by(CameraCoverageSlot.slot_start)
                )
            ).all()
    finally:
        await engine.dispose()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (datetime(2026, 3, 1, 9, 0, tzinfo=UTC), 2, 1),
        (datetime(2026, 3, 1, 9, 15, tzinfo=UTC), 1, 1),
    ]


async def test_revision_0006_backfills_the_line_crossing_roll_up_from_events(
    empty_database_url: str, tmp_path: Path
) -> None:
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from backend.models import Event, LineCrossingSlot

    engine = create_engine(settings_for(empty_database_url, tmp_path))
    org, store, door_a, door_b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    events = [  # (camera, type, ts): 09:00 slot twice IN on door a (one a microsecond before 09:15)
        (door_a, "IN", datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC)),
        (door_a, "IN", datetime(2026, 3, 1, 9, 14, 59, 999999, tzinfo=UTC)),
        (door_a, "OUT", datetime(2026, 3, 1, 9, 15, tzinfo=UTC)),
        (door_b, "OUT", datetime(2026, 3, 1, 9, 3, tzinfo=UTC)),
        (door_b, "ZONE_ENTER", datetime(2026, 3, 1, 9, 4, tzinfo=UTC)),  # not a crossing
    ]
    try:
        await migrate.upgrade(engine, "0005")
        async with engine.begin() as conn:
            await conn.execute(
                insert(Event.__table__),
                [
                    {
                        "org_id": org,
                        "camera_id": camera,
                        "event_id": uuid.uuid4(),
                        "store_id": store,
                        "type": kind,
                        "ts": ts,
                        "tracker_id": n,
                        "received_at": ts,
                    }
                    for n, (camera, kind, ts) in enumerate(events)
                ],
            )
        await migrate.upgrade(engine, "0006")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        LineCrossingSlot.camera_id,
                        LineCrossingSlot.slot_start,
                        LineCrossingSlot.in_count,
                        LineCrossingSlot.out_count,
                    ).where(LineCrossingSlot.org_id == org, LineCrossingSlot.store_id == store)
                )
            ).all()
    finally:
        await engine.dispose()
    assert sorted((str(c), s, i, o) for c, s, i, o in rows) == sorted(
        [
            (str(door_a), datetime(2026, 3, 1, 9, 0, tzinfo=UTC), 2, 0),
            (str(door_a), datetime(2026, 3, 1, 9, 15, tzinfo=UTC), 0, 1),
            (str(door_b), datetime(2026, 3, 1, 9, 0, tzinfo=UTC), 0, 1),
        ]
    )


async def test_revision_0007_adds_count_audits_with_their_checks_and_reverts_to_0006(
    empty_database_url: str, tmp_path: Path
) -> None:
    import uuid
    from datetime import UTC, datetime, timedelta

    import pytest
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.ext.asyncio import AsyncSession

    from backend.models import CountAudit, Organization
    from tests.factories import make_camera, make_store

    settings = settings_for(empty_database_url, tmp_path)
    engine = create_engine(settings)
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    try:
        await migrate.upgrade(engine, "0006")
        async with engine.connect() as conn:
            assert "count_audits" not in await conn.run_sync(_tables)
        await migrate.upgrade(engine, "0007")
        async with AsyncSession(engine, expire_on_commit=False) as session:
            # The organization as 0007 knows it (its model has gained columns since).
            org = Organization(id=uuid.uuid4())
            await session.execute(
                insert(Organization.__table__).values(id=org.id, name="o", is_active=True, created_at=start)
            )
            camera = (await make_camera(session, settings, await make_store(session, org))).camera
            await session.commit()

        def audit(**fields: object) -> CountAudit:
            values: dict[str, object] = {
                "org_id": camera.org_id,
                "store_id": camera.store_id,
                "camera_id": camera.id,
                "window_start": start,
                "window_end": start + timedelta(hours=1),
                "hand_in": 3,
                "hand_out": 2,
                "system_in": 3,
                "system_out": 2,
            }
            return CountAudit(**{**values, **fields})

        async with AsyncSession(engine) as session:
            session.add(audit())
            await session.commit()
        for refused in (audit(window_end=start), audit(hand_in=-1), audit(hand_out=-1)):
            async with AsyncSession(engine) as session:
                session.add(refused)
                with pytest.raises(IntegrityError, match=r"(?i)check constraint.*ck_count_audits"):
                    await session.commit()

        await migrate.downgrade(engine, "0006")
        async with engine.connect() as conn:
            tables = await conn.run_sync(_tables)
        assert "count_audits" not in tables
        assert {"cameras", "events", "line_crossing_slots"} <= tables
    finally:
        await engine.dispose()


async def test_revision_0008_adds_organization_deletion_columns_and_reverts_to_0007(
    empty_database_url: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from backend.models import Organization, User
    from tests.factories import make_org, make_user

    settings = settings_for(empty_database_url, tmp_path)
    engine = create_engine(settings)
    due = datetime(2026, 12, 15, 12, tzinfo=UTC)
    added = {"deletion_due_at", "deletion_requested_by", "active_before_deletion"}

    def columns(connection: Connection) -> set[str]:
        return {c["name"] for c in inspect(connection).get_columns("organizations")}

    try:
        await migrate.upgrade(engine, "0007")
        async with engine.connect() as conn:
            assert not added & await conn.run_sync(columns)
        await migrate.upgrade(engine, "0008")
        async with AsyncSession(engine, expire_on_commit=False) as session:
            admin = await make_user(session, superadmin=True)
            org = await make_org(session)
            org.deletion_due_at, org.deletion_requested_by, org.active_before_deletion = due, admin.id, True
            await session.commit()
        async with AsyncSession(engine) as session:
            await session.delete(await session.get(User, admin.id))
            await session.commit()
        async with AsyncSession(engine) as session:
            stored = await session.get(Organization, org.id)
            assert stored is not None
            assert stored.deletion_due_at == due
            assert stored.deletion_requested_by is None  # SET NULL when the admin's account goes

        await migrate.downgrade(engine, "0007")
        async with engine.connect() as conn:
            assert not added & await conn.run_sync(columns)
            assert "organizations" in await conn.run_sync(_tables)
    finally:
        await engine.dispose()
