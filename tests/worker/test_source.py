"""Frame source with fake captures: sampling to the target rate (also changed mid-stream), UTC timestamps,
reconnecting live streams that end, fail to open, stall without erroring (the watchdog) or keep sending one
frozen picture, and the reader threads being joined at the end."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

import worker.source as source_module
from worker.protocol import DETECTION_DEFAULTS
from worker.source import (
    Capture,
    Frame,
    FrameSource,
    SourceConfig,
    SourceError,
    is_live,
    parse_source,
    picture_difference,
    thumbnail,
)

CAP_PROP_FPS, CAP_PROP_FRAME_COUNT = 5, 7  # cv2 constants, without importing cv2 here


class FakeCapture:
    """Delivers ``frames`` tiny images, then ends, or (``stall=True``) blocks in read() for ``stall_s`` (as
    OpenCV's read timeout would) or until released. ``picture(pos)`` draws frame ``pos`` (1-based), by default
    a grey level that changes every frame."""

    def __init__(
        self,
        frames: int,
        fps: float = 30.0,
        stall: bool = False,
        opened: bool = True,
        interval_s: float = 0.0,
        stall_s: float = 30.0,
        picture: Callable[[int], Any] | None = None,
    ) -> None:
        self.frames, self.fps, self.stall, self.opened, self.interval_s = (
            frames,
            fps,
            stall,
            opened,
            interval_s,
        )
        self.stall_s = stall_s
        self.picture = picture
        self.pos = 0
        self.released = threading.Event()

    def isOpened(self) -> bool:
        return self.opened

    def _image(self) -> Any:
        if self.picture is not None:
            return self.picture(self.pos)
        return np.full((4, 6, 3), self.pos % 256, dtype=np.uint8)

    def read(self) -> tuple[bool, Any]:
        if self.pos >= self.frames:
            if self.stall:
                self.released.wait(self.stall_s)  # a stalled stream: no error, no frame
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


def spy_on_waits(src: FrameSource) -> list[tuple[str, str | None, int]]:
    """Record ``(status, last_error, reconnects)`` each time the consumer asks the reader for a frame."""
    seen: list[tuple[str, str | None, int]] = []
    orig = src._next_live_frame

    def spy(generation: int) -> Any:
        seen.append((src.status, src.last_error, src.reconnects))
        return orig(generation)

    src._next_live_frame = spy  # type: ignore[method-assign]
    return seen


def test_a_stalled_stream_is_detected_and_reopened() -> None:
    captures: list[FakeCapture] = []

    def opener(source: str | int) -> Capture:
        # First connection freezes after 3 frames (for 1 s, then OpenCV's read timeout would end the read);
        # the second one works.
        cap = FakeCapture(3 if not captures else 1000, stall=not captures, interval_s=0.01, stall_s=1.0)
        captures.append(cap)
        return cap

    config = SourceConfig(target_fps=None, stall_timeout_s=0.3, reconnect_base_s=0.05)
    src = FrameSource("rtsp://cam/1", config, opener=opener)
    seen = spy_on_waits(src)
    t0 = time.monotonic()
    frames = collect(src, 6)
    assert len(frames) == 6
    assert len(captures) == 2
    assert src.reconnects == 1
    assert ("reconnecting", "no frame for 0.3 s (stalled stream)", 1) in seen
    assert time.monotonic() - t0 >= 0.3  # the watchdog waited for the stall timeout, no longer
    assert src.status == "ok"
    assert src.last_error is None  # cleared once frames flow again
    assert all(f.ts.utcoffset() == timedelta(0) for f in frames)
    # The end of the iteration waited for both readers, the orphaned one included, and each released its
    # capture.
    assert src._readers == []
    assert all(cap.released.is_set() for cap in captures)


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


def test_the_default_rate_is_the_detection_default() -> None:
    assert SourceConfig().target_fps == DETECTION_DEFAULTS.target_fps
    assert FrameSource("clip.mp4").target_fps == DETECTION_DEFAULTS.target_fps


def test_set_target_fps_changes_the_sampling_of_a_file_mid_iteration() -> None:
    src = FrameSource("clip.mp4", SourceConfig(target_fps=10.0), opener=lambda s: FakeCapture(60, fps=30.0))
    kept: list[int] = []
    for frame in src:
        kept.append(frame.index)
        if frame.index == 9:
            src.set_target_fps(5.0)  # between frames, as the runner does on a new camera config
        elif frame.index == 27:
            src.set_target_fps(None)
    # 10 fps (every 3rd), then 5 fps on the grid from the last kept frame (every 6th), then every frame.
    assert kept == [0, 3, 6, 9, 15, 21, 27, *range(28, 60)]
    assert src.target_fps is None
    assert src.config.target_fps == 10.0  # the config is what the source started with


def test_set_target_fps_rejects_nonsense() -> None:
    src = FrameSource("clip.mp4")
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="target_fps"):
            src.set_target_fps(bad)
    src.set_target_fps(0)
    assert src.target_fps is None


def test_set_target_fps_changes_the_sampling_of_a_live_source() -> None:
    # At most 100 frames/s arrive (read() sleeps 10 ms), all kept at first; at 10 fps kept frames are at
    # least 0.1 s apart, so ten or more read frames apart.
    src = FrameSource(
        "rtsp://cam/1", SourceConfig(target_fps=None), opener=lambda s: FakeCapture(10_000, interval_s=0.01)
    )
    before: list[int] = []
    after: list[int] = []

    def consume() -> None:
        for frame in src:
            (after if src.target_fps else before).append(frame.index)
            if len(before) == 10 and not src.target_fps:
                src.set_target_fps(10.0)
            if len(after) == 6:
                break

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    t.join(10)
    src.close()
    assert not t.is_alive()
    assert max(b - a for a, b in itertools.pairwise(before)) <= 3  # every frame, bar a scheduling hiccup
    # The first frame or two may have been sampled before the change (one waits in the slot).
    gaps = [b - a for a, b in itertools.pairwise(after[2:])]
    assert gaps
    assert all(g >= 8 for g in gaps), gaps
    assert src.target_fps == 10.0


# -- frozen pictures ---------------------------------------------------------------------------------------


def grey(level: int, marker: int = 0) -> Any:
    """A 64x48 picture of one grey level; ``marker`` in the corner pixel tags it without changing the picture
    (1 pixel in 3,072: a difference of at most 0.08 grey levels)."""
    image = np.full((48, 64, 3), level, dtype=np.uint8)
    image[0, 0] = marker
    return image


def test_the_grid_keeps_sensor_noise_that_tells_live_from_frozen() -> None:
    rng = np.random.default_rng(1)
    scene = np.tile(np.linspace(40, 200, 1280, dtype=np.float32), (720, 1)).astype(np.int16)[..., None]
    frames = [
        np.clip(scene + rng.integers(-2, 3, size=(720, 1280, 3)), 0, 255).astype(np.uint8) for _ in range(2)
    ]
    a, b = thumbnail(frames[0]), thumbnail(frames[1])
    assert a.shape == (72, 128)
    floor = SourceConfig().frozen_noise_floor
    assert picture_difference(a, b) > 2 * floor  # noise of +-2 grey levels survives the downscale
    assert picture_difference(a, thumbnail(frames[0].copy())) == 0.0  # a repeated frame
    assert picture_difference(a, thumbnail(frames[0][:360])) == float("inf")  # another size: changed


def collect_until(
    src: FrameSource, done: Callable[[list[Frame]], bool], timeout_s: float = 5.0
) -> list[Frame]:
    got: list[Frame] = []

    def consume() -> None:
        for frame in src:
            got.append(frame)
            if done(got):
                break

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    t.join(timeout_s)
    src.close()
    t.join(timeout_s)
    assert not t.is_alive(), f"source hung after {len(got)} frames"
    return got


def test_a_frozen_stream_is_reopened_and_stays_frozen_until_the_picture_changes() -> None:
    captures: list[FakeCapture] = []

    def opener(source: str | int) -> Capture:
        n = len(captures) + 1
        if n == 1:  # three live frames, then the encoder hangs on one picture
            picture: Callable[[int], Any] = lambda pos: grey(10 * pos if pos <= 3 else 100, marker=1)  # noqa: E731
        elif n == 2:  # reopened: still the same picture
            picture = lambda pos: grey(100, marker=2)  # noqa: E731
        else:  # reopened: the frozen picture for a few frames, then live again
            picture = lambda pos: grey(100 if pos <= 5 else 150 + pos % 50, marker=3)  # noqa: E731
        cap = FakeCapture(100_000, interval_s=0.01, picture=picture)
        captures.append(cap)
        return cap

    config = SourceConfig(target_fps=None, frozen_after_s=0.3, stall_timeout_s=5.0, reconnect_base_s=0.05)
    src = FrameSource("rtsp://cam/1", config, opener=opener)
    seen = spy_on_waits(src)
    frames = collect_until(src, lambda got: sum(f.image[0, 0, 0] == 3 for f in got) >= 5)

    frozen = "picture unchanged for 0.3 s (frozen stream)"
    assert len(captures) == 3
    assert src.reconnects == 2
    assert ("frozen", frozen, 1) in seen
    assert ("frozen", frozen, 2) in seen  # the reopened stream was still frozen: still "frozen"
    assert not any(status == "reconnecting" for status, _, _ in seen[1:])
    markers = [int(f.image[0, 0, 0]) for f in frames]
    levels = [int(f.image[1, 1, 0]) for f in frames]
    # Until the freeze was declared its frames were delivered (a still scene looks the same); afterwards no
    # frame of the frozen picture was, on the second connection or the third.
    assert 2 not in markers
    assert 100 in levels[: markers.index(3)]
    assert all(level >= 150 for level, marker in zip(levels, markers, strict=True) if marker == 3)
    assert src.status == "ok"
    assert src.last_error is None


def test_a_still_but_noisy_picture_is_not_frozen() -> None:
    rng = np.random.default_rng(7)

    def picture(pos: int) -> Any:
        # A constant scene brightening by one grey level a second, with +-2 grey levels of sensor noise.
        noise = rng.integers(-2, 3, size=(48, 64, 3))
        return np.clip(120 + pos // 100 + noise, 0, 255).astype(np.uint8)

    config = SourceConfig(target_fps=None, frozen_after_s=0.3, stall_timeout_s=5.0, reconnect_base_s=0.05)
    src = FrameSource(
        "rtsp://cam/1", config, opener=lambda s: FakeCapture(100_000, interval_s=0.01, picture=picture)
    )
    seen = spy_on_waits(src)
    t0 = time.monotonic()
    frames = collect_until(src, lambda got: time.monotonic() - t0 >= 1.0)
    assert len(frames) > 30
    assert src.reconnects == 0
    assert {status for status, _, _ in seen[1:]} == {"ok"}
    assert src.status == "ok"
    assert src.last_error is None


def test_frozen_detection_can_be_turned_off_and_files_are_not_checked() -> None:
    config = SourceConfig(target_fps=None, frozen_after_s=0, stall_timeout_s=5.0)
    src = FrameSource(
        "rtsp://cam/1",
        config,
        opener=lambda s: FakeCapture(100_000, interval_s=0.005, picture=lambda p: grey(9)),
    )
    t0 = time.monotonic()
    collect_until(src, lambda got: time.monotonic() - t0 >= 0.4)
    assert src.reconnects == 0
    assert src.status == "ok"
    still = FrameSource(
        "clip.mp4",
        SourceConfig(target_fps=None, frozen_after_s=0.01, realtime=True),
        opener=lambda s: FakeCapture(10, fps=20.0, picture=lambda p: grey(9)),
    )
    assert len(list(still)) == 10  # 0.5 s of one picture, every frame delivered
    assert still.status == "ok"


# -- reader threads ----------------------------------------------------------------------------------------


def test_close_ends_the_iteration_and_joins_the_reader() -> None:
    captures: list[FakeCapture] = []

    def opener(source: str | int) -> Capture:
        captures.append(FakeCapture(100_000, interval_s=0.01))
        return captures[-1]

    src = FrameSource("rtsp://cam/1", SourceConfig(target_fps=None), opener=opener)
    got: list[Frame] = []

    def consume() -> None:
        for frame in src:
            got.append(frame)

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    while len(got) < 3 and t.is_alive():
        time.sleep(0.01)
    readers = list(src._readers)
    assert readers
    assert all(r.is_alive() for r in readers)
    src.close()  # as a signal handler would: returns at once
    t.join(5)
    assert not t.is_alive()
    assert not any(r.is_alive() for r in readers)  # joined when the iteration ended
    assert captures[0].released.is_set()


def test_a_reader_stuck_in_read_is_waited_for_only_so_long(monkeypatch: pytest.MonkeyPatch) -> None:
    from structlog.testing import capture_logs

    monkeypatch.setattr(source_module, "READER_JOIN_TIMEOUT_S", 0.2)
    cap = FakeCapture(1, stall=True, stall_s=1.0)
    src = FrameSource(
        "rtsp://cam/1", SourceConfig(target_fps=None, stall_timeout_s=5.0), opener=lambda s: cap
    )
    with capture_logs() as logs:
        assert len(collect(src, 1)) == 1  # the reader is now blocked in read() for 1 s
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["source_reader_still_running"]
    (reader,) = src._readers
    reader.join(2)
    assert not reader.is_alive()
    assert cap.released.is_set()  # the abandoned reader still released its capture
