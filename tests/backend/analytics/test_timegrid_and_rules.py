"""Pure modules: local buckets on a fall-back day, occupancy clamping, reset points, anomaly rules."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from backend.analytics import anomalies as rules
from backend.analytics.kpi import SlotSeries, occupancy, reset_slots
from backend.analytics.timegrid import (
    bucket_bounds,
    local_buckets,
    local_midnight,
    open_seconds,
    period_containing,
    previous_period,
)
from backend.stores.hours import open_intervals, parse_opening_hours

LONDON = ZoneInfo("Europe/London")


def test_fall_back_day_has_25_hours_and_two_local_01_00_buckets() -> None:
    day = period_containing(LONDON, "day", date(2026, 10, 25))
    assert day.end - day.start == 25 * 3600
    hours = local_buckets(LONDON, day.start, day.end, "hour")
    assert len(hours) == 25
    assert [b.start.isoformat() for b in hours[1:3]] == [
        "2026-10-25T01:00:00+01:00",
        "2026-10-25T01:00:00+00:00",
    ]
    [whole] = local_buckets(LONDON, day.start, day.end, "day")
    assert whole.end_slot - whole.first_slot == 100


def test_kathmandu_quarter_hour_offset_maps_slots_to_local_hours() -> None:
    tz = ZoneInfo("Asia/Kathmandu")  # +05:45
    day = period_containing(tz, "day", date(2026, 1, 14))
    hours = local_buckets(tz, day.start, day.end, "hour")
    assert len(hours) == 24
    assert all(b.end_slot - b.first_slot == 4 for b in hours)
    assert hours[9].start.isoformat() == "2026-01-14T09:00:00+05:45"


def test_previous_periods() -> None:
    month = period_containing(LONDON, "month", date(2026, 11, 20))
    prev = previous_period(LONDON, month)
    assert (prev.first_day, prev.last_day) == (date(2026, 10, 2), date(2026, 10, 31))
    week = period_containing(LONDON, "week", date(2026, 11, 20))
    assert (week.first_day, previous_period(LONDON, week).first_day) == (
        date(2026, 11, 16),
        date(2026, 11, 9),
    )


@pytest.mark.parametrize(
    ("ins", "outs", "resets", "ends"),
    [
        ([3, 0, 0], [0, 1, 5], [], [3, 2, 0]),
        ([0, 4], [2, 1], [], [0, 3]),  # OUTs before any IN clamp at 0
        ([5, 1], [0, 0], [False, True], [5, 1]),  # a reset restarts from 0
    ],
)
def test_occupancy_clamps_per_slot(
    ins: list[int], outs: list[int], resets: list[bool], ends: list[int]
) -> None:
    n = len(ins)
    assert occupancy(SlotSeries(0, ins, outs, [True] * n, [0] * n, resets))[1] == ends


def test_overnight_interval_moves_the_midnight_reset_to_closing_time() -> None:
    hours = parse_opening_hours({"fri": [["18:00", "02:00"]]})
    start = local_midnight(LONDON, date(2026, 1, 15))
    intervals = open_intervals(hours, LONDON, start, start + 4 * 86400)
    resets = reset_slots(LONDON, intervals, date(2026, 1, 16), date(2026, 1, 17))
    fri, sat = local_midnight(LONDON, date(2026, 1, 16)), local_midnight(LONDON, date(2026, 1, 17))
    assert fri // 900 in resets
    assert sat // 900 not in resets
    assert (sat + 2 * 3600) // 900 in resets


def _fmt(epoch: int) -> str:
    return str(epoch)


@pytest.mark.parametrize(
    ("observed", "baseline", "covered", "expected_type"),
    [
        (5, [20, 22, 18, 20], True, "footfall_drop"),
        (5, [20, 22, 18, 20], False, None),  # no coverage: never a drop
        (11, [20, 22, 18, 20], True, None),
        (5, [20], True, None),  # one baseline week is not enough
        (45, [20, 22, 18, 20], True, "footfall_spike"),
        (0, [4, 5, 6, 5], True, None),  # too little traffic to judge
    ],
)
def test_footfall_rule(observed: int, baseline: list[int], covered: bool, expected_type: str | None) -> None:
    hour = rules.HourObservation(0, 3600, observed, covered, True, baseline)
    found = rules.footfall_deviations([hour], _fmt)
    assert [a.type for a in found] == ([expected_type] if expected_type else [])


@pytest.mark.parametrize(
    ("queue", "baseline", "severity"),
    [
        ([8], [None], "medium"),
        ([16], [None], "high"),
        ([5], [2.0], "low"),
        ([5], [3.0], None),
        ([3], [0.0], None),
    ],
)
def test_queue_rule(queue: list[int], baseline: list[float | None], severity: str | None) -> None:
    found = rules.queue_spikes(
        zone_id="z", zone_name="Till", queue=queue, baseline=baseline, open_s=[900], first_slot=0, fmt=_fmt
    )
    assert [a.severity.value for a in found] == ([severity] if severity else [])


def test_conversion_and_dead_zone_and_imbalance_rules() -> None:
    day = rules.DayObservation(0, 86400, 100, 98, 10, 1.0, [(100, 20), (120, 24)])
    [drop] = rules.conversion_drops([day], _fmt)
    assert (drop.observed, drop.expected, drop.severity) == (0.1, 0.2, rules.Severity.MEDIUM)
    assert rules.conversion_drops([rules.DayObservation(0, 1, 100, 98, 10, 0.9, day.baseline)], _fmt) == []
    dead = rules.dead_zone(zone_id="z", zone_name="Hats", day=day, visits=0, zone_coverage=1.0, fmt=_fmt)
    assert dead is not None
    assert dead.severity is rules.Severity.MEDIUM
    assert (
        rules.dead_zone(zone_id="z", zone_name="Hats", day=day, visits=0, zone_coverage=0.2, fmt=_fmt) is None
    )
    assert rules.in_out_imbalance(day, _fmt) is None
    skewed = rules.in_out_imbalance(rules.DayObservation(0, 1, 100, 80, None, None, []), _fmt)
    assert skewed is not None
    assert skewed.severity is rules.Severity.LOW


def test_open_seconds_per_bucket_follow_overnight_hours_and_daylight_saving() -> None:
    # London falls back on 2026-10-25 (a 25-hour day); the store opens 22:00-02:00 and 10:00-12:30.
    tz = ZoneInfo("Europe/London")
    hours = parse_opening_hours({day: [["10:00", "12:30"], ["22:00", "02:00"]] for day in ("sat", "sun")})
    start = local_midnight(tz, date(2026, 10, 25))
    end = local_midnight(tz, date(2026, 10, 26))
    bounds, times = bucket_bounds(tz, start, end, "hour")
    per_hour = dict(
        zip(
            [t.isoformat() for t in times],
            open_seconds(bounds, open_intervals(hours, tz, start, end)),
            strict=False,
        )
    )
    assert len(bounds) - 1 == 25
    # Saturday's 22:00-02:00 runs into Sunday's small hours, through both 01:00s (BST, then GMT).
    assert per_hour["2026-10-25T00:00:00+01:00"] == 3600
    assert per_hour["2026-10-25T01:00:00+01:00"] == 3600
    assert per_hour["2026-10-25T01:00:00+00:00"] == 3600
    assert per_hour["2026-10-25T02:00:00+00:00"] == 0
    assert per_hour["2026-10-25T12:00:00+00:00"] == 1800
    assert per_hour["2026-10-25T23:00:00+00:00"] == 3600
    assert sum(per_hour.values()) == 3 * 3600 + 2.5 * 3600 + 2 * 3600
    # A day bucket holds the whole day's open seconds; no open intervals, no open seconds.
    day_bounds, _ = bucket_bounds(tz, start, end, "day")
    assert open_seconds(day_bounds, open_intervals(hours, tz, start, end)) == [int(7.5 * 3600)]
    assert open_seconds(day_bounds, []) == [0]
