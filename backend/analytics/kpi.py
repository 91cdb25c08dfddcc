"""KPI arithmetic: occupancy as an exact step function of event times, Little's-law dwell time over the
measured open time, coverage and changes (definitions: docs/analytics.md).

No I/O. A `SlotSeries` holds one value per UTC slot of a contiguous range (see `timegrid`): crossings,
coverage, open seconds; an `OccupancyCurve` holds occupancy between the crossings themselves (µs).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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
    present: at least one counting camera was set up in the slot (empty: unknown, taken as `covered`).
    """

    first_slot: int
    ins: list[int]
    outs: list[int]
    covered: list[bool]
    open_s: list[int]
    resets: list[bool] = field(default_factory=list)
    present: list[bool] = field(default_factory=list)

    def index(self, slot: int) -> int:
        """Position of `slot` in the lists."""
        return slot - self.first_slot

    def set_up(self, lo: int, hi: int) -> bool:
        """Whether a counting camera was set up in some slot of positions `[lo, hi)`."""
        return any(self.present[lo:hi] if self.present else self.covered[lo:hi])

    def covered_crossings(self, lo: int, hi: int) -> tuple[int, int] | None:
        """IN and OUT crossings of the covered slots of positions `[lo, hi)` (docs/analytics.md: crossings
        count where they were covered); None when none of them is covered."""
        covered = self.covered[lo:hi]
        if not any(covered):
            return None
        ins = sum(n for n, c in zip(self.ins[lo:hi], covered, strict=True) if c)
        return ins, sum(n for n, c in zip(self.outs[lo:hi], covered, strict=True) if c)


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


US = 1_000_000  # microseconds per second: event times and time integrals are exact integers in µs


@dataclass(frozen=True, slots=True)
class OccupancyCurve:
    """Occupancy o(t) as an exact step function (docs/analytics.md, "Occupancy"): `levels[i]` people from
    `times[i]` (UTC epoch µs) until `times[i + 1]`; 0 before `times[0]`. `cum[i]` is ∫ o dt from `times[0]`
    to `times[i]` in person·µs. Build it with `OccupancyCurve.build`.
    """

    times: list[int]
    levels: list[int]
    cum: list[int]

    @classmethod
    def build(cls, crossings: Iterable[tuple[int, int]], restarts: Iterable[int]) -> OccupancyCurve:
        """The curve of `crossings` (`(ts µs, +1 for an IN or -1 for an OUT)`) restarting from 0 at each
        instant of `restarts` (µs).

        In time order, at equal times restarts first, then INs, then OUTs: a restart sets 0, an IN adds 1,
        an OUT subtracts 1 unless the level is 0 (a missed IN cannot drive it negative).
        """
        marks = sorted([(t, 0) for t in restarts] + [(t, 1 if step > 0 else 2) for t, step in crossings])
        times: list[int] = []
        levels: list[int] = []
        level = 0
        for t, kind in marks:
            level = 0 if kind == 0 else level + 1 if kind == 1 else max(0, level - 1)
            times.append(t)
            levels.append(level)
        cum = [0] * len(times)
        for i in range(1, len(times)):
            cum[i] = cum[i - 1] + levels[i - 1] * (times[i] - times[i - 1])
        return cls(times, levels, cum)

    def level_at(self, t: int) -> int:
        """o(t): the level after every mark at or before `t` (µs)."""
        j = bisect_right(self.times, t) - 1
        return self.levels[j] if j >= 0 else 0

    def _area_until(self, t: int) -> int:
        j = bisect_right(self.times, t) - 1
        return self.cum[j] + self.levels[j] * (t - self.times[j]) if j >= 0 else 0

    def integral(self, lo: int, hi: int) -> int:
        """∫ o dt over `[lo, hi)` (µs bounds), in person·µs."""
        return self._area_until(hi) - self._area_until(lo) if hi > lo else 0

    def peak(self, lo: int, hi: int) -> tuple[int, int]:
        """The highest o(t) over `[lo, hi)` (µs, `hi > lo`) and the first instant it holds.

        Only the level after the last mark of an instant is a value of o: an IN and an OUT at the same
        microsecond never show the momentary level between them.
        """
        best, at = self.level_at(lo), lo
        i, stop, times = bisect_right(self.times, lo), bisect_left(self.times, hi), self.times
        while i < stop:
            if (i + 1 == len(times) or times[i + 1] != times[i]) and self.levels[i] > best:
                best, at = self.levels[i], times[i]
            i += 1
        return best, at


