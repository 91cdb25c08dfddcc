"""Counting accuracy against ground truth: crossings derived from MOT tracks and event matching
(precision/F1).

Pure functions over plain data (file reading aside), shared by the tests and the benchmarks so all measure the
same thing; measuring code, not part of the runtime worker. Ground-truth crossings follow shared/README.md:
the foot point ``(x + w/2, y + h)`` of each annotated person, counted on every pair of consecutive
annotations where it changes side through the segment.
"""

from __future__ import annotations

import bisect
import csv
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from worker.geometry import Point, segments_intersect, signed_distance
from worker.line_counter import Direction, Side


@dataclass(frozen=True, slots=True)
class FrameCrossing:
    """A crossing located by frame number (1-based, as in MOT files) rather than by timestamp."""

    frame: int
    direction: Direction
    track_id: int = -1


@dataclass(frozen=True, slots=True)
class MatchScore:
    """Result of matching predicted crossings to true ones; F1 = 2·TP / (2·TP + FP + FN)."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was predicted."""
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 1.0 when there was nothing to find."""
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall, computed as 2·TP / (2·TP + FP + FN)."""
        denominator = 2 * self.true_positives + self.false_positives + self.false_negatives
        return 2 * self.true_positives / denominator if denominator else 1.0


def locate_crossings(
    events: Iterable[tuple[datetime, Direction, int]], frames: Sequence[tuple[datetime, int]]
) -> list[FrameCrossing]:
    """Counted crossings ``(time, direction, track id)`` located by frame: each belongs to the first frame
    captured at or after its time, i.e. the first frame past the line, the convention of
    :func:`ground_truth_crossings` (a crossing's time may fall between two frames, see
    :class:`~worker.line_counter.LineCrossing`). ``frames``: ``(capture time, frame number)`` in capture
    order; a time after the last frame belongs to the last frame."""
    times = [t for t, _ in frames]
    out = []
    for ts, direction, track_id in events:
        i = min(bisect.bisect_left(times, ts), len(frames) - 1)
        out.append(FrameCrossing(frames[i][1], direction, track_id))
    return out


Box = tuple[float, float, float, float]
"""``(x1, y1, x2, y2)`` in pixels."""


def is_annotated_pedestrian(row: Sequence[str]) -> bool:
    """Whether a row of a MOTChallenge ``gt.txt`` is a pedestrian to count.

    MOT15 rows have 10 columns, ``frame,id,x,y,w,h,conf,wx,wy,wz``: every row is a pedestrian, ``conf == 0``
    marks rows the benchmark ignores. MOT16/17 rows have 9, ``frame,id,x,y,w,h,flag,class,visibility``:
    pedestrians are ``flag == 1`` and ``class == 1`` (other classes are vehicles, static people, occluders,
    reflections; MOT16 paper, Milan et al. 2016, table 2). Raises ``ValueError`` on another column count.
    """
    if len(row) == 9:
        return float(row[6]) == 1.0 and int(float(row[7])) == 1
    if len(row) == 10:
        return float(row[6]) != 0.0
    raise ValueError(f"not a MOT15 or MOT16 ground-truth row ({len(row)} columns): {row!r}")


def load_mot_boxes(path: Path) -> dict[int, list[tuple[int, Box]]]:
    """Read a MOTChallenge ``gt.txt`` (MOT15 or MOT16 columns, pixels) into per-id box tracks of the
    pedestrians (:func:`is_annotated_pedestrian`).

    Returns ``{id: [(frame, (x1, y1, x2, y2) in pixels), ...]}`` sorted by frame.
    """
    tracks: dict[int, list[tuple[int, Box]]] = defaultdict(list)
    with path.open(newline="") as fh:
        for row in csv.reader(fh):
            if not row or not is_annotated_pedestrian(row):
                continue
            frame, track_id = int(float(row[0])), int(float(row[1]))
            x, y, w, h = (float(v) for v in row[2:6])
            tracks[track_id].append((frame, (x, y, x + w, y + h)))
    return {tid: sorted(boxes) for tid, boxes in tracks.items()}


