"""Where the demo's video and model come from: ../shared when present, else a download into a cache."""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_VIDEO_NAME = "pets09-s2l1-view1.avi"
# The same footage as ../shared/media, as OpenCV publishes it (PETS 2009 S2.L1 view 1).
SAMPLE_VIDEO_URL = "https://raw.githubusercontent.com/opencv/opencv/4.x/samples/data/vtest.avi"
OFFICIAL_MODEL_URL = "https://github.com/ultralytics/assets/releases/download/v8.3.0/yolo11n.pt"


class AssetError(RuntimeError):
    """The video or model is neither in ../shared nor downloadable; the message says what to do."""


@dataclass(frozen=True)
class DemoAssets:
    """Paths of the sample video and the model the worker loads, and where they came from."""

    video: Path
    model: Path
    origin: str


def shared_dir() -> Path:
    """`STOREINTEL_SHARED_DIR`, or `../shared` beside the project."""
    return Path(os.environ.get("STOREINTEL_SHARED_DIR", PROJECT_ROOT.parent / "shared"))


def _download(url: str, target: Path) -> Path:
    if target.exists() and target.stat().st_size > 0:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:  # noqa: S310
            while chunk := response.read(1 << 20):
                out.write(chunk)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise AssetError(
            f"could not download {url} ({exc}). Put the sample video and model in {shared_dir()} "
            "(media/ and models/, see its README) or pass --video and --model."
        ) from exc
    partial.rename(target)
    return target


def locate(video: Path | None = None, model: Path | None = None) -> DemoAssets:
    """The sample video and model: explicit paths, then ../shared, then a download into the cache.

    Raises:
        AssetError: with instructions, when nothing is found and the download fails.
    """
    shared = shared_dir()
    shared_video = shared / "media" / SAMPLE_VIDEO_NAME
    shared_model = shared / "models" / "yolo11n_int8_openvino_model"
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "storeintel" / "demo"
    origin = "given on the command line"
    if video is None:
        if shared_video.exists():
            video, origin = shared_video, f"{shared}"
        else:
            video, origin = _download(SAMPLE_VIDEO_URL, cache / SAMPLE_VIDEO_NAME), f"downloaded to {cache}"
    if model is None:
        model = shared_model if shared_model.exists() else _download(OFFICIAL_MODEL_URL, cache / "yolo11n.pt")
    for path in (video, model):
        if not path.exists():
            raise AssetError(f"{path} does not exist")
    return DemoAssets(video=video, model=model, origin=origin)
