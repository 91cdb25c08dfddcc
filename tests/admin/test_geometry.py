"""Calibration geometry (admin/calibration/geometry.py): tables of lines and polygons (the segment test it
uses is the worker's, tested in tests/worker/test_geometry.py)."""

from __future__ import annotations

import pytest

from admin.calibration.geometry import (
    GeometryError,
    angle_between_deg,
    line_warnings,
    polygon_area,
    validate_line,
    validate_polygon,
)

Point = tuple[float, float]


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ((0.5, 0.5, 0.5, 0.5), ("x2", "y2")),  # a point
        ((0.5, 0.5, 0.51, 0.51), ("x2", "y2")),  # 0.014 apart < 0.02
        ((-0.1, 0.2, 0.5, 0.9), ("x1",)),
        ((0.1, 1.01, 0.5, 0.9), ("y1",)),
        ((0.1, 0.2, float("nan"), 0.9), ("x2",)),
    ],
)
def test_invalid_lines(line: tuple[float, float, float, float], fields: tuple[str, ...]) -> None:
    with pytest.raises(GeometryError) as caught:
        validate_line(*line)
    assert caught.value.fields == fields


@pytest.mark.parametrize("line", [(0.5, 0.2, 0.5, 0.9), (0.0, 0.0, 1.0, 1.0), (0.3, 0.5, 0.32, 0.5)])
def test_valid_lines(line: tuple[float, float, float, float]) -> None:
    validate_line(*line)


@pytest.mark.parametrize(
    ("line", "aspect", "direction", "codes"),
    [
        ((0.5, 0.1, 0.5, 0.9), 16 / 9, None, []),  # a good doorway line
        # Vertical 0.2 of the frame height < 0.25: short whatever the aspect.
        ((0.5, 0.4, 0.5, 0.6), 16 / 9, None, ["short_line"]),
        # Horizontal 0.2 of the width: 0.2 * 16/9 = 0.36 heights on a wide frame (fine) ...
        ((0.4, 0.5, 0.6, 0.5), 16 / 9, None, []),
        # ... but 0.2 * 3/4 = 0.15 heights on a portrait 3:4 frame.
        ((0.4, 0.5, 0.6, 0.5), 3 / 4, None, ["short_line"]),
        ((0.1, 0.01, 0.9, 0.02), 16 / 9, None, ["near_edge"]),  # hugs the top edge
        ((0.98, 0.1, 0.99, 0.9), 16 / 9, None, ["near_edge"]),  # hugs the right edge
        ((0.5, 0.0, 0.5, 1.0), 16 / 9, None, []),  # touching top and bottom is a full-height line
        ((0.1, 0.5, 0.9, 0.5), 16 / 9, (1.0, 0.05), ["parallel_to_walking"]),  # walk along the line
        ((0.1, 0.5, 0.9, 0.5), 16 / 9, (0.0, 1.0), []),  # walk across it
        ((0.1, 0.5, 0.9, 0.5), 16 / 9, (0.0, 0.0), []),  # no direction at all: no opinion
        ((0.1, 0.99, 0.15, 0.99), 16 / 9, (1.0, 0.0), ["short_line", "near_edge", "parallel_to_walking"]),
    ],
)
def test_line_warnings(
    line: tuple[float, float, float, float], aspect: float, direction: Point | None, codes: list[str]
) -> None:
    warnings = line_warnings(*line, frame_aspect=aspect, walking_direction=direction)
    assert [w.code for w in warnings] == codes


def test_short_line_without_snapshot_says_16_9_was_assumed() -> None:
    [warning] = line_warnings(0.5, 0.4, 0.5, 0.6, frame_aspect=None)
    assert warning.code == "short_line"
    assert "16:9" in warning.message


@pytest.mark.parametrize(
    ("line", "direction", "aspect", "degrees"),
    [
        ((1.0, 0.0), (0.0, 1.0), 1.0, 90.0),
        ((1.0, 0.0), (1.0, 1.0), 1.0, 45.0),
        ((1.0, 0.0), (-1.0, 0.0), 1.0, 0.0),  # opposite directions are parallel
        ((1.0, 0.0), (1.0, 1.0), 2.0, 26.565),  # atan(1/2) in a 2:1 frame
    ],
)
def test_angle_between(line: Point, direction: Point, aspect: float, degrees: float) -> None:
    assert angle_between_deg(line, direction, aspect) == pytest.approx(degrees, abs=1e-3)


SQUARE = [(0.1, 0.1), (0.4, 0.1), (0.4, 0.4), (0.1, 0.4)]


def test_valid_polygon_area_and_closing_vertex() -> None:
    assert polygon_area(SQUARE) == pytest.approx(0.09)
    assert validate_polygon([*SQUARE, SQUARE[0]]) == SQUARE  # a repeated closing vertex is dropped
    concave = [(0.1, 0.1), (0.5, 0.1), (0.3, 0.2), (0.5, 0.4), (0.1, 0.4)]
    assert validate_polygon(concave) == concave


@pytest.mark.parametrize(
    ("polygon", "field"),
    [
        ([(0.1, 0.1), (0.4, 0.1)], "polygon"),  # two vertices
        ([(0.1, 0.1), (0.4, 0.1), (0.4, 0.1), (0.1, 0.4)], "polygon.2"),  # repeated vertex
        ([(0.1, 0.1), (0.2, 0.2), (0.3, 0.3)], "polygon"),  # collinear: zero area
        ([(0.1, 0.1), (0.105, 0.1), (0.105, 0.105)], "polygon"),  # area 1.25e-5 < 1e-4
        ([(0.1, 0.1), (0.5, 0.5), (0.5, 0.1), (0.1, 0.5)], "polygon"),  # bow tie
        ([(0.1, 0.1), (1.2, 0.1), (0.4, 0.4)], "polygon.1"),  # outside the frame
        # A spike: vertex 2 goes back along edge 1 (0.4,0.1)->(0.4,0.6)->(0.4,0.4).
        ([(0.1, 0.1), (0.4, 0.1), (0.4, 0.6), (0.4, 0.4), (0.1, 0.4)], "polygon"),
        # Two loops touching at one point (0.3, 0.3) without repeating a vertex.
        ([(0.1, 0.1), (0.5, 0.5), (0.5, 0.1), (0.3, 0.3), (0.1, 0.5)], "polygon"),
    ],
)
def test_invalid_polygons(polygon: list[Point], field: str) -> None:
    with pytest.raises(GeometryError) as caught:
        validate_polygon(polygon)
    assert caught.value.fields == (field,)
