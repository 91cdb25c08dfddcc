"""Reference model of the owner analytics figures, written straight from docs/analytics.md.

A plain, slow, deliberately naive re-implementation of every owner figure of `/live`, `/dashboard`,
`/footfall` (15m, hour, day), `/occupancy` (15m, hour), `/funnel` and `/heatmap`. It shares no code with
`backend/analytics/` or `backend/stores/hours.py`: opening hours, local days and hours, slots, camera
states, coverage, restarts and occupancy are all re-derived here from the definitions in the docs ("Time",
"Measured time", "Occupancy", "Coverage" and the route sections), mostly by walking every slot, every event
and every restart instant one by one. It is only ever as fast as a test needs.

Input is plain data (`StoreData`): the store's time zone and opening hours as stored, its cameras with
their zones, the events and heartbeats they sent, the POS transaction times and the setting
`camera_offline_after_s`. Output is plain dicts shaped like the JSON answers, with these Python values:

- `int` for counts, `bool` for flags, `str` for ids and names, `date` for dates;
- `datetime` (aware, in the store's zone) for instants;
- `Num` for a rounded figure: its exact value (a `Fraction`) and the decimals the docs round it to;
- `None` for a figure that is not measured (null, never 0).

All instants are handled as integer microseconds since the Unix epoch (UTC), so every sum and integral
is exact; the only division happens at the very end, into a `Fraction`.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

US = 1_000_000  # microseconds per second
SLOT_US = 15 * 60 * US  # one 15-minute UTC slot
HOUR_US = 3600 * US
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DASHBOARD_FIGURES = (
    "footfall",
    "exits",
    "avg_occupancy",
    "peak_occupancy",
    "avg_dwell_s",
    "transactions",
    "conversion_rate",
    "coverage",
)
"""The dashboard's `{"value", "previous", "delta", "change_pct"}` figures."""
MAX_OVERNIGHT_CARRY_US = 12 * HOUR_US  # "an opening interval that closes at most 12 hours later"
LINE_TYPES = ("IN", "OUT")
FUNNEL_ZONE_KINDS = ("product", "other")
BILLING = "billing"

Span = tuple[int, int]  # a half-open [lo, hi) range of epoch µs


# --- input ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    """A zone on a camera; `kind` is product, billing, entrance or other."""

    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class Camera:
    """A camera of the store.

    `counting`: it has a counting line (its IN/OUT count). `created_at`: when it was created (it is set up
    from then when it never sent a heartbeat). `last_heartbeat_at`: receipt time of its newest heartbeat
    (None: it never sent one), which decides online/offline on `/live`.
    """

    id: str
    name: str
    counting: bool
    enabled: bool
    created_at: datetime
    last_heartbeat_at: datetime | None
    zones: tuple[Zone, ...] = ()


@dataclass(frozen=True)
class Event:
    """One stored event: `type` IN, OUT, ZONE_ENTER or ZONE_EXIT, `ts` aware; zone events name a zone."""

    camera_id: str
    type: str
    ts: datetime
    zone_id: str | None = None
    dwell_ms: int | None = None


@dataclass(frozen=True)
class Heartbeat:
    """One heartbeat as coverage counts it: at `at` (its `observed_at` when inside the accepted window,
    else its receipt), with the stream `ok` or not; `stream_status` the status it reported. `StoreData`
    keeps heartbeats in the order they were received."""

    camera_id: str
    at: datetime
    ok: bool
    stream_status: str = "ok"


@dataclass(frozen=True)
class StoreData:
    """Everything the figures of one store are computed from."""

    timezone: str
    opening_hours: dict[str, Any]
    cameras: tuple[Camera, ...]
    events: tuple[Event, ...] = ()
    heartbeats: tuple[Heartbeat, ...] = ()
    transactions: tuple[datetime, ...] = ()
    camera_offline_after_s: float = 60.0


# --- output --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    """A figure the docs round to `digits` decimals; `exact` is its unrounded value."""

    exact: Fraction
    digits: int

    def __float__(self) -> float:
        return float(self.exact)


# --- small helpers -------------------------------------------------------------------------------------


