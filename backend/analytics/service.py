"""Owner analytics entry points: live state, dashboard, footfall series, occupancy over the day, funnel,
heatmap and anomalies of one store.

Each resolves the request once into a `context.StoreContext` (the readable store, its zone, hours, cameras
and the requested local days; every read starts from `backend.tenancy.get_readable_store`) and hands it to
its view in `views/`. Everything is computed at query time from raw events, heartbeats and POS
transactions: SQL aggregates per 15-minute UTC slot (`repository`, assembled by `series`), the pure modules
(`timegrid`, `kpi`, `coverage`, `anomalies`) turn slots into store-local figures. All raise NotFound for a
store the user may not read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.context import containing, resolve
from backend.analytics.schemas import (
    AnomaliesOut,
    DashboardOut,
    FunnelOut,
    HeatmapOut,
    LiveOut,
    OccupancyBucketKind,
    OccupancyOut,
)
from backend.analytics.timegrid import BucketKind, PeriodKind
from backend.analytics.views import anomalies as anomalies_view
from backend.analytics.views import dashboard as dashboard_view
from backend.analytics.views import footfall as footfall_view
from backend.analytics.views import funnel as zones_view
from backend.analytics.views import live as live_view
from backend.analytics.views import occupancy as occupancy_view
from backend.analytics.views.footfall import FootfallSeries
from backend.auth.principals import UserPrincipal
from backend.config import Settings


async def live(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    now: datetime | None = None,
) -> LiveOut:
    """The store now (see `views.live.live`); `now` defaults to the clock."""
    ctx = await resolve(session, principal, settings, store_id, containing("day", None), now)
    return await live_view.live(session, ctx)


async def dashboard(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    kind: PeriodKind,
    day: date | None,
    now: datetime | None = None,
) -> DashboardOut:
    """KPIs of the local day, ISO week or month containing `day` (default today; see
    `views.dashboard.dashboard`)."""
    ctx = await resolve(session, principal, settings, store_id, containing(kind, day), now)
    return await dashboard_view.dashboard(session, ctx)


async def footfall(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    first_day: date | None,
    last_day: date | None,
    bucket: BucketKind,
    now: datetime | None = None,
) -> FootfallSeries:
    """IN and OUT per local bucket for local days `first_day..last_day` (see `views.footfall`).

    Raises:
        ValidationFailed: `to` before `from`, or a range longer than 31 days (15m) or 366 days.
    """
    choose = footfall_view.days(first_day, last_day, bucket)
    ctx = await resolve(session, principal, settings, store_id, choose, now)
    return await footfall_view.footfall(session, ctx, bucket)


async def occupancy(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    day: date | None,
    bucket: OccupancyBucketKind,
    now: datetime | None = None,
) -> OccupancyOut:
    """Average and peak occupancy (people) per 15-minute or hourly local bucket of the local day `day`
    (default today; see `views.occupancy.occupancy`)."""
    ctx = await resolve(session, principal, settings, store_id, containing("day", day), now)
    return await occupancy_view.occupancy(session, ctx, bucket)


async def funnel(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    kind: PeriodKind,
    day: date | None,
    now: datetime | None = None,
) -> FunnelOut:
    """Entries → zone visitors → billing visitors → transactions (see `views.funnel.funnel`)."""
    ctx = await resolve(session, principal, settings, store_id, containing(kind, day), now)
    return await zones_view.funnel(session, ctx)


async def heatmap(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    kind: PeriodKind,
    day: date | None,
    now: datetime | None = None,
) -> HeatmapOut:
    """Visits and dwell per zone (see `views.funnel.heatmap`)."""
    ctx = await resolve(session, principal, settings, store_id, containing(kind, day), now)
    return await zones_view.heatmap(session, ctx)


async def anomalies(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    kind: PeriodKind,
    day: date | None,
    now: datetime | None = None,
) -> AnomaliesOut:
    """Anomalies of the period up to now, most severe first (see `views.anomalies.anomalies`)."""
    ctx = await resolve(session, principal, settings, store_id, containing(kind, day), now)
    return await anomalies_view.anomalies(session, ctx)
