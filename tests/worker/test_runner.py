"""The worker end to end with a scripted tracker and a real HTTP fake backend: events reach the backend, the
config (line, zones, snapshot request) is picked up without restart, heartbeats carry the figures, snapshots
are blurred, and a stop request flushes the outbox."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.worker.fake_backend import FakeBackend
from tests.worker.test_source import FakeCapture
from worker.detector import DetectorConfig, PersonTracker
from worker.pipeline import CountingSession
from worker.protocol import CountingLineOut, ZoneOut
from worker.runner import Worker
from worker.settings import WorkerSettings, parse_line, parse_zone
from worker.source import FrameSource, SourceConfig
from worker.tracks import TrackedPerson

W, H = 6, 4  # FakeCapture frames are 6 x 4 pixels
ZONE = "5d1b8c3e-3f0a-4c6e-9a51-0c2f7d9e4b11"


class ScriptedTracker:
    """Person 1 walks down across the middle of the frame every 20 frames, each time with a new id."""

    def __init__(self) -> None:
        self.frame = 0

    def track(self, image: Any) -> list[TrackedPerson]:
        self.frame += 1
        lap, step = divmod(self.frame, 20)
        y = 0.2 * H + (0.6 * H) * step / 19
        return [TrackedPerson(track_id=lap + 1, box=(2.5, y - 2.0, 3.5, y), confidence=0.9)]

    def detect(self, image: Any, conf: float) -> list[tuple[float, float, float, float]]:
        return [(0.0, 0.0, 3.0, 3.0)]


def make_worker(
    tmp_path: Path,
    url: str,
    frames: int,
    tracker_factory: Callable[[DetectorConfig], PersonTracker] | None = None,
    live: bool = False,
    **settings: Any,
) -> Worker:
    """A worker on a fake 100 fps clip (``live``: a fake camera stream at 100 fps) with fast loops;
    ``settings`` override the test defaults. Without ``tracker_factory`` it tracks with one
    :class:`ScriptedTracker`."""
    defaults: dict[str, Any] = {
        "api_url": url,
        "key": "test-key",
        "data_dir": tmp_path,
        "min_hits": 1,
        "hysteresis_frame_frac": 0.0,
        "flush_interval_s": 0.2,
        "config_poll_interval_s": 0.2,
        "zone_min_dwell_s": 0.0,
        "zone_exit_grace_s": 0.0,
        "heartbeat_interval_s": 0.2,
    }
    s = WorkerSettings(**{**defaults, **settings})
    # A "file" played at 100 fps in real time: long enough to reconfigure while it runs, and it ends.
    source = FrameSource(
        "rtsp://camera.local/stream" if live else "clip.mp4",
        SourceConfig(target_fps=None, realtime=True),
        opener=lambda _: FakeCapture(frames, fps=100.0, interval_s=0.01 if live else 0.0),
    )
    if tracker_factory is not None:
        return Worker(s, tracker_factory=tracker_factory, source=source)
    return Worker(s, tracker=ScriptedTracker(), source=source)


@pytest.fixture
def backend() -> Any:
    server = FakeBackend()
    yield server
    server.stop()


def test_counts_reach_the_backend_and_config_changes_apply_live(tmp_path: Path, backend: FakeBackend) -> None:
    url = backend.start()
    backend.set_config(counting_line={"x1": 0.0, "y1": 0.5, "x2": 1.0, "y2": 0.5, "in_side": "right"})
    worker = make_worker(tmp_path, url, frames=10_000)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(worker.run()))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(backend.stored) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        # Walking down enters the lower half, which is "right" of the line (0,0.5)->(1,0.5).
        assert {e["type"] for e in backend.stored.values()} == {"IN"}
        # Recalibrate: flip the in side, add a zone covering the lower half, ask for a snapshot.
        backend.set_config(
            counting_line={"x1": 0.0, "y1": 0.5, "x2": 1.0, "y2": 0.5, "in_side": "left"},
            zones=[
                {"id": ZONE, "name": "low", "kind": "custom", "polygon": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}
            ],
            snapshot_requested=True,
        )
        while time.monotonic() < deadline and not (
            {"OUT", "ZONE_ENTER"} <= {e["type"] for e in backend.stored.values()} and backend.snapshots
        ):
            time.sleep(0.05)
    finally:
        worker.request_stop()
        thread.join(30)
    assert result == [0]
    types = {e["type"] for e in backend.stored.values()}
    assert {"IN", "OUT", "ZONE_ENTER", "ZONE_EXIT"} <= types
    zone_events = [e for e in backend.stored.values() if e["type"] == "ZONE_EXIT"]
    assert all(e["zone_id"] == ZONE and e["dwell_ms"] >= 0 for e in zone_events)
    assert backend.heartbeats
    assert backend.heartbeats[-1]["worker_version"]
    assert {b["stream_status"] for b in backend.heartbeats[:-1]} <= {"ok", "reconnecting", "failed"}
    # A clean stop ends with a final heartbeat after the flush: stopped, nothing left queued.
    final = backend.heartbeats[-1]
    assert (final["stream_status"], final["outbox_depth"], final["fps"]) == ("stopped", 0, 0)
    # What runs is reported: the config version applied and its detection settings.
    assert final["config_version"] == backend.config.config_version
    assert final["detection"] == {"target_fps": 60.0, "imgsz": 640, "conf": 0.1}
    jpeg, captured_at = backend.snapshots[0]
    assert jpeg[:2] == b"\xff\xd8"
    assert captured_at.endswith("Z")


def test_backend_outage_keeps_events_on_disk_for_the_next_start(tmp_path: Path, backend: FakeBackend) -> None:
    # No server listening: every request fails; a local line is used since no config can be fetched.
    worker = make_worker(tmp_path, "http://127.0.0.1:9", frames=60, line="0,0.5,1,0.5", shutdown_flush_s=0.5)
    assert worker.run() == 0
    url = backend.start()
    backend.set_config(counting_line={"x1": 0.0, "y1": 0.5, "x2": 1.0, "y2": 0.5, "in_side": "left"})
    second = make_worker(tmp_path, url, frames=0)
    assert second.run() == 0
    assert len(backend.stored) == 3  # three laps of 20 frames, each one crossing, sent by the second process


def test_session_layout_helpers() -> None:
    assert parse_line("0.5, 0.2, 0.5, 0.9", "right") == CountingLineOut(
        x1=0.5, y1=0.2, x2=0.5, y2=0.9, in_side="right"
    )
    assert parse_zone("till:0,0;1,0;1,1", 1) == ZoneOut(
        id=uuid.uuid5(uuid.NAMESPACE_URL, "till"), name="till", kind="", polygon=[(0, 0), (1, 0), (1, 1)]
    )
    for bad in ("1,2,3", "0,0,0,0", "0,0,1,1.5"):
        with pytest.raises(ValueError, match=r"line|end points|normalized"):
            parse_line(bad, "left")
    with pytest.raises(ValueError, match="normalized"):
        parse_zone("till:0,0;2,0;1,1", 1)
    session = CountingSession(ScriptedTracker(), None, [])
    assert session.zone_counts() == {}


def test_snapshot_blurs_people(tmp_path: Path) -> None:
    from worker.snapshot import blur_regions, encode_jpeg

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, size=(120, 160, 3), dtype=np.uint8)
    out = blur_regions(image, [(40.0, 30.0, 80.0, 90.0)])
    assert not np.array_equal(out[40:80, 50:70], image[40:80, 50:70])  # the person is changed
    assert np.array_equal(out[:, 110:], image[:, 110:])  # far from the box nothing changes
    assert out[40:80, 50:70].std() < image[40:80, 50:70].std() / 3  # and it is smooth, no detail left
    assert len(encode_jpeg(image, max_bytes=5_000)) <= 5_000


def test_replay_maps_events_and_heartbeats_and_journals_them(tmp_path: Path, backend: FakeBackend) -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    url = backend.start()
    backend.set_config(
        counting_line={"x1": 0.0, "y1": 0.5, "x2": 1.0, "y2": 0.5, "in_side": "left"}, snapshot_requested=True
    )
    journal = tmp_path / "journal.jsonl"
    s = WorkerSettings(
        api_url=url,
        key="test-key",
        data_dir=tmp_path,
        min_hits=1,
        hysteresis_frame_frac=0.0,
        flush_interval_s=0.2,
        heartbeat_interval_s=60.0,
        replay_start=start,
        replay_speed=100.0,
        journal=journal,
    )
    # 60 frames at 10 fps = 6 media seconds = 10 replayed minutes; three laps of the scripted walker.
    source = FrameSource("clip.mp4", s.source_config(), opener=lambda _: FakeCapture(60, fps=10.0))
    assert Worker(s, tracker=ScriptedTracker(), source=source).run() == 0

    journaled = [json.loads(line) for line in journal.read_text().splitlines()]
    assert {e["event_id"] for e in journaled} == set(backend.stored)
    assert len(journaled) == 3
    for event in journaled:
        media_offset = (datetime.fromisoformat(event["ts"]) - start) / 100
        assert timedelta(0) <= media_offset <= timedelta(seconds=6)
    # One heartbeat per replayed minute: observed_at runs on the replay clock, 0 .. 590 s after the start.
    observed = [datetime.fromisoformat(h["observed_at"]) for h in backend.heartbeats if h.get("observed_at")]
    replayed = sorted(t for t in observed if t >= start)
    assert replayed[0] == start
    assert replayed[-1] <= start + timedelta(seconds=590)
    gaps = [b - a for a, b in itertools.pairwise(replayed)]
    assert len(replayed) >= 9
    assert all(gap <= timedelta(seconds=70) for gap in gaps if gap > timedelta(0))
    # The snapshot's capture time is on the replay clock too, and the run ends with a stopped heartbeat.
    (_, captured_at), *_ = backend.snapshots
    assert start <= datetime.fromisoformat(captured_at) <= start + timedelta(minutes=10)
    final = backend.heartbeats[-1]
    assert (final["stream_status"], final["outbox_depth"], final["fps"]) == ("stopped", 0, 0)
