"""The resolved store and period every analytics view starts from, built once per request by `resolve`.

`resolve` is where every owner analytics read starts from `backend.tenancy.get_readable_store`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import repository
from backend.analytics.schemas import PeriodOut
from backend.analytics.timegrid import (
    SLOT_S,
    Period,
    PeriodKind,
    from_epoch,
    local_date,
    period_containing,
    slot_of,
    to_epoch,
)
from backend.auth.principals import UserPrincipal
from backend.config import Settings
from backend.models import Camera, Store
from backend.stores.hours import OpeningHours, read_opening_hours
from backend.tenancy import get_readable_store

log = structlog.get_logger(__name__)

DAY_S = 86400

# Which local days a request asks for, given the store's zone and its local today (may raise
# ValidationFailed, after the store was found).
PeriodChoice = Callable[[ZoneInfo, date], Period]


def containing(kind: PeriodKind, day: date | None) -> PeriodChoice:
    """The local day, ISO week or month containing `day` (default the store's today)."""
    return lambda tz, today: period_containing(tz, kind, day or today)


@dataclass(frozen=True, slots=True)
class StoreContext:
    """A readable store with what every view needs: its zone, schedule, enabled cameras, `now` (whole UTC
    epoch seconds), the requested `period` (UTC `[start, end)` of whole local days) and the settings."""

    store: Store
    tz: ZoneInfo
    hours: OpeningHours
    cameras: Sequence[Camera]
    now: int
    period: Period
    settings: Settings

    @property
    def counting_ids(self) -> list[uuid.UUID]:
        """Ids of enabled counting-line cameras."""
        return [c.id for c in self.cameras if c.is_counting_line]

    @property
    def camera_ids(self) -> list[uuid.UUID]:
        """Ids of all enabled cameras."""
        return [c.id for c in self.cameras]

    @property
    def now_floor(self) -> int:
        """Start (epoch s) of the slot in progress: the end of the complete slots."""
        return slot_of(self.now) * SLOT_S

    def fmt(self, epoch: int) -> str:
        """Store-local `YYYY-MM-DD HH:MM` for messages."""
        return from_epoch(epoch, self.tz).strftime("%Y-%m-%d %H:%M")

    def period_out(self, period: Period | None = None) -> PeriodOut:
        """`period` (default the requested one) as the API writes it, bounds in store-local time."""
        period = period or self.period
        return PeriodOut(
            kind=period.kind,
            first_day=period.first_day,
            last_day=period.last_day,
            start=from_epoch(period.start, self.tz),
            end=from_epoch(period.end, self.tz),
        )


async def resolve(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    choose: PeriodChoice,
    now: datetime | None = None,
) -> StoreContext:
    """The context of one analytics request: the store (NotFound when the user may not read it), its zone
    (UTC when the stored name is unknown), opening hours, enabled cameras and the period `choose` picks.

    Raises:
        NotFound: a store the user may not read.
        ValidationFailed: whatever `choose` raises for the requested days.
    """
    store = await get_readable_store(session, principal, store_id)
    try:
        tz = ZoneInfo(store.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        # Stores are validated when written; an unknown zone here must not turn every read into a 500.
        log.warning("store_timezone_unknown", store_id=str(store.id), timezone=store.timezone)
        tz = ZoneInfo("UTC")
    cameras = await repository.enabled_cameras(session, store)
    now_s = to_epoch(now or datetime.now(UTC))
    period = choose(tz, local_date(tz, now_s))
    return StoreContext(
        store, tz, read_opening_hours(store.opening_hours or {}), cameras, now_s, period, settings
    )
