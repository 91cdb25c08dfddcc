"""The benchmark's drawn lines on hand-made tracks (bench/accuracy/lines.py): walkable area, flow axis and
lines across the flow."""

from __future__ import annotations

import math

import pytest

from bench.accuracy.lines import (
    MIN_ANGLE_TO_FLOW_DEG,
    draw_lines_in,
    flow_axis,
    truth_for,
    walkable_area,
)
from worker.geometry import Point

WIDTH, HEIGHT = 1000, 500


def walkers(n: int = 40) -> dict[int, list[tuple[int, Point]]]:
    """People walking left to right (even ids) and right to left (odd ids), one y each, 10 px a frame."""
    tracks = {}
    for person in range(n):
        y = 300 + 4 * person
        xs = range(0, 1000, 10) if person % 2 == 0 else range(990, -10, -10)
        tracks[person] = [(frame + 1, Point(x, y)) for frame, x in enumerate(xs)]
    return tracks


def test_the_flow_axis_of_people_walking_sideways_is_horizontal() -> None:
    assert flow_axis(walkers(), fps=10) == pytest.approx(0.0, abs=1e-9)
    tilted = {1: [(f, Point(10 * f, 10 * f)) for f in range(1, 50)]}
    assert flow_axis(tilted, fps=10) == pytest.approx(45.0)


def test_the_walkable_area_spans_the_foot_points_less_the_outliers() -> None:
    tracks = walkers()
    tracks[999] = [(1, Point(500, 5))]  # one stray foot point high up
    x_lo, y_lo, x_hi, y_hi = walkable_area(tracks, WIDTH, HEIGHT)
    assert (x_lo, x_hi) == pytest.approx((0.02, 0.97), abs=0.011)
    assert y_lo == pytest.approx(0.6, abs=0.02)
    assert y_hi == pytest.approx(0.91, abs=0.02)


def test_drawn_lines_go_across_the_flow_are_crossed_and_repeat_for_a_seed() -> None:
    tracks = walkers()
    area = walkable_area(tracks, WIDTH, HEIGHT)
    lines = draw_lines_in(area, tracks, WIDTH, HEIGHT, seed=3, flow_deg=0.0)
    assert len(lines) == 6
    assert lines == draw_lines_in(area, tracks, WIDTH, HEIGHT, seed=3, flow_deg=0.0)
    assert lines != draw_lines_in(area, tracks, WIDTH, HEIGHT, seed=4, flow_deg=0.0)
    for line in lines:
        x1, y1, x2, y2 = line.coords
        angle = abs(math.degrees(math.atan2((y2 - y1) * HEIGHT, (x2 - x1) * WIDTH))) % 180
        assert min(angle, 180 - angle) >= MIN_ANGLE_TO_FLOW_DEG - 2  # rounding to 0.01 tilts a little
        assert len(truth_for(line, WIDTH, HEIGHT, tracks)) >= 5


def test_a_video_nobody_crosses_enough_is_refused() -> None:
    few = {1: [(1, Point(10, 300)), (2, Point(20, 300))]}
    with pytest.raises(RuntimeError, match="lines with 5"):
        draw_lines_in((0.0, 0.5, 1.0, 0.7), few, WIDTH, HEIGHT, seed=1, flow_deg=0.0)
