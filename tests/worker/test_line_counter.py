"""Line counter rules, as tables of synthetic trajectories (no model, no video).

The line runs from (0, 50) to (100, 50) in a 100 x 100 image; its "left" side is the upper half (y < 50),
which is the inside of the store unless a case says otherwise. People are 40 px tall, so with the default 10 %
of box height the hysteresis band is 4 px each side of the line.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from worker.geometry import Point
from worker.line_counter import Direction, LineCounter, LineCounterConfig, Side
from worker.tracks import Observation

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
STEP = timedelta(milliseconds=100)  # 10 fps
IN, OUT = Direction.IN, Direction.OUT
Trajectory = list[tuple[float, float] | None]  # one entry per frame; None = not reported in that frame


def walk(y0: float, y1: float, steps: int, x: float = 50.0) -> Trajectory:
    """A straight vertical walk from y0 to y1 in ``steps`` equal steps (``steps + 1`` positions)."""
    return [(x, y0 + (y1 - y0) * i / steps) for i in range(steps + 1)]


def count(
    tracks: dict[int, Trajectory],
    in_side: Side = "left",
    scale: float = 40.0,
    **config: object,
) -> list[tuple[int, int, Direction]]:
    """Feed the trajectories frame by frame; returns ``(frame, track_id, direction)`` per counted crossing,
    the frame being the first one at or after the crossing's time (the first frame past the line)."""
    cfg = LineCounterConfig(**{"min_hits": 1, **config})  # type: ignore[arg-type]
    counter = LineCounter(Point(0, 50), Point(100, 50), in_side=in_side, config=cfg)
    frames = max(len(t) for t in tracks.values())
    out = []
    for f in range(frames):
        obs = [
            Observation(tid, Point(*traj[f]), scale, 0.9)
            for tid, traj in tracks.items()
            if f < len(traj) and traj[f] is not None
        ]
        for c in counter.update(T0 + f * STEP, obs):
            out.append((math.ceil(round((c.ts - T0) / STEP, 6)), c.track_id, c.direction))
    return out


CASES: list[tuple[str, dict[int, Trajectory], list[tuple[int, int, Direction]], dict[str, object]]] = [
    ("walks in from below", {1: walk(85, 15, 7)}, [(4, 1, IN)], {}),
    ("walks out from above", {1: walk(15, 85, 7)}, [(4, 1, OUT)], {}),
    ("in_side right flips the direction", {1: walk(85, 15, 7)}, [(4, 1, OUT)], {"in_side": "right"}),
    (
        "goes in and comes back out: once each way",
        {1: walk(85, 15, 7) + walk(15, 85, 7)[1:]},
        [(4, 1, IN), (11, 1, OUT)],
        {},
    ),
    (
        "jitter across the line inside the band",
        {
            1: [
                (50, 70),
                (50, 60),
                (50, 52),
                (50, 48),
                (50, 52),
                (50, 47),
                (50, 53),
                (50, 49),
                (50, 60),
                (50, 70),
            ]
        },
        [],
        {},
    ),
    (
        "lingers on the line then leaves the way they came",
        {1: walk(80, 51, 4) + [(50, 49), (50, 50.5), (50, 49.5)] * 5 + walk(51, 80, 4)},
        [],
        {},
    ),
    ("approaches, touches the band, retreats", {1: walk(80, 52, 5) + walk(52, 80, 5)[1:]}, [], {}),
    ("crosses only beyond the end of the segment", {1: [(120, 80), (120, 60), (120, 40), (120, 20)]}, [], {}),
    (
        "goes round the end of the segment and back through the middle",
        {1: [(50, 20), (105, 20), (105, 80), (50, 80), (50, 20)]},
        [(4, 1, IN)],
        {},
    ),
    (
        "fast walker skips the whole band in one sampled step",
        {1: [(50, 90), (50, 80), (50, 10), (50, 5)]},
        [(2, 1, IN)],
        {},
    ),
    (
        "crosses, then jitters back over the line before settling",
        {1: [(50, 70), (50, 48), (50, 51), (50, 45), (50, 30)]},
        [(3, 1, IN)],
        {},
    ),
    (
        "first seen inside the band: no side to come from",
        {1: [(50, 52), (50, 48), (50, 30), (50, 20)]},
        [],
        {},
    ),
    (
        "briefly lost while crossing (tracker kept the id): timed halfway through the gap",
        {1: [(50, 80), (50, 70), None, None, None, (50, 30)]},
        [(3, 1, IN)],
        {},
    ),
    (
        "lost longer than track_ttl: a new life, no crossing",
        {1: [(50, 80), (50, 70)] + [None] * 60 + [(50, 30), (50, 20)]},
        [],
        {},
    ),
    (
        "two people crossing opposite ways at once",
        {1: walk(85, 15, 7), 2: walk(15, 85, 7, x=60)},
        [(4, 1, IN), (4, 2, OUT)],
        {},
    ),
    (
        "unconfirmed track (fewer hits than min_hits) does not count",
        {1: [(50, 80), (50, 20)]},
        [],
        {"min_hits": 3},
    ),
    (
        "crossing before confirmation counts once the track is confirmed, with its own time",
        {1: [(50, 80), (50, 20), (50, 15), (50, 10)]},
        [(1, 1, IN)],
        {"min_hits": 3},
    ),
    (
        "a larger hysteresis ignores a shallow crossing",
        {1: walk(61, 39, 4)},
        [],
        {"hysteresis_scale_frac": 0.5},
    ),
    # The walk is exactly on the line at frame 2, so that is when its path met the line.
    ("the same shallow crossing counts with the default band", {1: walk(61, 39, 4)}, [(2, 1, IN)], {}),
    (
        "hysteresis floor applies to tiny boxes",
        {1: walk(52, 48, 4)},
        [],
        {"scale": 1.0, "hysteresis_min": 3.0},
    ),
]


