"""Opening hours: the one home of the rule: `Store.opening_hours` parsed into typed store-local intervals,
and those intervals placed on the UTC time line.

Pure code, shared by the admin API (strict validation on write, `parse_opening_hours`) and analytics
(`read_opening_hours` on read, then `open_intervals`: when the store is open, in UTC epoch seconds).
Format: `{"mon": [["09:00", "18:00"], ["19:00", "02:00"]], ...}` with keys `mon` … `sun`; a missing day
is closed. An interval whose close is not after its open runs past midnight into the next day, so
`["22:00", "02:00"]` is four hours and `["00:00", "00:00"]` (open == close) is a full 24 hours.
`"24:00"` is accepted as a close only (`["18:00", "24:00"]` ends at midnight, not overnight), as
analytics reads it too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MINUTES_PER_DAY = 24 * 60
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


class OpeningHoursError(ValueError):
    """Invalid opening hours. `path` names the offending part relative to the hours object (`mon.0`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Interval:
    """One opening interval, store-local; `open_min` (0..1439) and `close_min` (0..1440) are minutes after
    midnight.

    `overnight` is True when the interval ends on the next day (close <= open).
    """

    open_min: int
    close_min: int

    @property
    def overnight(self) -> bool:
        """True when the interval runs past midnight into the next day."""
        return self.close_min <= self.open_min

    @property
    def duration_min(self) -> int:
        """Length in minutes (1..1440)."""
        return (self.close_min - self.open_min) % _MINUTES_PER_DAY or _MINUTES_PER_DAY

    @property
    def opens(self) -> time:
        """Opening time of day."""
        return time(self.open_min // 60, self.open_min % 60)

    @property
    def closes(self) -> time:
        """Closing time of day (on the next day when `overnight`; 00:00 for a 24:00 close)."""
        minute = self.close_min % _MINUTES_PER_DAY
        return time(minute // 60, minute % 60)


# Weekday name → its intervals in opening order.
OpeningHours = dict[str, tuple[Interval, ...]]


def _minutes(value: Any, path: str, *, is_close: bool) -> int:
    if is_close and value == "24:00":
        return _MINUTES_PER_DAY
    # fullmatch: `$` would also accept a trailing newline ("09:00\n"), which reads never accepted.
    if not isinstance(value, str) or not (match := _HHMM.fullmatch(value)):
        allowed = "00:00 to 23:59, or 24:00 as a close" if is_close else "00:00 to 23:59"
        raise OpeningHoursError(path, f'expected "HH:MM" ({allowed}), got {value!r}')
    return int(match.group(1)) * 60 + int(match.group(2))


def _interval(pair: Any, path: str) -> Interval:
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise OpeningHoursError(path, 'expected a pair ["HH:MM", "HH:MM"]')
    return Interval(_minutes(pair[0], path, is_close=False), _minutes(pair[1], path, is_close=True))


def parse_opening_hours(raw: Any) -> OpeningHours:
    """Parse and validate opening hours; every weekday is present in the result (closed days are empty).

    Rules: keys are `mon` … `sun`; each value is a list of `[open, close]` pairs of `"HH:MM"` strings;
    intervals of one day are in order and do not overlap, and an overnight interval does not overlap the
    next day's first interval (Sunday's spills into Monday).

    Raises:
        OpeningHoursError: with `path` such as `""` (not an object), `monday` (unknown day), `mon` (not a
            list) or `mon.1` (a bad or overlapping interval).

    Example:
        >>> parse_opening_hours({"fri": [["19:00", "02:00"]]})["fri"][0].overnight
        True
    """
    if not isinstance(raw, dict):
        raise OpeningHoursError("", "expected an object mapping weekdays (mon..sun) to interval lists")
    for key in raw:
        if key not in WEEKDAYS:
            raise OpeningHoursError(str(key), "unknown weekday; use mon, tue, wed, thu, fri, sat, sun")
    result: OpeningHours = {}
    for day in WEEKDAYS:
        intervals = raw.get(day, [])
        if not isinstance(intervals, list):
            raise OpeningHoursError(day, "expected a list of [open, close] pairs")
        parsed: list[Interval] = []
        for index, pair in enumerate(intervals):
            path = f"{day}.{index}"
            interval = _interval(pair, path)
            if parsed:
                previous = parsed[-1]
                if previous.overnight:
                    raise OpeningHoursError(path, "an overnight interval must be the day's last one")
                if interval.open_min < previous.close_min:
                    raise OpeningHoursError(path, "intervals must be in order and must not overlap")
            parsed.append(interval)
        result[day] = tuple(parsed)
    for index, day in enumerate(WEEKDAYS):
        today = result[day]
        following = WEEKDAYS[(index + 1) % 7]
        if today and today[-1].overnight and result[following]:
            spill = today[-1]
            if result[following][0].open_min < spill.close_min:
                raise OpeningHoursError(
                    f"{following}.0",
                    f"overlaps {day}'s overnight interval, which closes at {spill.closes:%H:%M}",
                )
    return result


def read_opening_hours(raw: Mapping[str, Any]) -> OpeningHours:
    """Opening hours as stored, for reads: every weekday present, each day's intervals sorted by opening.

    Hours are validated where stores are written (`parse_opening_hours`); a read must not fail on a row
    written around that check, so here an interval that does not parse on its own is skipped, and a day
    that is missing, null or not a list is closed. Overlaps and order are not checked (`open_intervals`
    merges overlapping intervals). Unknown keys are ignored.
    """
    result: OpeningHours = {}
    for day in WEEKDAYS:
        entries = raw.get(day) or []
        parsed: list[Interval] = []
        for index, pair in enumerate(entries if isinstance(entries, list) else []):
            try:
                parsed.append(_interval(pair, f"{day}.{index}"))
            except OpeningHoursError:
                continue
        result[day] = tuple(sorted(parsed, key=lambda interval: interval.open_min))
    return result


def _wall_to_epoch(tz: ZoneInfo, day: date, minutes: int) -> int:
    """UTC epoch second of `minutes` after local midnight of `day` in `tz` (wall-clock arithmetic; a wall
    time skipped by a daylight-saving change resolves with the offset before it, as zoneinfo's fold=0)."""
    wall = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes)
    return int(wall.astimezone(UTC).timestamp())


def open_intervals(hours: OpeningHours, tz: ZoneInfo, start: int, end: int) -> list[tuple[int, int]]:
    """Merged, sorted `[open, close)` UTC epoch-second intervals in which the store is open, clipped to
    `[start, end)` (epoch seconds).

    Each local date's intervals are placed on that date: an overnight interval of Monday covers Monday
    evening and Tuesday's small hours (so the day before `start` is looked at too), `"24:00"` closes at
    the next midnight, and open == close is 24 hours.
    """
    if end <= start:
        return []
    day = datetime.fromtimestamp(start, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, tz).date()
    raw: list[tuple[int, int]] = []
    while day <= last:
        for interval in hours.get(WEEKDAYS[day.weekday()], ()):
            lo = max(_wall_to_epoch(tz, day, interval.open_min), start)
            hi = min(_wall_to_epoch(tz, day, interval.open_min + interval.duration_min), end)
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
