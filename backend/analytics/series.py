"""The slot series of a store over a UTC range: line crossings, coverage, open seconds and occupancy restarts
per 15-minute slot, read from the repository and assembled by the pure modules (`coverage`, `kpi`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import repository
from backend.analytics.context import DAY_S, StoreContext
from backend.analytics.coverage import (
    SlotState,
    camera_states,
    min_heartbeats,
    store_covered,
    store_present,
)
from backend.analytics.kpi import US, OccupancyCurve, SlotSeries, reset_slots
from backend.analytics.timegrid import SLOT_S, from_epoch, local_date, local_midnight, to_epoch
from backend.stores.hours import open_intervals


@dataclass(slots=True)
class Fetched:
    """A slot series plus the per-camera coverage states, the occupancy-restart slots and the merged UTC
    opening intervals (epoch s) it was built from."""

    series: SlotSeries
    states: dict[uuid.UUID, list[SlotState]]
    resets: set[int]
    intervals: list[tuple[int, int]]


def day_ranges(tz: ZoneInfo, days: set[date]) -> list[tuple[int, int]]:
    """Contiguous UTC epoch ranges covering the given local days."""
    ranges: list[tuple[int, int]] = []
    for day in sorted(days):
        lo, hi = local_midnight(tz, day), local_midnight(tz, day + timedelta(days=1))
        if ranges and ranges[-1][1] == lo:
            ranges[-1] = (ranges[-1][0], hi)
        else:
            ranges.append((lo, hi))
    return ranges


def _carry_start(tz: ZoneInfo, first_day: date) -> int:
    """UTC epoch second from which line crossings must be read for an exact occupancy curve from local
    day `first_day` on: the local midnight of the day before, at or before the last restart preceding
    `first_day` (a restart is a midnight or moves up to 12 hours past it, `kpi.reset_slots`). A fixed 24
    hours back would miss the first hour of a 25-hour fall-back day."""
    return local_midnight(tz, first_day - timedelta(days=1))


def clip(ranges: Sequence[tuple[int, int]], end: int) -> list[tuple[datetime, datetime]]:
    """Epoch ranges cut at `end`, empty ones dropped, as UTC datetimes."""
    return [(from_epoch(lo), from_epoch(min(hi, end))) for lo, hi in ranges if lo < min(hi, end)]


async def _states(
    session: AsyncSession,
    ctx: StoreContext,
    watched: list[uuid.UUID],
    heartbeat_ranges: Sequence[tuple[int, int]],
    first: int,
    n: int,
    end: int,
) -> dict[uuid.UUID, list[SlotState]]:
    """Per watched camera, its coverage state in each of the `n` slots from slot `first`."""
    runs = await repository.coverage_runs(
        session,
        ctx.store.org_id,
        watched,
        clip(heartbeat_ranges, end),
        min_heartbeats(ctx.settings.camera_offline_after_s),
    )
    firsts = await repository.first_heartbeats(session, ctx.store.org_id, watched)
    states: dict[uuid.UUID, list[SlotState]] = {}
    for camera in ctx.cameras:
        if camera.id not in watched:
            continue
        since = firsts.get(camera.id, camera.created_at)
        required = -(-to_epoch(since) // SLOT_S) if camera.id not in firsts else to_epoch(since) // SLOT_S
        states[camera.id] = camera_states(runs.get(camera.id, []), first, n, required)
    return states


async def fetch(
    session: AsyncSession,
    ctx: StoreContext,
    start: int,
    end: int,
    *,
    event_ranges: Sequence[tuple[int, int]] | None = None,
    heartbeat_ranges: Sequence[tuple[int, int]] | None = None,
    all_cameras: bool = False,
    crossings: Sequence[tuple[int, int]] | None = None,
) -> Fetched:
    """Slot series for the slot-aligned epoch range `[start, end)`.

    Line crossings are read within `event_ranges` and heartbeats within `heartbeat_ranges` (both default to
    the whole range); slots outside them count as zero crossings and no coverage. With `all_cameras`,
    heartbeat states are kept for every enabled camera (anomalies), otherwise only counting ones. With
    `crossings` (`repository.line_crossings` of the range, already read by the caller) the per-slot counts
    are taken from them instead of a second read.
    """
    first, n = start // SLOT_S, max(0, (end - start) // SLOT_S)
    event_ranges = event_ranges if event_ranges is not None else [(start, end)]
    heartbeat_ranges = heartbeat_ranges if heartbeat_ranges is not None else [(start, end)]
    counting = ctx.counting_ids
    watched = ctx.camera_ids if all_cameras else counting
    if crossings is None:
        counts = await repository.line_counts(session, ctx.store, counting, clip(event_ranges, end))
    else:
        counts = slot_counts(crossings)
    states = await _states(session, ctx, watched, heartbeat_ranges, first, n, end)
    covered = store_covered([states[c] for c in counting], n)
    present = store_present([states[c] for c in counting], n)
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
    series = SlotSeries(first, ins, outs, covered, open_s, reset_flags, present)
    return Fetched(series, states, resets, intervals)


def slot_counts(crossings: Sequence[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Slot → (IN, OUT) of `(ts µs, ±1)` crossings: what `repository.line_counts` answers, from rows read."""
    counts: dict[int, list[int]] = {}
    for t, step in crossings:
        pair = counts.setdefault(t // (SLOT_S * US), [0, 0])
        pair[0 if step > 0 else 1] += 1
    return {slot: (came, left) for slot, (came, left) in counts.items()}


@dataclass(slots=True)
class Measured:
    """What `kpi.measure` needs: the slot series, the exact occupancy curve and the sorted IN times (µs)."""

    fetched: Fetched
    curve: OccupancyCurve
    in_times: list[int]


async def fetch_measured(session: AsyncSession, ctx: StoreContext, first_day: date, end: int) -> Measured:
    """The slot series and occupancy curve for figures of local days `first_day ..` up to `end` (epoch s,
    slot-aligned, at least the start of `first_day`).

    Crossings are read from the day before `first_day` (see `_carry_start`), so occupancy carried in over
    an overnight interval is exact; heartbeats only from `first_day` on (nothing earlier is measured).
    """
    carry, start = _carry_start(ctx.tz, first_day), local_midnight(ctx.tz, first_day)
    crossings = await repository.line_crossings(
        session, ctx.store, ctx.counting_ids, from_epoch(carry), from_epoch(end)
    )
    fetched = await fetch(session, ctx, carry, end, heartbeat_ranges=[(start, end)], crossings=crossings)
    curve = OccupancyCurve.build(crossings, [slot * SLOT_S * US for slot in sorted(fetched.resets)])
    return Measured(fetched, curve, [t for t, step in crossings if step > 0])
