"""Opening hours: strict parsing of `Store.opening_hours` into typed store-local intervals.

Pure code, shared by the admin API (validation on write) and analytics (is the store open at a local time).
Format: `{"mon": [["09:00", "18:00"], ["19:00", "02:00"]], ...}` with keys `mon` … `sun`; a missing day
is closed. An interval whose close is not after its open runs past midnight into the next day, so
`["22:00", "02:00"]` is four hours and `["00:00", "00:00"]` (open == close) is a full 24 hours.
`"24:00"` is accepted as a close only (`["18:00", "24:00"]` ends at midnight, not overnight), as
analytics reads it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MINUTES_PER_DAY = 24 * 60
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


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
    if not isinstance(value, str) or not (match := _HHMM.match(value)):
        allowed = "00:00 to 23:59, or 24:00 as a close" if is_close else "00:00 to 23:59"
        raise OpeningHoursError(path, f'expected "HH:MM" ({allowed}), got {value!r}')
    return int(match.group(1)) * 60 + int(match.group(2))


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
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise OpeningHoursError(path, 'expected a pair ["HH:MM", "HH:MM"]')
            interval = Interval(
                _minutes(pair[0], path, is_close=False), _minutes(pair[1], path, is_close=True)
            )
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


def is_open_at(hours: OpeningHours, local: datetime) -> bool:
    """Whether the store is open at `local` (a store-local wall-clock time; its tzinfo is ignored).

    Checks the day's own intervals and the previous day's overnight interval spilling past midnight.
    """
    minute = local.hour * 60 + local.minute
    day = WEEKDAYS[local.weekday()]
    previous = WEEKDAYS[(local.weekday() - 1) % 7]
    for interval in hours.get(day, ()):
        if interval.open_min <= minute and (interval.overnight or minute < interval.close_min):
            return True
    return any(interval.overnight and minute < interval.close_min for interval in hours.get(previous, ()))
