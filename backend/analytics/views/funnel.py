"""The zone views: the funnel (entries → zone visitors → billing visitors → transactions) and the heatmap
(visits and dwell per zone) of a local day, ISO week or month."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import repository
from backend.analytics.context import StoreContext
from backend.analytics.coverage import SlotState
from backend.analytics.kpi import dwell_stats, ratio
from backend.analytics.schemas import FunnelOut, FunnelStage, HeatmapOut, HeatmapZone
from backend.analytics.series import Fetched, fetch
from backend.analytics.timegrid import SLOT_S, from_epoch, to_epoch
from backend.models import Zone, ZoneKind


@dataclass(frozen=True, slots=True)
class _ZoneVisits:
    """The zones of the enabled cameras and, per zone id, its ZONE_ENTER count and ZONE_EXIT `dwell_ms`
    values in the slots of the period's complete part (up to `end`, epoch s) in which the zone's camera
    was `ok`; a zone whose camera was `ok` in none is missing from `visits` (not measured). `fetched` is
    the period's slot series with every enabled camera's states."""

    end: int
    zones: Sequence[Zone]
    visits: dict[uuid.UUID, int]
    dwells: dict[uuid.UUID, list[int]]
    fetched: Fetched


async def _zone_visits(session: AsyncSession, ctx: StoreContext) -> _ZoneVisits:
    period = ctx.period
    end = max(period.start, min(period.end, ctx.now_floor))
    fetched = await fetch(session, ctx, period.start, end, all_cameras=True)
    zones = await repository.zones(session, ctx.store, ctx.camera_ids)
    slot_visits, slot_dwells = await repository.zone_visits(
        session, ctx.store, [z.id for z in zones], from_epoch(period.start), from_epoch(end)
    )
    first = period.start // SLOT_S
    visits: dict[uuid.UUID, int] = {}
    dwells: dict[uuid.UUID, list[int]] = {}
    for zone in zones:
        states = fetched.states.get(zone.camera_id, [])
        ok = {first + i for i, state in enumerate(states) if state is SlotState.OK}
        if not ok:
            continue
        visits[zone.id] = sum(n for slot, n in slot_visits.get(zone.id, {}).items() if slot in ok)
        dwells[zone.id] = [d for slot, d in slot_dwells.get(zone.id, []) if slot in ok]
    return _ZoneVisits(end, zones, visits, dwells, fetched)


def _rate(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


async def funnel(session: AsyncSession, ctx: StoreContext) -> FunnelOut:
    """Entries → zone visitors → billing-zone visitors → POS transactions for `ctx.period`, with step rates.

    Each stage is counted on its own (no identity across cameras; docs/analytics.md, funnel): entries are
    the dashboard's footfall (INs in covered time), zone visitors the visits of product and other zones and
    billing visitors those of billing zones (each zone over the slots its camera was reporting; a stage is
    null when no zone of its kinds was measured), transactions every POS transaction (null without POS
    data); `overall_conversion` is the dashboard's conversion rate (POS transactions in covered time /
    entries). A step rate is null when either side is null or the previous is 0.
    """
    period = ctx.period
    zoned = await _zone_visits(session, ctx)
    end, series = zoned.end, zoned.fetched.series
    counted = series.covered_crossings(0, len(series.covered))
    entries = counted[0] if counted else None

    def stage_visits(kinds: set[ZoneKind]) -> int | None:
        measured = [zoned.visits[z.id] for z in zoned.zones if z.kind in kinds and z.id in zoned.visits]
        return sum(measured) if measured else None

    tx: int | None = None
    covered_tx: int | None = None
    first_tx = await repository.first_transaction_at(session, ctx.store)
    if first_tx is not None and to_epoch(first_tx) < end:
        tx_slots = await repository.transaction_counts(
            session, ctx.store, [(from_epoch(period.start), from_epoch(end))]
        )
        tx = sum(tx_slots.values())
        covered_tx = sum(
            n
            for slot, n in tx_slots.items()
            if 0 <= series.index(slot) < len(series.covered) and series.covered[series.index(slot)]
        )
    counts: list[tuple[str, int | None]] = [
        ("entries", entries),
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
        overall_conversion=_rate(ratio(covered_tx, entries)),
    )


async def heatmap(session: AsyncSession, ctx: StoreContext) -> HeatmapOut:
    """Per zone for `ctx.period`, over the slots in which the zone's camera was reporting: visits
    (ZONE_ENTER events; null when it reported in none), mean and median dwell in seconds (ZONE_EXIT
    `dwell_ms`), share of all measured visits (0..1) and popularity 0..100 (visits relative to the most
    visited zone, rounded). Zones of disabled cameras are left out.
    """
    zoned = await _zone_visits(session, ctx)
    visits = zoned.visits
    total = sum(visits.values())
    most = max(visits.values(), default=0)
    out = []
    for zone in zoned.zones:
        n = visits.get(zone.id)
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
                share_of_visits=round(n / total, 4) if n is not None and total else None,
                popularity=round(100 * n / most) if n is not None and most else None,
            )
        )
    return HeatmapOut(store_id=ctx.store.id, period=ctx.period_out(), zones=out)
