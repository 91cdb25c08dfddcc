"""Track stitching: one identity per person when the tracker breaks a person's track in two.

ByteTrack (and every IoU tracker) loses a person who is hidden for a few frames, by another person or by
a pole, or whose box merges with a neighbour's, and then often starts a *new* track id when the person is
seen again a little further on. For a counting line that is a missed crossing whenever the break straddles
the line: the old id ends on one side, the new id starts on the other, and neither ever changed side. For a
zone it splits one visit (and its dwell time) in two.

:class:`TrackStitcher` sits between the tracker and the counters. It hands a new track the identity of a track
lost shortly before, when the new box appears where the lost one was heading. It never merges two tracks seen
in the same frame, so it cannot join two people walking side by side.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from worker.geometry import box_iou
from worker.tracks import TrackedPerson

FRESH_ID_BASE = 1 << 30
"""Identities the stitcher has to invent start here, far above the tracker's own ids (Ultralytics counts up
from 1 per stream) and below the backend's int32 limit on ``tracker_id``."""


RETAIN = timedelta(seconds=10)
"""How long the identity of a track that is no longer seen is remembered: longer than the tracker's own
lost-track buffer (ByteTrack's is 3 s), so a tracker id the tracker revives after a join keeps the identity
it was given."""


@dataclass(frozen=True, slots=True)
class StitchConfig:
    """Tuning of :class:`TrackStitcher`.

    ``max_gap``: the longest time a person may be unseen and still be joined (the tracker's own lost-track
    buffer is 3 s; beyond ~2 s a walking person is more than a body height from any prediction).
    ``gate``: the largest distance between the predicted and the new box edge, as a fraction of the lost
    person's median box height (0.5: half a body height, scale-free across cameras).
    ``gate_growth``: how fast the gate widens with the time the person was unseen, per second (1.0: a person
    unseen for 1 s may be found within twice the gate, one body height). Where someone goes while hidden is
    less certain the longer they are hidden (they slow down, stop or turn), as a Kalman filter's predicted
    covariance grows with the prediction horizon. The value follows from walking speed: people walk about
    0.8 body heights per second (1.4 m/s at 1.7 m), and one who slows down or stops partway is somewhere
    between the "moving" and the "stopped" hypotheses, at most half that way, 0.4 body heights per second,
    from the nearer one; the gate (0.5 body heights) growing by 0.8 of itself per second covers that, and 1.0
    leaves room for a slight turn.
    ``max_height_ratio``: how much taller or shorter the new box may be (1.5: a box with up to a third of the
    person cut off by an occluder still joins; a child does not join an adult).
    ``velocity_window``: the recent stretch of a track its velocity is measured over.
    ``duplicate_iou``: a new box that overlaps the box of a track seen in the same frame by at least this
    intersection over union is a second detection of that person (detectors leave such duplicates when
    their overlap is under the NMS threshold, 0.7 in Ultralytics) and joins nobody; 0.5 is the usual
    "same object" overlap (PASCAL VOC). 1 turns the check off for all but identical boxes.
    """

    max_gap: timedelta = timedelta(seconds=2)
    gate: float = 0.5
    gate_growth: float = 1.0
    max_height_ratio: float = 1.5
    velocity_window: timedelta = timedelta(seconds=1)
    duplicate_iou: float = 0.5

    def __post_init__(self) -> None:
        if self.max_gap <= timedelta(0) or self.velocity_window <= timedelta(0):
            raise ValueError("max_gap and velocity_window must be positive")
        if self.gate <= 0:
            raise ValueError("gate must be positive")
        if self.gate_growth < 0:
            raise ValueError("gate_growth must be >= 0")
        if self.max_height_ratio < 1:
            raise ValueError("max_height_ratio must be >= 1")
        if not 0 < self.duplicate_iou <= 1:
            raise ValueError("duplicate_iou must be in (0, 1]")


@dataclass(frozen=True, slots=True)
class _Sample:
    ts: datetime
    x: float  # box centre, pixels
    top: float  # box top edge, pixels
    bottom: float  # box bottom edge, pixels