def slot_runs(flags: Sequence[bool], first_slot: int, lo: int, hi: int) -> list[tuple[int, int]]:
    """Maximal runs of true `flags[lo:hi]` as UTC epoch-second ranges `[start, end)` of their slots."""
    runs: list[tuple[int, int]] = []
    i = lo
    while i < hi:
        if not flags[i]:
            i += 1
            continue
        j = i
        while j < hi and flags[j]:
            j += 1
        runs.append(((first_slot + i) * SLOT_S, (first_slot + j) * SLOT_S))
        i = j
    return runs


def intersect(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The intersection of two sorted lists of disjoint `[lo, hi)` ranges."""
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return out


def count_within(times: Sequence[int], ranges: Sequence[tuple[int, int]]) -> int:
    """How many of the sorted `times` (µs) lie in the epoch-second ranges `[lo, hi)`."""
    return sum(bisect_left(times, hi * US) - bisect_left(times, lo * US) for lo, hi in ranges)


@dataclass(frozen=True, slots=True)
class OccupancyFigures:
    """Dashboard figures of a complete part of a period (docs/analytics.md); None means "not measured".

    footfall/exits: crossings in covered time. avg_occupancy: people over the measured open time.
    peak_occupancy: people, first reached at `peak_at_us` (UTC epoch µs). avg_dwell_s: seconds (Little's
    law). coverage: share 0..1 of open seconds measured; None without open seconds or before any counting
    camera was set up.
    """

    footfall: int | None
    exits: int | None
    avg_occupancy: float | None
    peak_occupancy: int | None
    peak_at_us: int | None
    avg_dwell_s: float | None
    coverage: float | None


def measure(
    curve: OccupancyCurve,
    series: SlotSeries,
    intervals: Sequence[tuple[int, int]],
    in_times: Sequence[int],
    lo: int,
    hi: int,
) -> OccupancyFigures:
    """The figures of series positions `[lo, hi)` (a period's complete part).

    Covered time C is the covered slots; the measured open time M is C within the opening `intervals`
    (merged UTC epoch-second ranges). Little's law (L = λW) over M: the mean occupancy is L = ∫_M o dt / |M|
    and the arrival rate λ = entries / |M|, so the mean dwell W = ∫_M o dt / entries, with the entries the
    INs (`in_times`, sorted µs) inside M. It needs no identity across cameras. Every count figure is None
    when no slot of the range is covered.
    """
    coverage = coverage_share(series, lo, hi)
    crossings = series.covered_crossings(lo, hi)
    if crossings is None:
        return OccupancyFigures(None, None, None, None, None, None, coverage)
    covered_runs = slot_runs(series.covered, series.first_slot, lo, hi)
    measured = intersect(covered_runs, intervals)
    measured_s = sum(b - a for a, b in measured)
    area_us = sum(curve.integral(a * US, b * US) for a, b in measured)
    entries = count_within(in_times, measured)
    peak, peak_at = -1, 0
    for a, b in covered_runs:
        level, at = curve.peak(a * US, b * US)
        if level > peak:
            peak, peak_at = level, at
    return OccupancyFigures(
        footfall=crossings[0],
        exits=crossings[1],
        avg_occupancy=area_us / US / measured_s if measured_s else None,
        peak_occupancy=peak,
        peak_at_us=peak_at,
        avg_dwell_s=area_us / US / entries if entries else None,
        coverage=coverage,
    )


def coverage_share(series: SlotSeries, lo: int, hi: int) -> float | None:
    """Share 0..1 of the open seconds of positions `[lo, hi)` in covered slots; None without open seconds
    or when no counting camera was set up in the range."""
    open_total = sum(series.open_s[lo:hi])
    if not open_total or not series.set_up(lo, hi):
        return None
    return sum(o for o, c in zip(series.open_s[lo:hi], series.covered[lo:hi], strict=True) if c) / open_total


def busiest_bucket(buckets: Iterable[Bucket], series: SlotSeries) -> tuple[Bucket, int] | None:
    """The bucket with the most entries in covered slots (earliest on a tie) and those entries; None when
    nobody entered in covered time."""
    best: tuple[Bucket, int] | None = None
    for bucket in buckets:
        lo, hi = max(series.index(bucket.first_slot), 0), max(series.index(bucket.end_slot), 0)
        entries = (series.covered_crossings(lo, hi) or (0, 0))[0]
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


def bucket_coverage(series: SlotSeries, lo: int, hi: int) -> float | None:
    """The covered share (0..1) of positions `[lo, hi)`: of their open seconds, or of all their seconds
    when none is open; None for an empty range or when no counting camera was set up in it."""
    if hi <= lo:
        return None
    share = coverage_share(series, lo, hi)
    if share is not None or any(series.open_s[lo:hi]):
        return share
    return sum(series.covered[lo:hi]) / (hi - lo) if series.set_up(lo, hi) else None


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
