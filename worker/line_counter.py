"""Line crossing counter: turns per-frame track positions into IN/OUT crossings. Pure: no I/O, no clock.

Rules (docs/worker.md, "Counting rules"):

* a track's side of the directed line ``a→b`` is the sign of its signed distance ``d`` (negative = left);
* a track is *settled* on a side once ``|d| >= h``, the hysteresis distance,
  ``h = max(hysteresis_scale_frac * box_height, hysteresis_min)``;
* a crossing counts when a track settles on the side opposite to the one it last settled on **and** the path
  between its consecutive positions passed through the segment ``a-b`` (not around its ends) since then;
* the direction is IN when the track settles on the calibrated "in" side, OUT otherwise;
* crossings of tracks with fewer than ``min_hits`` observations are held back until the track is confirmed and
  discarded if it disappears before that.

Testing the path segment between consecutive positions rather than single positions means a fast walker who
skips the whole hysteresis band between two sampled frames still counts, and a person lingering or jittering
on the line never counts, because they never settle on the far side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from worker.geometry import Point, segments_intersect, signed_distance
from worker.tracks import Observation

Side = Literal["left", "right"]


class Direction(StrEnum):
    """Crossing direction relative to the store: IN enters the calibrated "in" side."""

    IN = "IN"
    OUT = "OUT"


@dataclass(frozen=True, slots=True)
class LineCounterConfig:
    """Tuning of the counter. Distances are in the unit of the observations (pixels in the pipeline).

    ``hysteresis_scale_frac``: the band half-width as a fraction of the person's box height
    (``Observation.scale``), so it grows with apparent size and tolerates the foot-point jitter of the
    detector, which scales the same way. ``hysteresis_min``: a floor for that band (small or partly occluded
    boxes). ``min_hits``: observations a track needs before its crossings count. ``track_ttl``: how long a
    track that is no longer reported is remembered; it should cover the tracker's own lost-track buffer so a
    track that re-appears keeps its side.
    """

    hysteresis_scale_frac: float = 0.1
    hysteresis_min: float = 2.0
    min_hits: int = 3
    track_ttl: timedelta = timedelta(seconds=5)

    def __post_init__(self) -> None:
        if self.hysteresis_scale_frac < 0 or self.hysteresis_min < 0:
            raise ValueError("hysteresis must be >= 0")
        if self.min_hits < 1:
            raise ValueError("min_hits must be >= 1")


@dataclass(frozen=True, slots=True)
class LineCrossing:
    """A counted crossing. ``ts`` (UTC) is when the track's path met the line: interpolated between the
    capture times of the last position before it and the first past it, in proportion to their distances from
    the line (within the frame interval before the first frame past the line when the two are consecutive
    frames; after a gap, as when a hidden person is found again on the far side, the best estimate from the
    two positions)."""

    track_id: int
    direction: Direction
    ts: datetime
    confidence: float | None


@dataclass(slots=True)
class _TrackState:
    point: Point  # last position
    side: int  # side of the last position: -1 left, +1 right (on the line counts as right)
    last_seen: datetime
    hits: int = 1
    settled: int = 0  # -1 left, +1 right, 0 not yet clearly on either side
    crossed_at: datetime | None = None  # when the track last left ``settled`` through the segment
    crossed_confidence: float | None = None
    held: list[LineCrossing] = field(default_factory=list)  # crossings waiting for the track to be confirmed


class LineCounter:
    """Counts crossings of one counting line by tracked people.

    ``start``/``end`` are the line's end points in the observations' unit (pixels in the pipeline);
    ``in_side`` names the side of ``start→end`` that is inside the store (see docs/worker-protocol.md).

    >>> c = LineCounter(Point(0, 50), Point(100, 50), in_side="left", config=LineCounterConfig(min_hits=1))
    >>> t0 = datetime(2026, 1, 1)
    >>> c.update(t0, [Observation(1, Point(50, 80), scale=40)])  # below the line: right side
    []
    >>> [x.direction for x in c.update(t0 + timedelta(seconds=1), [Observation(1, Point(50, 20), scale=40)])]
    [<Direction.IN: 'IN'>]
    """

    def __init__(
        self, start: Point, end: Point, in_side: Side, config: LineCounterConfig | None = None
    ) -> None:
        if start == end:
            raise ValueError("degenerate counting line: both end points are equal")
        self.start = start
        self.end = end
        self.in_side: Side = in_side
        self.config = config or LineCounterConfig()
        self._in_sign = -1 if in_side == "left" else 1
        self._tracks: dict[int, _TrackState] = {}
        self.counts: dict[Direction, int] = {Direction.IN: 0, Direction.OUT: 0}

    def update(self, ts: datetime, observations: Iterable[Observation]) -> list[LineCrossing]:
        """Feed one frame's observations (capture time ``ts``, UTC); returns the crossings counted in this
        frame.

        Tracks absent from ``observations`` are kept for ``config.track_ttl`` and then forgotten.
        """
        out: list[LineCrossing] = []
        for obs in observations:
            out.extend(self._observe(ts, obs))
        expired = [tid for tid, st in self._tracks.items() if ts - st.last_seen > self.config.track_ttl]
        for tid in expired:
            del self._tracks[tid]
        for crossing in out:
            self.counts[crossing.direction] += 1
        return out

    def forget(self, track_id: int) -> None:
        """Drop a track's state, including crossings still held back for confirmation."""
        self._tracks.pop(track_id, None)

    def _observe(self, ts: datetime, obs: Observation) -> list[LineCrossing]:
        cfg = self.config
        d = signed_distance(self.start, self.end, obs.point)
        band = max(cfg.hysteresis_scale_frac * obs.scale, cfg.hysteresis_min)
        side_now = -1 if d < 0 else 1
        settled_now = side_now if abs(d) >= band else 0

        st = self._tracks.get(obs.track_id)
        if st is None:
            self._tracks[obs.track_id] = _TrackState(
                point=obs.point, side=side_now, last_seen=ts, settled=settled_now
            )
            return []

        st.hits += 1
        if side_now != st.side:
            # The path crossed the infinite line. It is a candidate crossing only when it leaves the settled
            # side
            # through the segment; coming back, or going round an end of the segment, cancels any candidate.
            leaving = st.settled != 0 and side_now != st.settled
            through = segments_intersect(st.point, obs.point, self.start, self.end)
            st.crossed_at = self._meeting_time(st, ts, d) if leaving and through else None
            st.crossed_confidence = obs.confidence
        st.point = obs.point
        st.side = side_now
        st.last_seen = ts

        if settled_now != 0:
            if st.settled != 0 and settled_now != st.settled and st.crossed_at is not None:
                direction = Direction.IN if settled_now == self._in_sign else Direction.OUT
                st.held.append(LineCrossing(obs.track_id, direction, st.crossed_at, st.crossed_confidence))
            st.settled = settled_now
            st.crossed_at = None
            st.crossed_confidence = None

        if st.held and st.hits >= cfg.min_hits:
            released, st.held = st.held, []
            return released
        return []

    def _meeting_time(self, st: _TrackState, ts: datetime, d: float) -> datetime:
        """When the step from ``st.point`` (seen at ``st.last_seen``) to a position at signed distance ``d``
        (seen at ``ts``) met the line, assuming constant speed along the step."""
        d_prev = signed_distance(self.start, self.end, st.point)
        fraction = d_prev / (d_prev - d) if d_prev != d else 1.0
        return st.last_seen + (ts - st.last_seen) * min(1.0, max(0.0, fraction))
