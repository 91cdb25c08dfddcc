"""Replaying recorded footage onto a chosen wall-clock window (backfills and the demo).

A recording processed today can be placed where it happened (or, for the demo, onto this morning's opening
hours). Counting runs on the media clock, unchanged: the hysteresis, confirmation and dwell thresholds
see real seconds of video. Only what leaves the worker is mapped: event timestamps, `dwell_ms`, and the
heartbeat's `observed_at`, with

    wall = start + (media - start) * speed

where `media` is the frame's capture time (the file source stamps frames `start + position in the file`),
so the first frame maps to `start` and every media second lasts `speed` wall seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from worker.protocol import Event


@dataclass(frozen=True, slots=True)
class ReplayClock:
    """Maps media time to wall time. `start` is timezone-aware; `speed` > 0 (1 = as recorded)."""

    start: datetime
    speed: float = 1.0

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("replay start must be timezone-aware")
        if self.speed <= 0:
            raise ValueError("replay speed must be positive")

    def at(self, media_ts: datetime) -> datetime:
        """The wall-clock time (UTC-aware) of a frame captured at `media_ts`."""
        return self.start + (media_ts - self.start) * self.speed

    def event(self, event: Event) -> Event:
        """The event with its timestamp mapped and its dwell time (ms) stretched by `speed`."""
        dwell = None if event.dwell_ms is None else round(event.dwell_ms * self.speed)
        return event.model_copy(update={"ts": self.at(event.ts), "dwell_ms": dwell})
