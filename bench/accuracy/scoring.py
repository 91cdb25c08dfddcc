"""Scores of a contender on a line against the ground truth: count error, crossing-event F1, the target, and
why ours missed what it missed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.accuracy.evaluation import (
    FrameCrossing,
    MatchScore,
    line_in_pixels,
    match_crossings,
    matched_pairs,
    without_back_and_forth,
)
from bench.accuracy.lines import BenchLine, Tracks
from bench.accuracy.media import ground_truth_tracks
from worker.geometry import signed_distance
from worker.line_counter import Direction


@dataclass(slots=True)
class Result:
    """Predicted crossings of one contender on one line, located by 1-based video frame number."""

    crossings: list[FrameCrossing] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, direction: Direction | None = None) -> int:
        return sum(direction is None or c.direction is direction for c in self.crossings)


def count_error_pct(predicted: int, truth: int) -> float:
    """Absolute count error in % of the truth (0 % when both are 0, 100 % per unit when the truth is 0)."""
    if truth == 0:
        return 0.0 if predicted == 0 else 100.0 * predicted
    return 100.0 * abs(predicted - truth) / truth


TARGET_ERROR_PCT = 5.0


TARGET_F1 = 0.90


@dataclass(slots=True)
class LineReport:
    """Everything measured on one line: truth and each contender's crossings."""

    line: BenchLine
    truth: list[FrameCrossing]
    results: dict[str, Result]  # contender name → crossings; "ours" first
    tracks: Tracks | None = None  # the annotated foot points the truth came from; None: PETS09's

    def score(self, contender: str, tolerance_frames: int, direction: Direction | None = None) -> MatchScore:
        predicted = [c for c in self.results[contender].crossings if direction in (None, c.direction)]
        truth = [c for c in self.truth if direction in (None, c.direction)]
        return match_crossings(predicted, truth, tolerance_frames)

    def truth_count(self, direction: Direction | None = None) -> int:
        return sum(direction in (None, c.direction) for c in self.truth)

    def meets_target(self, tolerance_frames: int, truth: Sequence[FrameCrossing] | None = None) -> bool:
        """Ours within the target (count error and F1) against the truth, or against ``truth`` if given."""
        truth = self.truth if truth is None else truth
        ours = self.results["ours"].crossings
        error = count_error_pct(len(ours), len(truth))
        return error <= TARGET_ERROR_PCT and match_crossings(ours, truth, tolerance_frames).f1 >= TARGET_F1

    def net_truth(self, tolerance_frames: int) -> list[FrameCrossing]:
        """The truth less one person's back-and-forth pairs within the tolerance (a diagnostic only)."""
        return without_back_and_forth(self.truth, tolerance_frames)


SEGMENT_END_PX = 10.0
"""A true crossing this close to an end of the segment (pixels, along the line) is a "tip" crossing: a foot
point a few pixels off passes round the end instead of through the segment."""


def unmatched(report: LineReport, tolerance_frames: int) -> tuple[list[FrameCrossing], list[FrameCrossing]]:
    """Ours' false negatives (true crossings left unmatched) and false positives, with the matching the
    scores use (:func:`bench.accuracy.evaluation.matched_pairs`)."""
    predicted, truth = report.results["ours"].crossings, report.truth
    pairs = matched_pairs(predicted, truth, tolerance_frames)
    used_p, used_t = {i for i, _ in pairs}, {j for _, j in pairs}
    return (
        [t for j, t in enumerate(truth) if j not in used_t],
        [p for i, p in enumerate(predicted) if i not in used_p],
    )


def classify_miss(
    miss: FrameCrossing, report: LineReport, tolerance_frames: int, width: int, height: int
) -> str:
    """Why ours may have missed a true crossing: ``reversed`` when the same annotated person crosses the line
    back within the tolerance (an annotation wobbling across the line, or a step over and back: a counter with
    hysteresis counts neither), ``tip`` when the crossing point is within ``SEGMENT_END_PX`` of an end of the
    segment, else ``other`` (a detection or tracking miss)."""
    if any(
        t.track_id == miss.track_id
        and t.direction != miss.direction
        and abs(t.frame - miss.frame) <= tolerance_frames
        for t in report.truth
    ):
        return "reversed"
    a, b = line_in_pixels(report.line.coords, width, height)
    points = dict((ground_truth_tracks() if report.tracks is None else report.tracks)[miss.track_id])
    p, q = points[max(f for f in points if f < miss.frame)], points[miss.frame]
    dp, dq = signed_distance(a, b, p), signed_distance(a, b, q)
    k = dp / (dp - dq)  # where the step p→q meets the line
    x, y = p.x + (q.x - p.x) * k, p.y + (q.y - p.y) * k
    length = ((b.x - a.x) ** 2 + (b.y - a.y) ** 2) ** 0.5
    along = ((x - a.x) * (b.x - a.x) + (y - a.y) * (b.y - a.y)) / length
    return "tip" if min(along, length - along) <= SEGMENT_END_PX else "other"
