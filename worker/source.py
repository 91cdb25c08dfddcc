"""Frame source: video files, webcams and network streams as an iterator of sampled, timestamped frames.

Files are read in the calling thread, as fast as possible or at real-time pace. Live sources (RTSP/HTTP URLs,
webcam indexes) are read by a background thread that always keeps only the newest sampled frame, so a slow
consumer sees fresh frames (and a ``frames_dropped`` count) instead of an ever-growing delay. A live source
that errors, ends, or stops delivering frames for ``stall_timeout_s`` (streams can freeze without erroring) is
reopened with exponential backoff. So is one whose picture stops changing for ``frozen_after_s`` (a hung
encoder keeps sending the same image): its status reads ``frozen`` until a changed picture arrives.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlparse

import numpy as np
import numpy.typing as npt
import structlog

from worker.protocol import DETECTION_DEFAULTS, StreamStatus

log = structlog.get_logger(__name__)

Image = npt.NDArray[np.uint8]
LIVE_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt"})
# Frozen-picture check: sampled frames are compared on a grey grid of single pixels, every ``width //
# GRID_COLUMNS``-th pixel across and down (128 x 72 points for 1080p). Picking pixels rather than averaging
# blocks keeps the sensor and compression noise that tells a live picture from a repeated one (a 64 px
# INTER_AREA thumbnail averages it away: 0.09 instead of 0.48 grey levels on the quietest pair of the sample
# footage), and it costs about 0.2 ms for 1080p, with no pass over the whole frame.
GRID_COLUMNS = 128
_BGR_TO_GREY = np.array([0.114, 0.587, 0.299], dtype=np.float32)  # ITU-R BT.601, as cv2.COLOR_BGR2GRAY
# How long the end of a live iteration waits, in all, for its reader threads to leave OpenCV (a thread still
# inside FFmpeg when the interpreter exits aborts the process).
READER_JOIN_TIMEOUT_S = 5.0


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
    """``target_fps``: initial processing rate in frames/s (``None`` or 0 keeps every frame; change it later
    with :meth:`FrameSource.set_target_fps`); ``realtime``: pace files at their own frame rate instead of as
    fast as possible; ``stall_timeout_s``: seconds without a new frame after which a live source counts as
    failed; ``frozen_after_s``: seconds a live source may keep delivering the same picture before it counts
    as frozen and is reopened (0 disables the check); ``frozen_noise_floor``: mean absolute difference, in
    grey levels (0..255) on the grid of :data:`GRID_COLUMNS`, below which two frames show the same picture;
    reconnect waits are ``min(max, base * 2**(n-1))`` seconds after the n-th consecutive failure;
    after ``failed_after`` consecutive failures the status reads ``failed``."""

    target_fps: float | None = DETECTION_DEFAULTS.target_fps
    realtime: bool = False
    stall_timeout_s: float = 10.0
    frozen_after_s: float = 20.0
    # A frozen encoder repeats the same decoded picture: a difference of exactly 0 (or a few hundredths of a
    # grey level, e.g. a burnt-in clock ticking on a frozen image). Live video never gets that close: sensor
    # and compression noise alone keep two frames of an empty, still scene about 0.5-2 grey levels apart on
    # the grid, and consecutive 10 fps frames of the sample footage never came closer than 0.48 (median 1.95;
    # docs/worker.md, "Frozen pictures, recovery, ..."). 0.25 sits in between, half the quietest real pair.
    frozen_noise_floor: float = 0.25
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
        self.fps = target_fps or None
        self.period = 1.0 / self.fps if self.fps else 0.0
        self.next_due: float | None = None

    def retarget(self, target_fps: float | None) -> None:
        """Switch to a new rate from the next frame on; the grid continues from the last kept frame."""
        fps = target_fps or None
        if fps == self.fps:
            return
        period = 1.0 / fps if fps else 0.0
        if self.next_due is not None and self.period and period:
            self.next_due += period - self.period  # last kept + the new period
        else:
            self.next_due = None
        self.fps, self.period = fps, period

    def keep(self, t: float) -> bool:
        if self.period == 0.0:
            return True
        # Half a millisecond of slack absorbs timestamp rounding in containers.
        if self.next_due is None or t >= self.next_due - 5e-4:
            base = t if self.next_due is None or t - self.next_due > self.period else self.next_due
            self.next_due = base + self.period
            return True
        return False


Thumbnail = npt.NDArray[np.float32]


def thumbnail(image: Any) -> Thumbnail:
    """The grey grid of ``image`` (BGR, BGRA or grey ``uint8``) that the frozen check compares (see
    :data:`GRID_COLUMNS`), as float32 grey levels 0..255."""
    step = max(1, int(image.shape[1]) // GRID_COLUMNS)
    grid = np.asarray(image[step // 2 :: step, step // 2 :: step])
    if grid.ndim == 2:
        return grid.astype(np.float32)
    if grid.shape[2] < 3:
        return grid[:, :, 0].astype(np.float32)
    grey: Thumbnail = grid[:, :, :3].astype(np.float32) @ _BGR_TO_GREY
    return grey


def picture_difference(a: Thumbnail, b: Thumbnail) -> float:
    """Mean absolute difference of two thumbnails in grey levels; infinite when their sizes differ."""
    if a.shape != b.shape:
        return math.inf
    return float(np.abs(a - b).mean())


class _Failure(NamedTuple):
    reason: str
    frozen: bool = False


class FrameSource:
    """Iterate over sampled :class:`Frame` objects from a file, webcam or stream.

    Counters (``frames_read``: every frame decoded; ``frames_dropped``: sampled frames a slow consumer never
    took), ``status`` and ``last_error`` are for heartbeats; ``last_error`` is cleared and ``status`` reads
    ``ok`` again as soon as frames flow after a failure. ``close()`` (from any thread, or a signal handler)
    ends the iteration; the end of a live iteration waits (bounded) for its reader threads.
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
        self._target_fps = self.config.target_fps or None  # the config is frozen; set_target_fps changes this
        self._closed = threading.Event()
        self._cond = threading.Condition()
        self._slot: Frame | None = None
        self._failure: _Failure | None = None
        self._generation = 0
        self._arrived_at = time.monotonic()  # when the current reader last decoded a frame (the watchdog)
        # While the stream is declared frozen, the picture it was stuck on: frames that still show it are not
        # delivered, and the first one that does not ends the frozen state.
        self._frozen_picture: Thumbnail | None = None
        self._readers: list[threading.Thread] = []

    @property
    def target_fps(self) -> float | None:
        """The processing rate in use (``None``: every frame)."""
        return self._target_fps

    def set_target_fps(self, fps: float | None) -> None:
        """Change the processing rate from the next frame on (thread-safe); ``None`` or 0: every frame."""
        if fps is not None and not (math.isfinite(fps) and fps >= 0):
            raise ValueError(f"target_fps must be a finite rate >= 0, got {fps!r}")
        with self._cond:
            self._target_fps = fps or None

    def close(self) -> None:
        """Stop iterating (safe from another thread or a signal handler: it never waits for the reader)."""
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
        sampler = _Sampler(self._target_fps)
        wall_start = time.monotonic()
        index = -1
        try:
            while not self._closed.is_set():
                if not cap.grab():
                    break
                index += 1
                self.frames_read += 1
                t = index / self.fps
                sampler.retarget(self._target_fps)
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
        try:
            while not self._closed.is_set():
                generation = self._start_reader()
                failure: _Failure | None = None
                while not self._closed.is_set():
                    frame, failure = self._next_live_frame(generation)
                    if frame is not None:
                        failures = 0
                        self.status = "ok"
                        self.last_error = None
                        yield frame
                        continue
                    if failure is not None:
                        break
                if self._closed.is_set() or failure is None:
                    break
                failures += 1
                self.reconnects += 1
                self.last_error = failure.reason
                if failures >= self.config.failed_after and not failure.frozen:
                    self.status = "failed"
                elif failure.frozen or self._frozen_picture is not None:
                    self.status = "frozen"  # sticky until a changed picture arrives
                else:
                    self.status = "reconnecting"
                with self._cond:
                    self._generation += (
                        1  # orphan the reader: a hung read() cannot be interrupted, only abandoned
                    )
                delay = min(self.config.reconnect_max_s, self.config.reconnect_base_s * 2.0 ** (failures - 1))
                log.warning(
                    "source_reconnecting",
                    source=str(self.source),
                    error=failure.reason,
                    in_s=round(delay, 2),
                    consecutive_failures=failures,
                )
                self._closed.wait(delay)
        finally:
            with self._cond:
                self._generation += 1
                self._cond.notify_all()
            self._join_readers()

    def _join_readers(self) -> None:
        """Wait, at most :data:`READER_JOIN_TIMEOUT_S` in all, for the reader threads to return (and release
        their captures): one still inside OpenCV when the interpreter exits aborts the process."""
        deadline = time.monotonic() + READER_JOIN_TIMEOUT_S
        for thread in self._readers:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t for t in self._readers if t.is_alive()]
        for thread in alive:
            log.warning(
                "source_reader_still_running",
                source=str(self.source),
                thread=thread.name,
                waited_s=READER_JOIN_TIMEOUT_S,
            )
        self._readers = alive

    def _next_live_frame(self, generation: int) -> tuple[Frame | None, _Failure | None]:
        """Wait for the reader's next frame; ``(None, failure)`` once it failed, or decoded no frame at all
        for ``stall_timeout_s`` (held-back frames of a frozen picture count as decoded)."""
        stall = self.config.stall_timeout_s
        with self._cond:
            while True:
                if self._closed.is_set():
                    return None, None
                if self._slot is not None:
                    frame, self._slot = self._slot, None
                    return frame, None
                if self._failure is not None:
                    failure, self._failure = self._failure, None
                    return None, failure
                remaining = self._arrived_at + stall - time.monotonic()
                if remaining <= 0:
                    return None, _Failure(f"no frame for {stall:g} s (stalled stream)")
                self._cond.wait(remaining)

    def _start_reader(self) -> int:
        with self._cond:
            self._generation += 1
            generation = self._generation
            self._slot = None
            self._failure = None
            self._arrived_at = time.monotonic()
        thread = threading.Thread(
            target=self._read_loop, args=(generation,), name=f"frame-reader-{generation}", daemon=True
        )
        self._readers = [t for t in self._readers if t.is_alive()]
        self._readers.append(thread)
        thread.start()
        return generation

    def _read_loop(self, generation: int) -> None:
        def current() -> bool:
            return generation == self._generation and not self._closed.is_set()

        try:
            cap = self._open(self.source)
        except Exception as exc:  # any backend error is a connection failure to retry
            self._report_failure(generation, _Failure(f"open failed: {exc}"))
            return
        try:
            if not cap.isOpened():
                self._report_failure(generation, _Failure(f"cannot open {self.source}"))
                return
            self._read_frames(cap, generation, current)
        except Exception as exc:  # a backend error while reading: reconnect rather than wait for the watchdog
            self._report_failure(generation, _Failure(f"read failed: {exc}"))
        finally:
            cap.release()  # also for a reader orphaned by a reconnect, once its read() returns

    def _read_frames(self, cap: Capture, generation: int, current: Callable[[], bool]) -> None:
        sampler = _Sampler(self._target_fps)
        frozen_after = self.config.frozen_after_s
        floor = self.config.frozen_noise_floor
        reference: Thumbnail | None = None  # the last sampled picture judged changed (vs the one before it)
        changed_at = t0 = time.monotonic()  # when it arrived (or this connection opened)
        index = -1
        while current():
            ok, image = cap.read()
            captured = datetime.now(UTC)
            now = time.monotonic()
            if not current():
                return
            if not ok or image is None:
                self._report_failure(generation, _Failure("stream ended or read failed"))
                return
            index += 1
            with self._cond:
                self.frames_read += 1
                self._arrived_at = now
                sampler.retarget(self._target_fps)
                if not sampler.keep(now - t0):
                    continue
            if frozen_after > 0:  # outside the lock: the consumer should not wait for the thumbnail
                thumb = thumbnail(image)
                stuck = self._frozen_picture
                if stuck is not None and picture_difference(thumb, stuck) < floor:
                    # Still the picture the stream froze on: held back, and frozen again if it persists.
                    if now - changed_at >= frozen_after:
                        self._report_frozen(generation, stuck)
                        return
                    continue
                if reference is None or picture_difference(thumb, reference) >= floor:
                    reference, changed_at = thumb, now
                elif now - changed_at >= frozen_after:
                    self._report_frozen(generation, reference)
                    return
            with self._cond:
                if generation != self._generation:
                    return
                self._frozen_picture = None
                if self._slot is not None:
                    self.frames_dropped += 1
                self._slot = Frame(image=image, ts=captured, index=index)
                self._cond.notify_all()

    def _report_frozen(self, generation: int, picture: Thumbnail) -> None:
        reason = f"picture unchanged for {self.config.frozen_after_s:g} s (frozen stream)"
        self._report_failure(generation, _Failure(reason, frozen=True), frozen_picture=picture)

    def _report_failure(
        self, generation: int, failure: _Failure, frozen_picture: Thumbnail | None = None
    ) -> None:
        with self._cond:
            if generation == self._generation:
                self._failure = failure
                if frozen_picture is not None:
                    self._frozen_picture = frozen_picture
                self._cond.notify_all()
