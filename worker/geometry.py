"""Plane geometry for counting lines and zones: side of a line, segment intersection, point in polygon.

Functions are unit-agnostic (pixels or normalized 0..1, as long as all arguments use the same unit); the image
convention is x to the right and y *downwards*, which is why "left" below has a negative cross product.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple


class Point(NamedTuple):
    """A point in image coordinates (x to the right, y downwards), in pixels or normalized units."""

    x: float
    y: float


def cross(a: Point, b: Point, p: Point) -> float:
    """Cross product ``(b-a) x (p-a)`` as defined in docs/worker-protocol.md.

    ``(bx-ax)*(py-ay) - (by-ay)*(px-ax)``: negative when ``p`` is on the left of the directed segment ``a→b``
    as seen in the image (y down), positive on the right, zero on the line. Units: the input unit squared.
    """
    return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)


def signed_distance(a: Point, b: Point, p: Point) -> float:
    """Signed perpendicular distance from ``p`` to the infinite line through ``a→b``, in input units.

    Negative on the left, positive on the right (same sign as :func:`cross`). Raises ``ValueError`` when
    ``a == b`` (a degenerate line has no side).
    """
    length = math.hypot(b.x - a.x, b.y - a.y)
    if length == 0.0:
        raise ValueError("degenerate line: both end points are equal")
    return cross(a, b, p) / length


def segments_intersect(p1: Point, p2: Point, a: Point, b: Point, *, tolerance: float = 0.0) -> bool:
    """True when the closed segments ``p1-p2`` and ``a-b`` share at least one point (touching and collinear
    overlap count).

    The one segment test of the project: the line counter and the ground truth call it exactly
    (``tolerance`` 0), and the admin's zone validation (admin/calibration/geometry.py) calls it with a
    tolerance of 1e-12 so that vertices entered as decimals count as collinear when they are up to rounding.
    ``tolerance`` is in the input unit squared for the cross products and in the input unit for the bounding
    boxes.
    """
    d1 = cross(a, b, p1)
    d2 = cross(a, b, p2)
    d3 = cross(p1, p2, a)
    d4 = cross(p1, p2, b)
    if ((d1 > tolerance and d2 < -tolerance) or (d1 < -tolerance and d2 > tolerance)) and (
        (d3 > tolerance and d4 < -tolerance) or (d3 < -tolerance and d4 > tolerance)
    ):
        return True
    # Collinear or touching cases: an end point lies on the other segment.
    return (
        (abs(d1) <= tolerance and _on_segment(a, b, p1, tolerance))
        or (abs(d2) <= tolerance and _on_segment(a, b, p2, tolerance))
        or (abs(d3) <= tolerance and _on_segment(p1, p2, a, tolerance))
        or (abs(d4) <= tolerance and _on_segment(p1, p2, b, tolerance))
    )


def _on_segment(a: Point, b: Point, p: Point, tolerance: float) -> bool:
    """For ``p`` collinear with ``a-b``: whether it lies within the segment's bounding box, widened by
    ``tolerance`` on every side."""
    return (
        min(a.x, b.x) - tolerance <= p.x <= max(a.x, b.x) + tolerance
        and min(a.y, b.y) - tolerance <= p.y <= max(a.y, b.y) + tolerance
    )


def point_in_polygon(p: Point, polygon: Sequence[Point]) -> bool:
    """Even-odd rule (ray casting) membership of ``p`` in a simple polygon given as its vertices in order.

    Points exactly on an edge may fall either way; zones are drawn loosely enough that this does not matter.
    A polygon with fewer than 3 vertices contains nothing.
    """
    n = len(polygon)
    if n < 3:
        return False
    inside = False
    j = n - 1
    for i in range(n):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        if (yi > p.y) != (yj > p.y):
            x_at_y = xi + (p.y - yi) * (xj - xi) / (yj - yi)
            if p.x < x_at_y:
                inside = not inside
        j = i
    return inside


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two ``(x1, y1, x2, y2)`` boxes in the same unit (pixels in the pipeline):
    0 for disjoint or empty boxes, 1 for identical ones."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
