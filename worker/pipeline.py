"""Frames → tracked people → line and zone events: the counting path shared by the worker, the preview and the
accuracy benchmark. No network and no disk: it yields events, and the caller decides where they go.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from worker.detector import PersonTracker
from worker.event_ids import file_event_id
from worker.geometry import Point
from worker.line_counter import Direction, LineCounter, LineCounterConfig, LineCrossing
from worker.protocol import CountingLineOut, Event, ZoneOut
from worker.source import Frame
from worker.stitching import StitchConfig, TrackStitcher
from worker.tracks import AnchorPoint, FootPointEstimator, Observation, TrackedPerson
from worker.zones import Zone, ZoneConfig, ZoneEvent, ZoneTracker

CounterConfigFor = Callable[[int], LineCounterConfig]
"""Builds the counter tuning for a frame height in pixels (hysteresis floors scale with the frame)."""

DEFAULT_FOOT_WINDOW = timedelta(seconds=1)
DEFAULT_FOOT_MIN_SAMPLES = 10  # the window's frames at the default 10 fps


@dataclass(slots=True)
class FrameResult:
    """What one frame produced: the tracked people (pixel boxes), the raw crossings and zone events, and the
    same as wire :class:`~worker.protocol.Event` objects ready for the outbox."""

    frame: Frame
    people: list[TrackedPerson]
    crossings: list[LineCrossing] = field(default_factory=list)
    zone_events: list[ZoneEvent] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


class CountingSession:
    """Counts people crossing one line and visiting zones in one video stream.

    The line and zones are normalized (0..1) and converted to pixels on the first frame and whenever the frame
    size changes. :meth:`set_layout` swaps them between frames (a new calibration takes effect without
    restart). The tracker's ids first go through :class:`~worker.stitching.TrackStitcher` (``stitch``;
    ``None``: the tracker's ids as they are), so a person whose track broke keeps one identity. With the
    foot-point anchor, positions come from :class:`~worker.tracks.FootPointEstimator` over ``foot_window``
    keeping at least ``foot_min_samples`` heights (``None``: the raw bottom centre of each box).
    ``FrameResult.people`` and :attr:`last_people` carry the stitched identities.

    ``source_id`` is the recording's :func:`~worker.event_ids.source_fingerprint` when the frames come from
    a file: events then get deterministic ids (:func:`~worker.event_ids.file_event_id`), so processing the
    file again yields the same ids. ``None`` (live streams): random ids.
    """

    def __init__(
        self,
        tracker: PersonTracker,
        line: CountingLineOut | None = None,
        zones: Sequence[ZoneOut] = (),
        *,
        counter_config: CounterConfigFor = lambda _height: LineCounterConfig(),
        zone_config: ZoneConfig | None = None,
        anchor: AnchorPoint = AnchorPoint.BOTTOM_CENTER,
        foot_window: timedelta | None = DEFAULT_FOOT_WINDOW,
        foot_min_samples: int = DEFAULT_FOOT_MIN_SAMPLES,
        stitch: StitchConfig | None = None,
        source_id: str | None = None,
    ) -> None:
        self.tracker = tracker
        self.source_id = source_id
        self._frame_index = -1  # the last processed frame's index: close() emits at it
        self._emitted: Counter[tuple[str, int, str | None]] = Counter()  # this frame's ids, for `occurrence`
        self.anchor = anchor
        self.foot_window = foot_window
        self.foot_min_samples = foot_min_samples
        self.stitch = stitch
        self._feet: FootPointEstimator | None = None
        self._stitcher: TrackStitcher | None = None
        self._counter_config = counter_config
        self._zone_config = zone_config or ZoneConfig()
        self._line = line
        self._zones = list(zones)
        self._size: tuple[int, int] | None = None
        self.counter: LineCounter | None = None
        self.zone_tracker: ZoneTracker | None = None
        self.counts: dict[Direction, int] = {Direction.IN: 0, Direction.OUT: 0}
        self._pending_close: list[ZoneEvent] = []
        self.last_people: list[TrackedPerson] = []

    @property
    def line(self) -> CountingLineOut | None:
        """The counting line in use (normalized), or ``None``."""
        return self._line

    @property
    def zones(self) -> list[ZoneOut]:
        """The zones in use (normalized)."""
        return list(self._zones)

    def set_layout(self, line: CountingLineOut | None, zones: Sequence[ZoneOut]) -> None:
        """Use a new line and zones from the next frame on. An unchanged line keeps its tracks' sides; changed
        zones end the current visits (their ZONE_EXIT events come out with the next frame)."""
        if line != self._line:
            self._line = line
            self.counter = None
        if list(zones) != self._zones:
            self._zones = list(zones)
            if self.zone_tracker is not None:
                self._pending_close.extend(self.zone_tracker.close_all())
            self.zone_tracker = None

    def set_tracker(self, tracker: PersonTracker) -> None:
        """Track with ``tracker`` from the next frame on (the model was rebuilt for new detection settings).

        Its track ids start afresh, so every per-track state is dropped as on a new stream: people inside a
        zone get their ZONE_EXIT with the next frame, the line counter and the stitcher start empty. A
        person on the line at that moment may be missed once; nobody is counted twice.
        """
        self.tracker = tracker
        self._reset_tracks()

    def set_processing_rate(self, fps: float | None) -> None:
        """The frames per second now processed (``None``: every frame, assumed 10 fps): the foot-point
        estimator keeps at least the frames of its window at that rate, from the next frame on."""
        if self.foot_window is None:
            return
        self.foot_min_samples = max(1, round(self.foot_window.total_seconds() * (fps or 10.0)))
        if self._feet is not None:
            self._feet.min_samples = self.foot_min_samples

    def zone_counts(self) -> dict[str, int]:
        """People currently in each zone, keyed by zone id."""
        if self.zone_tracker is None:
            return {str(z.id): 0 for z in self._zones}
        return self.zone_tracker.counts()

    def process(self, frame: Frame) -> FrameResult:
        """Run tracking on one frame and turn the tracks into events. Frames must come in capture order."""
        self._ensure_geometry(frame.size)
        if frame.index != self._frame_index:
            self._frame_index = frame.index
            self._emitted.clear()
        people = self.tracker.track(frame.image)
        if self._stitcher is not None:
            people = self._stitcher.relabel(frame.ts, people)
        self.last_people = people
        if self._feet is not None:
            observations = self._feet.observe(frame.ts, people)
        else:
            observations = [
                Observation(p.track_id, p.anchor(self.anchor), p.height, p.confidence) for p in people
            ]
        result = FrameResult(frame=frame, people=people)
        if self.counter is not None:
            result.crossings = self.counter.update(frame.ts, observations)
            for c in result.crossings:
                self.counts[c.direction] += 1
        zone_events, self._pending_close = self._pending_close, []
        if self.zone_tracker is not None:
            zone_events.extend(self.zone_tracker.update(frame.ts, observations))
        result.zone_events = zone_events
        result.events = [
            crossing_event(c, self._event_id(c.direction.value, c.track_id)) for c in result.crossings
        ]
        result.events += [self._zone_event(z) for z in zone_events]
        return result

    def run(self, frames: Iterable[Frame]) -> Iterator[FrameResult]:
        """Process frames lazily, one result per frame."""
        for frame in frames:
            yield self.process(frame)

    def close(self) -> list[Event]:
        """End the session: ZONE_EXIT for everyone still inside a zone (at their last-seen time)."""
        closing = self._pending_close
        self._pending_close = []
        if self.zone_tracker is not None:
            closing.extend(self.zone_tracker.close_all())
        return [self._zone_event(z) for z in closing]

    def _zone_event(self, event: ZoneEvent) -> Event:
        return zone_event(event, self._event_id(event.type.value, event.track_id, event.zone_id))

    def _event_id(self, event_type: str, tracker_id: int, zone_id: str | None = None) -> uuid.UUID | None:
        """The id of an event emitted now (while processing the current frame, or closing after the last):
        ``None`` (a random one) for a live stream, :func:`~worker.event_ids.file_event_id` for a file."""
        if self.source_id is None:
            return None
        key = (event_type, tracker_id, zone_id)
        occurrence = self._emitted[key]
        self._emitted[key] += 1
        return file_event_id(self.source_id, self._frame_index, tracker_id, event_type, zone_id, occurrence)

    def _reset_tracks(self) -> None:
        """Forget every track: close zone visits (emitted with the next frame), rebuild the geometry."""
        if self.zone_tracker is not None:
            self._pending_close.extend(self.zone_tracker.close_all())
        self._size = None  # the next frame rebuilds counter, zones, stitcher and foot points

    def _ensure_geometry(self, size: tuple[int, int]) -> None:
        if size != self._size:
            if self._size is not None and self.zone_tracker is not None:
                self._pending_close.extend(self.zone_tracker.close_all())
            self._size = size
            self.counter = None
            self.zone_tracker = None
            self._feet = None
            self._stitcher = TrackStitcher(self.stitch) if self.stitch is not None else None
            if self.anchor is AnchorPoint.BOTTOM_CENTER and self.foot_window is not None:
                ttl = self._counter_config(size[1]).track_ttl  # as long as the counter remembers a track
                self._feet = FootPointEstimator(self.foot_window, ttl, self.foot_min_samples)
        width, height = size
        if self.counter is None and self._line is not None:
            ln = self._line
            self.counter = LineCounter(
                Point(ln.x1 * width, ln.y1 * height),
                Point(ln.x2 * width, ln.y2 * height),
                in_side=ln.in_side,
                config=self._counter_config(height),
            )
        if self.zone_tracker is None and self._zones:
            zones = [
                Zone(str(z.id), tuple(Point(x * width, y * height) for x, y in z.polygon), z.name)
                for z in self._zones
            ]
            self.zone_tracker = ZoneTracker(zones, self._zone_config)


def crossing_event(crossing: LineCrossing, event_id: uuid.UUID | None = None) -> Event:
    """A line crossing as a wire event (``IN``/``OUT``); ``event_id`` ``None``: a fresh random one."""
    return Event(
        **_id(event_id),
        type=crossing.direction.value,
        ts=crossing.ts,
        tracker_id=crossing.track_id,
        confidence=_conf(crossing.confidence),
    )


def zone_event(event: ZoneEvent, event_id: uuid.UUID | None = None) -> Event:
    """A zone event as a wire event (``ZONE_ENTER``/``ZONE_EXIT`` with ``dwell_ms``); ``event_id`` ``None``:
    a fresh random one."""
    return Event(
        **_id(event_id),
        type=event.type.value,
        ts=event.ts,
        tracker_id=event.track_id,
        zone_id=event.zone_id,
        dwell_ms=event.dwell_ms,
        confidence=_conf(event.confidence),
    )


def _id(event_id: uuid.UUID | None) -> dict[str, str]:
    # Leaving the field out lets `Event` mint a uuid4 (its default factory): one place for random ids.
    return {} if event_id is None else {"event_id": str(event_id)}


def _conf(value: float | None) -> float | None:
    return None if value is None else round(min(1.0, max(0.0, value)), 4)