def to_us(ts: datetime) -> int:
    """Epoch microseconds of an aware datetime (exact)."""
    if ts.tzinfo is None:
        raise ValueError("naive datetime")
    return (ts - EPOCH) // timedelta(microseconds=1)


def normalize(spans: Iterable[Span]) -> list[Span]:
    """Sorted, disjoint, merged spans (touching spans are merged; empty ones dropped)."""
    out: list[Span] = []
    for lo, hi in sorted(s for s in spans if s[0] < s[1]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The intersection of two span lists (pairwise, naively)."""
    return normalize((max(x[0], y[0]), min(x[1], y[1])) for x in a for y in b)


def length(spans: Sequence[Span]) -> int:
    """Total µs covered by disjoint spans."""
    return sum(hi - lo for lo, hi in spans)


def inside(t: int, spans: Sequence[Span]) -> bool:
    """Whether instant `t` lies in one of the half-open spans."""
    return any(lo <= t < hi for lo, hi in spans)


def ratio(numerator: int, denominator: int, digits: int) -> Num | None:
    """numerator / denominator as a `Num`, None when the denominator is 0."""
    return Num(Fraction(numerator, denominator), digits) if denominator else None


# --- the model -----------------------------------------------------------------------------------------


@dataclass
class Reference:
    """The figures of one store, computed by hand from `data` (see the module docstring)."""

    data: StoreData
    tz: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        d = self.data
        self.tz = ZoneInfo(d.timezone)
        # "Disabled cameras, and their events, are ignored everywhere."
        self.enabled = [c for c in d.cameras if c.enabled]
        enabled_ids = {c.id for c in self.enabled}
        # "Counting cameras: the store's enabled cameras with a counting line."
        self.counting = [c for c in self.enabled if c.counting]
        counting_ids = {c.id for c in self.counting}
        self.events = [e for e in d.events if e.camera_id in enabled_ids]
        crossings = [e for e in self.events if e.camera_id in counting_ids and e.type in LINE_TYPES]
        # Occupancy marks: (ts µs, 0 for an IN, 1 for an OUT): sorting puts INs before OUTs at equal times.
        self.crossing_marks = sorted((to_us(e.ts), 0 if e.type == "IN" else 1) for e in crossings)
        self.in_times = sorted(to_us(e.ts) for e in crossings if e.type == "IN")
        self.out_times = sorted(to_us(e.ts) for e in crossings if e.type == "OUT")
        self.pos_times = sorted(to_us(t) for t in d.transactions)
        # Heartbeats per camera and slot: all of them, and those with the stream ok.
        self.beats: dict[str, Counter[int]] = {c.id: Counter() for c in d.cameras}
        self.beats_ok: dict[str, Counter[int]] = {c.id: Counter() for c in d.cameras}
        for hb in d.heartbeats:
            slot = to_us(hb.at) // SLOT_US
            self.beats[hb.camera_id][slot] += 1
            if hb.ok:
                self.beats_ok[hb.camera_id][slot] += 1
        # "ok in a slot when at least ceil(900 / camera_offline_after_s) heartbeats with stream status ok".
        self.required = math.ceil(900 / d.camera_offline_after_s)
        # "absent before the camera was set up (the slot of its first heartbeat; its creation when it never
        # sent one)".
        self.setup_slot = {
            c.id: min(self.beats[c.id]) if self.beats[c.id] else to_us(c.created_at) // SLOT_US
            for c in d.cameras
        }

    # --- local time -------------------------------------------------------------------------------------

    def local(self, t: int) -> datetime:
        """Instant `t` (µs) as a datetime in the store's zone (with the offset in force)."""
        return (EPOCH + timedelta(microseconds=t)).astimezone(self.tz)

    def local_date(self, t: int) -> date:
        """The store-local calendar date of instant `t`."""
        return self.local(t).date()

    def wall(self, day: date, hh: int, mm: int) -> int:
        """The instant of the local wall time `hh:mm` on `day` (zoneinfo's first reading, fold=0)."""
        return to_us(datetime(day.year, day.month, day.day, hh, mm, tzinfo=self.tz))

    def midnight(self, day: date) -> int:
        """The instant local `day` starts."""
        return self.wall(day, 0, 0)

    def hour_start(self, t: int) -> int:
        """Start of the store-local clock hour holding `t` (a fall-back day's repeated hour is two)."""
        lt = self.local(t)
        return t - ((lt.minute * 60 + lt.second) * US + lt.microsecond)

    # --- opening hours ----------------------------------------------------------------------------------

    def day_intervals(self, day: date) -> list[Span]:
        """The opening intervals that open on local `day`, as instants.

        `{"mon": [["09:00", "21:00"]], …}`; an interval whose close is not after its open runs past midnight
        and belongs to the day it opens (so it closes on the next day at its close time)."""
        out: list[Span] = []
        for pair in self.data.opening_hours.get(WEEKDAYS[day.weekday()], []) or []:
            (oh, om), (ch, cm) = (tuple(int(x) for x in s.split(":")) for s in pair)
            lo = self.wall(day, oh, om)
            if (ch, cm) == (24, 0):
                hi = self.midnight(day + timedelta(days=1))
            elif ch * 60 + cm > oh * 60 + om:
                hi = self.wall(day, ch, cm)
            else:
                hi = self.wall(day + timedelta(days=1), ch, cm)
            out.append((lo, hi))
        return out

    def open_spans(self, lo: int, hi: int) -> list[Span]:
        """When the store is open within `[lo, hi)`."""
        spans: list[Span] = []
        day = self.local_date(lo) - timedelta(days=2)
        while day <= self.local_date(hi):
            spans.extend(self.day_intervals(day))
            day += timedelta(days=1)
        return intersect(normalize(spans), [(lo, hi)])

    # --- restarts and occupancy -------------------------------------------------------------------------

    def restart_of(self, day: date) -> int:
        """The restart instant that belongs to local `day`: its midnight — unless that midnight falls
        strictly inside an opening interval that closes at most 12 hours later, then that interval's close
        rounded up to the 15-minute slot. Intervals that touch or overlap are one interval (a store open
        06:00-06:00 every day never closes, so it restarts at midnight)."""
        m = self.midnight(day)
        for lo, hi in self.open_spans(m - 3 * 24 * HOUR_US, m + 3 * 24 * HOUR_US):
            if lo < m < hi and hi - m <= MAX_OVERNIGHT_CARRY_US:
                return -(-hi // SLOT_US) * SLOT_US
        return m

    def last_restart(self, t: int) -> int:
        """The latest restart instant at or before `t`."""
        today = self.local_date(t)
        return max(r for r in (self.restart_of(today - timedelta(days=1)), self.restart_of(today)) if r <= t)

    def restarts_inside(self, lo: int, hi: int) -> set[int]:
        """Restart instants strictly inside `(lo, hi)`."""
        out: set[int] = set()
        day = self.local_date(lo) - timedelta(days=1)
        while day <= self.local_date(hi) + timedelta(days=1):
            r = self.restart_of(day)
            if lo < r < hi:
                out.add(r)
            day += timedelta(days=1)
        return out

    def level_at(self, t: int, marks: Sequence[tuple[int, int]]) -> int:
        """o(t): 0 at the last restart, then every mark with restart ≤ ts ≤ t in time order (at equal times
        INs before OUTs): an IN (0) adds 1, an OUT (1) subtracts 1 unless already 0. `marks` are sorted
        `(ts µs, kind)` pairs, so the sort order is exactly that time order."""
        restart = self.last_restart(t)
        level = 0
        for ts, kind in marks:
            if restart <= ts <= t:
                level = level + 1 if kind == 0 else max(0, level - 1)
        return level

    def pieces(self, lo: int, hi: int, marks: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
        """o(t) on `[lo, hi)` as constant pieces `(a, b, level)`: it only changes at marks and restarts."""
        cuts = {lo} | {ts for ts, _ in marks if lo < ts < hi} | self.restarts_inside(lo, hi)
        points = [*sorted(cuts), hi]
        return [(a, b, self.level_at(a, marks)) for a, b in itertools.pairwise(points) if a < b]

    def integral(self, spans: Sequence[Span], marks: Sequence[tuple[int, int]]) -> int:
        """∫ o(t) dt over the spans, in person·µs."""
        return sum(level * (b - a) for lo, hi in spans for a, b, level in self.pieces(lo, hi, marks))

    def peak(self, spans: Sequence[Span]) -> tuple[int, int] | None:
        """The highest o(t) of the crossings over the spans and the first instant it holds; None without
        spans."""
        best: tuple[int, int] | None = None  # (level, -instant): highest level, then earliest instant
        for lo, hi in spans:
            for a, _b, level in self.pieces(lo, hi, self.crossing_marks):
                if best is None or (level, -a) > best:
                    best = (level, -a)
        return (best[0], -best[1]) if best is not None else None

    # --- camera states and coverage ---------------------------------------------------------------------

    def state(self, camera: Camera, slot: int) -> str:
        """The camera's state in a slot: absent (before set up), ok, stale or offline (docs "Coverage")."""
        if slot < self.setup_slot[camera.id]:
            return "absent"
        if self.beats_ok[camera.id][slot] >= self.required:
            return "ok"
        if self.beats[camera.id][slot] >= self.required:
            return "stale"
        return "offline"

    def covered(self, slot: int) -> bool:
        """A covered slot: at least one counting camera is set up and every one set up is ok."""
        states = [self.state(c, slot) for c in self.counting]
        present = [s for s in states if s != "absent"]
        return bool(present) and all(s == "ok" for s in present)

    def set_up(self, slot: int) -> bool:
        """Whether some counting camera was set up (not absent) in the slot."""
        return any(self.state(c, slot) != "absent" for c in self.counting)

    @staticmethod
    def complete_end(lo: int, hi: int, now: int) -> int:
        """End of the complete part of `[lo, hi)`: min(end, start of the slot in progress), not before lo."""
        return max(lo, min(hi, now // SLOT_US * SLOT_US))

    @staticmethod
    def slots(lo: int, hi: int) -> range:
        """The slots of a slot-aligned range."""
        assert lo % SLOT_US == 0, "periods and buckets are whole slots"
        assert hi % SLOT_US == 0, "periods and buckets are whole slots"
        return range(lo // SLOT_US, hi // SLOT_US)

    def covered_spans(self, lo: int, hi: int) -> list[Span]:
        """Covered time C of the slot-aligned range `[lo, hi)`, as merged covered stretches."""
        return normalize((k * SLOT_US, (k + 1) * SLOT_US) for k in self.slots(lo, hi) if self.covered(k))

    # --- formatting -------------------------------------------------------------------------------------

    def period_out(self, kind: str, first: date, last: date) -> dict[str, Any]:
        """A period: its local days and the instants they span."""
        return {
            "kind": kind,
            "first_day": first,
            "last_day": last,
            "start": self.local(self.midnight(first)),
            "end": self.local(self.midnight(last + timedelta(days=1))),
        }

    # --- dashboard --------------------------------------------------------------------------------------

    def measure(self, lo: int, hi: int, now: int) -> dict[str, Any]:
        """Every dashboard figure of the instants `[lo, hi)` (whole local days), over its complete part.

        footfall/exits: INs/OUTs with ts in covered time C. avg_occupancy: ∫_M o dt ÷ |M| (M: the open
        seconds of C). peak: the highest o(t) over C and the first instant of C holding it. avg_dwell_s:
        ∫_M o dt ÷ the INs in M (Little's law). busiest hour: the local hour with most INs in C, earliest on
        a tie. transactions: POS in the complete part, null without any POS before its end. conversion:
        POS in C ÷ footfall. coverage: |M| ÷ open seconds of the complete part. With no covered slot every
        count figure is null.
        """
        end = self.complete_end(lo, hi, now)
        slots = self.slots(lo, end)
        c_spans = self.covered_spans(lo, end)
        opened = self.open_spans(lo, end)
        m_spans = intersect(c_spans, opened)
        measured_us = length(m_spans)
        figures: dict[str, Any] = {
            "complete_until": self.local(end) if end > lo else None,
            "footfall": None,
            "exits": None,
            "avg_occupancy": None,
            "peak_occupancy": None,
            "peak_occupancy_at": None,
            "avg_dwell_s": None,
            "busiest_hour": None,
            "busiest_hour_entries": None,
            "transactions": None,
            "conversion_rate": None,
            "coverage": None,
        }
        open_us = length(opened)
        if open_us and any(self.set_up(k) for k in slots):
            figures["coverage"] = ratio(measured_us, open_us, 4)
        # Interpretation: an empty complete part (nothing of the period has passed) has no transactions.
        if end > lo and any(t < end for t in self.pos_times):
            figures["transactions"] = sum(1 for t in self.pos_times if lo <= t < end)
        if not c_spans:
            return figures
        ins_c = [t for t in self.in_times if inside(t, c_spans)]
        figures["footfall"] = len(ins_c)
        figures["exits"] = sum(1 for t in self.out_times if inside(t, c_spans))
        area = self.integral(m_spans, self.crossing_marks)
        if measured_us:
            figures["avg_occupancy"] = Num(Fraction(area, measured_us), 2)
        entries_m = sum(1 for t in self.in_times if inside(t, m_spans))
        if entries_m:
            figures["avg_dwell_s"] = Num(Fraction(area, entries_m * US), 1)
        peak = self.peak(c_spans)
        assert peak is not None
        figures["peak_occupancy"] = peak[0]
        figures["peak_occupancy_at"] = self.local(peak[1])
        per_hour = Counter(self.hour_start(t) for t in ins_c)
        if per_hour:
            hour, entries = min(per_hour.items(), key=lambda kv: (-kv[1], kv[0]))
            figures["busiest_hour"] = self.local(hour)
            figures["busiest_hour_entries"] = entries
        if figures["transactions"] is not None and figures["footfall"]:
            pos_c = sum(1 for t in self.pos_times if inside(t, c_spans))
            figures["conversion_rate"] = ratio(pos_c, figures["footfall"], 4)
        return figures

    def period_days(self, kind: str, day: date) -> tuple[date, date]:
        """The local days of the period of `kind` containing `day`: the day, its ISO week or its month."""
        if kind == "day":
            return day, day
        if kind == "week":
            first = day - timedelta(days=day.weekday())
            return first, first + timedelta(days=6)
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)

    def previous_days(self, first: date, last: date) -> tuple[date, date]:
        """The same number of local days immediately before."""
        n = (last - first).days + 1
        return first - timedelta(days=n), first - timedelta(days=1)

    def dashboard(self, kind: str, day: date, now: datetime) -> dict[str, Any]:
        """`GET /dashboard?period=kind&date=day` at `now`: each figure with the previous period's.

        Figures are `{"value", "previous"}` (the test derives delta and change_pct); the rest as answered.
        """
        first, last = self.period_days(kind, day)
        p_first, p_last = self.previous_days(first, last)
        now_us = to_us(now)
        cur = self.measure(self.midnight(first), self.midnight(last + timedelta(days=1)), now_us)
        old = self.measure(self.midnight(p_first), self.midnight(p_last + timedelta(days=1)), now_us)
        out: dict[str, Any] = {
            "timezone": self.data.timezone,
            "period": self.period_out(kind, first, last),
            "previous_period": self.period_out(kind, p_first, p_last),
            "complete_until": cur["complete_until"],
            "peak_occupancy_at": cur["peak_occupancy_at"],
            "busiest_hour": cur["busiest_hour"],
            "busiest_hour_entries": cur["busiest_hour_entries"],
        }
        for name in DASHBOARD_FIGURES:
            out[name] = {"value": cur[name], "previous": old[name]}
        return out

    # --- footfall ---------------------------------------------------------------------------------------

    def buckets(self, first: date, last: date, bucket: str) -> list[Span]:
        """The local buckets of days `first..last`: every slot (15m), every local clock hour (walked slot
        by slot: a new hour starts where the local minute is 0), or every local day."""
        lo, hi = self.midnight(first), self.midnight(last + timedelta(days=1))
        if bucket == "day":
            out: list[Span] = []
            day = first
            while day <= last:
                out.append((self.midnight(day), self.midnight(day + timedelta(days=1))))
                day += timedelta(days=1)
            return out
        starts = [k * SLOT_US for k in self.slots(lo, hi)]
        if bucket == "hour":
            starts = [s for s in starts if s == lo or self.local(s).minute == 0]
        return list(zip(starts, [*starts[1:], hi], strict=True))

    def footfall(self, first: date, last: date, bucket: str, now: datetime) -> dict[str, Any]:
        """`GET /footfall?from=first&to=last&bucket=…` at `now`. Per bucket, over its complete part:
        in/out in covered time (null when no slot of it was covered); coverage: covered open seconds ÷ open
        seconds, or covered ÷ all seconds without open hours (null when the part is empty or no counting
        camera was set up in it); covered: every open slot covered (every slot without open hours);
        complete: the bucket has ended.

        Interpretation: "a bucket without open hours" and `covered` are judged on the complete part; a
        bucket whose complete part is empty is not covered.
        """
        now_us = to_us(now)
        rows = []
        for b_lo, b_hi in self.buckets(first, last, bucket):
            end = self.complete_end(b_lo, b_hi, now_us)
            slots = self.slots(b_lo, end)
            c_spans = self.covered_spans(b_lo, end)
            opened = self.open_spans(b_lo, end)
            row: dict[str, Any] = {
                "start": self.local(b_lo),
                "end": self.local(b_hi),
                "in_count": None,
                "out_count": None,
                "coverage": None,
                "covered": False,
                "complete": b_hi <= now_us,
            }
            if c_spans:
                row["in_count"] = sum(1 for t in self.in_times if inside(t, c_spans))
                row["out_count"] = sum(1 for t in self.out_times if inside(t, c_spans))
            if slots and any(self.set_up(k) for k in slots):
                if opened:
                    row["coverage"] = ratio(length(intersect(c_spans, opened)), length(opened), 4)
                else:
                    row["coverage"] = ratio(length(c_spans), end - b_lo, 4)
            row["covered"] = self.fully_covered(slots, opened)
            rows.append(row)
        return {
            "timezone": self.data.timezone,
            "bucket": bucket,
            "start": self.local(self.midnight(first)),
            "end": self.local(self.midnight(last + timedelta(days=1))),
            "buckets": rows,
        }

    def fully_covered(self, slots: range, opened: Sequence[Span]) -> bool:
        """A bucket's `covered`: its complete part has slots and every one of them inside opening hours is
        covered (every one, when none is open)."""
        if not slots:
            return False
        open_slots = [k for k in slots if intersect(opened, [(k * SLOT_US, (k + 1) * SLOT_US)])]
        return all(self.covered(k) for k in (open_slots or slots))

    # --- occupancy over the day -------------------------------------------------------------------------

    def occupancy(self, day: date, bucket: str, now: datetime) -> dict[str, Any]:
        """`GET /occupancy?date=day&bucket=15m|hour` at `now`. Per local bucket of the day, over its
        complete part: avg_occupancy ∫ over M of o(t) dt ÷ |M| (M: the open seconds of its covered time C;
        null when M is empty), peak_occupancy the highest o(t) over C (null when C is empty), coverage
        |M| ÷ its open seconds (null without open seconds, or when no counting camera was set up in it),
        covered and complete as for footfall. as_of: the end of the day's complete part.
        """
        now_us = to_us(now)
        rows = []
        for b_lo, b_hi in self.buckets(day, day, bucket):
            end = self.complete_end(b_lo, b_hi, now_us)
            slots = self.slots(b_lo, end)
            c_spans = self.covered_spans(b_lo, end)
            opened = self.open_spans(b_lo, end)
            m_spans = intersect(c_spans, opened)
            peak = self.peak(c_spans)
            row: dict[str, Any] = {
                "start": self.local(b_lo),
                "end": self.local(b_hi),
                "avg_occupancy": None,
                "peak_occupancy": peak[0] if peak is not None else None,
                "coverage": None,
                "covered": self.fully_covered(slots, opened),
                "complete": b_hi <= now_us,
            }
            if m_spans:
                area = self.integral(m_spans, self.crossing_marks)
                row["avg_occupancy"] = Num(Fraction(area, length(m_spans)), 2)
            if opened and any(self.set_up(k) for k in slots):
                row["coverage"] = ratio(length(m_spans), length(opened), 4)
            rows.append(row)
        lo, hi = self.midnight(day), self.midnight(day + timedelta(days=1))
        return {
            "timezone": self.data.timezone,
            "date": day,
            "bucket": bucket,
            "start": self.local(lo),
            "end": self.local(hi),
            "as_of": self.local(self.complete_end(lo, hi, now_us)),
            "buckets": rows,
        }

    def measured_open_us(self, lo: int, hi: int, now: datetime) -> int:
        """|M| of the complete part of `[lo, hi)`: its covered time inside opening hours, in µs."""
        end = self.complete_end(lo, hi, to_us(now))
        return length(intersect(self.covered_spans(lo, end), self.open_spans(lo, end)))

    # --- heatmap and funnel -----------------------------------------------------------------------------

    def zone_rows(self, lo: int, hi: int, now: int) -> dict[str, dict[str, Any]]:
        """Per zone of an enabled camera, over the slots of the complete part of `[lo, hi)` in which the
        zone's camera was ok: visits (ZONE_ENTER, by the slot it started in; null when the camera was ok in
        no slot), avg and median dwell of those slots' ZONE_EXIT dwell_ms (seconds; null without exits),
        share of visits and popularity (null when visits are null or the denominator is 0)."""
        end = self.complete_end(lo, hi, now)
        rows: dict[str, dict[str, Any]] = {}
        for camera in self.enabled:
            ok_slots = {k for k in self.slots(lo, end) if self.state(camera, k) == "ok"}
            for zone in camera.zones:
                mine = [e for e in self.events if e.zone_id == zone.id and to_us(e.ts) // SLOT_US in ok_slots]
                dwells = sorted(e.dwell_ms for e in mine if e.type == "ZONE_EXIT" and e.dwell_ms is not None)
                row: dict[str, Any] = {
                    "zone_id": zone.id,
                    "name": zone.name,
                    "kind": zone.kind,
                    "camera_id": camera.id,
                    "visits": sum(1 for e in mine if e.type == "ZONE_ENTER") if ok_slots else None,
                    "avg_dwell_s": None,
                    "median_dwell_s": None,
                    "share_of_visits": None,
                    "popularity": None,
                }
                if dwells:
                    row["avg_dwell_s"] = Num(Fraction(sum(dwells), len(dwells) * 1000), 1)
                    mid = len(dwells) // 2
                    median = (
                        Fraction(dwells[mid])
                        if len(dwells) % 2
                        else Fraction(dwells[mid - 1] + dwells[mid], 2)
                    )
                    row["median_dwell_s"] = Num(median / 1000, 1)
                rows[zone.id] = row
        measured = [r["visits"] for r in rows.values() if r["visits"] is not None]
        total, most = sum(measured), max(measured, default=0)
        for row in rows.values():
            if row["visits"] is not None and total:
                row["share_of_visits"] = Num(Fraction(row["visits"], total), 4)
            if row["visits"] is not None and most:
                # round(100 * visits / most visited): an exact .5 may go either way (see the test).
                row["popularity"] = Num(Fraction(100 * row["visits"], most), 0)
        return rows

    def heatmap(self, kind: str, day: date, now: datetime) -> dict[str, Any]:
        """`GET /heatmap?period=kind&date=day` at `now` (zones keyed by id)."""
        first, last = self.period_days(kind, day)
        lo, hi = self.midnight(first), self.midnight(last + timedelta(days=1))
        return {"period": self.period_out(kind, first, last), "zones": self.zone_rows(lo, hi, to_us(now))}

    def funnel(self, kind: str, day: date, now: datetime) -> dict[str, Any]:
        """`GET /funnel?period=kind&date=day` at `now`: entries (the dashboard's footfall) → zone visitors
        (product and other zones whose visits are not null; null without any) → billing visitors →
        transactions (the dashboard's), each with its ratio to the stage before (null when either is null
        or the previous is 0), and the dashboard's conversion rate."""
        first, last = self.period_days(kind, day)
        lo, hi = self.midnight(first), self.midnight(last + timedelta(days=1))
        now_us = to_us(now)
        figures = self.measure(lo, hi, now_us)
        zones = self.zone_rows(lo, hi, now_us).values()

        def stage(kinds: tuple[str, ...]) -> int | None:
            visits = [z["visits"] for z in zones if z["kind"] in kinds and z["visits"] is not None]
            return sum(visits) if visits else None

        counts = [
            ("entries", figures["footfall"]),
            ("zone_visitors", stage(FUNNEL_ZONE_KINDS)),
            ("billing_visitors", stage((BILLING,))),
            ("transactions", figures["transactions"]),
        ]
        stages = []
        previous: int | None = None
        for i, (name, count) in enumerate(counts):
            conversion = None
            if i and count is not None and previous is not None and previous != 0:
                conversion = Num(Fraction(count, previous), 4)
            stages.append({"stage": name, "count": count, "conversion_from_previous": conversion})
            previous = count
        return {
            "period": self.period_out(kind, first, last),
            "stages": stages,
            "overall_conversion": figures["conversion_rate"],
        }

    # --- live -------------------------------------------------------------------------------------------

    def online(self, camera: Camera, as_of: int) -> bool:
        """Online at `as_of`: its last heartbeat at most `camera_offline_after_s` old."""
        last = camera.last_heartbeat_at
        return last is not None and to_us(last) >= as_of - round(self.data.camera_offline_after_s * US)

    def oldest_heartbeat(self, cameras: Sequence[Camera]) -> datetime | None:
        """The oldest last heartbeat of `cameras`; None when one never sent one (or there are none)."""
        if not cameras or any(c.last_heartbeat_at is None for c in cameras):
            return None
        return self.local(min(to_us(c.last_heartbeat_at) for c in cameras if c.last_heartbeat_at))

    def live(self, as_of: datetime) -> dict[str, Any]:
        """`GET /live` at `as_of`, including the slot in progress.

        occupancy: o(as_of), null without a counting camera; since: the last restart; stale: a counting
        camera offline; as_of: the oldest last heartbeat. footfall_today: every IN of a counting camera
        from local midnight to as_of (interpretation: null without a counting camera, like occupancy).
        Billing zones: the same step function of ZONE_ENTER/ZONE_EXIT since the restart; queue_depth their
        sum (null without billing zones), stale/as-of over their cameras. last_event_at: the newest event
        of an enabled camera. Cameras: every enabled camera, online or offline, with the stream status of
        the last heartbeat it sent (null without one).
        """
        t = to_us(as_of)
        has_counting = bool(self.counting)
        midnight = self.midnight(self.local_date(t))
        billing = [(c, z) for c in self.enabled for z in c.zones if z.kind == BILLING]
        zones: dict[str, dict[str, Any]] = {}
        for camera, zone in billing:
            marks = sorted(
                (to_us(e.ts), 0 if e.type == "ZONE_ENTER" else 1)
                for e in self.events
                if e.zone_id == zone.id and e.type in ("ZONE_ENTER", "ZONE_EXIT")
            )
            zones[zone.id] = {
                "zone_id": zone.id,
                "name": zone.name,
                "people": self.level_at(t, marks),
                "stale": not self.online(camera, t),
            }
        billing_cameras = list({c.id: c for c, _ in billing}.values())
        last_status = {hb.camera_id: hb.stream_status for hb in self.data.heartbeats}  # the last one wins
        cameras = {
            c.id: {
                "id": c.id,
                "name": c.name,
                "is_counting_line": c.counting,
                "status": "online" if self.online(c, t) else "offline",
                "stream_status": last_status.get(c.id),
                "last_heartbeat_at": self.local(to_us(c.last_heartbeat_at)) if c.last_heartbeat_at else None,
            }
            for c in self.enabled
        }
        online = sum(1 for c in cameras.values() if c["status"] == "online")
        newest = max((to_us(e.ts) for e in self.events), default=None)
        return {
            "timezone": self.data.timezone,
            "occupancy": self.level_at(t, self.crossing_marks) if has_counting else None,
            "occupancy_since": self.local(self.last_restart(t)),
            "occupancy_stale": any(not self.online(c, t) for c in self.counting),
            "occupancy_as_of": self.oldest_heartbeat(self.counting),
            "footfall_today": sum(1 for x in self.in_times if midnight <= x <= t) if has_counting else None,
            "queue_depth": sum(z["people"] for z in zones.values()) if zones else None,
            "queue_stale": any(not self.online(c, t) for c in billing_cameras),
            "queue_as_of": self.oldest_heartbeat(billing_cameras),
            "billing_zones": zones,
            "last_event_at": self.local(newest) if newest is not None else None,
            "cameras_online": online,
            "cameras_offline": len(cameras) - online,
            "cameras": cameras,
        }
