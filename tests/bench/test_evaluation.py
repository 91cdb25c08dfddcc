"""Ground-truth helpers of the accuracy measurements (bench/accuracy/evaluation.py), on hand-made data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.accuracy.evaluation import (
    FrameCrossing,
    load_mot_boxes,
    load_mot_foot_points,
    locate_crossings,
    match_crossings,
    without_back_and_forth,
)
from worker.geometry import Point
from worker.line_counter import Direction

IN, OUT = Direction.IN, Direction.OUT


def test_a_wobble_over_the_line_and_back_cancels_out() -> None:
    truth = [FrameCrossing(25, IN, 7), FrameCrossing(27, OUT, 7), FrameCrossing(40, IN, 8)]
    assert without_back_and_forth(truth, 10) == [FrameCrossing(40, IN, 8)]


def test_in_out_in_within_the_tolerance_leaves_one_in() -> None:
    truth = [FrameCrossing(25, IN, 1), FrameCrossing(25, OUT, 1), FrameCrossing(28, IN, 1)]
    assert without_back_and_forth(truth, 10) == [FrameCrossing(28, IN, 1)]


def test_crossing_back_later_than_the_tolerance_is_two_real_crossings() -> None:
    truth = [FrameCrossing(10, IN, 1), FrameCrossing(21, OUT, 1)]
    assert without_back_and_forth(truth, 10) == truth


def test_opposite_crossings_of_different_people_do_not_cancel() -> None:
    truth = [FrameCrossing(10, IN, 1), FrameCrossing(11, OUT, 2), FrameCrossing(12, IN, 1)]
    assert without_back_and_forth(truth, 10) == truth


def test_match_crossings_scores_same_direction_within_the_tolerance() -> None:
    truth = [FrameCrossing(10, IN), FrameCrossing(50, OUT)]
    predicted = [FrameCrossing(12, IN), FrameCrossing(50, IN), FrameCrossing(70, OUT)]
    score = match_crossings(predicted, truth, 5)
    assert (score.true_positives, score.false_positives, score.false_negatives) == (1, 2, 1)
    assert score.f1 == 2 / 5


def test_mot_rows_become_box_and_foot_point_tracks(tmp_path: Path) -> None:
    gt = tmp_path / "gt.txt"
    gt.write_text(
        "2,7,10,20,30,40,1,-1,-1,-1\n"  # frame 2 of person 7: x 10..40, y 20..60
        "1,7,12,20,30,40,1,-1,-1,-1\n"
        "1,8,0,0,5,5,0,-1,-1,-1\n"  # conf 0: ignored
    )
    assert load_mot_boxes(gt) == {7: [(1, (12.0, 20.0, 42.0, 60.0)), (2, (10.0, 20.0, 40.0, 60.0))]}
    assert load_mot_foot_points(gt) == {7: [(1, Point(27.0, 60.0)), (2, Point(25.0, 60.0))]}


def test_mot16_rows_keep_only_pedestrians(tmp_path: Path) -> None:
    gt = tmp_path / "gt.txt"
    gt.write_text(
        "1,1,10,20,30,40,1,1,0.8\n"  # a pedestrian (flag 1, class 1)
        "1,2,0,0,5,5,0,1,1\n"  # flag 0: ignored by the benchmark
        "1,3,0,0,5,5,1,7,1\n"  # class 7: a static person
        "1,4,0,0,5,5,1,3,1\n"  # class 3: a car
    )
    assert load_mot_boxes(gt) == {1: [(1, (10.0, 20.0, 40.0, 60.0))]}


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    gt = tmp_path / "gt.txt"
    gt.write_text("1,1,10,20,30,40\n")
    with pytest.raises(ValueError, match="6 columns"):
        load_mot_boxes(gt)


def test_crossings_belong_to_the_first_frame_at_or_after_their_time() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    frames = [(t0 + timedelta(milliseconds=100 * i), i + 1) for i in range(5)]
    events = [
        (t0 + timedelta(milliseconds=100), Direction.IN, 1),  # exactly frame 2
        (t0 + timedelta(milliseconds=125), Direction.OUT, 2),  # between frames 2 and 3
        (t0 + timedelta(seconds=9), Direction.IN, 3),  # after the last frame
    ]
    assert [c.frame for c in locate_crossings(events, frames)] == [2, 3, 5]
