"""Owner analytics: live state, dashboard, footfall series, funnel, heatmap and anomalies of one store.

Everything is computed at query time from raw events, heartbeats and POS transactions: SQL aggregates per
15-minute UTC slot (`repository`), the pure modules (`timegrid`, `kpi`, `coverage`, `anomalies`) turn slots
into store-local figures. Every entry point starts from `backend.tenancy.get_readable_store`.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import anomalies as rules
from backend.analytics import repository
from backend.analytics.coverage import SlotState, camera_states, min_heartbeats, store_covered
from backend.analytics.hours import LocalInterval, local_date, open_intervals, parse_opening_hours
from backend.analytics.kpi import (
    SlotSeries,
    bucket_covered,
    busiest_bucket,
    change,
    dwell_stats,
    occupancy,
    ratio,
    reset_slots,
    summarize,
)
from backend.analytics.schemas import (
    AnomaliesOut,
    AnomalyOut,
    CameraStatus,
    DashboardOut,
    Figure,
    FootfallOut,
    FunnelOut,
    FunnelStage,
    HeatmapOut,
    HeatmapZone,
    LiveOut,
    PeriodOut,
    ZoneQueue,
)
from backend.analytics.timegrid import (
    SLOT_S,
    BucketKind,
    Period,
    PeriodKind,
    bucket_bounds,
    days_period,
    from_epoch,
    iter_days,
    local_buckets,
    local_midnight,
    period_containing,
    previous_period,
    slot_offsets,
    to_epoch,
)
from backend.auth.principals import UserPrincipal
from backend.config import Settings
from backend.errors import ValidationFailed
from backend.models import Camera, Store, Zone, ZoneKind
from backend.tenancy import get_readable_store

log = structlog.get_logger(__name__)

DAY_S = 86400
MAX_RANGE_DAYS = {"15m": 31, "hour": 366, "day": 366}


@dataclass(frozen=True, slots=True)
class StoreContext:
    """A readable store with what every computation needs: its zone, schedule, cameras and `now` (epoch)."""

    store: Store
    tz: ZoneInfo
    hours: dict[int, list[LocalInterval]]
    cameras: Sequence[Camera]
    now: int

    @property
    def counting_ids(self) -> list[uuid.UUID]:
        """Ids of enabled counting-line cameras."""
        return [c.id for c in self.cameras if c.is_counting_line]

    def fmt(self, epoch: int) -> str:
        """Store-local `YYYY-MM-DD HH:MM` for messages."""
        return from_epoch(epoch, self.tz).strftime("%Y-%m-%d %H:%M")


async def _context(
    session: AsyncSession, principal: UserPrincipal, store_id: uuid.UUID, now: datetime | None
) -> StoreContext:
    store = await get_readable_store(session, principal, store_id)
    try:
        tz = ZoneInfo(store.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        # Stores are validated when written; an unknown zone here must not turn every read into a 500.
        log.warning("store_timezone_unknown", store_id=str(store.id), timezone=store.timezone)
        tz = ZoneInfo("UTC")
    cameras = await repository.enabled_cameras(session, store)
    return StoreContext(
        store, tz, parse_opening_hours(store.opening_hours or {}), cameras, to_epoch(now or datetime.now(UTC))
    )


def _dt(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _period_out(ctx: StoreContext, period: Period) -> PeriodOut:
    return PeriodOut(
        kind=period.kind,
        first_day=period.first_day,
        last_day=period.last_day,
        start=from_epoch(period.start, ctx.tz),
        end=from_epoch(period.end, ctx.tz),
    )


def _floor_slot(epoch: int) -> int:
    return epoch // SLOT_S * SLOT_S


@dataclass(slots=True)
class _Fetched:
    """A slot series plus the per-camera coverage states it was built from."""

    series: SlotSeries
    states: dict[uuid.UUID, list[SlotState]]
    resets: set[int]


def _day_ranges(tz: ZoneInfo, days: set[date]) -> list[tuple[int, int]]:
    """Contiguous UTC ranges covering the given local days."""
    ranges: list[tuple[int, int]] = []
    for day in sorted(days):
        lo, hi = local_midnight(tz, day), local_midnight(tz, day + timedelta(days=1))
        if ranges and ranges[-1][1] == lo:
            ranges[-1] = (ranges[-1][0], hi)
        else:
            ranges.append((lo, hi))
    return ranges


def _clip(ranges: Sequence[tuple[int, int]], end: int) -> list[tuple[datetime, datetime]]:
    return [(_dt(lo), _dt(min(hi, end))) for lo, hi in ranges if lo < min(hi, end)]


async def _fetch(
    session: AsyncSession,
    ctx: StoreContext,
    settings: Settings,
    start: int,
    end: int,
    *,
    event_ranges: Sequence[tuple[int, int]] | None = None,
    heartbeat_ranges: Sequence[tuple[int, int]] | None = None,
    all_cameras: bool = False,
) -> _Fetched:
    """Slot series for the slot-aligned range `[start, end)`.

    Line crossings are read within `event_ranges` and heartbeats within `heartbeat_ranges` (both default to
    the whole range); slots outside them count as zero crossings and no coverage. With `all_cameras`,
    heartbeat states are kept for every enabled camera (anomalies), otherwise only counting ones.
    """
    first, n = start // SLOT_S, max(0, (end - start) // SLOT_S)
    event_ranges = event_ranges if event_ranges is not None else [(start, end)]
    heartbeat_ranges = heartbeat_ranges if heartbeat_ranges is not None else [(start, end)]
    counting = ctx.counting_ids
    watched = [c.id for c in ctx.cameras] if all_cameras else counting
    counts = await repository.line_counts(session, ctx.store, counting, _clip(event_ranges, end))
    runs = await repository.coverage_runs(
        session,
        ctx.store.org_id,
        watched,
        _clip(heartbeat_ranges, end),
        min_heartbeats(settings.camera_offline_after_s),
    )
    firsts = await repository.first_heartbeats(session, ctx.store.org_id, watched)
    states: dict[uuid.UUID, list[SlotState]] = {}
    for camera in ctx.cameras:
        if camera.id not in watched:
            continue
        since = firsts.get(camera.id, camera.created_at)
        required = -(-to_epoch(since) // SLOT_S) if camera.id not in firsts else to_epoch(since) // SLOT_S
        states[camera.id] = camera_states(runs.get(camera.id, []), first, n, required)
    covered = store_covered([states[c] for c in counting], n)
    intervals = open_intervals(ctx.hours, ctx.tz, start - 2 * DAY_S, end + 2 * DAY_S)
    open_s = [0] * n
    for lo, hi in intervals:
        for slot in range(max(lo // SLOT_S, first), min(-(-hi // SLOT_S), first + n)):
            open_s[slot - first] += min(hi, (slot + 1) * SLOT_S) - max(lo, slot * SLOT_S)
    resets = reset_slots(
        ctx.tz, intervals, local_date(ctx.tz, start), local_date(ctx.tz, max(start, end - 1))
    )
    # Filled from the (sparse) aggregates rather than probed slot by slot.
    ins, outs, reset_flags = [0] * n, [0] * n, [False] * n
    for slot, (came, left) in counts.items():
        if 0 <= slot - first < n:
            ins[slot - first], outs[slot - first] = came, left
    for slot in resets:
        if 0 <= slot - first < n:
            reset_flags[slot - first] = True
    series = SlotSeries(first, ins, outs, covered, open_s, reset_flags)
    return _Fetched(series, states, resets)


def _figure(value: float | None, previous: float | None, digits: int | None = None) -> Figure:
    if digits is not None:
        value = round(value, digits) if value is not None else None
        previous = round(previous, digits) if previous is not None else None
    c = change(value, previous)
    delta = round(c.delta, 4) if c.delta is not None else None
    return Figure(value=c.value, previous=c.previous, delta=delta, change_pct=c.change_pct)


# ---------------------------------------------------------------------------------------------- live


async def live(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    now: datetime | None = None,
) -> LiveOut:
    """Current occupancy, footfall so far today, queue depth in billing zones, last event, camera health.

    Occupancy is IN - OUT of counting-line cameras since the occupancy restart (local midnight, or the close
    of an overnight interval running past it), clamped at zero per 15-minute slot (see `kpi.occupancy`),
    including the slot in progress. Footfall counts INs since local midnight. Occupancy and footfall are null
    when the store has no counting-line camera. Raises NotFound for a store the user may not read.
    """
    ctx = await _context(session, principal, store_id, now)
    tz, now_s = ctx.tz, ctx.now
    today = local_date(tz, now_s)
    midnight = local_midnight(tz, today)
    intervals = open_intervals(ctx.hours, tz, now_s - 3 * DAY_S, now_s + DAY_S)
    restart_slot = max(
        s for s in reset_slots(tz, intervals, today - timedelta(days=1), today) if s * SLOT_S <= now_s
    )
    since = min(restart_slot * SLOT_S, midnight)
    end = now_s + 1
    billing = [
        z
        for z in await repository.zones(session, ctx.store, [c.id for c in ctx.cameras])
        if z.kind == ZoneKind.BILLING
    ]
    counts, zone_slots = await repository.live_counts(
        session,
        ctx.store,
        ctx.counting_ids,
        [z.id for z in billing],
        _dt(since),
        _dt(restart_slot * SLOT_S),
        _dt(end),
    )
    slots = range(restart_slot, now_s // SLOT_S + 1)
    occ_series = SlotSeries(
        restart_slot,
        [counts.get(s, (0, 0))[0] for s in slots],
        [counts.get(s, (0, 0))[1] for s in slots],
        [True] * len(slots),
        [0] * len(slots),
    )
    has_counting = bool(ctx.counting_ids)
    occ = occupancy(occ_series)[1][-1] if has_counting else None
    footfall = sum(n for s, (n, _) in counts.items() if s * SLOT_S >= midnight) if has_counting else None

    queues: list[ZoneQueue] = []
    for zone in billing:
        per = zone_slots.get(zone.id, {})
        series = SlotSeries(
            restart_slot,
            [per.get(s, (0, 0))[0] for s in slots],
            [per.get(s, (0, 0))[1] for s in slots],
            [True] * len(slots),
            [0] * len(slots),
        )
        queues.append(ZoneQueue(zone_id=zone.id, name=zone.name, people=occupancy(series)[1][-1]))

    online_after = now_s - settings.camera_offline_after_s
    statuses = [
        CameraStatus(
            id=c.id,
            name=c.name,
            is_counting_line=c.is_counting_line,
            status="online"
            if c.last_heartbeat_at is not None and c.last_heartbeat_at.timestamp() >= online_after
            else "offline",
            last_heartbeat_at=c.last_heartbeat_at,
        )
        for c in ctx.cameras
    ]
    last_event = await repository.last_event_at(session, ctx.store)
    online = sum(1 for s in statuses if s.status == "online")
    return LiveOut(
        store_id=ctx.store.id,
        timezone=ctx.store.timezone,
        as_of=from_epoch(now_s, tz),
        occupancy=occ,
        occupancy_since=from_epoch(restart_slot * SLOT_S, tz),
        footfall_today=footfall,
        queue_depth=sum(q.people for q in queues) if queues else None,
        billing_zones=queues,
        last_event_at=last_event.astimezone(tz) if last_event else None,
        cameras_online=online,
        cameras_offline=len(statuses) - online,
        cameras=statuses,
    )


# ----------------------------------------------------------------------------------------- dashboard


async def dashboard(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    kind: PeriodKind,
    day: date | None,
    now: datetime | None = None,
) -> DashboardOut:
    """KPIs of the local day, ISO week or month containing `day`, each against the previous period.

    footfall: INs; exits: OUTs (counting-line cameras). avg_occupancy: people, time-weighted over open
    hours. peak_occupancy: people, reached in the 15-minute slot starting `peak_occupancy_at`.
    avg_dwell_s: Little's law — the time-integral of occupancy over the open hours divided by the entries
    during them (seconds; see `kpi.summarize`). busiest_hour: the local hour with most entries.
    conversion_rate: POS transactions / footfall, null when the store has no POS data. coverage: share of
    open hours in which every counting camera was reporting. Only complete 15-minute slots up to now
    count. A period without data gives nulls, never zeros. Raises NotFound for a store the user may not read.
    """
    ctx = await _context(session, principal, store_id, now)
    period = period_containing(ctx.tz, kind, day or local_date(ctx.tz, ctx.now))
    prev = previous_period(ctx.tz, period)
    now_floor = _floor_slot(ctx.now)
    cur_end, prev_end = min(period.end, now_floor), min(prev.end, now_floor)
    span_end = max(prev.start, cur_end)
    fetched = await _fetch(
        session,
        ctx,
        settings,
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
        session, ctx.store, [(_dt(prev.start), _dt(max(span_end, prev.start)))]
    )
    has_pos = await repository.has_transactions_before(session, ctx.store, _dt(max(cur_end, period.start)))

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
        period=_period_out(ctx, period),
        previous_period=_period_out(ctx, prev),
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


# ------------------------------------------------------------------------------------------ footfall


@dataclass(frozen=True, slots=True)
class FootfallSeries:
    """A footfall answer as columns: bucket `k` runs from local time `times[k]` to `times[k + 1]` (so
    `times` has one entry more than the others); counts are None for a bucket without coverage.

    Columns rather than a model per bucket: 90 days of hours are 2,160 buckets, and objects that live
    through a request are what makes the garbage collector run its full collections (tens of milliseconds).
    `footfall_json` writes it as `FootfallOut`.
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
    """IN and OUT per store-local bucket for local days `first_day..last_day` (inclusive; default the last
    seven local days up to today).

    Buckets follow local time across daylight-saving changes (a fall-back day has two 01:00 hours, a
    spring-forward day none at 01:00; day buckets are 23-25 hours). A bucket's counts are null unless it
    has coverage (`kpi.bucket_covered`); a bucket not yet over is `complete: false` and counted up to the
    last complete slot.

    Raises:
        ValidationFailed: `to` before `from`, or a range longer than 31 days (15m) or 366 days.
        NotFound: a store the user may not read.
    """
    ctx = await _context(session, principal, store_id, now)
    last_day = last_day or local_date(ctx.tz, ctx.now)
    first_day = first_day or last_day - timedelta(days=6)
    if last_day < first_day:
        raise ValidationFailed.for_field("query.to", "must not be before `from`")
    if (last_day - first_day).days + 1 > MAX_RANGE_DAYS[bucket]:
        raise ValidationFailed.for_field(
            "query.to", f"at most {MAX_RANGE_DAYS[bucket]} days with bucket={bucket}"
        )
    period = days_period(ctx.tz, "day", first_day, last_day)
    data_end = max(period.start, min(period.end, _floor_slot(ctx.now)))
    series = (await _fetch(session, ctx, settings, period.start, data_end)).series
    end_slot = data_end // SLOT_S
    bounds, times = bucket_bounds(ctx.tz, period.start, period.end, bucket)
    ins, outs, flags, done = [], [], [], []
    for k in range(len(bounds) - 1):
        lo, hi = series.index(bounds[k]), series.index(min(bounds[k + 1], end_slot))
        covered = hi > lo and bucket_covered(series, lo, hi)
        ins.append(sum(series.ins[lo:hi]) if covered else None)
        outs.append(sum(series.outs[lo:hi]) if covered else None)
        flags.append(covered)
        done.append(bounds[k + 1] <= end_slot)
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
    )


