"""Zone presence: turns per-frame track positions into ZONE_ENTER / ZONE_EXIT with dwell time. Pure: no I/O.

A person *enters* a zone once their point has been inside its polygon for ``min_dwell`` without interruption
(passers-by who clip a corner do not count), and *exits* once they have been outside it for ``exit_grace`` or
their track is lost. The enter event carries the time they first stepped in; the exit event carries the time
they stepped out and ``dwell_ms = exit - enter``. A short excursion outside (shorter than ``exit_grace``, e.g.
a foot point flickering over the edge) does not split a visit in two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from worker.geometry import Point, point_in_polygon
from worker.tracks import Observation


class ZoneEventType(StrEnum):
    """Zone event kinds, named as on the wire."""

    ENTER = "ZONE_ENTER"
    EXIT = "ZONE_EXIT"


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone polygon: vertices in order, in the observations' unit (pixels in the pipeline)."""

    zone_id: str
    polygon: tuple[Point, ...]
    name: str = ""


@dataclass(frozen=True, slots=True)
class ZoneConfig:
    """``min_dwell``: continuous time inside before a visit counts; ``exit_grace``: time outside before it
    ends; ``track_ttl``: how long an unreported track stays "present" (cover the tracker's lost-track buffer).
    """

    min_dwell: timedelta = timedelta(seconds=2)
    exit_grace: timedelta = timedelta(seconds=1)
    track_ttl: timedelta = timedelta(seconds=3)


@dataclass(frozen=True, slots=True)
class ZoneEvent:
    """A zone event. ``ts`` is UTC capture time; ``dwell_ms`` (milliseconds) is set on exits only."""

    type: ZoneEventType
    zone_id: str
    track_id: int
    ts: datetime
    dwell_ms: int | None = None
    confidence: float | None = None


@dataclass(slots=True)
class _Visit:
    inside_since: datetime  # first frame inside (start of the candidate or counted visit)
    last_inside: datetime
    entered: bool = False
    outside_since: datetime | None = None
    confidence: float | None = None


@dataclass(slots=True)
class _Track:
    last_seen: datetime
    visits: dict[str, _Visit] = field(default_factory=dict)


class ZoneTracker:
    """Tracks which people are in which zones, frame by frame.

    >>> square = Zone("z", (Point(0, 0), Point(10, 0), Point(10, 10), Point(0, 10)))
    >>> zt = ZoneTracker([square], ZoneConfig(min_dwell=timedelta(0)))
    >>> [e.type.value for e in zt.update(datetime(2026, 1, 1), [Observation(1, Point(5, 5), scale=1)])]
    ['ZONE_ENTER']
    """

    def __init__(self, zones: Sequence[Zone], config: ZoneConfig | None = None) -> None:
        self.zones = tuple(zones)
        self.config = config or ZoneConfig()
        self._tracks: dict[int, _Track] = {}

    def update(self, ts: datetime, observations: Iterable[Observation]) -> list[ZoneEvent]:
        """Feed one frame (capture time ``ts``, UTC); returns the events it produced, in time order."""
        events: list[ZoneEvent] = []
        for obs in observations:
            track = self._tracks.setdefault(obs.track_id, _Track(last_seen=ts))
            track.last_seen = ts
            for zone in self.zones:
                events.extend(self._step(ts, obs, zone, track))
        for tid in [t for t, tr in self._tracks.items() if ts - tr.last_seen > self.config.track_ttl]:
            events.extend(self._close_track(tid))
        events.sort(key=lambda e: e.ts)
        return events

    def close_all(self) -> list[ZoneEvent]:
        """End every open visit (shutdown or configuration change) at each track's last-seen time."""
        events: list[ZoneEvent] = []
        for tid in list(self._tracks):
            events.extend(self._close_track(tid))
        return events

    def counts(self) -> dict[str, int]:
        """People currently counted inside each zone (entered and not yet exited), for heartbeats."""
        out = {zone.zone_id: 0 for zone in self.zones}
        for track in self._tracks.values():
            for zone_id, visit in track.visits.items():
                if visit.entered and visit.outside_since is None:
                    out[zone_id] += 1
        return out

    def _step(self, ts: datetime, obs: Observation, zone: Zone, track: _Track) -> list[ZoneEvent]:
        cfg = self.config
        visit = track.visits.get(zone.zone_id)
        if point_in_polygon(obs.point, zone.polygon):
            if visit is None:
                visit = track.visits[zone.zone_id] = _Visit(inside_since=ts, last_inside=ts)
            visit.last_inside = ts
            visit.outside_since = None
            visit.confidence = obs.confidence
            if not visit.entered and ts - visit.inside_since >= cfg.min_dwell:
                visit.entered = True
                return [
                    ZoneEvent(
                        ZoneEventType.ENTER,
                        zone.zone_id,
                        obs.track_id,
                        visit.inside_since,
                        confidence=obs.confidence,
                    )
                ]
            return []
        if visit is None:
            return []
        if not visit.entered:
            # Never counted: a passer-by, forget the candidate visit at once.
            del track.visits[zone.zone_id]
            return []
        if visit.outside_since is None:
            visit.outside_since = ts
        if ts - visit.outside_since >= cfg.exit_grace:
            del track.visits[zone.zone_id]
            return [self._exit(zone.zone_id, obs.track_id, visit, visit.outside_since)]
        return []

    def _close_track(self, track_id: int) -> list[ZoneEvent]:
        track = self._tracks.pop(track_id)
        return [
            self._exit(zone_id, track_id, visit, visit.outside_since or visit.last_inside)
            for zone_id, visit in track.visits.items()
            if visit.entered
        ]

    @staticmethod
    def _exit(zone_id: str, track_id: int, visit: _Visit, at: datetime) -> ZoneEvent:
        dwell_ms = max(0, round((at - visit.inside_since).total_seconds() * 1000))
        return ZoneEvent(
            ZoneEventType.EXIT, zone_id, track_id, at, dwell_ms=dwell_ms, confidence=visit.confidence
        )
