"""KPI arithmetic on 15-minute slot series: occupancy, Little's-law dwell time, coverage and changes.

No I/O. A `SlotSeries` holds one value per UTC slot of a contiguous range (see `timegrid`); the service
fills it from SQL aggregates and these functions turn it into figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from backend.analytics.timegrid import SLOT_S, Bucket, local_midnight

# A 24-hour store never closes; its occupancy still restarts at midnight rather than drifting for ever.
_MAX_OVERNIGHT_CARRY_S = 12 * 3600


@dataclass(slots=True)
class SlotSeries:
    """Per-slot inputs for slots `first_slot .. first_slot + len(ins) - 1`.

    ins, outs: IN and OUT line crossings of counting-line cameras in the slot.
    covered: every counting camera was reporting throughout the slot (see `backend.analytics.coverage`).
    open_s: seconds of the slot inside opening hours (0..900).
    resets: occupancy restarts from zero at the start of the slot (see `reset_slots`).
    """

    first_slot: int
    ins: list[int]
    outs: list[int]
    covered: list[bool]
    open_s: list[int]
    resets: list[bool] = field(default_factory=list)

    def index(self, slot: int) -> int:
        """Position of `slot` in the lists."""
        return slot - self.first_slot


def reset_slots(
    tz: ZoneInfo, intervals: Sequence[tuple[int, int]], first_day: date, last_day: date
) -> set[int]:
    """Slots at whose start occupancy restarts from zero: each local midnight of `first_day..last_day + 1`.

    When a midnight falls inside an opening interval (an overnight interval such as 18:00-02:00), the
    restart moves to the first slot boundary at or after that interval's close, so people inside at midnight
    are still counted. `intervals` are the merged UTC opening intervals (epoch seconds).
    """
    resets: set[int] = set()
    day = first_day
    while day <= last_day + timedelta(days=1):
        midnight = local_midnight(tz, day)
        restart = midnight
        for lo, hi in intervals:
            if lo < midnight < hi and hi - midnight <= _MAX_OVERNIGHT_CARRY_S:
                restart = hi
                break
        resets.add(-(-restart // SLOT_S))
        day += timedelta(days=1)
    return resets


def occupancy(series: SlotSeries) -> tuple[list[int], list[int]]:
    """Occupancy at the start and at the end of every slot (people), clamped at zero.

    Clamping is per slot, in time order: `end = max(0, start + ins - outs)`, with `start` the previous slot's
    end, or 0 on a reset slot and on the first slot of the series. A missed IN therefore cannot push the
    count below zero for the rest of the day, and a missed OUT inflates it only until the next reset.
    """
    starts: list[int] = []
    ends: list[int] = []
    level = 0
    for i, (came, left) in enumerate(zip(series.ins, series.outs, strict=True)):
        if i == 0 or (series.resets and series.resets[i]):
            level = 0
        starts.append(level)
        level = max(0, level + came - left)
        ends.append(level)
    return starts, ends


@dataclass(frozen=True, slots=True)
class OccupancyFigures:
    """Figures of a slot range; None means "no data", never zero.

    footfall/exits: IN/OUT crossings. avg_occupancy: people, time-weighted over open hours. peak_occupancy:
    people at a slot end, first reached in slot `peak_slot`. avg_dwell_s: seconds (Little's law).
    coverage: share 0..1 of open seconds in which every counting camera reported; None without open hours.
    busiest: the bucket with most entries and its entries.
    """

    footfall: int | None
    exits: int | None
    avg_occupancy: float | None
    peak_occupancy: int | None
    peak_slot: int | None
    avg_dwell_s: float | None
    coverage: float | None
    entries_open: int | None


def summarize(series: SlotSeries, lo: int, hi: int) -> OccupancyFigures:
    """Figures for series positions `[lo, hi)`; occupancy is carried in from positions before `lo`.

    Average dwell time follows Little's law (L = λW): over the open hours T, the mean occupancy is
    L = ∫occupancy dt / T and the arrival rate is λ = entries / T, so W = ∫occupancy dt / entries — the
    time-integral of occupancy (trapezoids per slot, weighted by the slot's open seconds) divided by the
    entries counted during open hours. It needs no identity across cameras.

    The range has no data (every count figure None) when no slot in it was covered and no crossing was
    seen; coverage is still reported (0.0) when the range has open hours.
    """
    starts, ends = occupancy(series)
    open_total = sum(series.open_s[lo:hi])
    covered_open = sum(o for o, c in zip(series.open_s[lo:hi], series.covered[lo:hi], strict=True) if c)
    coverage = covered_open / open_total if open_total else None
    footfall, exits = sum(series.ins[lo:hi]), sum(series.outs[lo:hi])
    has_data = any(series.covered[lo:hi]) or footfall > 0 or exits > 0
    if not has_data or hi <= lo:
        return OccupancyFigures(None, None, None, None, None, None, coverage, None)
    integral = sum(series.open_s[i] * (starts[i] + ends[i]) / 2 for i in range(lo, hi))
    entries_open = sum(series.ins[i] for i in range(lo, hi) if series.open_s[i] > 0)
    peak_index = max(range(lo, hi), key=lambda i: (ends[i], -i))
    return OccupancyFigures(
        footfall=footfall,
        exits=exits,
        avg_occupancy=integral / open_total if open_total else None,
        peak_occupancy=ends[peak_index],
        peak_slot=series.first_slot + peak_index,
        avg_dwell_s=integral / entries_open if entries_open else None,
        coverage=coverage,
        entries_open=entries_open,
    )


def busiest_bucket(buckets: Iterable[Bucket], series: SlotSeries) -> tuple[Bucket, int] | None:
    """The bucket with the most entries (earliest on a tie) and its entries; None when nobody entered."""
    best: tuple[Bucket, int] | None = None
    for bucket in buckets:
        lo, hi = series.index(bucket.first_slot), series.index(bucket.end_slot)
        entries = sum(series.ins[max(lo, 0) : max(hi, 0)])
        if entries > 0 and (best is None or entries > best[1]):
            best = (bucket, entries)
    return best


def bucket_covered(series: SlotSeries, lo: int, hi: int) -> bool:
    """Whether positions `[lo, hi)` have coverage: every open slot covered, or every slot when none is open.

    Outside opening hours cameras may legitimately sleep; inside them a single uncovered slot makes the
    bucket's counts unreliable.
    """
    if hi <= lo:
        return False
    open_s, covered = series.open_s[lo:hi], series.covered[lo:hi]
    if any(open_s):
        return all(c for o, c in zip(open_s, covered, strict=True) if o > 0)
    return all(covered)


@dataclass(frozen=True, slots=True)
class Change:
    """A figure against the previous period: absolute `delta` and relative `change_pct` (percent)."""

    value: float | None
    previous: float | None
    delta: float | None
    change_pct: float | None


def change(value: float | None, previous: float | None) -> Change:
    """Compare two figures; delta is None when either is None, change_pct also when `previous` is 0."""
    if value is None or previous is None:
        return Change(value, previous, None, None)
    delta = value - previous
    pct = round(delta / previous * 100, 2) if previous else None
    return Change(value, previous, delta, pct)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, None when either is None or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def dwell_stats(dwells_ms: Sequence[int]) -> tuple[float | None, float | None]:
    """Mean and median dwell in seconds of ZONE_EXIT `dwell_ms` values; (None, None) when empty."""
    if not dwells_ms:
        return None, None
    return sum(dwells_ms) / len(dwells_ms) / 1000, float(median(dwells_ms)) / 1000
