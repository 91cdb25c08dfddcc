"""Person detection and tracking: Ultralytics YOLO through its tracking API with ByteTrack.

The model is a setting (a ``.pt`` checkpoint, an OpenVINO export directory or an ``.onnx`` file); the tracker
settings live in ``worker/bytetrack.yaml``, which this project versions. Ultralytics is imported lazily so the
pure parts of the worker (and their tests) do not need it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from worker.protocol import DETECTION_DEFAULTS
from worker.tracks import TrackedPerson

PERSON_CLASS = 0  # COCO class index of "person"
DEFAULT_TRACKER = Path(__file__).with_name("bytetrack.yaml")
Image = npt.NDArray[np.uint8]


class PersonTracker(Protocol):
    """Anything that turns consecutive frames of one video into tracked people (tests use fakes)."""

    def track(self, image: Image) -> list[TrackedPerson]:
        """Detect and track people in the next frame (BGR, ``(h, w, 3)``); boxes in pixels."""
        ...

    def detect(self, image: Image, conf: float) -> list[tuple[float, float, float, float]]:
        """Detect people in a single image without touching the tracker; ``(x1, y1, x2, y2)`` in pixels."""
        ...


@runtime_checkable
class ThresholdSetting(Protocol):
    """A tracker whose detection threshold can change between frames without losing its tracks."""

    def set_conf(self, conf: float) -> None:
        """Use detection threshold ``conf`` (0..1) from the next frame on."""
        ...


TrackerFactory = Callable[["DetectorConfig"], PersonTracker]
"""Builds a tracker for a detector configuration (the worker rebuilds the model when the image size
changes)."""


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """``model``: path (or Ultralytics name) of the weights; ``imgsz``: model input size in pixels (fixed for
    exported models, 640 for the shipped OpenVINO export); ``conf``: detection threshold 0..1 handed to the
    tracker (keep it at or below ``track_low_thresh`` in the tracker YAML so ByteTrack's second, low-score
    association sees the weak boxes of partly occluded people); ``device``: ``cpu``, ``0``, ``intel:gpu``...
    or ``None`` for Ultralytics' choice."""

    model: str = "yolo11n.pt"
    imgsz: int = DETECTION_DEFAULTS.imgsz
    conf: float = DETECTION_DEFAULTS.conf
    device: str | None = None
    tracker: Path = DEFAULT_TRACKER


def prepare_ultralytics_env() -> None:
    """Keep Ultralytics from writing into the home folder and from pip-installing packages at run time.

    Must run before the first ``import ultralytics``.
    """
    os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "storeintel-ultralytics"))
    # check_requirements() would otherwise try `pip install` for anything it thinks is missing.
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_OFFLINE", "true")


def fixed_input_size(model: str) -> int | None:
    """The input size in pixels an exported model was built for, when it can take no other; ``None`` for
    ``.pt`` checkpoints (any multiple of the stride works), dynamic exports and anything unreadable.

    Ultralytics writes ``metadata.yaml`` into every export folder (OpenVINO, TF SavedModel, NCNN...):
    ``imgsz: [h, w]`` with ``args.dynamic`` false means a static input shape, as in the shipped INT8
    OpenVINO model (640). Single-file exports (``.onnx``...) carry no such file: unknown, so a rebuild at
    another size is tried (and its failure reported). Non-square exports report their larger side.
    """
    path = Path(model)
    if not path.is_dir():
        return None
    try:
        import yaml  # type: ignore[import-untyped]

        meta = yaml.safe_load((path / "metadata.yaml").read_text())
    except (OSError, ValueError, ImportError):
        return None
    if not isinstance(meta, dict) or (meta.get("args") or {}).get("dynamic"):
        return None
    size = meta.get("imgsz")
    sizes: list[object] = size if isinstance(size, list) else [size]
    ints = [s for s in sizes if isinstance(s, int)]
    return max(ints) if ints and len(ints) == len(sizes) else None


def _task_for(model: str) -> str | None:
    """Exported models carry no task metadata Ultralytics can always read; person detection is "detect"."""
    suffix = Path(model).suffix.lower()
    return None if suffix in {".pt", ".yaml", ".yml"} else "detect"


class YoloPersonTracker:
    """``YOLO.track(persist=True)`` restricted to people. One instance per video stream: the tracker state
    lives in the model's predictor, so a new stream needs :meth:`reset` (or a new instance)."""

    def __init__(self, config: DetectorConfig) -> None:
        prepare_ultralytics_env()
        from ultralytics.models.yolo import YOLO

        self.config = config
        self.model: Any = YOLO(config.model, task=_task_for(config.model))

    def track(self, image: Image) -> list[TrackedPerson]:
        """Detect and track people in the next frame of the stream; boxes in pixels of ``image``."""
        cfg = self.config
        results = self.model.track(
            image,
            persist=True,
            tracker=str(cfg.tracker),
            classes=[PERSON_CLASS],
            imgsz=cfg.imgsz,
            conf=cfg.conf,
            device=cfg.device,
            verbose=False,
        )
        boxes = results[0].boxes
        if boxes is None or boxes.id is None:
            return []
        xyxy = boxes.xyxy.cpu().numpy().tolist()
        ids = boxes.id.int().cpu().numpy().tolist()
        confs = boxes.conf.cpu().numpy().tolist()
        return [
            TrackedPerson(track_id=int(tid), box=(b[0], b[1], b[2], b[3]), confidence=float(c))
            for b, tid, c in zip(xyxy, ids, confs, strict=True)
        ]

    def detect(self, image: Image, conf: float) -> list[tuple[float, float, float, float]]:
        """Plain detection (no tracking) of people, for snapshots; ``conf`` is the threshold 0..1.

        Ultralytics skips its tracking callbacks outside ``mode="track"``, so this leaves the tracker
        untouched.
        """
        results = self.model.predict(
            image,
            classes=[PERSON_CLASS],
            imgsz=self.config.imgsz,
            conf=conf,
            device=self.config.device,
            verbose=False,
        )
        boxes = results[0].boxes
        if boxes is None:
            return []
        return [(b[0], b[1], b[2], b[3]) for b in boxes.xyxy.cpu().numpy().tolist()]

    def set_conf(self, conf: float) -> None:
        """Use detection threshold ``conf`` (0..1) from the next frame on; the tracks are kept (Ultralytics
        takes the threshold per call)."""
        self.config = replace(self.config, conf=conf)

    def reset(self) -> None:
        """Forget all tracks (new stream, or a long gap after a reconnect)."""
        predictor = getattr(self.model, "predictor", None)
        for tracker in getattr(predictor, "trackers", None) or []:
            tracker.reset()
