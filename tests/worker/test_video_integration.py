"""The real model over the real video: IN/OUT counts on the vertical line against crossings derived from the
MOT ground truth (shared/README.md), through the same CountingSession the worker runs.

Tolerance: the total count within 2 of the truth (28 crossings, about 7 %), each direction within 2, and
crossing-event F1 >= 0.85 when a predicted crossing matches a true one of the same direction within 1 s
(10 frames). The benchmark's targets (5 % / 0.90) are tighter; this test guards against regressions without
being flaky on a different CPU's OpenVINO kernels.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.accuracy.evaluation import (
    ground_truth_crossings,
    line_in_pixels,
    load_mot_foot_points,
    locate_crossings,
    match_crossings,
)
from tests.worker.conftest import GROUND_TRUTH, OPENVINO_MODEL, VIDEO, require
from worker.line_counter import Direction
from worker.settings import WorkerSettings, parse_line
from worker.source import FrameSource, SourceConfig

VERTICAL = "0.5,0.2,0.5,0.9"
START = datetime(2026, 1, 1, tzinfo=UTC)
FPS = 10.0  # the video's own rate; with target_fps 10 every frame is processed


@pytest.mark.slow
def test_vertical_line_counts_match_ground_truth() -> None:
    require(VIDEO, GROUND_TRUTH, OPENVINO_MODEL)
    from worker.detector import YoloPersonTracker

    settings = WorkerSettings(model=str(OPENVINO_MODEL), imgsz=640, target_fps=FPS)
    line = parse_line(VERTICAL, "left")
    session = settings.counting_session(YoloPersonTracker(settings.detector_config()), line, [])
    source = FrameSource(str(VIDEO), SourceConfig(target_fps=FPS, file_start_time=START))
    frames: list[tuple[datetime, int]] = []
    events: list[tuple[datetime, Direction, int]] = []
    for result in session.run(source):
        frames.append((result.frame.ts, result.frame.index + 1))  # MOT frames are 1-based
        events += [(c.ts, c.direction, c.track_id) for c in result.crossings]
    predicted = locate_crossings(events, frames)

    start, end = line_in_pixels((0.5, 0.2, 0.5, 0.9), 768, 576)
    truth = ground_truth_crossings(load_mot_foot_points(GROUND_TRUTH), start, end, "left")
    assert len(truth) == 28  # as documented in shared/README.md

    score = match_crossings(predicted, truth, tolerance_frames=10)
    n_in = sum(p.direction is Direction.IN for p in predicted)
    t_in = sum(t.direction is Direction.IN for t in truth)
    summary = f"predicted {len(predicted)} ({n_in} IN), truth {len(truth)} ({t_in} IN), F1 {score.f1:.3f}"
    assert abs(len(predicted) - len(truth)) <= 2, summary
    assert abs(n_in - t_in) <= 2, summary
    assert abs((len(predicted) - n_in) - (len(truth) - t_in)) <= 2, summary
    assert score.f1 >= 0.85, summary