_TIMES_JSON = TypeAdapter(list[datetime])


def footfall_json(result: FootfallSeries) -> bytes:
    """The footfall series as the JSON of `FootfallOut`, byte for byte, without a model per bucket.

    The envelope and every time are written by pydantic (so datetimes read exactly as in the other
    routes: `Z` for UTC, `+05:45`); counts, nulls and booleans are plain JSON literals.
    """
    envelope = FootfallOut(
        store_id=result.store_id,
        timezone=result.timezone,
        bucket=result.bucket,
        start=result.start,
        end=result.end,
        buckets=[],
    ).model_dump_json()
    head, tail = envelope[: -len("[]}")], "]}"
    if not envelope.endswith('"buckets":[]}'):  # `buckets` must stay FootfallOut's last field
        raise RuntimeError("FootfallOut's fields moved; footfall_json must follow them")
    times: list[str] = json.loads(_TIMES_JSON.dump_json(result.times))

    def number(value: int | None) -> str:
        return "null" if value is None else str(value)

    items = [
        f'{{"start":"{times[k]}","end":"{times[k + 1]}","in_count":{number(result.in_counts[k])},'
        f'"out_count":{number(result.out_counts[k])},"covered":{"true" if result.covered[k] else "false"},'
        f'"complete":{"true" if result.complete[k] else "false"}}}'
        for k in range(len(result.covered))
    ]
    return (head + "[" + ",".join(items) + tail).encode()


