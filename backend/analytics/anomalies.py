"""Anomaly rules: plain functions over already-aggregated observations and baselines, no I/O.

Thresholds are the named constants below (documented in docs/analytics.md). Baselines are the same local
weekday and hour over the previous `BASELINE_WEEKS` weeks, using only slots or hours that had coverage.
Severity is `low`, `medium` or `high`; each rule says how it is graded. Instants are UTC epoch seconds;
`fmt` renders one as store-local text for messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from backend.analytics.coverage import SlotState
from backend.analytics.timegrid import SLOT_S

BASELINE_WEEKS = 4
MIN_BASELINE_WEEKS = 2  # fewer usable weeks than this: no baseline, no footfall/conversion/queue verdict

OUTAGE_MEDIUM_S = 30 * 60  # camera outage: ≥ 30 min medium, ≥ 2 h high (counting cameras: at least medium)
OUTAGE_HIGH_S = 2 * 3600

QUEUE_ALERT_PEOPLE = 8  # people in one billing zone: always a spike (medium; ≥ 2x this: high)
QUEUE_MIN_PEOPLE = 4  # below this a queue is never a spike, however quiet the baseline
QUEUE_SPIKE_FACTOR = 2.5  # ... otherwise a spike when ≥ this many times the usual level (low)

FOOTFALL_MIN_EXPECTED = 10  # hours expecting fewer entries are too noisy to judge
FOOTFALL_DROP_RATIO = 0.5  # drop: observed ≤ 50% of expected (medium ≤ 30%, high ≤ 10%)
FOOTFALL_SPIKE_FACTOR = 2.0  # spike: observed ≥ 2x expected (medium ≥ 3x, high ≥ 4x)

CONVERSION_MIN_FOOTFALL = 50  # days with fewer entries are not judged
CONVERSION_DROP_RATIO = 0.3  # drop: conversion ≤ 70% of usual (medium ≤ 55%, high ≤ 40%)

DEAD_ZONE_MIN_FOOTFALL = 30  # the store must have had this many entries (medium ≥ 3x, high ≥ 10x)
DEAD_ZONE_MIN_COVERAGE = 0.5  # the zone's camera must have reported for half the open hours

IMBALANCE_MIN_TRAFFIC = 20  # max(IN, OUT) of the day must reach this
IMBALANCE_RATIO = 0.15  # |IN - OUT| / max(IN, OUT) ≥ 15% (medium ≥ 30%, high ≥ 50%)


class Severity(StrEnum):
    """How urgent an anomaly is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One finding over `[start, end)` (UTC epoch seconds), with what was seen and what was expected."""

    type: str
    severity: Severity
    start: int
    end: int
    observed: float | None
    expected: float | None
    message: str
    subject_id: str | None = None
    subject_name: str | None = None


Formatter = Callable[[int], str]


def _grade(value: float, medium: float, high: float, *, higher_is_worse: bool = True) -> Severity:
    if higher_is_worse:
        return Severity.HIGH if value >= high else Severity.MEDIUM if value >= medium else Severity.LOW
    return Severity.HIGH if value <= high else Severity.MEDIUM if value <= medium else Severity.LOW


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """Maximal runs `[i, j)` of consecutive True."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(flags)))
    return runs


def camera_outages(
    *,
    camera_id: str,
    camera_name: str,
    counting: bool,
    states: Sequence[SlotState],
    heartbeats: Sequence[int],
    open_s: Sequence[int],
    first_slot: int,
    heartbeat_interval_s: float,
    fmt: Formatter,
) -> list[Anomaly]:
    """`camera_offline` / `camera_stale` for each run of slots in opening hours where the camera was not OK.

    Offline: too few heartbeats (see `coverage`); stale: heartbeats arrive but the stream is not ok.
    Observed: heartbeats received in the window; expected: window seconds / heartbeat interval. Severity by
    duration (≥ 30 min medium, ≥ 2 h high); a counting-line camera's outage is at least medium because it
    leaves footfall incomplete.
    """
    found: list[Anomaly] = []
    for kind, state in (("camera_offline", SlotState.OFFLINE), ("camera_stale", SlotState.STALE)):
        flags = [s is state and o > 0 for s, o in zip(states, open_s, strict=True)]
        for i, j in _runs(flags):
            start, end = (first_slot + i) * SLOT_S, (first_slot + j) * SLOT_S
            severity = _grade(end - start, OUTAGE_MEDIUM_S, OUTAGE_HIGH_S)
            if counting and severity is Severity.LOW:
                severity = Severity.MEDIUM
            what = "sent no heartbeats" if state is SlotState.OFFLINE else "reported no working video stream"
            impact = "; footfall in this window is incomplete" if counting else ""
            found.append(
                Anomaly(
                    kind,
                    severity,
                    start,
                    end,
                    float(sum(heartbeats[i:j])),
                    round((end - start) / heartbeat_interval_s, 1),
                    f"Camera '{camera_name}' {what} from {fmt(start)} to {fmt(end)} "
                    f"during opening hours{impact}.",
                    camera_id,
                    camera_name,
                )
            )
    return found


