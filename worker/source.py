"""Frame source: video files, webcams and network streams as an iterator of sampled, timestamped frames.

Files are read in the calling thread, as fast as possible or at real-time pace. Live sources (RTSP/HTTP URLs,
webcam indexes) are read by a background thread that always keeps only the newest sampled frame, so a slow
consumer sees fresh frames (and a ``frames_dropped`` count) instead of an ever-growing delay. A live source
that errors, ends, or stops delivering frames for ``stall_timeout_s`` (streams can freeze without erroring) is
reopened with exponential backoff.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np
import numpy.typing as npt
import structlog

from worker.protocol import StreamStatus

log = structlog.get_logger(__name__)

Image = npt.NDArray[np.uint8]
LIVE_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt"})


class Capture(Protocol):
    """The subset of ``cv2.VideoCapture`` the source uses (so tests can supply fakes)."""

    def isOpened(self) -> bool: ...  # OpenCV's spelling
    def read(self) -> tuple[bool, Any]: ...
    def grab(self) -> bool: ...
    def retrieve(self) -> tuple[bool, Any]: ...
    def get(self, prop_id: int) -> float: ...
    def release(self) -> None: ...


Opener = Callable[[str | int], Capture]


class SourceError(Exception):
    """The source cannot be read at all (a file that does not exist or does not decode)."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One sampled frame: ``image`` is BGR ``uint8`` of shape ``(height, width, 3)``; ``ts`` is the capture
    time in UTC (for files: the configured start time plus the frame's position in the file); ``index`` is the
    0-based number of the frame among all frames the source delivered, sampled or not."""

    image: Image
    ts: datetime
    index: int

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """``target_fps``: processing rate in frames/s (``None`` or 0 keeps every frame); ``realtime``: pace files
    at their own frame rate instead of as fast as possible; ``stall_timeout_s``: seconds without a new frame
    after which a live source counts as failed; reconnect waits are ``min(max, base * 2**(n-1))`` seconds
    after the n-th consecutive failure; after ``failed_after`` consecutive failures the status reads
    ``failed``."""

    target_fps: float | None = 10.0
    realtime: bool = False
    stall_timeout_s: float = 10.0
    reconnect_base_s: float = 1.0
    reconnect_max_s: float = 60.0
    failed_after: int = 5
    file_start_time: datetime | None = None


def parse_source(source: str | int) -> str | int:
    """A webcam index stays an int (``"0"`` → ``0``); anything else is a path or URL string."""
    if isinstance(source, int):
        return source
    return int(source) if source.strip().isdigit() else source


def is_live(source: str | int) -> bool:
    """True for webcams and network streams, False for files."""
    source = parse_source(source)
    return isinstance(source, int) or urlparse(source).scheme.lower() in LIVE_SCHEMES


def open_capture(source: str | int) -> Capture:
    """Open ``source`` with OpenCV; network streams get open/read timeouts so a dead server cannot hang a read
    forever (the watchdog still covers streams that stay connected but stop sending)."""
    import cv2

    if isinstance(source, str) and is_live(source):
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 15_000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 15_000]
        cap: Capture = cv2.VideoCapture(source, cv2.CAP_ANY, params)
    else:
        cap = cv2.VideoCapture(source)
    return cap


class _Sampler:
    """Keeps frames so that kept frames are at least ``1/target_fps`` apart on the media clock (seconds), on a
    fixed grid so a 30 fps input at 10 fps keeps exactly every third frame."""

    def __init__(self, target_fps: float | None) -> None:
        self.period = 1.0 / target_fps if target_fps else 0.0
        self.next_due: float | None = None

    def keep(self, t: float) -> bool:
        if self.period == 0.0:
            return True
        # Half a millisecond of slack absorbs timestamp rounding in containers.
        if self.next_due is None or t >= self.next_due - 5e-4:
            base = t if self.next_due is None or t - self.next_due > self.period else self.next_due
            self.next_due = base + self.period
            return True
        return False


class FrameSource:
    """Iterate over sampled :class:`Frame` objects from a file, webcam or stream.

    Counters (``frames_read``: every frame decoded; ``frames_dropped``: sampled frames a slow consumer never
    took), ``status`` and ``last_error`` are for heartbeats. ``close()`` (from any thread) ends the iteration.
    """

    def __init__(
        self,
        source: str | int,
        config: SourceConfig | None = None,
        opener: Opener = open_capture,
    ) -> None:
        self.source = parse_source(source)
        self.config = config or SourceConfig()
        self.live = is_live(self.source)
        self._open = opener
        self.frames_read = 0
        self.frames_dropped = 0
        self.reconnects = 0
        self.status: StreamStatus = "reconnecting"
        self.last_error: str | None = None
        self.total_frames: int | None = None  # files only, for progress bars
        self.fps: float | None = None  # the source's own rate, when known
        self._closed = threading.Event()
        self._cond = threading.Condition()
        self._slot: Frame | None = None
        self._failure: str | None = None
        self._generation = 0

    def close(self) -> None:
        """Stop iterating (safe from another thread or a signal handler)."""
        self._closed.set()
        with self._cond:
            self._cond.notify_all()

    def __iter__(self) -> Iterator[Frame]:
        return self._live_frames() if self.live else self._file_frames()

    # -- files ---------------------------------------------------------------------------------------------

    def _file_frames(self) -> Iterator[Frame]:
        import cv2

        cap = self._open(self.source)
        if not cap.isOpened():
            self.status = "failed"
            self.last_error = f"cannot open {self.source}"
            raise SourceError(self.last_error)
        self.status = "ok"
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and fps > 0 else 25.0  # containers without a rate: assume PAL video
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.total_frames = count if count > 0 else None
        start = self.config.file_start_time or datetime.now(UTC)
        sampler = _Sampler(self.config.target_fps)
        wall_start = time.monotonic()
        index = -1
        try:
            while not self._closed.is_set():
                if not cap.grab():
                    break
                index += 1
                self.frames_read += 1
                t = index / self.fps
                if not sampler.keep(t):
                    continue  # grab() without retrieve() skips the colour conversion of unused frames
                ok, image = cap.retrieve()
                if not ok or image is None:
                    continue
                if self.config.realtime:
                    ahead = wall_start + t - time.monotonic()
                    if ahead > 0:
                        self._closed.wait(ahead)
                yield Frame(image=image, ts=start + timedelta(seconds=t), index=index)
        finally:
            cap.release()

    # -- live sources ------------------------------------------------------------------------------------

    def _live_frames(self) -> Iterator[Frame]:
        failures = 0
        while not self._closed.is_set():
            generation = self._start_reader()
            while not self._closed.is_set():
                frame, failure = self._next_live_frame(generation)
                if frame is not None:
                    failures = 0
                    self.status = "ok"
                    yield frame
                    continue
                if failure is not None:
                    break
            if self._closed.is_set():
                break
            failures += 1
            self.reconnects += 1
            self.last_error = failure
            self.status = "failed" if failures >= self.config.failed_after else "reconnecting"
            with self._cond:
                self._generation += (
                    1  # orphan the reader: a hung read() cannot be interrupted, only abandoned
                )
            delay = min(self.config.reconnect_max_s, self.config.reconnect_base_s * 2.0 ** (failures - 1))
            log.warning(
                "source_reconnecting",
                source=str(self.source),
                error=failure,
                in_s=round(delay, 2),
                consecutive_failures=failures,
            )
            self._closed.wait(delay)
        with self._cond:
            self._generation += 1

    def _next_live_frame(self, generation: int) -> tuple[Frame | None, str | None]:
        """Wait for the reader's next frame; ``(None, reason)`` once it failed or stalled."""
        deadline = time.monotonic() + self.config.stall_timeout_s
        with self._cond:
            while True:
                if self._closed.is_set():
                    return None, None
                if self._slot is not None:
                    frame, self._slot = self._slot, None
                    return frame, None
                if self._failure is not None:
                    reason, self._failure = self._failure, None
                    return None, reason
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None, f"no frame for {self.config.stall_timeout_s:g} s (stalled stream)"
                self._cond.wait(remaining)

    def _start_reader(self) -> int:
        with self._cond:
            self._generation += 1
            generation = self._generation
            self._slot = None
            self._failure = None
        thread = threading.Thread(
            target=self._read_loop, args=(generation,), name="frame-reader", daemon=True
        )
        thread.start()
        return generation

    def _read_loop(self, generation: int) -> None:
        def current() -> bool:
            return generation == self._generation and not self._closed.is_set()

        try:
            cap = self._open(self.source)
        except Exception as exc:  # any backend error is a connection failure to retry
            self._report_failure(generation, f"open failed: {exc}")
            return
        try:
            if not cap.isOpened():
                self._report_failure(generation, f"cannot open {self.source}")
                return
            sampler = _Sampler(self.config.target_fps)
            t0 = time.monotonic()
            index = -1
            while current():
                ok, image = cap.read()
                captured = datetime.now(UTC)
                if not current():
                    return
                if not ok or image is None:
                    self._report_failure(generation, "stream ended or read failed")
                    return
                index += 1
                with self._cond:
                    self.frames_read += 1
                    if not sampler.keep(time.monotonic() - t0):
                        continue
                    if self._slot is not None:
                        self.frames_dropped += 1
                    self._slot = Frame(image=image, ts=captured, index=index)
                    self._cond.notify_all()
        finally:
            cap.release()

    def _report_failure(self, generation: int, reason: str) -> None:
        with self._cond:
            if generation == self._generation:
                self._failure = reason
                self._cond.notify_all()
