"""Opening hours (backend/stores/hours.py): strict parsing on write, lenient reading, and the open intervals
on the UTC time line, in tables of schedules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.stores.hours import (
    Interval,
    OpeningHoursError,
    open_intervals,
    parse_opening_hours,
    read_opening_hours,
)


def test_parses_several_intervals_and_an_overnight_one() -> None:
    hours = parse_opening_hours({"fri": [["09:00", "13:00"], ["19:00", "02:00"]]})
    assert hours["fri"] == (Interval(540, 780), Interval(1140, 120))
    assert [i.overnight for i in hours["fri"]] == [False, True]
    assert [i.duration_min for i in hours["fri"]] == [240, 420]
    assert hours["mon"] == ()  # a missing day is closed
    assert set(hours) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}


@pytest.mark.parametrize(
    ("pair", "duration", "overnight"),
    [
        (["00:00", "00:00"], 1440, True),  # open == close: all day
        (["09:00", "09:00"], 1440, True),
        (["18:00", "24:00"], 360, False),  # 24:00 closes at midnight
        (["00:00", "24:00"], 1440, False),
        (["23:59", "00:00"], 1, True),
    ],
)
def test_interval_lengths(pair: list[str], duration: int, overnight: bool) -> None:
    [interval] = parse_opening_hours({"sat": [pair]})["sat"]
    assert (interval.duration_min, interval.overnight) == (duration, overnight)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ([["09:00", "18:00"]], ""),  # not an object
        ({"monday": [["09:00", "18:00"]]}, "monday"),
        ({"mon": "09:00-18:00"}, "mon"),
        ({"mon": [["09:00"]]}, "mon.0"),
        ({"mon": [["09:00", "18:00", "19:00"]]}, "mon.0"),
        ({"mon": [["9:00", "18:00"]]}, "mon.0"),
        ({"mon": [["09:00", "18:60"]]}, "mon.0"),
        ({"mon": [["24:00", "18:00"]]}, "mon.0"),  # 24:00 is a close, never an open
        ({"mon": [["09:00", "25:00"]]}, "mon.0"),
        ({"mon": [["09:00\n", "18:00"]]}, "mon.0"),  # the whole string must be HH:MM
        ({"mon": [[900, 1800]]}, "mon.0"),
        ({"mon": [["09:00", "18:00"], ["17:00", "20:00"]]}, "mon.1"),  # overlap
        ({"mon": [["14:00", "18:00"], ["09:00", "12:00"]]}, "mon.1"),  # out of order
        ({"mon": [["22:00", "02:00"], ["23:00", "23:30"]]}, "mon.1"),  # overnight not last
        ({"mon": [["22:00", "02:00"]], "tue": [["01:00", "09:00"]]}, "tue.0"),  # spill overlaps
        ({"sun": [["22:00", "03:00"]], "mon": [["02:00", "09:00"]]}, "mon.0"),  # Sunday spills into Monday
    ],
)
def test_invalid_hours_name_the_offending_part(raw: Any, path: str) -> None:
    with pytest.raises(OpeningHoursError) as caught:
        parse_opening_hours(raw)
    assert caught.value.path == path


def test_spill_that_ends_when_the_next_day_opens_is_fine() -> None:
    hours = parse_opening_hours({"mon": [["22:00", "02:00"]], "tue": [["02:00", "09:00"]]})
    assert hours["tue"] == (Interval(120, 540),)


def _epoch(local: datetime, tz: ZoneInfo) -> int:
    return int(local.replace(tzinfo=tz).timestamp())


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 11, 20, 8, 59), False),  # Friday before opening
        (datetime(2026, 11, 20, 9, 0), True),
        (datetime(2026, 11, 20, 12, 59), True),
        (datetime(2026, 11, 20, 13, 0), False),  # the lunch gap
        (datetime(2026, 11, 20, 23, 30), True),  # Friday evening, overnight interval
        (datetime(2026, 11, 21, 1, 59), True),  # Saturday small hours: Friday's spill
        (datetime(2026, 11, 21, 2, 0), False),
        (datetime(2026, 11, 22, 1, 0), False),  # Sunday small hours: Saturday has no overnight
    ],
)
def test_open_intervals_place_each_day_and_its_overnight_spill(local: datetime, expected: bool) -> None:
    hours = parse_opening_hours(
        {"fri": [["09:00", "13:00"], ["19:00", "02:00"]], "sat": [["10:00", "16:00"]]}
    )
    tz = ZoneInfo("UTC")
    start = _epoch(datetime(2026, 11, 16), tz)
    intervals = open_intervals(hours, tz, start, start + 7 * 86400)
    at = _epoch(local, tz)
    assert any(lo <= at < hi for lo, hi in intervals) is expected


def test_open_intervals_merge_clip_and_follow_local_time() -> None:
    london = ZoneInfo("Europe/London")
    # 25 Oct 2026 is the fall-back day: 00:00-24:00 local is 25 hours.
    hours = read_opening_hours({"sun": [["00:00", "24:00"]], "sat": [["20:00", "02:00"]]})
    start, end = _epoch(datetime(2026, 10, 24, 21), london), _epoch(datetime(2026, 10, 26, 12), london)
    [(lo, hi)] = open_intervals(hours, london, start, end)  # Saturday's spill runs into Sunday's day
    assert (lo, hi) == (start, _epoch(datetime(2026, 10, 26), london))
    assert hi - _epoch(datetime(2026, 10, 25), london) == 25 * 3600
    assert open_intervals(hours, london, end, start) == []
    assert datetime.fromtimestamp(lo, UTC).hour == 20  # 21:00 BST


def test_reading_skips_what_does_not_parse_instead_of_failing() -> None:
    hours = read_opening_hours(
        {
            "mon": [["14:00", "18:00"], ["09:00", "12:00"]],  # out of order: sorted
            "tue": [["09:00", "25:00"], ["10:00"], [900, 1800], ["24:00", "02:00"], ["11:00", "12:00"]],
            "wed": None,
            "thu": "closed",
            "fri": [["09:00\n", "18:00"]],
            "sat": [["09:00", "18:00"], ["17:00", "20:00"]],  # overlap kept (open_intervals merges)
            "funday": [["09:00", "18:00"]],
        }
    )
    assert hours["mon"] == (Interval(540, 720), Interval(840, 1080))
    assert hours["tue"] == (Interval(660, 720),)
    assert hours["wed"] == hours["thu"] == hours["fri"] == hours["sun"] == ()
    assert hours["sat"] == (Interval(540, 1080), Interval(1020, 1200))
    assert set(hours) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}


def test_reading_valid_hours_equals_parsing_them() -> None:
    raw = {"mon": [["09:00", "13:00"], ["19:00", "02:00"]], "sun": [["00:00", "00:00"]]}
    assert read_opening_hours(raw) == parse_opening_hours(raw)
