"""Purging an organization: every row of every tenant table, its members' orphaned accounts, its snapshot
files and its organization row, leaving one audit entry that says so (docs/privacy.md, Deletion).

The tenant tables are not listed by hand: they are every table of `Base.metadata` with an `org_id` column,
deleted children first (`sorted_tables` reversed), so a table added later is purged without a change here.
The admin audit log also carries `org_id` but is kept: its entries of the organization lose their
`before`/`after` states (which hold the organization's data) and keep who did what when.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Table, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.schema import MetaData

from backend.cameras.snapshots import snapshot_file, snapshot_folder
from backend.config import Settings
from backend.db import session_scope
from backend.errors import NotFound
from backend.models import AdminAuditEntry, Base, Membership, Organization, Snapshot, User
from backend.models.base import utcnow

log = structlog.get_logger(__name__)

AUDIT_TABLE = AdminAuditEntry.__tablename__
PURGE_ACTION = "organization.purge"


def tenant_tables(metadata: MetaData = Base.metadata) -> list[Table]:
    """Every table with an `org_id` column except the audit log, in an order that deletes a referencing
    table before the table it references."""
    return [t for t in reversed(metadata.sorted_tables) if "org_id" in t.columns and t.name != AUDIT_TABLE]


@dataclass
class PurgeResult:
    """What a purge removed: rows per table (`users`: accounts left without any organization; the
    organization row under `organizations`), audit entries scrubbed, and the snapshot files to unlink
    once the transaction has committed (absolute paths)."""

    org_id: uuid.UUID
    rows_deleted: dict[str, int] = field(default_factory=dict)
    audit_entries_scrubbed: int = 0
    snapshot_files: list[Path] = field(default_factory=list)


def _orphaned_accounts(org_id: uuid.UUID) -> Any:
    """Ids of the organization's members who are no staff and belong to no other organization."""
    other = Membership.__table__.alias("other")
    return (
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.org_id == org_id,
            User.is_superadmin.is_(False),
            ~exists().where(other.c.user_id == Membership.user_id, other.c.org_id != org_id),
        )
    )


async def purge_organization(
    session: AsyncSession, org_id: uuid.UUID, data_dir: Path, *, now: datetime
) -> PurgeResult:
    """Delete everything of one organization in the session's transaction (the caller commits, then calls
    `remove_snapshot_files`). Does not check that a deletion is due: `purge_due` does.

    Deleted: every row with this `org_id` in every tenant table (`tenant_tables`); the accounts of its
    members who are no superadmin and belong to no other organization (their sessions and password resets
    go with them by `ON DELETE CASCADE`); the organization row. Kept: the audit log's entries of the
    organization with `before`/`after` set to null, and one new `organization.purge` entry with the row
    counts, the requesting admin as actor and `now` (UTC) as its time.

    Raises:
        NotFound: no such organization.
    """
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound("Organization not found.")
    requested_by, due_at = org.deletion_requested_by, org.deletion_due_at
    result = PurgeResult(org_id)
    paths = await session.scalars(
        select(Snapshot.path).where(Snapshot.org_id == org_id, Snapshot.path.is_not(None))
    )
    result.snapshot_files = [snapshot_file(data_dir, p) for p in paths if p]
    accounts = list(await session.scalars(_orphaned_accounts(org_id)))
    for table in tenant_tables():
        deleted = await session.execute(delete(table).where(table.c.org_id == org_id))
        result.rows_deleted[table.name] = deleted.rowcount  # type: ignore[attr-defined]
    users = await session.execute(delete(User).where(User.id.in_(accounts)))
    result.rows_deleted[User.__tablename__] = users.rowcount  # type: ignore[attr-defined]
    scrubbed = await session.execute(
        update(AdminAuditEntry).where(AdminAuditEntry.org_id == org_id).values(before=None, after=None)
    )
    result.audit_entries_scrubbed = scrubbed.rowcount  # type: ignore[attr-defined]
    await session.execute(delete(Organization).where(Organization.id == org_id))
    result.rows_deleted[Organization.__tablename__] = 1
    session.expunge_all()  # the identity map still holds rows that no longer exist
    session.add(
        AdminAuditEntry(
            created_at=now,
            actor_user_id=requested_by,
            action=PURGE_ACTION,
            entity_type="organization",
            entity_id=str(org_id),
            org_id=org_id,
            before=None,
            after={
                "deletion_due_at": due_at.isoformat() if due_at else None,
                "rows_deleted": result.rows_deleted,
                "audit_entries_scrubbed": result.audit_entries_scrubbed,
                "snapshot_files": len(result.snapshot_files),
            },
        )
    )
    await session.flush()
    return result