def load_mot_foot_points(path: Path) -> dict[int, list[tuple[int, Point]]]:
    """The per-id foot-point tracks of :func:`load_mot_boxes`: ``{id: [(frame, foot point), ...]}``, the foot
    point being the bottom centre of the box (pixels)."""
    return {
        tid: [(frame, Point((x1 + x2) / 2.0, y2)) for frame, (x1, _, x2, y2) in boxes]
        for tid, boxes in load_mot_boxes(path).items()
    }


def line_in_pixels(line: tuple[float, float, float, float], width: int, height: int) -> tuple[Point, Point]:
    """Scale a normalized line ``(x1, y1, x2, y2)`` (0..1) to pixel ends on a ``width x height`` image."""
    x1, y1, x2, y2 = line
    return Point(x1 * width, y1 * height), Point(x2 * width, y2 * height)


def ground_truth_crossings(
    tracks: dict[int, list[tuple[int, Point]]], start: Point, end: Point, in_side: Side
) -> list[FrameCrossing]:
    """Every step of every track that changes side of ``start→end`` through the segment, without hysteresis.

    ``frame`` is the frame of the first position past the line. Direction is IN when the new side is
    ``in_side``.
    """
    in_sign = -1 if in_side == "left" else 1
    out: list[FrameCrossing] = []
    for track_id, points in tracks.items():
        for (_, p), (frame, q) in itertools.pairwise(points):
            side_p = -1 if signed_distance(start, end, p) < 0 else 1
            side_q = -1 if signed_distance(start, end, q) < 0 else 1
            if side_p != side_q and segments_intersect(p, q, start, end):
                direction = Direction.IN if side_q == in_sign else Direction.OUT
                out.append(FrameCrossing(frame, direction, track_id))
    return sorted(out, key=lambda c: c.frame)


def matched_pairs(
    predicted: Sequence[FrameCrossing], truth: Sequence[FrameCrossing], tolerance_frames: int
) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of predicted to true crossings with the same direction; returns
    ``(index in predicted, index in truth)`` pairs.

    A pair matches when their frames differ by at most ``tolerance_frames``; closest pairs are matched first.
    Track ids are ignored (tracker ids and annotation ids are unrelated).
    """
    candidates = sorted(
        (abs(p.frame - t.frame), i, j)
        for i, p in enumerate(predicted)
        for j, t in enumerate(truth)
        if p.direction == t.direction and abs(p.frame - t.frame) <= tolerance_frames
    )
    used_p: set[int] = set()
    used_t: set[int] = set()
    out: list[tuple[int, int]] = []
    for _, i, j in candidates:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            out.append((i, j))
    return out


def match_crossings(
    predicted: Sequence[FrameCrossing], truth: Iterable[FrameCrossing], tolerance_frames: int
) -> MatchScore:
    """Scores :func:`matched_pairs`: true positives are the matched pairs."""
    truth_list = list(truth)
    tp = len(matched_pairs(predicted, truth_list, tolerance_frames))
    return MatchScore(tp, len(predicted) - tp, len(truth_list) - tp)


def without_back_and_forth(truth: Sequence[FrameCrossing], tolerance_frames: int) -> list[FrameCrossing]:
    """The true crossings less each pair of one person crossing the line and back within
    ``tolerance_frames`` (a foot point wobbling over the line, or a step over it and back).

    A counter with hysteresis counts neither crossing of such a pair by design, and the pair cancels out in
    any net count (occupancy), so this is the truth such a counter aims at. Per person, in frame order, a
    crossing cancels the latest uncancelled one when it goes the other way within the tolerance (so IN, OUT,
    IN within a second leaves one IN). A diagnostic, not a replacement for the truth: the target is scored
    against the literal ground truth of :func:`ground_truth_crossings`.
    """
    kept: dict[int, list[FrameCrossing]] = defaultdict(list)
    for crossing in sorted(truth, key=lambda c: c.frame):
        stack = kept[crossing.track_id]
        if (
            stack
            and stack[-1].direction != crossing.direction
            and crossing.frame - stack[-1].frame <= tolerance_frames
        ):
            stack.pop()
        else:
            stack.append(crossing)
    return sorted((c for stack in kept.values() for c in stack), key=lambda c: c.frame)
