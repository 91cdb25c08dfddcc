"""The dashboard view: KPIs of a local day, ISO week or month against the previous period."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import repository
from backend.analytics.context import StoreContext
from backend.analytics.kpi import (
    OccupancyFigures,
    busiest_bucket,
    change,
    measure,
    ratio,
)
from backend.analytics.schemas import CountFigure, DashboardOut, Figure
from backend.analytics.series import fetch_measured
from backend.analytics.timegrid import (
    SLOT_S,
    from_epoch,
    from_epoch_us,
    local_buckets,
    previous_period,
    to_epoch,
)


def _figure(value: float | None, previous: float | None, digits: int | None = None) -> Figure:
    """A figure against its previous value, both rounded to `digits` first when given."""
    if digits is not None:
        value = round(value, digits) if value is not None else None
        previous = round(previous, digits) if previous is not None else None
    c = change(value, previous)
    delta = round(c.delta, 4) if c.delta is not None else None
    return Figure(value=c.value, previous=c.previous, delta=delta, change_pct=c.change_pct)


def _count(value: int | None, previous: int | None) -> CountFigure:
    """A count against its previous value; value, previous and delta stay integers."""
    c = change(value, previous)
    return CountFigure(
        value=value,
        previous=previous,
        delta=value - previous if value is not None and previous is not None else None,
        change_pct=c.change_pct,
    )


async def dashboard(session: AsyncSession, ctx: StoreContext) -> DashboardOut:
    """KPIs of `ctx.period` (a local day, ISO week or month), each against the previous period.

    Definitions (docs/analytics.md, "Measured time" and the dashboard table): over the complete part of
    each period, footfall/exits are the crossings in covered time; avg_occupancy and avg_dwell_s (Little's
    law) integrate the exact occupancy step function over the measured open time (`kpi.measure`);
    peak_occupancy is the highest occupancy in covered time, first reached at `peak_occupancy_at`;
    busiest_hour the local hour with most covered entries; transactions every POS transaction;
    conversion_rate the POS transactions in covered time / footfall; coverage the measured share of the open
    seconds. Not measured is null, never zero.
    """
    period = ctx.period
    prev = previous_period(ctx.tz, period)
    cur_end, prev_end = min(period.end, ctx.now_floor), min(prev.end, ctx.now_floor)
    span_end = max(prev.start, cur_end)
    measured = await fetch_measured(session, ctx, prev.first_day, span_end)
    fetched, series = measured.fetched, measured.fetched.series
    curve, in_times = measured.curve, measured.in_times

    def window(lo_s: int, hi_s: int) -> tuple[int, int]:
        lo = series.index(lo_s // SLOT_S)
        return lo, max(lo, series.index(hi_s // SLOT_S))

    cur_window, old_window = window(period.start, cur_end), window(prev.start, prev_end)
    cur = measure(curve, series, fetched.intervals, in_times, *cur_window)
    old = measure(curve, series, fetched.intervals, in_times, *old_window)
    tx_slots = await repository.transaction_counts(
        session, ctx.store, [(from_epoch(prev.start), from_epoch(span_end))]
    )
    first_tx = await repository.first_transaction_at(session, ctx.store)

    def transactions(lo_s: int, hi_s: int) -> int | None:
        if first_tx is None or hi_s <= lo_s or to_epoch(first_tx) >= hi_s:
            return None
        return sum(n for s, n in tx_slots.items() if lo_s <= s * SLOT_S < hi_s)

    def conversion(figures: OccupancyFigures, bounds: tuple[int, int], hi_s: int) -> float | None:
        lo, hi = bounds
        if figures.footfall is None or first_tx is None or to_epoch(first_tx) >= hi_s:
            return None
        covered_tx = sum(tx_slots.get(series.first_slot + i, 0) for i in range(lo, hi) if series.covered[i])
        return ratio(covered_tx, figures.footfall)

    busiest = (
        busiest_bucket(local_buckets(ctx.tz, period.start, cur_end, "hour"), series)
        if cur.footfall and cur_end > period.start
        else None
    )
    return DashboardOut(
        store_id=ctx.store.id,
        timezone=ctx.store.timezone,
        period=ctx.period_out(),
        previous_period=ctx.period_out(prev),
        complete_until=from_epoch(cur_end, ctx.tz) if cur_end > period.start else None,
        footfall=_count(cur.footfall, old.footfall),
        exits=_count(cur.exits, old.exits),
        avg_occupancy=_figure(cur.avg_occupancy, old.avg_occupancy, 2),
        peak_occupancy=_count(cur.peak_occupancy, old.peak_occupancy),
        peak_occupancy_at=from_epoch_us(cur.peak_at_us, ctx.tz) if cur.peak_at_us is not None else None,
        avg_dwell_s=_figure(cur.avg_dwell_s, old.avg_dwell_s, 1),
        busiest_hour=busiest[0].start if busiest else None,
        busiest_hour_entries=busiest[1] if busiest else None,
        transactions=_count(transactions(period.start, cur_end), transactions(prev.start, prev_end)),
        conversion_rate=_figure(
            conversion(cur, cur_window, cur_end), conversion(old, old_window, prev_end), 4
        ),
        coverage=_figure(cur.coverage, old.coverage, 4),
    )
