"""Plain data for tracked people, shared by the detector (producer) and the pure counters (consumers)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from worker.geometry import Point


class AnchorPoint(StrEnum):
    """Which point of a person's box stands for their position on the floor."""

    BOTTOM_CENTER = "bottom_center"  # the foot point: on the floor plane, so lines drawn on the floor work
    CENTER = "center"  # for top-down cameras, where the feet are not the lowest point of the box


@dataclass(frozen=True, slots=True)
class TrackedPerson:
    """One person in one frame, as reported by the tracker.

    ``box`` is ``(x1, y1, x2, y2)`` in **pixels** of the full frame (top-left, bottom-right); ``confidence``
    is the detection score 0..1; ``track_id`` is the tracker's id, stable while it keeps the track.
    """

    track_id: int
    box: tuple[float, float, float, float]
    confidence: float

    @property
    def height(self) -> float:
        """Box height in pixels."""
        return self.box[3] - self.box[1]

    def anchor(self, kind: AnchorPoint = AnchorPoint.BOTTOM_CENTER) -> Point:
        """The person's position in pixels: the bottom centre of the box (default) or its centre."""
        x1, y1, x2, y2 = self.box
        if kind is AnchorPoint.CENTER:
            return Point((x1 + x2) / 2.0, (y1 + y2) / 2.0)
        return Point((x1 + x2) / 2.0, y2)


@dataclass(frozen=True, slots=True)
class Observation:
    """A track's position in one frame, as the counters consume it.

    ``point`` and ``scale`` share a unit (pixels in the pipeline): ``scale`` is the person's box height, which
    sets how far from the line a person must be to be "clearly" on one side (hysteresis grows with apparent
    size).
    """

    track_id: int
    point: Point
    scale: float
    confidence: float | None = None
