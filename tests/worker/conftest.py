"""Worker test fixtures: where ../shared lives, and a rule for tests that need its model or video.

Those tests fail under CI (``CI=true``) when the files are missing, so a broken checkout cannot pass by
skipping; elsewhere they are skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# One home for where ../shared's video, annotations and models are: the accuracy bench's media module.
from bench.accuracy.media import GROUND_TRUTH, OPENVINO_MODEL, PT_MODEL, VIDEO

__all__ = ["GROUND_TRUTH", "OPENVINO_MODEL", "PT_MODEL", "VIDEO", "require"]


def require(*paths: Path) -> None:
    """Fail (under CI) or skip (elsewhere) unless every path exists."""
    missing = [str(p) for p in paths if not p.exists()]
    if not missing:
        return
    message = f"missing shared files: {', '.join(missing)} (set STOREINTEL_SHARED_DIR)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True, scope="session")
def _ultralytics_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep Ultralytics' settings file out of the home folder and forbid run-time pip installs."""
    os.environ.setdefault("YOLO_CONFIG_DIR", str(tmp_path_factory.mktemp("ultralytics")))
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_OFFLINE", "true")
