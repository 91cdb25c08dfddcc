"""The benchmark's video and its annotations: where they are, how frames are read, the annotated tracks.

Everything here reads files (../shared/media); the scoring itself is pure (:mod:`bench.accuracy.evaluation`).
"""

from __future__ import annotations

import configparser
import functools
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.accuracy.evaluation import Box, load_mot_boxes, load_mot_foot_points
from worker.geometry import Point
from worker.source import FrameSource, SourceConfig

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("STOREINTEL_SHARED_DIR", ROOT.parent / "shared"))
VIDEO = SHARED / "media" / "pets09-s2l1-view1.avi"
GROUND_TRUTH = SHARED / "media" / "pets09-s2l1-view1.gt.txt"
OPENVINO_MODEL = SHARED / "models" / "yolo11n_int8_openvino_model"
PT_MODEL = SHARED / "models" / "yolo11n.pt"
START = datetime(2026, 1, 1, tzinfo=UTC)  # capture time of frame 1; only differences matter


def offline_ultralytics() -> None:
    """Keep Ultralytics out of the home folder and off the network (unless the environment says otherwise).

    Called by the entry scripts before anything imports Ultralytics: the peers import it directly, and the
    child processes of bench/worker_fps.py inherit the variables.
    """
    os.environ.setdefault(
        "YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "storeintel-bench-ultralytics")
    )
    os.environ.setdefault("YOLO_OFFLINE", "true")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")


def video_size_and_fps(video: Path) -> tuple[int, int, float]:
    """Width, height (pixels) and frame rate of a video file."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    try:
        return int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), cap.get(5)
    finally:
        cap.release()


def frames(video: Path, target_fps: float) -> FrameSource:
    """The worker's own frame source over the file: the same decode and sampling for every contender."""
    return FrameSource(str(video), SourceConfig(target_fps=target_fps or None, file_start_time=START))


@functools.cache
def ground_truth_tracks(ground_truth: Path = GROUND_TRUTH) -> dict[int, list[tuple[int, Point]]]:
    """The annotated foot-point tracks (pixels) of a ground-truth file (default: PETS09), read once per
    process."""
    return load_mot_foot_points(ground_truth)


def annotated_boxes(ground_truth: Path = GROUND_TRUTH) -> dict[int, list[tuple[int, Box]]]:
    """``{frame: [(annotated person id, (x1, y1, x2, y2) in pixels), ...]}`` from the ground truth
    (:func:`bench.accuracy.evaluation.load_mot_boxes` by frame)."""
    out: dict[int, list[tuple[int, Box]]] = {}
    for person, boxes in load_mot_boxes(ground_truth).items():
        for frame, box in boxes:
            out.setdefault(frame, []).append((person, box))
    return out


VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov")


@dataclass(frozen=True, slots=True)
class AnnotatedVideo:
    """A video with its MOTChallenge ground truth: ``<name>.gt.txt`` beside ``<name>.<mp4|avi|...>``, and the
    sequence's ``<name>.seqinfo.ini`` where there is one. Size in pixels, frame rate in frames/s."""

    name: str
    video: Path
    ground_truth: Path
    width: int
    height: int
    fps: float

    def tracks(self) -> dict[int, list[tuple[int, Point]]]:
        """The annotated foot-point tracks (pixels), :func:`ground_truth_tracks`."""
        return ground_truth_tracks(self.ground_truth)


def annotated_videos(media: Path = SHARED / "media") -> list[AnnotatedVideo]:
    """Every annotated video in ``media``, by name. Size and frame rate come from ``seqinfo.ini`` where it
    exists (the benchmark's own figures), else from the video file. Raises ``FileNotFoundError`` when a ground
    truth has no video beside it."""
    out = []
    for gt in sorted(media.glob("*.gt.txt")):
        name = gt.name.removesuffix(".gt.txt")
        video = next((media / f"{name}{s}" for s in VIDEO_SUFFIXES if (media / f"{name}{s}").exists()), None)
        if video is None:
            raise FileNotFoundError(f"{gt} has no video beside it ({', '.join(VIDEO_SUFFIXES)})")
        width, height, fps = video_size_and_fps(video)
        info = media / f"{name}.seqinfo.ini"
        if info.exists():
            seq = configparser.ConfigParser()
            seq.read(info)
            width, height = seq.getint("Sequence", "imWidth"), seq.getint("Sequence", "imHeight")
            fps = seq.getfloat("Sequence", "frameRate")
        out.append(AnnotatedVideo(name, video, gt, width, height, fps))
    return out