def remove_snapshot_files(result: PurgeResult, data_dir: Path) -> None:
    """Unlink the purged organization's snapshot files and its folder `<data_dir>/snapshots/<org_id>`
    (files of an interrupted upload included). Call after the purge committed: a rolled-back purge keeps
    rows that point at them. Missing files are not an error."""
    for path in result.snapshot_files:
        path.unlink(missing_ok=True)
    shutil.rmtree(snapshot_folder(data_dir, result.org_id), ignore_errors=True)


async def purge_due(
    factory: async_sessionmaker[AsyncSession], data_dir: Path, *, now: datetime
) -> list[PurgeResult]:
    """Purge every organization whose `deletion_due_at` is at or before `now` (UTC), one transaction each.

    Safe with several backend instances: each organization row is claimed with `SELECT … FOR UPDATE SKIP
    LOCKED` on PostgreSQL, so an organization another instance is purging is skipped (SQLite has one
    writer at a time and ignores the clause). An organization whose purge fails is logged and left for the
    next run; the others still go.
    """
    done: list[PurgeResult] = []
    failed: list[uuid.UUID] = []
    while await _claim_and_purge(factory, data_dir, now, failed, done) is not None:
        pass
    return done


async def _claim_and_purge(
    factory: async_sessionmaker[AsyncSession],
    data_dir: Path,
    now: datetime,
    failed: list[uuid.UUID],
    done: list[PurgeResult],
) -> uuid.UUID | None:
    """Claim one due organization not yet tried in this run, purge it and commit; its id, or None when
    none is left. A failure is logged, recorded in `failed`, and the run goes on with the next one."""
    claimed: uuid.UUID | None = None
    try:
        async with session_scope(factory) as session:
            claimed = await session.scalar(_due_statement(now, failed + [r.org_id for r in done]))
            if claimed is None:
                return None
            result = await purge_organization(session, claimed, data_dir, now=now)
    except Exception:
        if claimed is None:
            raise
        log.exception("organization_purge_failed", org_id=str(claimed))
        failed.append(claimed)
        return claimed
    remove_snapshot_files(result, data_dir)
    done.append(result)
    log.info("organization_purged", org_id=str(claimed), rows_deleted=result.rows_deleted)
    return claimed


def _due_statement(now: datetime, skip: Sequence[uuid.UUID]) -> Any:
    statement = select(Organization.id).where(Organization.deletion_due_at <= now)
    if skip:
        statement = statement.where(Organization.id.not_in(skip))
    return statement.order_by(Organization.deletion_due_at).limit(1).with_for_update(skip_locked=True)


async def purge_periodically(factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Run `purge_due` every `settings.org_purge_interval_s` seconds, forever (cancel the task to stop). A
    failed run is logged and retried at the next interval."""
    while True:
        await asyncio.sleep(settings.org_purge_interval_s)
        try:
            await purge_due(factory, settings.data_dir, now=utcnow())
        except Exception:
            log.exception("organization_purge_run_failed")


def start_purge_task(
    factory: async_sessionmaker[AsyncSession], settings: Settings
) -> asyncio.Task[None] | None:
    """The backend's periodic purge task (the lifespan cancels it at shut-down), or None when
    `org_purge_interval_s` is 0 (purges then run only from `storeintel organizations purge-due`)."""
    if settings.org_purge_interval_s <= 0:
        return None
    return asyncio.create_task(purge_periodically(factory, settings), name="organization-purge")
