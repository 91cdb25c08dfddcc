"""Zone presence rules as tables: minimum dwell to enter, exit grace, dwell time, lost tracks, counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from worker.geometry import Point
from worker.tracks import Observation
from worker.zones import Zone, ZoneConfig, ZoneEventType, ZoneTracker

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
STEP = timedelta(milliseconds=500)  # 2 fps keeps the tables short
ENTER, EXIT = ZoneEventType.ENTER, ZoneEventType.EXIT
ZONE = Zone("z1", (Point(0, 0), Point(10, 0), Point(10, 10), Point(0, 10)), "Billing")
IN_, OUT_ = (5.0, 5.0), (20.0, 5.0)
CONFIG = ZoneConfig(
    min_dwell=timedelta(seconds=1), exit_grace=timedelta(seconds=1), track_ttl=timedelta(seconds=2)
)


def run(
    positions: list[tuple[float, float] | None], frames: int | None = None
) -> list[tuple[int, str, int | None]]:
    """Feed one track's positions (None = not reported); returns ``(frame, type, dwell_ms)`` per event."""
    tracker = ZoneTracker([ZONE], CONFIG)
    out = []
    for f in range(frames or len(positions)):
        p = positions[f] if f < len(positions) else None
        obs = [Observation(1, Point(*p), 40.0, 0.8)] if p is not None else []
        for e in tracker.update(T0 + f * STEP, obs):
            out.append((round((e.ts - T0) / STEP), e.type.value, e.dwell_ms))
    return out


CASES = [
    ("passer-by shorter than min_dwell: nothing", [OUT_, IN_, OUT_, OUT_, OUT_], []),
    (
        "stays: enter stamped when they stepped in, exit with dwell",
        [OUT_, IN_, IN_, IN_, IN_, OUT_, OUT_, OUT_],
        [(1, ENTER, None), (5, EXIT, 2000)],
    ),
    (
        "short excursion within exit_grace does not split the visit",
        [IN_, IN_, IN_, OUT_, IN_, IN_, OUT_, OUT_, OUT_],
        [(0, ENTER, None), (6, EXIT, 3000)],
    ),
    (
        "track lost inside: exit at the last time seen, after track_ttl",
        [IN_, IN_, IN_, IN_],
        [(0, ENTER, None), (3, EXIT, 1500)],
    ),
    (
        "already inside on the first frame counts from that frame",
        [IN_, IN_, IN_],
        [(0, ENTER, None), (2, EXIT, 1000)],
    ),
]


@pytest.mark.parametrize(("positions", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_zone_rules(
    positions: list[tuple[float, float] | None], expected: list[tuple[int, str, int | None]]
) -> None:
    assert run(positions, frames=len(positions) + 8) == [(f, t.value, d) for f, t, d in expected]


def test_counts_report_people_currently_inside() -> None:
    tracker = ZoneTracker([ZONE, Zone("z2", (Point(50, 50), Point(60, 50), Point(60, 60)))], CONFIG)
    for f in range(4):
        tracker.update(
            T0 + f * STEP,
            [
                Observation(1, Point(5, 5), 1),
                Observation(2, Point(6, 6), 1),
                Observation(3, Point(30, 30), 1),
            ],
        )
    assert tracker.counts() == {"z1": 2, "z2": 0}


def test_close_all_exits_everyone_inside() -> None:
    tracker = ZoneTracker([ZONE], CONFIG)
    for f in range(4):
        tracker.update(T0 + f * STEP, [Observation(9, Point(5, 5), 1)])
    events = tracker.close_all()
    assert [(e.type, e.track_id, e.dwell_ms) for e in events] == [(EXIT, 9, 1500)]
    assert tracker.counts() == {"z1": 0}
