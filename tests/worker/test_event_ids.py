"""Event ids: a recording processed twice yields the same ids (the backend stores each event once), a live
stream yields fresh random ones."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.worker.fake_backend import FakeBackend
from tests.worker.test_runner import ZONE, H, ScriptedTracker, W
from tests.worker.test_source import FakeCapture
from worker.event_ids import FINGERPRINT_CHUNK, file_event_id, source_fingerprint
from worker.line_counter import LineCounterConfig
from worker.pipeline import CountingSession
from worker.protocol import CountingLineOut, Event, ZoneOut
from worker.runner import Worker
from worker.settings import WorkerSettings
from worker.source import Frame, FrameSource, SourceConfig
from worker.tracks import TrackedPerson
from worker.zones import ZoneConfig

LINE = CountingLineOut(x1=0.0, y1=0.5, x2=1.0, y2=0.5, in_side="right")
LOWER_HALF = ZoneOut(
    id=uuid.UUID(ZONE), name="low", kind="custom", polygon=[[0, 0.5], [1, 0.5], [1, 1], [0, 1]]
)


def test_file_event_id_is_a_function_of_every_input() -> None:
    base = ("file:123:abc", 40, 7, "ZONE_ENTER", ZONE, 0)
    assert file_event_id(*base) == file_event_id(*base)
    assert file_event_id(*base).version == 5
    variants = [
        ("file:124:abc", 40, 7, "ZONE_ENTER", ZONE, 0),
        ("file:123:abc", 41, 7, "ZONE_ENTER", ZONE, 0),
        ("file:123:abc", 40, 8, "ZONE_ENTER", ZONE, 0),
        ("file:123:abc", 40, 7, "ZONE_EXIT", ZONE, 0),
        ("file:123:abc", 40, 7, "ZONE_ENTER", str(uuid.uuid4()), 0),
        ("file:123:abc", 40, 7, "ZONE_ENTER", None, 0),
        ("file:123:abc", 40, 7, "ZONE_ENTER", ZONE, 1),
    ]
    ids = {file_event_id(*v) for v in variants}
    assert len(ids) == len(variants)
    assert file_event_id(*base) not in ids
    # Fields cannot bleed into each other (the name is a JSON list, not a joined string).
    assert file_event_id("a|1", 2, 3, "IN") != file_event_id("a", 12, 3, "IN")


def test_fingerprint_follows_the_content_not_the_path(tmp_path: Path) -> None:
    data = np.random.default_rng(1).integers(0, 256, 3 * FINGERPRINT_CHUNK, dtype=np.uint8).tobytes()
    a, b, c, d = (tmp_path / n for n in ("a.mp4", "b.mp4", "c.mp4", "d.mp4"))
    a.write_bytes(data)
    b.write_bytes(data)  # a copy: other path, other mtime
    c.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # the same size, the last byte differs
    d.write_bytes(data + b"x")
    assert source_fingerprint(str(a)) == source_fingerprint(str(b))
    assert source_fingerprint(str(a)).startswith(f"file:{len(data)}:")
    assert len({source_fingerprint(str(p)) for p in (a, c, d)}) == 3
    small = tmp_path / "small.mp4"
    small.write_bytes(b"tiny")
    assert source_fingerprint(str(small)).startswith("file:4:")
    assert source_fingerprint(str(tmp_path / "img_%04d.jpg")) == f"path:{tmp_path / 'img_%04d.jpg'}"


def _session_events(source_id: str | None, start: datetime, frames: int = 60) -> list[Event]:
    session = CountingSession(
        ScriptedTracker(),
        LINE,
        [LOWER_HALF],
        counter_config=lambda _h: LineCounterConfig(
            hysteresis_scale_frac=0.0, hysteresis_min=0.0, min_hits=1
        ),
        zone_config=ZoneConfig(min_dwell=timedelta(0), exit_grace=timedelta(0)),
        foot_window=None,
        source_id=source_id,
    )
    image = np.zeros((H, W, 3), dtype=np.uint8)
    events: list[Event] = []
    for i in range(frames):
        events += session.process(Frame(image=image, ts=start + timedelta(seconds=i / 10), index=i)).events
    return events + session.close()  # the last lap's visit is still open: its exit comes from close()


def test_a_file_processed_twice_gives_the_same_ids_and_a_live_stream_fresh_ones() -> None:
    t0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    first = _session_events("file:1:abc", t0)
    # Without --replay-start a file is stamped from when it was opened: a later run has other timestamps.
    second = _session_events("file:1:abc", t0 + timedelta(hours=5))
    assert {e.type for e in first} == {"IN", "ZONE_ENTER", "ZONE_EXIT"}
    assert len(first) == 9  # three laps: a crossing, an enter and an exit each, the last exit on close()
    assert len({e.event_id for e in first}) == len(first)
    assert [e.event_id for e in first] == [e.event_id for e in second]
    assert not {e.event_id for e in first} & {e.event_id for e in _session_events("file:2:def", t0)}

    live = [{e.event_id for e in _session_events(None, t0)} for _ in range(2)]
    assert len(live[0]) == len(first)
    assert uuid.UUID(next(iter(live[0]))).version == 4
    assert not live[0] & live[1]


def test_held_crossings_released_together_get_distinct_ids() -> None:
    # A track that crosses twice the same way before `min_hits` releases both crossings in one frame.
    session = CountingSession(
        _ZigZag(),
        LINE,
        counter_config=lambda _h: LineCounterConfig(
            hysteresis_scale_frac=0.0, hysteresis_min=0.0, min_hits=5
        ),
        foot_window=None,
        source_id="file:1:abc",
    )
    image = np.zeros((H, W, 3), dtype=np.uint8)
    t0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    events = [e for i in range(5) for e in session.process(Frame(image, t0 + timedelta(seconds=i), i)).events]
    assert [e.type for e in events] == ["IN", "OUT", "IN", "OUT"]  # all released with the 5th hit
    assert len({e.event_id for e in events}) == 4


class _ZigZag(ScriptedTracker):
    def track(self, image: Any) -> list[TrackedPerson]:
        self.frame += 1
        y = 0.25 * H if self.frame % 2 else 0.75 * H  # top, bottom, top, bottom, top
        return [TrackedPerson(track_id=1, box=(2.5, y - 0.5, 3.5, y), confidence=0.9)]


@pytest.fixture
def backend() -> Any:
    server = FakeBackend()
    yield server
    server.stop()


def test_a_worker_restarted_on_a_recording_stores_nothing_twice(tmp_path: Path, backend: FakeBackend) -> None:
    url = backend.start()
    backend.set_config(counting_line=LINE.model_dump(), zones=[LOWER_HALF.model_dump(mode="json")])
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"a recording")  # its content is the fingerprint; FakeCapture plays the frames

    def run_once(data_dir: Path) -> None:
        s = WorkerSettings(
            api_url=url,
            key="test-key",
            data_dir=data_dir,  # a fresh outbox each run, as on another machine or after a wipe
            min_hits=1,
            hysteresis_frame_frac=0.0,
            zone_min_dwell_s=0.0,
            zone_exit_grace_s=0.0,
            flush_interval_s=0.1,
        )
        source = FrameSource(
            str(clip), SourceConfig(target_fps=None), opener=lambda _: FakeCapture(60, fps=10.0)
        )
        assert Worker(s, tracker=ScriptedTracker(), source=source).run() == 0

    run_once(tmp_path / "first")
    stored = dict(backend.stored)
    assert {e["type"] for e in stored.values()} == {"IN", "ZONE_ENTER", "ZONE_EXIT"}
    run_once(tmp_path / "second")
    assert backend.stored == stored  # every event of the second run was a duplicate
    assert backend.duplicates == len(stored)
