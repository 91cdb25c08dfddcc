"""Foot-point estimator: a box cut off at the bottom or at the top keeps the person's foot point in place; a
person walking (both edges moving together) is followed exactly. Synthetic boxes, no model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from worker.tracks import FootPointEstimator, TrackedPerson

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
STEP = timedelta(milliseconds=100)  # 10 fps
Box = tuple[float, float, float, float]


def feet(boxes: list[Box], window_s: float = 1.0) -> list[tuple[float, float, float]]:
    """Feed one track's boxes frame by frame; returns ``(x, foot y, scale)`` per frame."""
    estimator = FootPointEstimator(timedelta(seconds=window_s), ttl=timedelta(seconds=5))
    out = []
    for i, box in enumerate(boxes):
        (obs,) = estimator.observe(T0 + i * STEP, [TrackedPerson(7, box, 0.8)])
        assert obs.track_id == 7
        out.append((obs.point.x, obs.point.y, obs.scale))
    return out


def test_walking_person_is_followed_by_the_box_bottom() -> None:
    boxes: list[Box] = [(10.0, 100.0 + 5 * i, 30.0, 200.0 + 5 * i) for i in range(6)]
    assert [y for _, y, _ in feet(boxes)] == [200.0, 205.0, 210.0, 215.0, 220.0, 225.0]


def test_hidden_feet_keep_the_foot_point_from_the_top_and_median_height() -> None:
    # Standing person 100 px tall; frames 3-4 the lower 40 px are hidden (bottom edge jumps to 160).
    boxes: list[Box] = [(10.0, 100.0, 30.0, 200.0)] * 3 + [(10.0, 100.0, 30.0, 160.0)] * 2
    boxes += [(10.0, 100.0, 30.0, 200.0)]
    # Frame 3: heights [100, 100, 100, 60] -> median 100 -> top estimate 200 (bottom 160 moved 40 px).
    # Frame 4: heights [100, 100, 100, 60, 60] -> median 100 -> 200 again.
    assert feet(boxes) == [(20.0, 200.0, 100.0)] * 6


def test_hidden_head_keeps_the_box_bottom() -> None:
    # The top edge drops by 30 px (someone passes in front higher up); the bottom stays at 200.
    boxes: list[Box] = [(10.0, 100.0, 30.0, 200.0)] * 3 + [(10.0, 130.0, 30.0, 200.0)] * 2
    # Frame 3: bottom 200 (moved 0) vs top 130 + median 100 = 230 (moved 30) -> 200.
    assert [y for _, y, _ in feet(boxes)] == [200.0] * 5


def test_heights_older_than_the_window_are_dropped() -> None:
    # 100 px tall for 0.5 s, then 60 px tall for good with the top fixed: after the window the median is 60
    # and the box bottom (160) is again the estimate that agrees with the top.
    boxes: list[Box] = [(10.0, 100.0, 30.0, 200.0)] * 5 + [(10.0, 100.0, 30.0, 160.0)] * 12
    ys = [y for _, y, _ in feet(boxes, window_s=0.5)]
    assert ys[:5] == [200.0] * 5
    assert ys[5] == 200.0  # heights [100 x5, 60] -> median 100 -> top estimate 200
    assert ys[-1] == 160.0  # only 60 px heights left in the window


@pytest.mark.parametrize(("min_samples", "expected"), [(10, 200.0), (1, 160.0)])
def test_heights_from_before_a_gap_outvote_cut_off_boxes_after_it(min_samples: int, expected: float) -> None:
    # 100 px tall for 1 s, unseen for 0.7 s (behind a pole), then back with the lower 40 px still hidden for
    # three frames. With the last 10 heights kept the median stays 100 and the feet stay at 200; with the
    # time window alone one full-height sample is left by the third frame, the cut-off ones win the median,
    # and the foot point jumps up by 40 px (enough to cross a line and come back).
    estimator = FootPointEstimator(timedelta(seconds=1), ttl=timedelta(seconds=5), min_samples=min_samples)
    for i in range(10):
        estimator.observe(T0 + i * STEP, [TrackedPerson(7, (10.0, 100.0, 30.0, 200.0), 0.8)])
    ys = []
    for i in range(17, 20):
        (obs,) = estimator.observe(T0 + i * STEP, [TrackedPerson(7, (10.0, 100.0, 30.0, 160.0), 0.8)])
        ys.append(obs.point.y)
    assert ys[0] == 200.0
    assert ys[-1] == expected


def test_tracks_unseen_for_the_ttl_start_again() -> None:
    estimator = FootPointEstimator(timedelta(seconds=1), ttl=timedelta(seconds=2))
    estimator.observe(T0, [TrackedPerson(1, (0.0, 0.0, 10.0, 100.0), 0.9)])
    estimator.observe(T0 + timedelta(seconds=3), [])  # track 1 expires
    (obs,) = estimator.observe(T0 + timedelta(seconds=4), [TrackedPerson(1, (0.0, 50.0, 10.0, 90.0), 0.9)])
    assert (obs.point.y, obs.scale) == (90.0, 40.0)  # a fresh start: the box bottom, its own height


def test_window_and_min_samples_are_validated() -> None:
    with pytest.raises(ValueError, match="positive"):
        FootPointEstimator(timedelta(0), ttl=timedelta(seconds=5))
    with pytest.raises(ValueError, match="min_samples"):
        FootPointEstimator(timedelta(seconds=1), ttl=timedelta(seconds=5), min_samples=0)
