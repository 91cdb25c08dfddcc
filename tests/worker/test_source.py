"""Frame source with fake captures: sampling to the target rate, UTC timestamps, and reconnecting live streams
that end, fail to open, or stall without erroring (the watchdog)."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from worker.source import Capture, FrameSource, SourceConfig, SourceError, is_live, parse_source

CAP_PROP_FPS, CAP_PROP_FRAME_COUNT = 5, 7  # cv2 constants, without importing cv2 here


class FakeCapture:
    """Delivers ``frames`` tiny images, then ends, or (``stall=True``) blocks in read() until released."""

    def __init__(
        self,
        frames: int,
        fps: float = 30.0,
        stall: bool = False,
        opened: bool = True,
        interval_s: float = 0.0,
    ) -> None:
        self.frames, self.fps, self.stall, self.opened, self.interval_s = (
            frames,
            fps,
            stall,
            opened,
            interval_s,
        )
        self.pos = 0
        self.released = threading.Event()

    def isOpened(self) -> bool:
        return self.opened

    def _image(self) -> Any:
        return np.full((4, 6, 3), self.pos % 256, dtype=np.uint8)

    def read(self) -> tuple[bool, Any]:
        if self.pos >= self.frames:
            if self.stall:
                self.released.wait(30)  # a frozen stream: no error, no frame
            return False, None
        if self.interval_s:
            time.sleep(self.interval_s)
        self.pos += 1
        return True, self._image()

    def grab(self) -> bool:
        if self.pos >= self.frames:
            return False
        self.pos += 1
        return True

    def retrieve(self) -> tuple[bool, Any]:
        return True, self._image()

    def get(self, prop_id: int) -> float:
        return {CAP_PROP_FPS: self.fps, CAP_PROP_FRAME_COUNT: float(self.frames)}.get(prop_id, 0.0)

    def release(self) -> None:
        self.released.set()


@pytest.mark.parametrize(
    ("source", "live"),
    [
        ("rtsp://cam/1", True),
        ("http://cam/mjpg", True),
        ("0", True),
        (2, True),
        ("video.mp4", False),
        ("/data/cam.avi", False),
    ],
)
def test_live_sources_are_recognized(source: str | int, live: bool) -> None:
    assert is_live(source) is live


def test_webcam_index_becomes_an_int() -> None:
    assert parse_source(" 1 ") == 1
    assert parse_source("clip.mp4") == "clip.mp4"


@pytest.mark.parametrize(
    ("fps", "target", "kept"),
    [
        (30.0, 10.0, list(range(0, 30, 3))),
        (10.0, 10.0, list(range(30))),
        (25.0, 10.0, [0, 3, 5, 8, 10, 13, 15, 18, 20, 23, 25, 28]),
        (30.0, None, list(range(30))),
    ],
    ids=["30-to-10-every-third", "same-rate-keeps-all", "25-to-10-on-a-grid", "no-sampling"],
)
def test_file_frames_are_sampled_to_the_target_rate(
    fps: float, target: float | None, kept: list[int]
) -> None:
    frames = 30
    start = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    src = FrameSource(
        "clip.mp4",
        SourceConfig(target_fps=target, file_start_time=start),
        opener=lambda s: FakeCapture(frames, fps=fps),
    )
    out = list(src)
    assert [f.index for f in out] == kept
    assert out[1].ts - out[0].ts == timedelta(seconds=kept[1] / fps)
    assert out[0].ts.tzinfo is not None
    assert out[0].ts.utcoffset() == timedelta(0)
    assert src.frames_read == frames
    assert src.total_frames == frames


def test_unreadable_file_raises() -> None:
    src = FrameSource("missing.mp4", opener=lambda s: FakeCapture(0, opened=False))
    with pytest.raises(SourceError):
        list(src)


def collect(src: FrameSource, n: int, timeout_s: float = 10.0) -> list[Any]:
    """Take n frames from a live source (in a thread, so a bug cannot hang the test run)."""
    got: list[Any] = []

    def consume() -> None:
        for frame in src:
            got.append(frame)
            if len(got) >= n:
                break
        src.close()

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    t.join(timeout_s)
    src.close()
    assert not t.is_alive(), f"source hung after {len(got)} frames"
    return got


def test_a_stalled_stream_is_detected_and_reopened() -> None:
    captures: list[FakeCapture] = []

    def opener(source: str | int) -> Capture:
        # First connection freezes after 3 frames; the second one works.
        cap = FakeCapture(3 if not captures else 1000, stall=not captures, interval_s=0.01)
        captures.append(cap)
        return cap

    config = SourceConfig(target_fps=None, stall_timeout_s=0.3, reconnect_base_s=0.05)
    src = FrameSource("rtsp://cam/1", config, opener=opener)
    t0 = time.monotonic()
    frames = collect(src, 6)
    assert len(frames) == 6
    assert len(captures) == 2
    assert src.reconnects == 1
    assert "no frame for 0.3 s" in (src.last_error or "")
    assert time.monotonic() - t0 >= 0.3  # the watchdog waited for the stall timeout, no longer
    assert src.status == "ok"
    assert all(f.ts.utcoffset() == timedelta(0) for f in frames)


def test_failing_opens_back_off_exponentially_and_report_failed() -> None:
    attempts: list[float] = []

    def opener(source: str | int) -> Capture:
        attempts.append(time.monotonic())
        return FakeCapture(1000, opened=len(attempts) > 4, interval_s=0.005)

    config = SourceConfig(target_fps=None, reconnect_base_s=0.05, reconnect_max_s=1.0, failed_after=3)
    statuses: list[str] = []
    src = FrameSource("rtsp://cam/1", config, opener=opener)
    orig = src._next_live_frame

    def spy(generation: int) -> Any:
        statuses.append(src.status)
        return orig(generation)

    src._next_live_frame = spy  # type: ignore[method-assign]
    assert len(collect(src, 2)) == 2
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert len(attempts) == 5
    assert gaps[0] >= 0.05
    assert gaps[1] >= 0.1
    assert gaps[2] >= 0.2  # 0.05, 0.1, 0.2, 0.4 s
    assert "failed" in statuses
    assert src.status == "ok"


def test_a_stream_that_ends_is_reopened() -> None:
    opened: list[int] = []

    def opener(source: str | int) -> Capture:
        opened.append(1)
        return FakeCapture(2, interval_s=0.005)

    src = FrameSource("rtsp://cam/1", SourceConfig(target_fps=None, reconnect_base_s=0.01), opener=opener)
    assert len(collect(src, 5)) == 5
    assert len(opened) >= 3


def test_a_slow_consumer_gets_the_newest_frame_and_drops_are_counted() -> None:
    src = FrameSource(
        "rtsp://cam/1", SourceConfig(target_fps=None), opener=lambda s: FakeCapture(10_000, interval_s=0.002)
    )
    got: list[int] = []
    for frame in src:
        got.append(frame.index)
        time.sleep(0.05)
        if len(got) == 4:
            break
    src.close()
    assert src.frames_dropped > 0
    assert got[-1] - got[0] > 3  # frames skipped ahead instead of queueing up
