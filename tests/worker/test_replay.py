"""Replay clock: recorded footage placed on a chosen wall-clock window, counting untouched."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from worker.protocol import Event
from worker.replay import ReplayClock

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("media_offset_s", "speed", "wall_offset_s"),
    [(0, 1, 0), (10, 1, 10), (10, 120, 1200), (79.5, 120, 9540), (0.1, 0.5, 0.05)],
)
def test_media_time_maps_linearly_from_the_start(
    media_offset_s: float, speed: float, wall_offset_s: float
) -> None:
    clock = ReplayClock(START, speed)
    assert clock.at(START + timedelta(seconds=media_offset_s)) == START + timedelta(seconds=wall_offset_s)


def test_events_get_mapped_times_and_stretched_dwell() -> None:
    clock = ReplayClock(START, 120)
    exit_event = Event(
        type="ZONE_EXIT",
        ts=START + timedelta(seconds=5),
        tracker_id=3,
        zone_id=str(uuid.UUID(int=1)),
        dwell_ms=2500,
    )
    mapped = clock.event(exit_event)
    assert mapped.ts == START + timedelta(minutes=10)
    assert mapped.dwell_ms == 300_000
    assert mapped.event_id == exit_event.event_id  # same event, not a new one
    crossing = clock.event(Event(type="IN", ts=START, tracker_id=1))
    assert crossing.dwell_ms is None


@pytest.mark.parametrize(("start", "speed"), [(datetime(2026, 1, 1), 1.0), (START, 0.0), (START, -2.0)])
def test_nonsense_is_refused(start: datetime, speed: float) -> None:
    with pytest.raises(ValueError, match="replay"):
        ReplayClock(start, speed)
