"""The anomalies view: the rules of `backend.analytics.anomalies` applied to a period's slot series and to
the same local weekday and time of the previous `BASELINE_WEEKS` weeks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import anomalies as rules
from backend.analytics import repository
from backend.analytics.context import DAY_S, StoreContext
from backend.analytics.coverage import SlotState
from backend.analytics.kpi import SlotSeries, bucket_covered, coverage_share, occupancy
from backend.analytics.schemas import AnomaliesOut, AnomalyOut
from backend.analytics.series import Fetched, clip, day_ranges, fetch
from backend.analytics.timegrid import (
    SLOT_S,
    from_epoch,
    iter_days,
    local_buckets,
    local_midnight,
    slot_offsets,
)
from backend.models import Zone, ZoneKind

_SEVERITY_ORDER = {rules.Severity.HIGH: 0, rules.Severity.MEDIUM: 1, rules.Severity.LOW: 2}
ZoneSlots = dict[uuid.UUID, dict[int, tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class _Scan:
    """The period's days up to `end` (epoch s) and their baseline weeks as one slot series from `start`.

    `ranges` are the UTC ranges of the wanted local days, `carry` the day before the period (occupancy
    carried into it); `p_lo:p_hi` are the series indices of the period itself.
    """

    ctx: StoreContext
    start: int
    end: int
    days: list[date]
    ranges: list[tuple[int, int]]
    carry: list[tuple[int, int]]
    fetched: Fetched
    p_lo: int
    p_hi: int

    @property
    def series(self) -> SlotSeries:
        """The slot series of the scan."""
        return self.fetched.series

    @property
    def n(self) -> int:
        """Slots in the series."""
        return len(self.fetched.series.ins)


async def _scan(session: AsyncSession, ctx: StoreContext, end: int) -> _Scan:
    tz, period = ctx.tz, ctx.period
    days = [d for d in iter_days(period.first_day, period.last_day) if local_midnight(tz, d) < end]
    baseline_days = {d - timedelta(weeks=k) for d in days for k in range(1, rules.BASELINE_WEEKS + 1)}
    wanted = set(days) | baseline_days
    start = local_midnight(tz, min(wanted))
    ranges = day_ranges(tz, wanted)
    carry = [(period.start - DAY_S, period.start)]
    fetched = await fetch(
        session,
        ctx,
        start,
        end,
        event_ranges=[*ranges, *carry],
        heartbeat_ranges=ranges,
        all_cameras=True,
    )
    series = fetched.series
    p_lo, p_hi = series.index(period.start // SLOT_S), series.index(end // SLOT_S)
    return _Scan(ctx, start, end, days, ranges, carry, fetched, p_lo, p_hi)


async def _outages(session: AsyncSession, scan: _Scan) -> list[rules.Anomaly]:
    """Camera outages in opening hours; heartbeat counts (for the messages) only for the period itself."""
    ctx, series, p_lo, p_hi = scan.ctx, scan.series, scan.p_lo, scan.p_hi
    period_beats = await repository.heartbeat_counts(
        session, ctx.store.org_id, ctx.camera_ids, [(from_epoch(ctx.period.start), from_epoch(scan.end))]
    )
    found: list[rules.Anomaly] = []
    for camera in ctx.cameras:
        states = scan.fetched.states.get(camera.id)
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
            heartbeat_interval_s=ctx.settings.heartbeat_interval_s,
            fmt=ctx.fmt,
        )
    return found


def _footfall_deviations(scan: _Scan) -> list[rules.Anomaly]:
    """Footfall drops and spikes per local hour of the period, against the same wall hour weeks before."""
    ctx, series = scan.ctx, scan.series
    if not ctx.counting_ids:
        return []
    hours = local_buckets(ctx.tz, scan.start, scan.end, "hour")
    by_wall: dict[datetime, tuple[int, bool]] = {}
    for h in hours:
        lo, hi = series.index(h.first_slot), series.index(h.end_slot)
        by_wall.setdefault(
            h.start.replace(tzinfo=None), (sum(series.ins[lo:hi]), bucket_covered(series, lo, hi))
        )
    observations = []
    for h in hours:
        if h.first_slot * SLOT_S < ctx.period.start:
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
    return rules.footfall_deviations(observations, ctx.fmt)


def _queue_spikes(scan: _Scan, zones: Sequence[Zone], zone_slots: ZoneSlots) -> list[rules.Anomaly]:
    """Queue spikes per billing zone, against the queue at the same local wall time weeks before."""
    ctx, series, n, p_lo, p_hi = scan.ctx, scan.series, scan.n, scan.p_lo, scan.p_hi
    # Local wall time of every slot, to find "the same weekday and time" k weeks earlier across DST.
    offsets = slot_offsets(ctx.tz, series.first_slot, n)
    local_index = {(series.first_slot + i) * SLOT_S + offsets[i]: i for i in range(n)}

    def weeks_back(i: int) -> list[int]:
        wall = (series.first_slot + i) * SLOT_S + offsets[i]
        found_i = (local_index.get(wall - k * 7 * DAY_S) for k in range(1, rules.BASELINE_WEEKS + 1))
        return [j for j in found_i if j is not None]

    found: list[rules.Anomaly] = []
    slots = range(series.first_slot, series.first_slot + n)
    for zone in (z for z in zones if z.kind == ZoneKind.BILLING):
        per = zone_slots.get(zone.id, {})
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
        zone_ok = scan.fetched.states.get(zone.camera_id, [SlotState.ABSENT] * n)
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
    return found


def _dead_zones(
    scan: _Scan, day: rules.DayObservation, zones: Sequence[Zone], zone_slots: ZoneSlots
) -> list[rules.Anomaly]:
    """Zones without visits on a finished day although their camera covered its opening hours."""
    series, n = scan.series, scan.n
    lo, hi = series.index(day.start // SLOT_S), series.index(day.end // SLOT_S)
    found: list[rules.Anomaly] = []
    for zone in zones:
        visits = sum(
            v[0] for s, v in zone_slots.get(zone.id, {}).items() if day.start <= s * SLOT_S < day.end
        )
        cam_states = scan.fetched.states.get(zone.camera_id, [SlotState.ABSENT] * n)
        open_total = sum(series.open_s[lo:hi])
        ok_open = sum(series.open_s[i] for i in range(lo, hi) if cam_states[i] is SlotState.OK)
        anomaly = rules.dead_zone(
            zone_id=str(zone.id),
            zone_name=zone.name,
            day=day,
            visits=visits,
            zone_coverage=ok_open / open_total if open_total else None,
            fmt=scan.ctx.fmt,
        )
        if anomaly is not None:
            found.append(anomaly)
    return found


def _imbalance(scan: _Scan, day: rules.DayObservation, reset_list: list[int]) -> rules.Anomaly | None:
    """IN/OUT imbalance over the business day from this day's occupancy restart to the next one."""
    series = scan.series
    restart = min((s for s in reset_list if s * SLOT_S >= day.start), default=None)
    following = min((s for s in reset_list if restart is not None and s > restart), default=None)
    if restart is None or following is None or following * SLOT_S > scan.end:
        return None
    lo, hi = series.index(restart), series.index(following)
    segment = rules.DayObservation(
        restart * SLOT_S, following * SLOT_S, sum(series.ins[lo:hi]), sum(series.outs[lo:hi]), None, None, []
    )
    return rules.in_out_imbalance(segment, scan.ctx.fmt)


