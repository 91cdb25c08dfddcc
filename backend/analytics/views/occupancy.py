"""The occupancy view: the day's occupancy curve per store-local 15-minute or hourly bucket, for a chart."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.context import StoreContext
from backend.analytics.kpi import bucket_covered, measure
from backend.analytics.schemas import OccupancyBucket, OccupancyBucketKind, OccupancyOut
from backend.analytics.series import fetch_measured
from backend.analytics.timegrid import SLOT_S, bucket_bounds, from_epoch, open_seconds
from backend.stores.hours import open_intervals


async def occupancy(session: AsyncSession, ctx: StoreContext, bucket: OccupancyBucketKind) -> OccupancyOut:
    """Average and peak occupancy (people) per store-local bucket of the local day `ctx.period`, over each
    bucket's complete part (docs/analytics.md, "occupancy over the day").

    The figures are the dashboard's, bucket by bucket: the same exact step function (`kpi.OccupancyCurve`,
    carried in from the day before over an overnight interval), measured by the same `kpi.measure` over
    the bucket's slots: avg_occupancy integrates the curve over the bucket's measured open time M (None
    when M is empty), peak_occupancy is its highest level over the bucket's covered time C (None when no
    slot is covered), coverage is |M| ÷ the bucket's open seconds (None without open seconds). So the
    day's dashboard avg_occupancy is the mean of the buckets' weighted by |M|, and its peak the highest
    bucket peak. Buckets follow local time across daylight-saving changes (`timegrid.bucket_bounds`: 92 or
    100 quarters, 23 or 25 hours); a bucket not yet over is `complete: false` and measured up to the last
    complete slot (`as_of`); `open_s` is the bucket's open seconds by the opening hours (0: closed).
    """
    period = ctx.period
    data_end = max(period.start, min(period.end, ctx.now_floor))
    measured = await fetch_measured(session, ctx, period.first_day, data_end)
    series = measured.fetched.series
    end_slot = data_end // SLOT_S
    bounds, times = bucket_bounds(ctx.tz, period.start, period.end, bucket)
    open_s = open_seconds(bounds, open_intervals(ctx.hours, ctx.tz, period.start, period.end))
    buckets: list[OccupancyBucket] = []
    for k in range(len(bounds) - 1):
        lo = series.index(bounds[k])
        hi = max(lo, series.index(min(bounds[k + 1], end_slot)))
        figures = measure(measured.curve, series, measured.fetched.intervals, measured.in_times, lo, hi)
        avg = figures.avg_occupancy
        buckets.append(
            OccupancyBucket(
                start=times[k],
                end=times[k + 1],
                avg_occupancy=round(avg, 2) if avg is not None else None,
                peak_occupancy=figures.peak_occupancy,
                coverage=round(figures.coverage, 4) if figures.coverage is not None else None,
                covered=hi > lo and bucket_covered(series, lo, hi),
                complete=bounds[k + 1] <= end_slot,
                open_s=open_s[k],
            )
        )
    return OccupancyOut(
        store_id=ctx.store.id,
        timezone=ctx.store.timezone,
        date=period.first_day,
        bucket=bucket,
        start=from_epoch(period.start, ctx.tz),
        end=from_epoch(period.end, ctx.tz),
        as_of=from_epoch(data_end, ctx.tz),
        buckets=buckets,
    )
