"""Ours: the production counting path, ``worker.pipeline.CountingSession`` with ``YoloPersonTracker``, built
exactly as ``worker.runner.Worker`` builds it from ``WorkerSettings``; plus the track-stitching report."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.accuracy.evaluation import Box, locate_crossings
from bench.accuracy.lines import BenchLine
from bench.accuracy.media import annotated_boxes, frames
from bench.accuracy.scoring import Result
from worker.detector import Image, YoloPersonTracker
from worker.geometry import box_iou
from worker.line_counter import Direction
from worker.pipeline import CountingSession
from worker.settings import WorkerSettings, parse_line
from worker.source import Frame, FrameSource
from worker.stitching import FRESH_ID_BASE, TrackStitcher
from worker.tracks import TrackedPerson


class RecordingTracker:
    """Wraps a tracker and keeps every frame's output, to be replayed into other sessions."""

    def __init__(self, inner: YoloPersonTracker) -> None:
        self.inner = inner
        self.frames: list[list[TrackedPerson]] = []

    def track(self, image: Image) -> list[TrackedPerson]:
        people = self.inner.track(image)
        self.frames.append(people)
        return people

    def detect(self, image: Image, conf: float) -> list[Box]:
        return self.inner.detect(image, conf)


class ReplayTracker:
    """Hands out recorded tracker output frame by frame (the frames must be the same, in the same order)."""

    def __init__(self, recorded: Sequence[list[TrackedPerson]]) -> None:
        self._frames: Iterator[list[TrackedPerson]] = iter(recorded)

    def track(self, image: Image) -> list[TrackedPerson]:
        return next(self._frames)

    def detect(self, image: Image, conf: float) -> list[Box]:
        raise NotImplementedError("replayed tracks have no detector")


def session_for(settings: WorkerSettings, tracker: Any, line: BenchLine) -> CountingSession:
    """A CountingSession built exactly as worker.runner.Worker.run builds it."""
    return settings.counting_session(tracker, parse_line(",".join(map(str, line.coords)), line.in_side), [])


def count_with_session(session: CountingSession, source: Iterable[Frame]) -> Result:
    """Run a session over the frames; crossings located by the video frame their timestamp belongs to."""
    started = time.perf_counter()
    seen: list[tuple[datetime, int]] = []
    events: list[tuple[datetime, Direction, int]] = []
    for result in session.run(source):
        seen.append((result.frame.ts, result.frame.index + 1))  # MOT frames are 1-based
        events += [(c.ts, c.direction, c.track_id) for c in result.crossings]
    return Result(locate_crossings(events, seen), time.perf_counter() - started)


def thin(frame: Frame) -> Frame:
    """The frame's index, timestamp and size without its pixels, for a replay: a zero-stride view keeps the
    shape (the session scales the line to it) in one pixel of memory."""
    import numpy as np

    blank = np.broadcast_to(np.zeros((1, 1, 3), dtype=np.uint8), frame.image.shape)
    return Frame(image=blank, ts=frame.ts, index=frame.index)


def _thin(source: FrameSource, into: list[Frame]) -> Iterator[Frame]:
    """Pass frames through, keeping a :func:`thin` copy of each for a replay."""
    for frame in source:
        into.append(thin(frame))
        yield frame


def run_ours(
    settings: WorkerSettings, lines: Sequence[BenchLine], video: Path, quick: bool
) -> dict[str, Result]:
    """Ours on every line: a fresh tracker per line, or (``quick``) one tracker run replayed per line."""
    out: dict[str, Result] = {}
    recorded: list[list[TrackedPerson]] = []
    replay: list[Frame] = []
    tracking_s = 0.0
    for i, line in enumerate(lines):
        if i == 0 or not quick:
            tracker = RecordingTracker(YoloPersonTracker(settings.detector_config()))
            replay = []
            result = count_with_session(
                session_for(settings, tracker, line), _thin(frames(video, settings.target_fps), replay)
            )
            recorded, tracking_s = tracker.frames, result.seconds
        else:
            result = count_with_session(session_for(settings, ReplayTracker(recorded), line), iter(replay))
            result.seconds += tracking_s  # charge the shared tracking run to every line
        out[line.name] = result
        print(f"  ours {line.name}: {result.count()} crossings, {result.seconds:.0f} s", flush=True)
    return out


def _who(person: int | None) -> str:
    return "(unannotated)" if person is None else str(person)


def stitch_report(settings: WorkerSettings, video: Path) -> str:
    """Every join the track stitcher makes on one tracker run over ``video``, checked against the annotations:
    the annotated person whose box (IoU ≥ 0.3) the lost identity last had, and the one the joining box has.

    One line per join (video frame, tracker id, identity, frames unseen, persons before and after), then a
    summary: how many joins put the same annotated person back together. Uses the outputs of
    :class:`~worker.stitching.TrackStitcher` only.
    """
    config = settings.stitch_config()
    if config is None:
        return "Track stitching is off (STITCH_GAP_S=0)."
    tracker = RecordingTracker(YoloPersonTracker(settings.detector_config()))
    stamps: list[tuple[int, datetime]] = []  # (1-based video frame, capture time)
    for captured in frames(video, settings.target_fps):
        tracker.track(captured.image)
        stamps.append((captured.index + 1, captured.ts))
    boxes = annotated_boxes()

    def person(frame: int, box: Box) -> int | None:
        iou, who = max(((box_iou(box, b), p) for p, b in boxes.get(frame, [])), default=(0.0, None))
        return who if iou >= 0.3 else None

    stitcher = TrackStitcher(config)
    last_seen: dict[int, tuple[int, Box]] = {}  # identity -> (frame, box)
    labelled: dict[int, int] = {}  # tracker id -> the identity it was last output as
    lines: list[str] = []
    right = 0
    for (frame, ts), people in zip(stamps, tracker.frames, strict=True):
        for raw, out in zip(people, stitcher.relabel(ts, people), strict=True):
            identity = out.track_id
            joined = identity != raw.track_id and identity < FRESH_ID_BASE and identity in last_seen
            if joined and labelled.get(raw.track_id) != identity:
                lost_frame, lost_box = last_seen[identity]
                before, after = person(lost_frame, lost_box), person(frame, raw.box)
                same = before is not None and before == after
                right += same
                lines.append(
                    f"frame {frame}: tracker id {raw.track_id} joins identity {identity} after "
                    f"{frame - lost_frame} frames; annotated person {_who(before)} -> {_who(after)}"
                    + ("" if same else "  (not the same person)")
                )
            labelled[raw.track_id] = identity
            last_seen[identity] = (frame, raw.box)
    lines.append(f"{len(lines)} joins, {right} of them join the same annotated person")
    return "\n".join(lines)