async def _finished_days(
    session: AsyncSession, scan: _Scan, zones: Sequence[Zone], zone_slots: ZoneSlots
) -> list[rules.Anomaly]:
    """Per finished day of the period: conversion drop, dead zones, IN/OUT imbalance."""
    ctx, series, tz, end = scan.ctx, scan.series, scan.ctx.tz, scan.end
    has_pos = await repository.has_transactions_before(session, ctx.store, from_epoch(end))
    tx_slots = (
        await repository.transaction_counts(session, ctx.store, clip(scan.ranges, end)) if has_pos else {}
    )
    reset_list = sorted(scan.fetched.resets)

    def day_obs(day_: date) -> rules.DayObservation | None:
        lo_s, hi_s = local_midnight(tz, day_), local_midnight(tz, day_ + timedelta(days=1))
        if hi_s > end or lo_s < scan.start:
            return None
        lo, hi = series.index(lo_s // SLOT_S), series.index(hi_s // SLOT_S)
        tx = sum(v for s, v in tx_slots.items() if lo_s <= s * SLOT_S < hi_s) if has_pos else None
        return rules.DayObservation(
            lo_s,
            hi_s,
            sum(series.ins[lo:hi]),
            sum(series.outs[lo:hi]),
            tx,
            coverage_share(series, lo, hi),
            [],
        )

    found: list[rules.Anomaly] = []
    for d in scan.days:
        obs = day_obs(d)
        if obs is None or not ctx.counting_ids:
            continue
        earlier = [day_obs(d - timedelta(weeks=k)) for k in range(1, rules.BASELINE_WEEKS + 1)]
        baseline = [
            (p.footfall, p.transactions)
            for p in earlier
            if p is not None and p.coverage == 1.0 and p.transactions is not None
        ]
        found += rules.conversion_drops([replace(obs, baseline=baseline)], ctx.fmt)
        found += _dead_zones(scan, obs, zones, zone_slots)
        if (imbalance := _imbalance(scan, obs, reset_list)) is not None:
            found.append(imbalance)
    return found


async def anomalies(session: AsyncSession, ctx: StoreContext) -> AnomaliesOut:
    """Anomalies of `ctx.period` up to now, most severe first (rules and thresholds in `anomalies`).

    Baselines come from the same local weekday and hour (or slot) over the previous
    `rules.BASELINE_WEEKS` weeks. Camera outages, queue spikes and footfall deviations are judged per
    slot/hour up to now; conversion drops, dead zones and IN/OUT imbalance only on finished days.
    """
    out = AnomaliesOut(store_id=ctx.store.id, period=ctx.period_out(), anomalies=[])
    end = min(ctx.period.end, ctx.now_floor)
    if end <= ctx.period.start:
        return out
    scan = await _scan(session, ctx, end)
    found = await _outages(session, scan)
    found += _footfall_deviations(scan)
    zones = await repository.zones(session, ctx.store, ctx.camera_ids)
    zone_slots = await repository.zone_counts(
        session, ctx.store, [z.id for z in zones], clip([*scan.ranges, *scan.carry], end)
    )
    found += _queue_spikes(scan, zones, zone_slots)
    found += await _finished_days(session, scan, zones, zone_slots)
    found.sort(key=lambda a: (_SEVERITY_ORDER[a.severity], a.start, a.type))
    out.anomalies = [
        AnomalyOut(
            type=a.type,
            severity=a.severity.value,
            start=from_epoch(a.start, ctx.tz),
            end=from_epoch(a.end, ctx.tz),
            observed=a.observed,
            expected=a.expected,
            message=a.message,
            subject_id=a.subject_id,
            subject_name=a.subject_name,
        )
        for a in found
    ]
    return out