def queue_spikes(
    *,
    zone_id: str,
    zone_name: str,
    queue: Sequence[int],
    baseline: Sequence[float | None],
    open_s: Sequence[int],
    first_slot: int,
    fmt: Formatter,
) -> list[Anomaly]:
    """`queue_spike` for runs of open slots where a billing zone's queue was too long.

    A slot is flagged when its end-of-slot queue reaches `QUEUE_ALERT_PEOPLE`, or reaches
    `QUEUE_MIN_PEOPLE` and `QUEUE_SPIKE_FACTOR` times the usual level (`baseline`, people; None when unknown).
    Observed: the longest queue in the run; expected: the highest usual level in it (None when unknown).
    Severity: ≥ 2x the alert level high, ≥ the alert level medium, otherwise low.
    """

    def spike(q: int, usual: float | None) -> bool:
        if q >= QUEUE_ALERT_PEOPLE:
            return True
        return usual is not None and q >= QUEUE_MIN_PEOPLE and q >= QUEUE_SPIKE_FACTOR * max(usual, 1.0)

    flags = [o > 0 and spike(q, b) for q, b, o in zip(queue, baseline, open_s, strict=True)]
    found: list[Anomaly] = []
    for i, j in _runs(flags):
        peak = max(queue[i:j])
        usual = [b for b in baseline[i:j] if b is not None]
        expected = round(max(usual), 2) if usual else None
        severity = _grade(peak, QUEUE_ALERT_PEOPLE, 2 * QUEUE_ALERT_PEOPLE)
        start, end = (first_slot + i) * SLOT_S, (first_slot + j) * SLOT_S
        usual_text = f" (usually {expected:g})" if expected is not None else ""
        found.append(
            Anomaly(
                "queue_spike",
                severity,
                start,
                end,
                float(peak),
                expected,
                f"Up to {peak} people queued in '{zone_name}'{usual_text} "
                f"between {fmt(start)} and {fmt(end)}.",
                zone_id,
                zone_name,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class HourObservation:
    """One local hour: entries seen, whether it had coverage, whether it is in opening hours, and the
    entries of the same weekday and hour in previous weeks (covered weeks only)."""

    start: int
    end: int
    observed: int
    covered: bool
    is_open: bool
    baseline: Sequence[int]


def footfall_deviations(hours: Sequence[HourObservation], fmt: Formatter) -> list[Anomaly]:
    """`footfall_drop` / `footfall_spike` for runs of consecutive open, covered hours off their baseline.

    Expected = mean of the baseline (needs `MIN_BASELINE_WEEKS` weeks) and at least
    `FOOTFALL_MIN_EXPECTED` (drops) or observed - expected at least that much (spikes). An hour without
    coverage is never judged: a data outage is reported by `camera_outages`, not as a drop. Observed and
    expected are summed over the run; severity from their ratio (see the constants).
    """
    verdicts: list[str | None] = []
    expectations: list[float] = []
    for hour in hours:
        verdict = None
        expected = (
            sum(hour.baseline) / len(hour.baseline) if len(hour.baseline) >= MIN_BASELINE_WEEKS else 0.0
        )
        if hour.is_open and hour.covered and len(hour.baseline) >= MIN_BASELINE_WEEKS:
            if expected >= FOOTFALL_MIN_EXPECTED and hour.observed <= FOOTFALL_DROP_RATIO * expected:
                verdict = "footfall_drop"
            elif (
                hour.observed >= FOOTFALL_SPIKE_FACTOR * expected
                and hour.observed - expected >= FOOTFALL_MIN_EXPECTED
            ):
                verdict = "footfall_spike"
        verdicts.append(verdict)
        expectations.append(expected)
    found: list[Anomaly] = []
    i = 0
    while i < len(hours):
        kind = verdicts[i]
        if kind is None:
            i += 1
            continue
        j = i
        while j + 1 < len(hours) and verdicts[j + 1] == kind and hours[j + 1].start == hours[j].end:
            j += 1
        observed = sum(h.observed for h in hours[i : j + 1])
        expected = round(sum(expectations[i : j + 1]), 2)
        start, end = hours[i].start, hours[j].end
        if kind == "footfall_drop":
            severity = _grade(observed / expected, 0.3, 0.1, higher_is_worse=False)
            text = "below"
        else:
            severity = _grade(observed / expected if expected else float("inf"), 3.0, 4.0)
            text = "above"
        found.append(
            Anomaly(
                kind,
                severity,
                start,
                end,
                float(observed),
                expected,
                f"{observed} entries between {fmt(start)} and {fmt(end)}, far {text} the usual {expected:g} "
                "for this weekday and time.",
            )
        )
        i = j + 1
    return found


@dataclass(frozen=True, slots=True)
class DayObservation:
    """One local day (or reset-to-reset business day): its range, entries, exits, POS transactions (None
    without POS data), coverage share of open hours, and the same weekday's (entries, transactions) in
    previous weeks."""

    start: int
    end: int
    footfall: int
    exits: int
    transactions: int | None
    coverage: float | None
    baseline: Sequence[tuple[int, int]]


def conversion_drops(days: Sequence[DayObservation], fmt: Formatter) -> list[Anomaly]:
    """`conversion_drop` when a day's conversion (transactions / entries) is ≤ 70% of the usual.

    Judged only with POS data, fully covered open hours, at least `CONVERSION_MIN_FOOTFALL` entries and
    `MIN_BASELINE_WEEKS` comparable weeks (usual = Σ transactions / Σ entries over them). Observed and
    expected are conversion rates 0..1; severity from their ratio (medium ≤ 55%, high ≤ 40%).
    """
    found: list[Anomaly] = []
    for day in days:
        if day.transactions is None or day.coverage != 1.0 or day.footfall < CONVERSION_MIN_FOOTFALL:
            continue
        usable = [(f, t) for f, t in day.baseline if f >= CONVERSION_MIN_FOOTFALL]
        if len(usable) < MIN_BASELINE_WEEKS:
            continue
        usual = sum(t for _, t in usable) / sum(f for f, _ in usable)
        rate = day.transactions / day.footfall
        if usual <= 0 or rate > (1 - CONVERSION_DROP_RATIO) * usual:
            continue
        found.append(
            Anomaly(
                "conversion_drop",
                _grade(rate / usual, 0.55, 0.4, higher_is_worse=False),
                day.start,
                day.end,
                round(rate, 4),
                round(usual, 4),
                f"Conversion was {rate:.1%} on {fmt(day.start)[:10]}, "
                f"against a usual {usual:.1%} for this weekday.",
            )
        )
    return found


def dead_zone(
    *,
    zone_id: str,
    zone_name: str,
    day: DayObservation,
    visits: int,
    zone_coverage: float | None,
    fmt: Formatter,
) -> Anomaly | None:
    """`dead_zone` when a zone had no visits on a day with at least `DEAD_ZONE_MIN_FOOTFALL` entries.

    Not judged when the zone's camera reported for less than `DEAD_ZONE_MIN_COVERAGE` of the open hours
    (that is an outage). Observed: visits (0); expected: None (no per-zone baseline is assumed). Severity
    by the store's entries: ≥ 3x the minimum medium, ≥ 10x high.
    """
    if visits > 0 or day.footfall < DEAD_ZONE_MIN_FOOTFALL:
        return None
    if zone_coverage is None or zone_coverage < DEAD_ZONE_MIN_COVERAGE:
        return None
    return Anomaly(
        "dead_zone",
        _grade(day.footfall, 3 * DEAD_ZONE_MIN_FOOTFALL, 10 * DEAD_ZONE_MIN_FOOTFALL),
        day.start,
        day.end,
        0.0,
        None,
        f"Nobody visited '{zone_name}' on {fmt(day.start)[:10]} "
        f"although {day.footfall} people entered the store.",
        zone_id,
        zone_name,
    )


def in_out_imbalance(day: DayObservation, fmt: Formatter) -> Anomaly | None:
    """`in_out_imbalance` when IN and OUT of a finished business day differ by ≥ `IMBALANCE_RATIO`.

    Everybody who enters leaves by closing time, so a persistent gap means the counting line misses one
    direction (calibration). Observed: OUT; expected: IN. Severity by |IN - OUT| / max(IN, OUT): ≥ 30%
    medium, ≥ 50% high.
    """
    larger = max(day.footfall, day.exits)
    if larger < IMBALANCE_MIN_TRAFFIC:
        return None
    share = abs(day.footfall - day.exits) / larger
    if share < IMBALANCE_RATIO:
        return None
    return Anomaly(
        "in_out_imbalance",
        _grade(share, 0.3, 0.5),
        day.start,
        day.end,
        float(day.exits),
        float(day.footfall),
        f"{day.footfall} entries but {day.exits} exits between {fmt(day.start)} and {fmt(day.end)}; "
        "the counting line may need calibration.",
    )
