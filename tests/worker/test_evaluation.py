"""Ground-truth helpers of the accuracy measurements (worker/evaluation.py), on hand-made crossings."""

from __future__ import annotations

from worker.evaluation import FrameCrossing, match_crossings, without_back_and_forth
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
