"""The footfall view: IN and OUT per store-local bucket over a range of local days, as columns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.context import PeriodChoice, StoreContext
from backend.analytics.kpi import bucket_coverage, bucket_covered
from backend.analytics.series import fetch
from backend.analytics.timegrid import (
    SLOT_S,
    BucketKind,
    Period,
    bucket_bounds,
    days_period,
    from_epoch,
    open_seconds,
)
from backend.errors import ValidationFailed
from backend.stores.hours import open_intervals

MAX_RANGE_DAYS = {"15m": 31, "hour": 366, "day": 366}


@dataclass(frozen=True, slots=True)
class FootfallSeries:
    """A footfall answer as columns: bucket `k` runs from local time `times[k]` to `times[k + 1]` (so
        `times` has one entry more than the others); counts are those of the bucket's covered slots, None when
        none of it was covered; `coverage` the covered share (0..1) of its open time; `open_s` the seconds of
    the whole bucket in which the store is open by its opening hours (0: closed all of it).

        Columns rather than a model per bucket: 90 days of hours are 2,160 buckets, and objects that live
        through a request are what makes the garbage collector run its full collections (tens of ms).
        `serializers.footfall_json` writes it as `FootfallOut`.
    """

    store_id: uuid.UUID
    timezone: str
    bucket: BucketKind
    start: datetime
    end: datetime
    times: list[datetime]
    in_counts: list[int | None]
    out_counts: list[int | None]
    covered: list[bool]
    complete: list[bool]
    coverage: list[float | None]
    open_s: list[int]


def days(first_day: date | None, last_day: date | None, bucket: BucketKind) -> PeriodChoice:
    """Local days `first_day..last_day` (inclusive; default the last seven local days up to today).

    Raises:
        ValidationFailed: `to` before `from`, or a range longer than 31 days (15m) or 366 days.
    """

    def choose(tz: ZoneInfo, today: date) -> Period:
        last = last_day or today
        first = first_day or last - timedelta(days=6)
        if last < first:
            raise ValidationFailed.for_field("query.to", "must not be before `from`")
        if (last - first).days + 1 > MAX_RANGE_DAYS[bucket]:
            raise ValidationFailed.for_field(
                "query.to", f"at most {MAX_RANGE_DAYS[bucket]} days with bucket={bucket}"
            )
        return days_period(tz, "day", first, last)

    return choose


async def footfall(session: AsyncSession, ctx: StoreContext, bucket: BucketKind) -> FootfallSeries:
    """IN and OUT per store-local bucket of the days of `ctx.period` (see `days`), over each bucket's
    complete part (docs/analytics.md, footfall).

    Buckets follow local time across daylight-saving changes (a fall-back day has two 01:00 hours, a
    spring-forward day none at 01:00; day buckets are 23-25 hours). A bucket counts the crossings of its
    covered slots (None when none is covered), so hours add up to their day and to the dashboard; its
    `coverage` is the covered share of its open seconds (of all its seconds when it has none; None before
    any counting camera was set up), `covered` whether it was fully covered (`kpi.bucket_covered`), and a
    bucket not yet over is `complete: false` and counted up to the last complete slot; `open_s` tells a
    closed bucket (0) from one nobody counted.
    """
    period = ctx.period
    data_end = max(period.start, min(period.end, ctx.now_floor))
    series = (await fetch(session, ctx, period.start, data_end)).series
    end_slot = data_end // SLOT_S
    bounds, times = bucket_bounds(ctx.tz, period.start, period.end, bucket)
    open_s = open_seconds(bounds, open_intervals(ctx.hours, ctx.tz, period.start, period.end))
    ins: list[int | None] = []
    outs: list[int | None] = []
    flags, done, shares = [], [], []
    for k in range(len(bounds) - 1):
        lo, hi = series.index(bounds[k]), series.index(min(bounds[k + 1], end_slot))
        counted = series.covered_crossings(lo, hi)
        ins.append(counted[0] if counted else None)
        outs.append(counted[1] if counted else None)
        flags.append(hi > lo and bucket_covered(series, lo, hi))
        done.append(bounds[k + 1] <= end_slot)
        shares.append(bucket_coverage(series, lo, hi))
    return FootfallSeries(
        ctx.store.id,
        ctx.store.timezone,
        bucket,
        from_epoch(period.start, ctx.tz),
        from_epoch(period.end, ctx.tz),
        times,
        ins,
        outs,
        flags,
        done,
        shares,
        open_s,
    )
