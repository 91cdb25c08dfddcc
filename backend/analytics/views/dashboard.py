"""The dashboard view: KPIs of a local day, ISO week or month against the previous period."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import repository
from backend.analytics.context import DAY_S, StoreContext
from backend.analytics.kpi import busiest_bucket, change, ratio, summarize
from backend.analytics.schemas import DashboardOut, Figure
from backend.analytics.series import fetch
from backend.analytics.timegrid import SLOT_S, from_epoch, local_buckets, previous_period


def _figure(value: float | None, previous: float | None, digits: int | None = None) -> Figure:
    """A figure against its previous value, both rounded to `digits` first when given."""
    if digits is not None:
        value = round(value, digits) if value is not None else None
        previous = round(previous, digits) if previous is not None else None
    c = change(value, previous)
    delta = round(c.delta, 4) if c.delta is not None else None
    return Figure(value=c.value, previous=c.previous, delta=delta, change_pct=c.change_pct)


async def dashboard(session: AsyncSession, ctx: StoreContext) -> DashboardOut:
    """KPIs of `ctx.period` (a local day, ISO week or month), each against the previous period.

    footfall: INs; exits: OUTs (counting-line cameras). avg_occupancy: people, time-weighted over open
    hours. peak_occupancy: people, reached in the 15-minute slot starting `peak_occupancy_at`.
    avg_dwell_s: Little's law — the time-integral of occupancy over the open hours divided by the entries
    during them (seconds; see `kpi.summarize`). busiest_hour: the local hour with most entries.
    conversion_rate: POS transactions / footfall, null when the store has no POS data. coverage: share of
    open hours in which every counting camera was reporting. Only complete 15-minute slots up to now
    count. A period without data gives nulls, never zeros.
    """
    period = ctx.period
    prev = previous_period(ctx.tz, period)
    cur_end, prev_end = min(period.end, ctx.now_floor), min(prev.end, ctx.now_floor)
    span_end = max(prev.start, cur_end)
    fetched = await fetch(
        session,
        ctx,
        prev.start - DAY_S,
        span_end,
        event_ranges=[(prev.start - DAY_S, span_end)],
        heartbeat_ranges=[(prev.start, span_end)],
    )
    series = fetched.series

    def window(lo_s: int, hi_s: int) -> tuple[int, int]:
        lo = series.index(lo_s // SLOT_S)
        return lo, max(lo, series.index(hi_s // SLOT_S))

    cur = summarize(series, *window(period.start, cur_end))
    old = summarize(series, *window(prev.start, prev_end))
    tx_slots = await repository.transaction_counts(
        session, ctx.store, [(from_epoch(prev.start), from_epoch(max(span_end, prev.start)))]
    )
    has_pos = await repository.has_transactions_before(
        session, ctx.store, from_epoch(max(cur_end, period.start))
    )

    def transactions(lo_s: int, hi_s: int, figure_known: bool) -> int | None:
        if not has_pos or not figure_known or hi_s <= lo_s:
            return None
        return sum(n for s, n in tx_slots.items() if lo_s <= s * SLOT_S < hi_s)

    cur_tx = transactions(period.start, cur_end, cur.footfall is not None)
    old_tx = transactions(prev.start, prev_end, old.footfall is not None)
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
        complete_until=from_epoch(max(cur_end, period.start), ctx.tz),
        footfall=_figure(cur.footfall, old.footfall),
        exits=_figure(cur.exits, old.exits),
        avg_occupancy=_figure(cur.avg_occupancy, old.avg_occupancy, 2),
        peak_occupancy=_figure(cur.peak_occupancy, old.peak_occupancy),
        peak_occupancy_at=from_epoch(cur.peak_slot * SLOT_S, ctx.tz) if cur.peak_slot is not None else None,
        avg_dwell_s=_figure(cur.avg_dwell_s, old.avg_dwell_s, 1),
        busiest_hour=busiest[0].start if busiest else None,
        busiest_hour_entries=busiest[1] if busiest else None,
        transactions=_figure(cur_tx, old_tx),
        conversion_rate=_figure(ratio(cur_tx, cur.footfall), ratio(old_tx, old.footfall), 4),
        coverage=_figure(cur.coverage, old.coverage, 4),
    )
