"""The peers, with the same model file, image size, video, frames and lines as ours (person class only).

* **Ultralytics** ``solutions.ObjectCounter`` (one per line, as its API takes one region), with its defaults
  except ``tracker="bytetrack.yaml"``: box-centre anchor, ``conf`` 0.25, each track counted at most once.
* **supervision** ``LineZone`` fed by ``model.track(persist=True, tracker="bytetrack.yaml")`` →
  ``Detections.from_ultralytics``: with its default triggering anchors (all four box corners must cross), and
  with ``triggering_anchors=[BOTTOM_CENTER]`` (the foot point, what we count on) as a fairer variant.

Their in/out conventions are mapped onto ours by the two ``*_in_is_our_in`` functions, checked on synthetic
crossings by :func:`check_direction_conventions`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.accuracy.evaluation import FrameCrossing, line_in_pixels
from bench.accuracy.lines import BenchLine, Side
from bench.accuracy.media import frames, video_size_and_fps
from bench.accuracy.scoring import Result
from worker.geometry import Point, signed_distance
from worker.line_counter import Direction

PEER_TRACKER = "bytetrack.yaml"  # Ultralytics' own ByteTrack settings, what a user of either peer gets


def objectcounter_in_is_our_in(line_px: tuple[Point, Point], in_side: Side) -> bool:
    """Whether ObjectCounter's "in" (a move to +x on lines steeper than 45°, to +y otherwise) goes towards
    ``in_side`` of A→B."""
    a, b = line_px
    steep = abs(a.x - b.x) < abs(a.y - b.y)  # ObjectCounter's own test
    step = Point(a.x + (1.0 if steep else 0.0), a.y + (0.0 if steep else 1.0))
    towards_left = signed_distance(a, b, step) < 0
    return towards_left == (in_side == "left")


def supervision_in_is_our_in(in_side: Side) -> bool:
    """supervision's "in" is a move to the left of A→B (y down); verified by check_direction_conventions."""
    return in_side == "left"


def run_ultralytics(model: str, imgsz: int, line: BenchLine, video: Path, target_fps: float) -> Result:
    """``solutions.ObjectCounter`` over the video for one line; events from its per-frame count changes."""
    from ultralytics import solutions

    width, height, _ = video_size_and_fps(video)
    a, b = line_in_pixels(line.coords, width, height)
    counter = solutions.ObjectCounter(
        model=model,
        region=[(a.x, a.y), (b.x, b.y)],
        classes=[0],
        show=False,
        tracker=PEER_TRACKER,
        imgsz=imgsz,
        verbose=False,
    )
    in_is_in = objectcounter_in_is_our_in((a, b), line.in_side)
    started = time.perf_counter()
    result = Result()
    seen_in = seen_out = 0
    for frame in frames(video, target_fps):
        counted = counter.process(frame.image)
        for _ in range(counted.in_count - seen_in):
            result.crossings.append(
                FrameCrossing(frame.index + 1, Direction.IN if in_is_in else Direction.OUT)
            )
        for _ in range(counted.out_count - seen_out):
            result.crossings.append(
                FrameCrossing(frame.index + 1, Direction.OUT if in_is_in else Direction.IN)
            )
        seen_in, seen_out = counted.in_count, counted.out_count
    result.seconds = time.perf_counter() - started
    return result


def run_supervision(
    model_path: str, imgsz: int, lines: Sequence[BenchLine], video: Path, target_fps: float
) -> tuple[dict[str, Result], dict[str, Result]]:
    """One ``model.track`` pass feeding a ``LineZone`` per line: default anchors, and foot-point anchor."""
    import supervision as sv
    from ultralytics.models.yolo import YOLO  # ultralytics.YOLO, where mypy sees it exported

    width, height, _ = video_size_and_fps(video)
    model: Any = YOLO(model_path, task="detect")
    zones: dict[str, tuple[Any, Any, bool]] = {}
    for line in lines:
        a, b = line_in_pixels(line.coords, width, height)
        start, end = sv.Point(a.x, a.y), sv.Point(b.x, b.y)
        zones[line.name] = (
            sv.LineZone(start=start, end=end),
            sv.LineZone(start=start, end=end, triggering_anchors=[sv.Position.BOTTOM_CENTER]),
            supervision_in_is_our_in(line.in_side),
        )
    default = {line.name: Result() for line in lines}
    foot = {line.name: Result() for line in lines}
    started = time.perf_counter()
    for frame in frames(video, target_fps):
        tracked = model.track(
            frame.image, persist=True, tracker=PEER_TRACKER, classes=[0], imgsz=imgsz, verbose=False
        )[0]
        detections = sv.Detections.from_ultralytics(tracked)
        if detections.tracker_id is None:  # no confirmed track in this frame
            detections = sv.Detections.empty()
        for name, (zone_default, zone_foot, in_is_in) in zones.items():
            for zone, into in ((zone_default, default[name]), (zone_foot, foot[name])):
                crossed_in, crossed_out = zone.trigger(detections)
                for flags, theirs_in in ((crossed_in, True), (crossed_out, False)):
                    ours = Direction.IN if theirs_in == in_is_in else Direction.OUT
                    into.crossings += [FrameCrossing(frame.index + 1, ours)] * int(flags.sum())
    elapsed = time.perf_counter() - started
    for r in (*default.values(), *foot.values()):
        r.seconds = elapsed
    return default, foot


def check_direction_conventions(model: str) -> None:
    """Walk a synthetic person across lines of three orientations, both ways, and check that the peers'
    in/out maps onto our IN/OUT as the two ``*_in_is_our_in`` functions say; raises ``AssertionError``."""
    import numpy as np
    import supervision as sv
    from ultralytics import solutions

    counter = solutions.ObjectCounter(model=model, region=[(0, 0), (1, 1)], show=False, verbose=False)
    lines = [
        (Point(0, 100), Point(200, 100)),
        (Point(100, 0), Point(100, 200)),
        (Point(0, 0), Point(200, 150)),
    ]
    for a, b in lines:
        for before, after in [(Point(60, 150), Point(140, 40)), (Point(140, 40), Point(60, 150))]:
            for in_side in ("left", "right"):
                ours_in = (signed_distance(a, b, after) < 0) == (in_side == "left")

                zone = sv.LineZone(start=sv.Point(a.x, a.y), end=sv.Point(b.x, b.y))
                for p in (before, after):
                    box = np.array([[p.x - 1, p.y - 1, p.x + 1, p.y + 1]], dtype=float)
                    zone.trigger(sv.Detections(xyxy=box, tracker_id=np.array([1])))
                assert zone.in_count + zone.out_count == 1, "supervision missed the synthetic crossing"
                if ((zone.in_count == 1) == supervision_in_is_our_in(in_side)) != ours_in:
                    raise AssertionError(f"supervision mapping wrong: {a}->{b}, {before}->{after}, {in_side}")

                counter.region = [(a.x, a.y), (b.x, b.y)]
                counter.initialize_region()
                counter.in_count = counter.out_count = 0
                counter.counted_ids.clear()
                counter.count_objects((after.x, after.y), 1, (before.x, before.y), 0)
                assert counter.in_count + counter.out_count == 1, (
                    "ObjectCounter missed the synthetic crossing"
                )
                if ((counter.in_count == 1) == objectcounter_in_is_our_in((a, b), in_side)) != ours_in:
                    raise AssertionError(
                        f"ObjectCounter mapping wrong: {a}->{b}, {before}->{after}, {in_side}"
                    )
