"""Geometry primitives: side of a line (protocol convention), segment intersection, point in polygon."""

from __future__ import annotations

import pytest

from worker.geometry import Point, box_iou, cross, point_in_polygon, segments_intersect, signed_distance

H = (Point(0, 0.5), Point(1, 0.5))  # the protocol's example: upper half is "left"


@pytest.mark.parametrize(
    ("p", "sign"),
    [(Point(0.5, 0.2), -1), (Point(0.5, 0.8), 1), (Point(0.3, 0.5), 0)],
    ids=["upper-half-is-left", "lower-half-is-right", "on-the-line"],
)
def test_cross_sign_follows_the_protocol(p: Point, sign: int) -> None:
    value = cross(*H, p)
    assert (value > 0) - (value < 0) == sign


def test_signed_distance_is_perpendicular_distance() -> None:
    assert signed_distance(Point(0, 0), Point(10, 0), Point(3, 4)) == pytest.approx(4.0)
    assert signed_distance(Point(0, 0), Point(0, 10), Point(3, 4)) == pytest.approx(-3.0)
    with pytest.raises(ValueError, match="degenerate"):
        signed_distance(Point(1, 1), Point(1, 1), Point(0, 0))


@pytest.mark.parametrize(
    ("p1", "p2", "expected"),
    [
        (Point(5, -1), Point(5, 1), True),  # crosses the middle
        (Point(11, -1), Point(11, 1), False),  # crosses the infinite line beyond the end
        (Point(10, -1), Point(10, 1), True),  # through the end point exactly
        (Point(5, 1), Point(5, 2), False),  # stays on one side
        (Point(5, 0), Point(5, 2), True),  # starts on the segment
        (Point(-5, 0), Point(-1, 0), False),  # collinear, disjoint
        (Point(-5, 0), Point(1, 0), True),  # collinear, overlapping
    ],
)
def test_segments_intersect(p1: Point, p2: Point, expected: bool) -> None:
    assert segments_intersect(p1, p2, Point(0, 0), Point(10, 0)) is expected


@pytest.mark.parametrize(
    ("a", "b", "c", "d", "expected"),
    [
        (Point(0, 0), Point(1, 1), Point(0, 1), Point(1, 0), True),  # X
        (Point(0, 0), Point(1, 0), Point(0, 1), Point(1, 1), False),  # parallel
        (Point(0, 0), Point(1, 0), Point(0.5, 0), Point(0.5, 1), True),  # T: touching counts
        (Point(0, 0), Point(1, 0), Point(1.5, 0), Point(2, 0), False),  # collinear, apart
        (Point(0, 0), Point(1, 0), Point(0.5, 0), Point(2, 0), True),  # collinear, overlapping
        (Point(0, 0), Point(1, 0), Point(1, 0), Point(2, 1), True),  # shared endpoint
        (Point(0, 0), Point(1, 0), Point(0.5, 0.1), Point(0.5, 1), False),  # would cross if extended
    ],
)
@pytest.mark.parametrize("tolerance", [0.0, 1e-12], ids=["exact", "admin-tolerance"])
def test_segments_intersect_either_order(
    a: Point, b: Point, c: Point, d: Point, expected: bool, tolerance: float
) -> None:
    assert segments_intersect(a, b, c, d, tolerance=tolerance) is expected
    assert segments_intersect(c, d, a, b, tolerance=tolerance) is expected


@pytest.mark.parametrize(
    ("c", "d", "exact", "within_tolerance"),
    [
        (Point(0.5, 1e-13), Point(0.5, 1), False, True),  # stops a rounding error short of the segment
        (Point(1 + 1e-13, 0), Point(2, 0), False, True),  # collinear, a rounding error past the end
        (Point(0.5, 1e-9), Point(0.5, 1), False, False),  # a real gap stays a gap
    ],
)
def test_segments_intersect_tolerance(c: Point, d: Point, exact: bool, within_tolerance: bool) -> None:
    """The admin's zone validation passes a tolerance of 1e-12 (normalized units); the counter none."""
    a, b = Point(0, 0), Point(1, 0)
    assert segments_intersect(a, b, c, d) is exact
    assert segments_intersect(a, b, c, d, tolerance=1e-12) is within_tolerance


SQUARE = (Point(0, 0), Point(10, 0), Point(10, 10), Point(0, 10))
L_SHAPE = (Point(0, 0), Point(10, 0), Point(10, 4), Point(4, 4), Point(4, 10), Point(0, 10))


@pytest.mark.parametrize(
    ("polygon", "p", "expected"),
    [
        (SQUARE, Point(5, 5), True),
        (SQUARE, Point(15, 5), False),
        (SQUARE, Point(5, -0.1), False),
        (L_SHAPE, Point(2, 8), True),
        (L_SHAPE, Point(8, 8), False),  # the notch of the L
        ((Point(0, 0), Point(1, 1)), Point(0.5, 0.5), False),  # degenerate polygon
    ],
)
def test_point_in_polygon(polygon: tuple[Point, ...], p: Point, expected: bool) -> None:
    assert point_in_polygon(p, polygon) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),
        ((0, 0, 10, 10), (5, 0, 15, 10), 50 / 150),  # half overlaps: 50 shared of 150 covered
        ((0, 0, 10, 10), (2, 2, 8, 8), 36 / 100),  # one inside the other
        ((0, 0, 10, 10), (10, 0, 20, 10), 0.0),  # touching edges
        ((0, 0, 10, 10), (20, 20, 30, 30), 0.0),
        ((0, 0, 0, 10), (0, 0, 0, 10), 0.0),  # empty boxes
    ],
)
def test_box_iou(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float], expected: float
) -> None:
    assert box_iou(a, b) == pytest.approx(expected)
    assert box_iou(b, a) == pytest.approx(expected)
