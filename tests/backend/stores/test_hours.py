"""Opening hours parsing (backend/stores/hours.py): tables of valid and invalid schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from backend.stores.hours import Interval, OpeningHoursError, is_open_at, parse_opening_hours


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
def test_is_open_at(local: datetime, expected: bool) -> None:
    hours = parse_opening_hours(
        {"fri": [["09:00", "13:00"], ["19:00", "02:00"]], "sat": [["10:00", "16:00"]]}
    )
    assert is_open_at(hours, local) is expected
