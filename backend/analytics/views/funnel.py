"""The zone views: the funnel (entries → zone visitors → billing visitors → transactions) and the heatmap
(visits and dwell per zone) of a local day, ISO week or month."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import repository
from backend.analytics.context import StoreContext
from backend.analytics.kpi import dwell_stats, ratio, summarize
from backend.analytics.schemas import FunnelOut, FunnelStage, HeatmapOut, HeatmapZone
from backend.analytics.series import fetch
from backend.analytics.timegrid import from_epoch
from backend.models import Zone, ZoneKind


@dataclass(frozen=True, slots=True)
class _ZoneVisits:
    """The zones of the enabled cameras and, per zone id, its ZONE_ENTER count and ZONE_EXIT `dwell_ms`
    values in the period up to `end` (epoch s, the end of the complete slots)."""

    end: int
    zones: Sequence[Zone]
    visits: dict[uuid.UUID, int]
    dwells: dict[uuid.UUID, list[int]]


async def _zone_visits(session: AsyncSession, ctx: StoreContext) -> _ZoneVisits:
    period = ctx.period
    end = max(period.start, min(period.end, ctx.now_floor))
    zones = await repository.zones(session, ctx.store, ctx.camera_ids)
    visits, dwells = await repository.zone_visits(
        session, ctx.store, [z.id for z in zones], from_epoch(period.start), from_epoch(end)
    )
    return _ZoneVisits(end, zones, visits, dwells)


def _rate(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


async def funnel(session: AsyncSession, ctx: StoreContext) -> FunnelOut:
    """Entries → zone visitors → billing-zone visitors → POS transactions for `ctx.period`, with step rates.

    Each stage is counted on its own (no identity across cameras): entries are INs of counting-line
    cameras, zone visitors are ZONE_ENTER events in product and other zones, billing visitors ZONE_ENTER
    events in billing zones, transactions POS transactions. A stage is null when it cannot be measured (no
    data, no such zone, no POS data); a step rate is null when either side is null or the previous is 0.
    """
    period = ctx.period
    zoned = await _zone_visits(session, ctx)
    end = zoned.end
    fetched = await fetch(session, ctx, period.start, end)
    figures = summarize(fetched.series, 0, len(fetched.series.ins))

    def stage_visits(kinds: set[ZoneKind]) -> int | None:
        chosen = [z for z in zoned.zones if z.kind in kinds]
        if not chosen or figures.footfall is None:
            return None
        return sum(zoned.visits.get(z.id, 0) for z in chosen)

    tx: int | None = None
    start_at, end_at = from_epoch(period.start), from_epoch(end)
    if figures.footfall is not None and await repository.has_transactions_before(session, ctx.store, end_at):
        tx = sum((await repository.transaction_counts(session, ctx.store, [(start_at, end_at)])).values())
    counts: list[tuple[str, int | None]] = [
        ("entries", figures.footfall),
        ("zone_visitors", stage_visits({ZoneKind.PRODUCT, ZoneKind.OTHER})),
        ("billing_visitors", stage_visits({ZoneKind.BILLING})),
        ("transactions", tx),
    ]
    stages = [
        FunnelStage(
            stage=name,
            count=count,
            conversion_from_previous=_rate(ratio(count, counts[i - 1][1])) if i else None,
        )
        for i, (name, count) in enumerate(counts)
    ]
    return FunnelOut(
        store_id=ctx.store.id,
        period=ctx.period_out(),
        stages=stages,
        overall_conversion=_rate(ratio(tx, figures.footfall)),
    )


async def heatmap(session: AsyncSession, ctx: StoreContext) -> HeatmapOut:
    """Per zone for `ctx.period`: visits (ZONE_ENTER events), mean and median dwell in seconds (ZONE_EXIT
    `dwell_ms`), share of all visits (0..1) and popularity 0..100 (visits relative to the most visited
    zone, rounded). Zones of disabled cameras are left out.
    """
    zoned = await _zone_visits(session, ctx)
    visits = zoned.visits
    total = sum(visits.get(z.id, 0) for z in zoned.zones)
    most = max((visits.get(z.id, 0) for z in zoned.zones), default=0)
    out = []
    for zone in zoned.zones:
        n = visits.get(zone.id, 0)
        mean, med = dwell_stats(zoned.dwells.get(zone.id, []))
        out.append(
            HeatmapZone(
                zone_id=zone.id,
                name=zone.name,
                kind=zone.kind.value,
                camera_id=zone.camera_id,
                visits=n,
                avg_dwell_s=round(mean, 1) if mean is not None else None,
                median_dwell_s=round(med, 1) if med is not None else None,
                share_of_visits=round(n / total, 4) if total else None,
                popularity=round(100 * n / most) if most else None,
            )
        )
    return HeatmapOut(store_id=ctx.store.id, period=ctx.period_out(), zones=out)
