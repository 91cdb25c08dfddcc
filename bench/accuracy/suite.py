"""Counting accuracy on every annotated video of ../shared/media: one table per video and a pooled row.

Each video gets lines drawn at random across its walkable area (:func:`bench.accuracy.lines.video_lines`), in
two splits: ``tune`` (defaults may be chosen on them) and ``held-out`` (measured once after the defaults are
fixed). The target (issue 19) is scored against the annotated crossings less each person's back-and-forth
pairs within the tolerance (:func:`bench.accuracy.evaluation.without_back_and_forth`): per video, pooled F1
≥ 0.95 and Σ |count error| ≤ 5 % of the truth over its lines. The literal-truth figures stand beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.accuracy.evaluation import MatchScore, match_crossings
from bench.accuracy.lines import BenchLine, truth_for, video_lines
from bench.accuracy.media import AnnotatedVideo
from bench.accuracy.scoring import LineReport, Result

TARGET_POOLED_F1 = 0.95
TARGET_SUM_ERROR_PCT = 5.0


@dataclass(slots=True)
class VideoRun:
    """The reports of one video's lines of one split, with the tolerance in that video's frames."""

    video: AnnotatedVideo
    split: str
    reports: list[LineReport]
    tolerance_frames: int


def lines_of(video: AnnotatedVideo, splits: Sequence[str]) -> list[BenchLine]:
    """The drawn lines of ``video`` in each of ``splits`` (``tune``, ``held-out``), in that order."""
    tracks = video.tracks()
    return [
        line for split in splits for line in video_lines(tracks, video.width, video.height, video.fps, split)
    ]


def video_runs(
    video: AnnotatedVideo,
    lines: Sequence[BenchLine],
    results: dict[str, dict[str, Result]],
    tolerance_s: float,
) -> list[VideoRun]:
    """Group the contenders' ``results`` (``{contender: {line name: Result}}``) into one run per split."""
    tracks = video.tracks()
    tolerance_frames = round(tolerance_s * video.fps)
    runs: dict[str, VideoRun] = {}
    for line in lines:
        split = "tune" if line.tuned else "held-out"
        report = LineReport(
            line,
            truth_for(line, video.width, video.height, tracks),
            {name: per[line.name] for name, per in results.items()},
            tracks,
        )
        runs.setdefault(split, VideoRun(video, split, [], tolerance_frames)).reports.append(report)
    return list(runs.values())


def _pooled(runs: Sequence[VideoRun], contender: str, literal: bool = False) -> tuple[int, int, MatchScore]:
    """Σ truth, Σ |count - truth| and the pooled match score (TP, FP, FN summed) of ``contender`` over every
    line of ``runs``, against the truth less back-and-forth pairs (or the ``literal`` truth)."""
    truth_sum = error_sum = tp = fp = fn = 0
    for run in runs:
        for rep in run.reports:
            expected = rep.truth if literal else rep.net_truth(run.tolerance_frames)
            predicted = rep.results[contender].crossings
            truth_sum += len(expected)
            error_sum += abs(len(predicted) - len(expected))
            score = match_crossings(predicted, expected, run.tolerance_frames)
            tp, fp, fn = tp + score.true_positives, fp + score.false_positives, fn + score.false_negatives
    return truth_sum, error_sum, MatchScore(tp, fp, fn)


def _pct(error: int, truth: int) -> str:
    return f"{100 * error / truth:.1f} %" if truth else "n/a"


def suite_table(runs: Sequence[VideoRun]) -> str:
    """One row per video and split, then a pooled row per split: lines, truth less back-and-forth pairs (the
    target's truth) and the literal truth, ours' Σ |error| and P / R / F1 against the target's truth, whether
    ours meets the target, the peers' Σ |error| and F1 against the same truth, and ours against the literal
    truth."""
    if not runs:
        return "No annotated videos."
    contenders = list(runs[0].reports[0].results)
    peers = contenders[1:]
    head = [
        "video",
        "lines",
        "truth less pairs (literal)",
        "ours Σ |error|",
        "ours P / R / F1",
        "at target",
        *(f"{p} Σ |error| / F1" for p in peers),
        "ours vs literal truth: Σ |error| / F1",
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(label: str, parts: Sequence[VideoRun]) -> str:
        truth, err, score = _pooled(parts, "ours")
        lit_truth, lit_err, lit_score = _pooled(parts, "ours", literal=True)
        at_target = score.f1 >= TARGET_POOLED_F1 and 100 * err <= TARGET_SUM_ERROR_PCT * truth
        cells = [
            label,
            str(sum(len(r.reports) for r in parts)),
            f"{truth} ({lit_truth})",
            _pct(err, truth),
            f"{score.precision:.3f} / {score.recall:.3f} / {score.f1:.3f}",
            "yes" if at_target else "no",
        ]
        for peer in peers:
            p_truth, p_err, p_score = _pooled(parts, peer)
            cells.append(f"{_pct(p_err, p_truth)} / {p_score.f1:.3f}")
        cells.append(f"{_pct(lit_err, lit_truth)} / {lit_score.f1:.3f}")
        return "| " + " | ".join(cells) + " |"

    for split in ("tune", "held-out"):
        parts = [r for r in runs if r.split == split]
        if not parts:
            continue
        rows += [row(f"{r.video.name}, {split}", [r]) for r in parts]
        rows.append(row(f"**pooled, {split}**", parts))
    return "\n".join(rows)
