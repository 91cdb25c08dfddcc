"""Column types behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Organization


async def test_timestamps_round_trip_as_aware_utc(session: AsyncSession) -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    org = Organization(name="tz", created_at=datetime(2026, 3, 29, 7, 30, tzinfo=kolkata))
    session.add(org)
    await session.flush()
    org_id = org.id
    session.expire_all()
    stored = await session.scalar(select(Organization.created_at).where(Organization.id == org_id))
    assert stored == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert stored is not None
    assert stored.utcoffset() == timedelta(0)


async def test_naive_timestamps_are_refused(session: AsyncSession) -> None:
    session.add(Organization(name="naive", created_at=datetime(2026, 1, 1, 12, 0)))
    with pytest.raises(StatementError, match="naive datetime"):
        await session.flush()