@pytest.mark.parametrize(("tracks", "expected", "options"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_counting_rules(
    tracks: dict[int, Trajectory], expected: list[tuple[int, int, Direction]], options: dict[str, object]
) -> None:
    options = dict(options)
    in_side = options.pop("in_side", "left")
    scale = options.pop("scale", 40.0)
    assert count(tracks, in_side=in_side, scale=scale, **options) == expected  # type: ignore[arg-type]


def test_counts_accumulate_and_forget_drops_held_crossings() -> None:
    counter = LineCounter(Point(0, 50), Point(100, 50), "left", LineCounterConfig(min_hits=3))
    counter.update(T0, [Observation(1, Point(50, 80), 40)])
    counter.update(T0 + STEP, [Observation(1, Point(50, 20), 40)])  # crossing held: only 2 hits
    counter.forget(1)
    assert counter.update(T0 + 2 * STEP, [Observation(1, Point(50, 10), 40)]) == []
    assert counter.counts == {IN: 0, OUT: 0}


@pytest.mark.parametrize(
    ("before", "after", "gap", "expected"),
    [
        (60.0, 20.0, STEP, STEP / 4),  # consecutive frames: 10 px below, 30 px above, a quarter of the step
        (70.0, 40.0, timedelta(seconds=1), timedelta(seconds=2 / 3)),  # found again 1 s later, past the line
    ],
)
def test_a_crossing_is_timed_where_the_path_met_the_line(
    before: float, after: float, gap: timedelta, expected: timedelta
) -> None:
    counter = LineCounter(Point(0, 50), Point(100, 50), "left", LineCounterConfig(min_hits=1))
    counter.update(T0, [Observation(1, Point(50, before), 40)])
    [crossing] = counter.update(T0 + gap, [Observation(1, Point(50, after), 40)])
    assert crossing.direction is IN
    assert abs(crossing.ts - (T0 + expected)) < timedelta(milliseconds=1)


def test_diagonal_line_uses_perpendicular_distance() -> None:
    # Line from (0,0) to (100,100): with y down, "left" is above the diagonal, e.g. (70, 30).
    counter = LineCounter(Point(0, 0), Point(100, 100), "left", LineCounterConfig(min_hits=1))
    counter.update(T0, [Observation(7, Point(70, 30), 40)])
    crossings = counter.update(T0 + STEP, [Observation(7, Point(30, 70), 40)])
    assert [(c.track_id, c.direction) for c in crossings] == [(7, OUT)]


@pytest.mark.parametrize(
    "kwargs", [{"min_hits": 0}, {"hysteresis_scale_frac": -0.1}, {"hysteresis_min": -1.0}]
)
def test_config_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be >= "):
        LineCounterConfig(**kwargs)  # type: ignore[arg-type]


def test_degenerate_line_is_refused() -> None:
    with pytest.raises(ValueError, match="degenerate"):
        LineCounter(Point(1, 1), Point(1, 1), "left")
