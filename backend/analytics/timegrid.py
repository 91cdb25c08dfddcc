"""The analytics time grid: 15-minute UTC slots, store-local periods and store-local buckets.

Every real UTC offset is a multiple of 15 minutes, so a 15-minute UTC slot always lies inside exactly one
store-local quarter hour, hour and day, including +05:30, +05:45 and both sides of a daylight-saving change.
SQL therefore only ever groups by UTC slot; this module regroups slots into local buckets. Instants are
integer epoch seconds (UTC); slot `k` covers `[k * 900, (k + 1) * 900)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

# The one slot width of the codebase (the coverage roll-up's `backend.cameras.coverage.SLOT` derives from it).
SLOT_S = 900
_SLOTS_PER_DAY = 86400 // SLOT_S
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

PeriodKind = Literal["day", "week", "month"]
BucketKind = Literal["15m", "hour", "day"]


def slot_of(epoch: float) -> int:
    """The index of the slot containing UTC epoch second `epoch`."""
    return int(epoch // SLOT_S)


def to_epoch(ts: datetime) -> int:
    """Whole UTC epoch seconds of an aware datetime (fractions are dropped: slots are 900 s wide)."""
    return int(ts.timestamp() // 1)


def from_epoch(epoch: int, tz: ZoneInfo | None = None) -> datetime:
    """An aware datetime for UTC epoch second `epoch`, in `tz` (store-local) or UTC."""
    return datetime.fromtimestamp(epoch, tz or UTC)


def from_epoch_us(epoch_us: int, tz: ZoneInfo | None = None) -> datetime:
    """An aware datetime for UTC epoch microsecond `epoch_us` (exact), in `tz` (store-local) or UTC."""
    return (_EPOCH + timedelta(microseconds=epoch_us)).astimezone(tz or UTC)


def local_midnight(tz: ZoneInfo, day: date) -> int:
    """UTC epoch second at which local date `day` starts in `tz`."""
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def local_date(tz: ZoneInfo, epoch: int) -> date:
    """The store-local calendar date at UTC epoch second `epoch`."""
    return datetime.fromtimestamp(epoch, tz).date()


@dataclass(frozen=True, slots=True)
class Period:
    """Whole store-local days `first_day..last_day` (inclusive) as the UTC range `[start, end)`."""

    kind: PeriodKind
    first_day: date
    last_day: date
    start: int
    end: int

    @property
    def days(self) -> int:
        """Number of local days in the period."""
        return (self.last_day - self.first_day).days + 1


def days_period(tz: ZoneInfo, kind: PeriodKind, first_day: date, last_day: date) -> Period:
    """The period of local days `first_day..last_day` inclusive (23- and 25-hour days as they are)."""
    return Period(
        kind, first_day, last_day, local_midnight(tz, first_day), local_midnight(tz, last_day + timedelta(1))
    )


def period_containing(tz: ZoneInfo, kind: PeriodKind, day: date) -> Period:
    """The local day, ISO week (Monday to Sunday) or calendar month containing `day`."""
    if kind == "day":
        return days_period(tz, kind, day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return days_period(tz, kind, monday, monday + timedelta(days=6))
    first = day.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return days_period(tz, kind, first, next_month - timedelta(days=1))


def previous_period(tz: ZoneInfo, period: Period) -> Period:
    """The period of the same number of local days immediately before `period`.

    Day → the previous day, week → the previous week, month → the same number of days before the month's
    first day (so totals compare like with like; November is compared with 2 to 31 October).
    """
    last = period.first_day - timedelta(days=1)
    return days_period(tz, period.kind, last - timedelta(days=period.days - 1), last)


def slot_offsets(tz: ZoneInfo, first_slot: int, count: int) -> list[int]:
    """UTC offset in seconds of `tz` at the start of each slot `first_slot .. first_slot + count - 1`.

    Offsets only change at daylight-saving transitions, so each UTC day is checked at its ends and only a
    day with a change is resolved slot by slot (this keeps 90 days of slots cheap).
    """
    offsets: list[int] = []
    slot, stop = first_slot, first_slot + count
    while slot < stop:
        chunk_end = min(stop, (slot // _SLOTS_PER_DAY + 1) * _SLOTS_PER_DAY)
        lo = _offset(tz, slot * SLOT_S)
        hi = _offset(tz, (chunk_end - 1) * SLOT_S)
        if lo == hi:
            offsets.extend([lo] * (chunk_end - slot))
        else:
            offsets.extend(_offset(tz, s * SLOT_S) for s in range(slot, chunk_end))
        slot = chunk_end
    return offsets


def _offset(tz: ZoneInfo, epoch: int) -> int:
    delta = datetime.fromtimestamp(epoch, tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


@dataclass(frozen=True, slots=True)
class Bucket:
    """A store-local bucket: slots `[first_slot, end_slot)`, starting at local time `start` (aware)."""

    first_slot: int
    end_slot: int
    start: datetime
    end: datetime


def local_buckets(tz: ZoneInfo, start: int, end: int, kind: BucketKind) -> list[Bucket]:
    """Split the slot-aligned UTC range `[start, end)` into store-local 15-minute, hour or day buckets.

    On a fall-back day the repeated local hour yields two hour buckets (one per offset); on a spring-forward
    day the skipped hour yields none; a local day bucket is 23, 24 or 25 hours long. Bucket times carry the
    offset in force at them.
    """
    slots, times = bucket_bounds(tz, start, end, kind)
    return [Bucket(slots[k], slots[k + 1], times[k], times[k + 1]) for k in range(len(slots) - 1)]


def bucket_bounds(tz: ZoneInfo, start: int, end: int, kind: BucketKind) -> tuple[list[int], list[datetime]]:
    """`local_buckets` as columns: bucket `k` covers slots `[slots[k], slots[k + 1])` and runs from local time
    `times[k]` to `times[k + 1]`; both lists are empty for an empty range.

    No object per bucket: 90 days of hours are 2,160 buckets, and objects that live through a request get
    promoted by the garbage collector until a full collection (tens of milliseconds) runs.
    """
    first, stop = start // SLOT_S, end // SLOT_S
    n = stop - first
    if n <= 0:
        return [], []
    offsets = slot_offsets(tz, first, n)
    unit = {"15m": SLOT_S, "hour": 3600, "day": 86400}[kind]
    step = unit // SLOT_S

    def local_unit(i: int) -> int:
        return ((first + i) * SLOT_S + offsets[i]) // unit

    # A bucket starts where the local unit (quarter, hour, day) changes; an hour also starts afresh where the
    # offset changes (the repeated hour). Between offset changes the unit changes every `step` slots, so
    # only the first change of each constant-offset segment is searched for (90 days of hours stay cheap).
    changes = [i for i in range(1, n) if offsets[i] != offsets[i - 1]]
    starts = [0]
    for lo, hi in zip([0, *changes], [*changes, n], strict=True):
        if lo > 0 and (kind != "day" or local_unit(lo) != local_unit(lo - 1)):
            starts.append(lo)
        i = lo + 1
        while i < hi and local_unit(i) == local_unit(i - 1):
            i += 1
        starts.extend(range(i, hi, step))
    zones: dict[int, timezone] = {}

    def at(slot: int, offset: int) -> datetime:
        zone = zones.get(offset)
        if zone is None:
            zone = zones[offset] = timezone(timedelta(seconds=offset))
        return datetime.fromtimestamp(slot * SLOT_S, zone)

    # A bucket ends at the next one's start, with the offset in force there: one datetime per boundary.
    times = [at(first + i, offsets[i]) for i in starts]
    times.append(at(stop, _offset(tz, stop * SLOT_S)))
    return [first + i for i in starts] + [stop], times


def iter_days(first: date, last: date) -> Iterator[date]:
    """Local dates `first..last` inclusive."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def open_seconds(bounds: list[int], intervals: list[tuple[int, int]]) -> list[int]:
    """Per bucket `[bounds[k], bounds[k + 1])` (slot numbers, as `bucket_bounds` gives them), its seconds
    inside the sorted, merged open `intervals` (UTC epoch seconds, `stores.hours.open_intervals`): 0 for a
    bucket in which the store is closed throughout."""
    out: list[int] = []
    j = 0
    for k in range(len(bounds) - 1):
        lo, hi = bounds[k] * SLOT_S, bounds[k + 1] * SLOT_S
        while j < len(intervals) and intervals[j][1] <= lo:
            j += 1
        total, i = 0, j
        while i < len(intervals) and intervals[i][0] < hi:
            total += min(hi, intervals[i][1]) - max(lo, intervals[i][0])
            i += 1
        out.append(total)
    return out
