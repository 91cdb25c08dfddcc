"""Opening hours as UTC instants: a store's weekly local schedule turned into open intervals in a UTC range.

Instants here are integer epoch seconds (UTC), the unit every pure analytics module works in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_MIN = 24 * 60


@dataclass(frozen=True, slots=True)
class LocalInterval:
    """One opening interval of a weekday, in minutes after local midnight.

    `close_min` is greater than `open_min`; it exceeds 1440 when the interval runs past midnight.
    """

    open_min: int
    close_min: int


def _minutes(value: Any) -> int | None:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return None
    hh, mm = value[:2], value[3:]
    if not (hh.isdigit() and mm.isdigit()):
        return None
    minutes = int(hh) * 60 + int(mm)
    if int(mm) > 59 or minutes > _DAY_MIN:
        return None
    return minutes


def parse_opening_hours(raw: Mapping[str, Any]) -> dict[int, list[LocalInterval]]:
    """Weekday index (0 = Monday) → opening intervals, from `{"mon": [["09:00", "21:00"]], ...}`.

    An interval whose close is not after its open runs past midnight (`["22:00", "02:00"]` is 22:00 to
    02:00 the next morning; `["00:00", "00:00"]` is open all day). `"24:00"` is accepted as a close. The
    schedule is validated where stores are written; here entries that do not parse are skipped rather than
    failing a read.
    """
    parsed: dict[int, list[LocalInterval]] = {}
    for index, name in enumerate(WEEKDAYS):
        entries = raw.get(name) or []
        intervals: list[LocalInterval] = []
        if not isinstance(entries, list):
            entries = []
        for entry in entries:
            if not isinstance(entry, list | tuple) or len(entry) != 2:
                continue
            opens, closes = _minutes(entry[0]), _minutes(entry[1])
            if opens is None or closes is None or opens >= _DAY_MIN:
                continue
            if closes <= opens:
                closes += _DAY_MIN
            intervals.append(LocalInterval(opens, closes))
        parsed[index] = sorted(intervals, key=lambda i: i.open_min)
    return parsed


def local_wall_to_epoch(tz: ZoneInfo, day: date, minutes: int) -> int:
    """The UTC epoch second of `minutes` after local midnight of `day` in `tz` (wall-clock arithmetic).

    A wall time skipped by a daylight-saving change resolves with the offset before the change, as Python's
    zoneinfo does (fold=0).
    """
    wall = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes)
    return int(wall.astimezone(UTC).timestamp())


def local_date(tz: ZoneInfo, epoch: int) -> date:
    """The store-local calendar date at UTC epoch second `epoch`."""
    return datetime.fromtimestamp(epoch, tz).date()


def open_intervals(
    hours: Mapping[int, list[LocalInterval]], tz: ZoneInfo, start: int, end: int
) -> list[tuple[int, int]]:
    """Merged, sorted `[open, close)` UTC epoch intervals of the schedule, clipped to `[start, end)`.

    Each local date's intervals are placed on that date (an overnight interval of Monday covers Monday
    evening and Tuesday early morning), so the day before `start` is looked at too.
    """
    if end <= start:
        return []
    first, last = local_date(tz, start) - timedelta(days=1), local_date(tz, end)
    raw: list[tuple[int, int]] = []
    day = first
    while day <= last:
        for interval in hours.get(day.weekday(), []):
            lo = local_wall_to_epoch(tz, day, interval.open_min)
            hi = local_wall_to_epoch(tz, day, interval.close_min)
            lo, hi = max(lo, start), min(hi, end)
            if lo < hi:
                raw.append((lo, hi))
        day += timedelta(days=1)
    raw.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in raw:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged
