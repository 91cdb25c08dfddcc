"""Plain data for tracked people, shared by the detector (producer) and the pure counters (consumers), and the
foot-point estimate that turns one into the other."""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
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


@dataclass(slots=True)
class _FootState:
    heights: deque[tuple[datetime, float]]  # (capture time, box height in pixels) within the window
    foot_y: float  # the last foot point's y, pixels
    last_seen: datetime


class FootPointEstimator:
    """Foot points that do not jump when a person is partly hidden: a box whose bottom is cut off by another
    person or an object moves its bottom edge up by a good fraction of the person's height, which would take
    the raw foot point across a counting line and back.

    Each track has two estimates of where its feet are: the bottom of the box, and the top of the box plus the
    track's median box height over the last ``window`` (the height of the whole person, robust to a few
    cut-off frames). While nothing is hidden they agree. When the feet are hidden the bottom jumps and the top
    estimate stays put; when the head is hidden (someone walks in front higher up in the image) the top jumps
    and the bottom stays put. Each frame takes the estimate closer to the track's previous foot point (the one
    that moved the least). ``x`` is the box centre either way. A track's first foot point is the box
    bottom; tracks unseen for ``ttl`` are forgotten.

    The window never holds fewer than the track's last ``min_samples`` heights (set it to the number of frames
    a window holds at the processing rate): after a person was hidden for a while, the heights from before
    are still the best evidence of their size, and without them the first few cut-off boxes after the gap
    would outvote the rest and move the foot point.

    The observation's ``scale`` is the median height too, so the hysteresis band does not shrink with the box
    of a half-hidden person.
    """

    def __init__(self, window: timedelta, ttl: timedelta, min_samples: int = 1) -> None:
        if window <= timedelta(0):
            raise ValueError("the foot point window must be positive")
        if min_samples < 1:
            raise ValueError("min_samples must be >= 1")
        self.window = window
        self.min_samples = min_samples
        self.ttl = ttl
        self._tracks: dict[int, _FootState] = {}

    def observe(self, ts: datetime, people: Iterable[TrackedPerson]) -> list[Observation]:
        """One frame's people (capture time ``ts``, boxes in pixels) as observations with robust foot
        points, in the same order."""
        out: list[Observation] = []
        for person in people:
            x1, y1, x2, y2 = person.box
            st = self._tracks.get(person.track_id)
            if st is None:
                st = self._tracks[person.track_id] = _FootState(deque(), y2, ts)
            st.heights.append((ts, y2 - y1))
            while len(st.heights) > self.min_samples and ts - st.heights[0][0] > self.window:
                st.heights.popleft()
            height = statistics.median(h for _, h in st.heights)
            from_top = y1 + height
            st.foot_y = y2 if abs(y2 - st.foot_y) <= abs(from_top - st.foot_y) else from_top
            st.last_seen = ts
            out.append(
                Observation(person.track_id, Point((x1 + x2) / 2.0, st.foot_y), height, person.confidence)
            )
        for track_id in [t for t, st in self._tracks.items() if ts - st.last_seen > self.ttl]:
            del self._tracks[track_id]
        return out
