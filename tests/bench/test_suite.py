"""The per-video accuracy table of the benchmark (bench/accuracy/suite.py), on hand-made crossings."""

from __future__ import annotations

from pathlib import Path

from bench.accuracy.evaluation import FrameCrossing
from bench.accuracy.lines import BenchLine
from bench.accuracy.media import AnnotatedVideo
from bench.accuracy.scoring import LineReport, Result
from bench.accuracy.suite import VideoRun, suite_table
from worker.line_counter import Direction

IN, OUT = Direction.IN, Direction.OUT
VIDEO = AnnotatedVideo("clip", Path("clip.mp4"), Path("clip.gt.txt"), 640, 480, 10.0)


def test_the_target_is_scored_against_the_truth_less_back_and_forth_pairs_pooled_over_lines() -> None:
    # Line a: person 1 steps over and back within 1 s (a pair the target drops), person 2 crosses once.
    truth_a = [FrameCrossing(10, IN, 1), FrameCrossing(12, OUT, 1), FrameCrossing(40, IN, 2)]
    # Line b: three crossings, ours finds two of them and one false one.
    truth_b = [FrameCrossing(10, IN, 3), FrameCrossing(50, OUT, 4), FrameCrossing(90, IN, 5)]
    reports = [
        LineReport(BenchLine("a", (0, 0, 1, 1)), truth_a, {"ours": Result([FrameCrossing(41, IN)])}),
        LineReport(
            BenchLine("b", (0, 0, 1, 1)),
            truth_b,
            {"ours": Result([FrameCrossing(11, IN), FrameCrossing(52, OUT), FrameCrossing(70, OUT)])},
        ),
    ]
    table = suite_table([VideoRun(VIDEO, "tune", reports, tolerance_frames=10)])
    row = next(r for r in table.splitlines() if r.startswith("| clip, tune"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # Target's truth: 1 + 3 = 4 (literal 6); ours 1 + 3 = 4 counted, |1-1| + |3-3| = 0 error.
    # Matches: a 1 TP; b 2 TP, 1 FP, 1 FN -> P 3/4, R 3/4, F1 0.75.
    assert cells[1:6] == ["2", "4 (6)", "0.0 %", "0.750 / 0.750 / 0.750", "no"]
    # Against the literal truth: |1-3| + 0 = 2 of 6; TP 3, FP 1, FN 3 -> F1 6/10.
    assert cells[6] == "33.3 % / 0.600"
    assert "| **pooled, tune** | 2 | 4 (6) |" in table