class TrackStitcher:
    """Relabels the tracker's ids so that a person keeps one identity across short breaks of their track.

    Each frame, a track id the stitcher has not seen before is compared with the identities that were seen
    within ``max_gap`` but not in this frame. A lost identity's box is predicted forward at its velocity over
    the last ``velocity_window`` (box centre in x; in y the box edge that moved less, because an occluder
    moves one edge but not the other), and, as a second hypothesis, left where it was last seen (the person
    stopped while hidden). The new box joins it when its top or its bottom edge centre lies, for either
    hypothesis, within ``gate x (1 + gate_growth x seconds unseen)`` x the lost box's median height of the
    predicted one, and the heights differ by at most ``max_height_ratio``. Closest pairs are joined first, one
    to one. A new box that overlaps the box of a track seen in the same frame by ``duplicate_iou`` or more is
    a duplicate detection of that person and joins nobody.

    The output ids are the tracker's own for tracks that were never joined. A tracker id the tracker revives
    after its identity was handed on to a successor (ByteTrack re-activates a lost track wherever its Kalman
    prediction meets a detection, often on somebody else in a crowd) is a new track as far as the identities
    go: it is joined like one, and if it joins nobody it gets a fresh identity (``FRESH_ID_BASE`` and up), so
    one identity never has two positions in a frame.

    All coordinates are pixels of the frame; ``ts`` is the frame's capture time (UTC).
    """

    def __init__(self, config: StitchConfig | None = None) -> None:
        self.config = config or StitchConfig()
        self._identity: dict[int, int] = {}  # tracker id -> identity
        self._seen: dict[int, datetime] = {}  # tracker id -> when the tracker last reported it
        self._history: dict[int, deque[_Sample]] = {}  # identity -> recent samples
        self._next_fresh = FRESH_ID_BASE

    def relabel(self, ts: datetime, people: Sequence[TrackedPerson]) -> list[TrackedPerson]:
        """One frame's tracked people (pixel boxes, capture time ``ts``) with ``track_id`` replaced by the
        person's identity; same order."""
        cfg = self.config
        revived = {p.track_id for p in people if self._handed_on(p.track_id)}
        for track_id in revived:
            del self._identity[track_id]
        new = [p for p in people if p.track_id not in self._identity]
        if new:
            known = [p for p in people if p.track_id in self._identity]
            present = {self._identity[p.track_id] for p in known}
            lost = {
                identity: history
                for identity, history in self._history.items()
                if identity not in present and timedelta(0) < ts - history[-1].ts <= cfg.max_gap
            }
            candidates = [
                p for p in new if max((box_iou(p.box, k.box) for k in known), default=0.0) < cfg.duplicate_iou
            ]
            if lost and candidates:
                self._join_new_tracks(ts, candidates, lost)

        # One identity per person per frame: an identity is only joined to while nobody in the frame has it,
        # one to one, and a tracker id whose identity another id carried on was taken out above.
        out: list[TrackedPerson] = []
        for person in people:
            self._seen[person.track_id] = ts
            if person.track_id in revived and person.track_id not in self._identity:
                self._identity[person.track_id] = self._fresh()  # revived and joined nobody
            identity = self._identity.setdefault(person.track_id, person.track_id)
            x1, y1, x2, y2 = person.box
            history = self._history.setdefault(identity, deque())
            history.append(_Sample(ts, (x1 + x2) / 2.0, y1, y2))
            while len(history) > 2 and ts - history[0].ts > cfg.velocity_window:
                history.popleft()
            out.append(person if identity == person.track_id else replace(person, track_id=identity))

        forget_before = ts - max(cfg.max_gap, RETAIN)
        forgotten = {i for i, h in self._history.items() if h[-1].ts < forget_before}
        if forgotten:
            for identity in forgotten:
                del self._history[identity]
            # A tracker id whose identity is forgotten starts afresh (as its own id) if it is revived.
            for track_id in [t for t, i in self._identity.items() if i in forgotten]:
                del self._identity[track_id]
        for track_id in [t for t, seen in self._seen.items() if seen < forget_before]:
            del self._seen[track_id]
        return out

    def _handed_on(self, track_id: int) -> bool:
        """Whether ``track_id``'s identity was carried on by another tracker id since the tracker last
        reported ``track_id`` (so ``track_id`` is being revived)."""
        identity = self._identity.get(track_id)
        history = self._history.get(identity) if identity is not None else None
        seen = self._seen.get(track_id)  # None: unseen for longer than the identities are remembered
        return history is not None and (seen is None or history[-1].ts > seen)

    def _join_new_tracks(
        self, ts: datetime, new: Sequence[TrackedPerson], lost: dict[int, deque[_Sample]]
    ) -> None:
        cfg = self.config
        candidates: list[tuple[float, int, int]] = []  # (distance / height, tracker id, lost identity)
        for identity, history in lost.items():
            last = history[-1]
            height = statistics.median(s.bottom - s.top for s in history)
            if height <= 0:
                continue
            vx, vy = _velocity(history)
            dt = (ts - last.ts).total_seconds()
            moving = (last.x + vx * dt, last.top + vy * dt, last.bottom + vy * dt)
            stopped = (last.x, last.top, last.bottom)
            gate = cfg.gate * (1.0 + cfg.gate_growth * dt) * height
            for person in new:
                x1, y1, x2, y2 = person.box
                new_height = y2 - y1
                if new_height <= 0 or max(new_height / height, height / new_height) > cfg.max_height_ratio:
                    continue
                cx = (x1 + x2) / 2.0
                distance = min(
                    min(_dist(cx - x, y2 - bottom), _dist(cx - x, y1 - top))
                    for x, top, bottom in (moving, stopped)
                )
                if distance <= gate:
                    candidates.append((distance / height, person.track_id, identity))
        joined_tracks: set[int] = set()
        joined_identities: set[int] = set()
        for _, track_id, identity in sorted(candidates):
            if track_id in joined_tracks or identity in joined_identities:
                continue
            joined_tracks.add(track_id)
            joined_identities.add(identity)
            self._identity[track_id] = identity

    def _fresh(self) -> int:
        identity = self._next_fresh
        self._next_fresh += 1
        return identity


def _velocity(history: deque[_Sample]) -> tuple[float, float]:
    """Pixels per second of the box centre in x and, in y, of the box edge that moved less."""
    first, last = history[0], history[-1]
    span = (last.ts - first.ts).total_seconds()
    if span <= 0:
        return 0.0, 0.0
    top, bottom = last.top - first.top, last.bottom - first.bottom
    return (last.x - first.x) / span, (top if abs(top) < abs(bottom) else bottom) / span


def _dist(dx: float, dy: float) -> float:
    return float((dx * dx + dy * dy) ** 0.5)