def footfall_csv(result: FootfallSeries) -> str:
    """The footfall series as CSV: `start,end,in,out,covered,complete`; empty cells for null counts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["start", "end", "in", "out", "covered", "complete"])
    for k in range(len(result.covered)):
        writer.writerow(
            [
                result.times[k].isoformat(),
                result.times[k + 1].isoformat(),
                "" if result.in_counts[k] is None else result.in_counts[k],
                "" if result.out_counts[k] is None else result.out_counts[k],
                str(result.covered[k]).lower(),
                str(result.complete[k]).lower(),
            ]
        )
    return buffer.getvalue()


# ----------------------------------------------------------------------------------- funnel, heatmap


async def _zone_period(
    session: AsyncSession, ctx: StoreContext, kind: PeriodKind, day: date | None
) -> tuple[Period, int, Sequence[Zone], dict[uuid.UUID, int], dict[uuid.UUID, list[int]]]:
    period = period_containing(ctx.tz, kind, day or local_date(ctx.tz, ctx.now))
    end = max(period.start, min(period.end, _floor_slot(ctx.now)))
    zones = await repository.zones(session, ctx.store, [c.id for c in ctx.cameras])
    visits, dwells = await repository.zone_visits(
        session, ctx.store, [z.id for z in zones], _dt(period.start), _dt(end)
    )
    return period, end, zones, visits, dwells


async def funnel(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    kind: PeriodKind,
    day: date | None,
    now: datetime | None = None,
) -> FunnelOut:
    """Entries → zone visitors → billing-zone visitors → POS transactions for the period, with step rates.

    Each stage is counted on its own (no identity across cameras): entries are INs of counting-line
    cameras, zone visitors are ZONE_ENTER events in product and other zones, billing visitors ZONE_ENTER
    events in billing zones, transactions POS transactions. A stage is null when it cannot be measured (no
    data, no such zone, no POS data); a step rate is null when either side is null or the previous is 0.
    Raises NotFound for a store the user may not read.
    """
    ctx = await _context(session, principal, store_id, now)
    period, end, zones, visits, _ = await _zone_period(session, ctx, kind, day)
    fetched = await _fetch(session, ctx, settings, period.start, end)
    figures = summarize(fetched.series, 0, len(fetched.series.ins))

    def stage_visits(kinds: set[ZoneKind]) -> int | None:
        chosen = [z for z in zones if z.kind in kinds]
        if not chosen or figures.footfall is None:
            return None
        return sum(visits.get(z.id, 0) for z in chosen)

    tx: int | None = None
    if figures.footfall is not None and await repository.has_transactions_before(
        session, ctx.store, _dt(end)
    ):
        tx = sum(
            (
                await repository.transaction_counts(session, ctx.store, [(_dt(period.start), _dt(end))])
            ).values()
        )
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
        period=_period_out(ctx, period),
        stages=stages,
        overall_conversion=_rate(ratio(tx, figures.footfall)),
    )


def _rate(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


async def heatmap(
    session: AsyncSession,
    principal: UserPrincipal,
    store_id: uuid.UUID,
    kind: PeriodKind,
    day: date | None,
    now: datetime | None = None,
) -> HeatmapOut:
    """Per zone for the period: visits (ZONE_ENTER events), mean and median dwell in seconds (ZONE_EXIT
    `dwell_ms`), share of all visits (0..1) and popularity 0..100 (visits relative to the most visited
    zone, rounded). Zones of disabled cameras are left out. Raises NotFound for a store the user may not read.
    """
    ctx = await _context(session, principal, store_id, now)
    period, _, zones, visits, dwells = await _zone_period(session, ctx, kind, day)
    total = sum(visits.get(z.id, 0) for z in zones)
    most = max((visits.get(z.id, 0) for z in zones), default=0)
    out = []
    for zone in zones:
        n = visits.get(zone.id, 0)
        mean, med = dwell_stats(dwells.get(zone.id, []))
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
    return HeatmapOut(store_id=ctx.store.id, period=_period_out(ctx, period), zones=out)


# ----------------------------------------------------------------------------------------- anomalies

_SEVERITY_ORDER = {rules.Severity.HIGH: 0, rules.Severity.MEDIUM: 1, rules.Severity.LOW: 2}


async def anomalies(
    session: AsyncSession,
    principal: UserPrincipal,
    settings: Settings,
    store_id: uuid.UUID,
    kind: PeriodKind,
    day: date | None,
    now: datetime | None = None,
) -> AnomaliesOut:
    """Anomalies of the period up to now, most severe first (rules and thresholds in `anomalies`).

    Baselines come from the same local weekday and hour (or slot) over the previous
    `rules.BASELINE_WEEKS` weeks. Camera outages, queue spikes and footfall deviations are judged per
    slot/hour up to now; conversion drops, dead zones and IN/OUT imbalance only on finished days.
    Raises NotFound for a store the user may not read.
    """
    ctx = await _context(session, principal, store_id, now)
    tz = ctx.tz
    period = period_containing(tz, kind, day or local_date(tz, ctx.now))
    now_floor = _floor_slot(ctx.now)
    end = min(period.end, now_floor)
    out = AnomaliesOut(store_id=ctx.store.id, period=_period_out(ctx, period), anomalies=[])
    if end <= period.start:
        return out
    days = [d for d in iter_days(period.first_day, period.last_day) if local_midnight(tz, d) < end]
    baseline_days = {d - timedelta(weeks=k) for d in days for k in range(1, rules.BASELINE_WEEKS + 1)}
    wanted = set(days) | baseline_days
    start = local_midnight(tz, min(wanted))
    ranges = _day_ranges(tz, wanted)
    carry = [(period.start - DAY_S, period.start)]
    fetched = await _fetch(
        session,
        ctx,
        settings,
        start,
        end,
        event_ranges=[*ranges, *carry],
        heartbeat_ranges=ranges,
        all_cameras=True,
    )
    series = fetched.series
    n = len(series.ins)
    p_lo, p_hi = series.index(period.start // SLOT_S), series.index(end // SLOT_S)
    found: list[rules.Anomaly] = []

    # Camera outages in opening hours; heartbeat counts (for the messages) only for the period itself.
    period_beats = await repository.heartbeat_counts(
        session, ctx.store.org_id, [c.id for c in ctx.cameras], [(_dt(period.start), _dt(end))]
    )
    for camera in ctx.cameras:
        states = fetched.states.get(camera.id)
        if states is None:
            continue
        beats = period_beats.get(camera.id, {})
        found += rules.camera_outages(
            camera_id=str(camera.id),
            camera_name=camera.name,
            counting=camera.is_counting_line,
            states=states[p_lo:p_hi],
            heartbeats=[beats.get(series.first_slot + i, (0, 0))[0] for i in range(p_lo, p_hi)],
            open_s=series.open_s[p_lo:p_hi],
            first_slot=series.first_slot + p_lo,
            heartbeat_interval_s=settings.heartbeat_interval_s,
            fmt=ctx.fmt,
        )

    # Local wall time of every slot, to find "the same weekday and time" k weeks earlier across DST.
    offsets = slot_offsets(tz, series.first_slot, n)
    local_index = {(series.first_slot + i) * SLOT_S + offsets[i]: i for i in range(n)}

    def weeks_back(i: int) -> list[int]:
        wall = (series.first_slot + i) * SLOT_S + offsets[i]
        found_i = (local_index.get(wall - k * 7 * DAY_S) for k in range(1, rules.BASELINE_WEEKS + 1))
        return [j for j in found_i if j is not None]

    # Footfall drop/spike per local hour.
    if ctx.counting_ids:
        hours = local_buckets(tz, start, end, "hour")
        by_wall: dict[datetime, tuple[int, bool]] = {}
        for h in hours:
            lo, hi = series.index(h.first_slot), series.index(h.end_slot)
            by_wall.setdefault(
                h.start.replace(tzinfo=None), (sum(series.ins[lo:hi]), bucket_covered(series, lo, hi))
            )
        observations = []
        for h in hours:
            if h.first_slot * SLOT_S < period.start:
                continue
            lo, hi = series.index(h.first_slot), series.index(h.end_slot)
            wall = h.start.replace(tzinfo=None)
            past = [by_wall.get(wall - timedelta(weeks=k)) for k in range(1, rules.BASELINE_WEEKS + 1)]
            observations.append(
                rules.HourObservation(
                    start=h.first_slot * SLOT_S,
                    end=h.end_slot * SLOT_S,
                    observed=sum(series.ins[lo:hi]),
                    covered=bucket_covered(series, lo, hi),
                    is_open=any(series.open_s[lo:hi]),
                    baseline=[v for v, ok in (p for p in past if p is not None) if ok],
                )
            )
        found += rules.footfall_deviations(observations, ctx.fmt)

    # Queue spikes per billing zone.
    zones = await repository.zones(session, ctx.store, [c.id for c in ctx.cameras])
    billing = [z for z in zones if z.kind == ZoneKind.BILLING]
    zone_slots = await repository.zone_counts(
        session, ctx.store, [z.id for z in zones], _clip([*ranges, *carry], end)
    )
    for zone in billing:
        per = zone_slots.get(zone.id, {})
        slots = range(series.first_slot, series.first_slot + n)
        queue = occupancy(
            SlotSeries(
                series.first_slot,
                [per.get(s, (0, 0))[0] for s in slots],
                [per.get(s, (0, 0))[1] for s in slots],
                series.covered,
                series.open_s,
                series.resets,
            )
        )[1]
        zone_ok = fetched.states.get(zone.camera_id, [SlotState.ABSENT] * n)
        usual: list[float | None] = []
        for i in range(p_lo, p_hi):
            levels = [queue[j] for j in weeks_back(i) if zone_ok[j] is SlotState.OK]
            usual.append(sum(levels) / len(levels) if len(levels) >= rules.MIN_BASELINE_WEEKS else None)
        found += rules.queue_spikes(
            zone_id=str(zone.id),
            zone_name=zone.name,
            queue=queue[p_lo:p_hi],
            baseline=usual,
            open_s=series.open_s[p_lo:p_hi],
            first_slot=series.first_slot + p_lo,
            fmt=ctx.fmt,
        )

    # Finished days: conversion, dead zones, IN/OUT imbalance.
    has_pos = await repository.has_transactions_before(session, ctx.store, _dt(end))
    tx_slots = await repository.transaction_counts(session, ctx.store, _clip(ranges, end)) if has_pos else {}
    reset_list = sorted(fetched.resets)

    def day_obs(day_: date) -> rules.DayObservation | None:
        lo_s, hi_s = local_midnight(tz, day_), local_midnight(tz, day_ + timedelta(days=1))
        if hi_s > end or lo_s < start:
            return None
        lo, hi = series.index(lo_s // SLOT_S), series.index(hi_s // SLOT_S)
        fig = summarize(series, lo, hi)
        tx = sum(v for s, v in tx_slots.items() if lo_s <= s * SLOT_S < hi_s) if has_pos else None
        return rules.DayObservation(
            lo_s, hi_s, sum(series.ins[lo:hi]), sum(series.outs[lo:hi]), tx, fig.coverage, []
        )

    for d in days:
        obs = day_obs(d)
        if obs is None:
            continue
        earlier = [day_obs(d - timedelta(weeks=k)) for k in range(1, rules.BASELINE_WEEKS + 1)]
        baseline = [
            (p.footfall, p.transactions)
            for p in earlier
            if p is not None and p.coverage == 1.0 and p.transactions is not None
        ]
        if ctx.counting_ids:
            found += rules.conversion_drops([replace(obs, baseline=baseline)], ctx.fmt)
            lo, hi = series.index(obs.start // SLOT_S), series.index(obs.end // SLOT_S)
            for zone in zones:
                visits = sum(
                    v[0] for s, v in zone_slots.get(zone.id, {}).items() if obs.start <= s * SLOT_S < obs.end
                )
                cam_states = fetched.states.get(zone.camera_id, [SlotState.ABSENT] * n)
                open_total = sum(series.open_s[lo:hi])
                ok_open = sum(series.open_s[i] for i in range(lo, hi) if cam_states[i] is SlotState.OK)
                anomaly = rules.dead_zone(
                    zone_id=str(zone.id),
                    zone_name=zone.name,
                    day=obs,
                    visits=visits,
                    zone_coverage=ok_open / open_total if open_total else None,
                    fmt=ctx.fmt,
                )
                if anomaly is not None:
                    found.append(anomaly)
            # The business day runs from this day's occupancy restart to the next one.
            restart = min((s for s in reset_list if s * SLOT_S >= obs.start), default=None)
            following = min((s for s in reset_list if restart is not None and s > restart), default=None)
            if restart is not None and following is not None and following * SLOT_S <= end:
                lo, hi = series.index(restart), series.index(following)
                segment = rules.DayObservation(
                    restart * SLOT_S,
                    following * SLOT_S,
                    sum(series.ins[lo:hi]),
                    sum(series.outs[lo:hi]),
                    None,
                    None,
                    [],
                )
                imbalance = rules.in_out_imbalance(segment, ctx.fmt)
                if imbalance is not None:
                    found.append(imbalance)

    found.sort(key=lambda a: (_SEVERITY_ORDER[a.severity], a.start, a.type))
    out.anomalies = [
        AnomalyOut(
            type=a.type,
            severity=a.severity.value,
            start=from_epoch(a.start, tz),
            end=from_epoch(a.end, tz),
            observed=a.observed,
            expected=a.expected,
            message=a.message,
            subject_id=a.subject_id,
            subject_name=a.subject_name,
        )
        for a in found
    ]
    return out
