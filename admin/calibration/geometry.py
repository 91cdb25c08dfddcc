"""Calibration geometry: validate counting lines and zone polygons, and warn about risky lines. Pure code.

Coordinates are normalized image coordinates: x and y in 0..1 from the top-left corner, y down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from worker.geometry import Point as ImagePoint
from worker.geometry import cross, segments_intersect

Point = tuple[float, float]

# Endpoints closer than this (normalized units) are one point: no direction, no side, nothing to cross.
MIN_LINE_LENGTH = 0.02
# A person on a typical ceiling-mounted retail camera is about a quarter to a third of the frame height
# tall; a counting line shorter than that can be stepped around. We warn below a quarter.
PERSON_HEIGHT_FRACTION = 0.25
# Without a snapshot the frame's aspect ratio is unknown; most IP cameras stream 16:9.
DEFAULT_ASPECT = 16 / 9
EDGE_MARGIN = 0.03
# A walking direction within this many degrees of the line means people walk along it, not across it.
PARALLEL_ANGLE_DEG = 20.0
MIN_POLYGON_AREA = 1e-4  # normalized units squared: 0.01 x 0.01 of the frame
_EPS = 1e-12


class GeometryError(ValueError):
    """Invalid geometry. `fields` are request-relative names (`x2`, `polygon.3`) of what is wrong."""

    def __init__(self, fields: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.fields = fields
        self.message = message


@dataclass(frozen=True, slots=True)
class CalibrationWarning:
    """A calibration hint that does not block saving: stable `code` and a human `message`."""

    code: str
    message: str


def validate_line(x1: float, y1: float, x2: float, y2: float) -> None:
    """Refuse an out-of-frame or degenerate counting line.

    Raises:
        GeometryError: a coordinate outside 0..1 (`fields` names it), or endpoints closer than
            `MIN_LINE_LENGTH` (`fields` = `("x2", "y2")`).
    """
    for name, value in (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)):
        if not (0.0 <= value <= 1.0) or math.isnan(value):
            raise GeometryError((name,), f"{name} must be within 0..1 (the frame), got {value}")
    length = math.hypot(x2 - x1, y2 - y1)
    if length < MIN_LINE_LENGTH:
        raise GeometryError(
            ("x2", "y2"),
            f"the line is degenerate: its endpoints are {length:.4f} apart (minimum {MIN_LINE_LENGTH})",
        )


def line_warnings(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    *,
    frame_aspect: float | None,
    walking_direction: Point | None = None,
) -> list[CalibrationWarning]:
    """Hints for a valid line (see `validate_line`), in a stable order.

    Args:
        x1, y1, x2, y2: the endpoints, normalized.
        frame_aspect: width / height of the camera's frames (from the latest snapshot), None when unknown
            (16:9 is assumed and the message says so).
        walking_direction: the usual walking direction as a vector in normalized coordinates, when known.

    Codes:
        `short_line`: shorter than `PERSON_HEIGHT_FRACTION` of the frame height, measured with the
            frame's aspect so a horizontal line is not undervalued on a wide frame.
        `near_edge`: both endpoints within `EDGE_MARGIN` of the same frame edge (people there are cut
            off by the frame and tracked poorly).
        `parallel_to_walking`: within `PARALLEL_ANGLE_DEG` of the walking direction.
    """
    warnings: list[CalibrationWarning] = []
    aspect = frame_aspect if frame_aspect and frame_aspect > 0 else DEFAULT_ASPECT
    # In units of the frame height: x spans `aspect` heights.
    length_h = math.hypot((x2 - x1) * aspect, y2 - y1)
    if length_h < PERSON_HEIGHT_FRACTION:
        assumed = "" if frame_aspect else " (no snapshot yet: a 16:9 frame is assumed)"
        warnings.append(
            CalibrationWarning(
                "short_line",
                f"the line is {length_h:.2f} frame heights long, shorter than a typical person "
                f"({PERSON_HEIGHT_FRACTION} of the frame height){assumed}; people may walk around it",
            )
        )
    edges = {
        "left": x1 <= EDGE_MARGIN and x2 <= EDGE_MARGIN,
        "right": x1 >= 1 - EDGE_MARGIN and x2 >= 1 - EDGE_MARGIN,
        "top": y1 <= EDGE_MARGIN and y2 <= EDGE_MARGIN,
        "bottom": y1 >= 1 - EDGE_MARGIN and y2 >= 1 - EDGE_MARGIN,
    }
    for edge, hugging in edges.items():
        if hugging:
            warnings.append(
                CalibrationWarning(
                    "near_edge",
                    f"the line lies within {EDGE_MARGIN:.0%} of the {edge} edge, where people are cut off "
                    "by the frame and tracked poorly",
                )
            )
    if walking_direction is not None:
        angle = angle_between_deg((x2 - x1, y2 - y1), walking_direction, aspect)
        if angle is not None and angle < PARALLEL_ANGLE_DEG:
            warnings.append(
                CalibrationWarning(
                    "parallel_to_walking",
                    f"the line is {angle:.0f}° from the usual walking direction; people walk along it "
                    "rather than across it",
                )
            )
    return warnings


def angle_between_deg(line: Point, direction: Point, aspect: float = 1.0) -> float | None:
    """The unsigned angle (0..90 degrees) between a line and a direction, measured in the frame's own
    proportions (`aspect` = width / height); None when the direction is a zero vector."""
    lx, ly = line[0] * aspect, line[1]
    dx, dy = direction[0] * aspect, direction[1]
    norms = math.hypot(lx, ly) * math.hypot(dx, dy)
    if norms < _EPS:
        return None
    cos = abs(lx * dx + ly * dy) / norms
    return math.degrees(math.acos(min(1.0, cos)))


def polygon_area(points: list[Point]) -> float:
    """Unsigned area by the shoelace formula, in normalized units squared."""
    total = 0.0
    for i, (x1, y1) in enumerate(points):
        x2, y2 = points[(i + 1) % len(points)]
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def validate_polygon(points: list[Point]) -> list[Point]:
    """Validate a zone polygon and return it without a repeated closing vertex.

    Rules: every vertex within 0..1; no repeated vertex; at least 3 vertices; area at least
    `MIN_POLYGON_AREA`; a simple polygon (no two edges cross or touch, except neighbours at their shared
    vertex, and no edge folds back over its neighbour).

    Raises:
        GeometryError: `fields` is `("polygon",)` or `("polygon.<i>",)` for the offending vertex.
    """
    if len(points) >= 2 and points[0] == points[-1]:
        points = points[:-1]
    for i, (x, y) in enumerate(points):
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise GeometryError((f"polygon.{i}",), f"vertex {i} ({x}, {y}) is outside the frame (0..1)")
    seen: dict[Point, int] = {}
    for i, point in enumerate(points):
        if point in seen:
            raise GeometryError((f"polygon.{i}",), f"vertex {i} repeats vertex {seen[point]}")
        seen[point] = i
    if len(points) < 3:
        raise GeometryError(("polygon",), f"a zone needs at least 3 distinct vertices, got {len(points)}")
    area = polygon_area(points)
    if area < MIN_POLYGON_AREA:
        raise GeometryError(
            ("polygon",), f"the polygon is degenerate: area {area:.6f} is below {MIN_POLYGON_AREA}"
        )
    n = len(points)
    # The worker's segment test (one rule for what the worker will compute), with a tolerance for decimals.
    corners = [ImagePoint(x, y) for x, y in points]
    edges = [(corners[i], corners[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            adjacent = j == i + 1 or (i == 0 and j == n - 1)
            a, b = edges[i]
            c, d = edges[j]
            if adjacent:
                # Neighbours share a vertex; they overlap only when the corner folds back (a spike).
                shared, p, q = (b, a, d) if j == i + 1 else (a, b, c)
                if abs(cross(shared, p, q)) <= _EPS and (
                    (p.x - shared.x) * (q.x - shared.x) + (p.y - shared.y) * (q.y - shared.y) > 0
                ):
                    raise GeometryError(("polygon",), f"edges {i} and {j} fold back over each other")
            elif segments_intersect(a, b, c, d, tolerance=_EPS):
                raise GeometryError(("polygon",), f"the polygon intersects itself: edges {i} and {j} cross")
    return points
