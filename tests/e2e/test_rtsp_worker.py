"""The worker on a real RTSP camera that goes away and comes back: the real backend process, a camera and
its counting line provisioned through the admin API, GStreamer's RTSP server on loopback serving the sample
video (`rtsp_server.py`, system python), and the real worker (`storeintel-worker run`, OpenCV's FFmpeg
client, the real model) reading it.

The server is killed (SIGKILL: a camera that lost power) while the worker counts, and started again on the
same port. Checks: a heartbeat during the outage says so (`reconnecting` or `failed`, with `last_error`);
the worker reconnects by itself (frames read grow again, a heartbeat says `ok`, and it counts crossings
again); after SIGTERM it exits 0 and every event in its journal is stored exactly once, and nothing else.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import create_engine
from sqlalchemy import select as sql_select

from backend.models import CameraHeartbeat, Event
from demo.backend_process import free_port
from demo.provision import COUNTING_LINE
from tests.conftest import missing_dependency
from tests.e2e.conftest import REPO_ROOT, Server, running_backend, tail_log, wait_for
from tests.e2e.owner_world import HOURS
from tests.worker.conftest import OPENVINO_MODEL, VIDEO, require

pytestmark = pytest.mark.slow

SYSTEM_PYTHON = Path(os.environ.get("STOREINTEL_SYSTEM_PYTHON", "/usr/bin/python3"))
RTSP_SERVER = Path(__file__).with_name("rtsp_server.py")
MOUNT = "/cam"
# The demo's line (x = 0.5): on the sample video people cross it 2.4, 6.1 and 10.3 s into the clip.
LINE = COUNTING_LINE
# Short intervals so that the outage shows within seconds (defaults: 30 s, 10 s, 60 s).
WORKER_ENV = {
    "STOREINTEL_WORKER_HEARTBEAT_INTERVAL_S": "2",
    "STOREINTEL_WORKER_STALL_TIMEOUT_S": "3",
    "STOREINTEL_WORKER_RECONNECT_MAX_S": "2",
    "STOREINTEL_WORKER_FLUSH_INTERVAL_S": "1",
    "STOREINTEL_WORKER_CONFIG_POLL_INTERVAL_S": "60",
    "STOREINTEL_WORKER_SNAPSHOT_INTERVAL_S": "0",
}
OUTAGE = frozenset({"reconnecting", "failed", "frozen"})


@dataclass(frozen=True)
class Beat:
    """One stored heartbeat, as the backend recorded it."""

    uptime_s: float
    stream_status: str
    last_error: str | None
    frames_read: int


def _require_gstreamer() -> None:
    """Fail under CI, skip elsewhere, unless the system python can run `rtsp_server.py`."""
    problem = f"{SYSTEM_PYTHON} is missing"
    if SYSTEM_PYTHON.exists():
        check = subprocess.run(
            [SYSTEM_PYTHON, RTSP_SERVER, "--check"], capture_output=True, text=True, timeout=30, check=False
        )
        if check.returncode == 0:
            return
        problem = (check.stderr.strip().splitlines() or ["cannot run GStreamer"])[-1]
    missing_dependency(
        f"no GStreamer RTSP server for {SYSTEM_PYTHON} ({problem}); run scripts/install-rtsp.sh"
    )


@pytest.fixture(scope="module")
def rtsp_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample video as MPEG-4 part 2 in MP4, made once with OpenCV's FFmpeg. The original is MS-MPEG-4 v3
    ("DIV3"), which RTP has no payload format for; cameras send H.264 or MPEG-4, which the server only
    re-packetizes."""
    require(VIDEO, OPENVINO_MODEL)
    _require_gstreamer()
    import cv2

    out = tmp_path_factory.mktemp("rtsp") / "pets09-mpeg4.mp4"
    capture = cv2.VideoCapture(str(VIDEO))
    fps = capture.get(cv2.CAP_PROP_FPS) or 10.0
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write MPEG-4 part 2"
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            writer.write(frame)
    finally:
        writer.release()
        capture.release()
    assert out.stat().st_size > 0
    return out


class RtspCamera:
    """`rtsp_server.py` serving `clip` at rtsp://127.0.0.1:`port`/cam; started, killed and started again."""

    def __init__(self, clip: Path, port: int, log_path: Path) -> None:
        self.clip = clip
        self.port = port
        self.log_path = log_path
        self.url = f"rtsp://127.0.0.1:{port}{MOUNT}"
        self.process: subprocess.Popen[str] | None = None

    def start(self, timeout_s: float = 15.0) -> None:
        """Start the server and wait for its "ready" line; fails the test if it does not come."""
        assert self.process is None
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [SYSTEM_PYTHON, RTSP_SERVER, self.clip, "--port", str(self.port), "--path", MOUNT],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert self.process.stdout is not None
        line = _read_line(self.process.stdout, timeout_s)
        if not line.startswith("ready"):
            self.kill()
            pytest.fail(f"the RTSP server did not start ({line!r}): {tail_log(self.log_path)}")

    def kill(self) -> None:
        """SIGKILL: the stream stops mid-frame, nothing is closed cleanly."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def _read_line(stream: IO[str], timeout_s: float) -> str:
    """The next line of a child's stdout, or "" on end of file or after `timeout_s`."""
    ready, _, _ = select.select([stream], [], [], timeout_s)
    return stream.readline().strip() if ready else ""


def _provision(server: Server) -> tuple[str, str]:
    """An organization, a store, a counting camera with the line `LINE`; returns (camera id, worker key)."""
    api = server.api
    org = api.post("/admin/organizations", json={"name": f"RTSP Ltd {uuid.uuid4().hex[:4]}"})
    assert org.status_code == 201, org.text
    store = api.post(
        "/admin/stores",
        json={
            "org_id": org.json()["id"],
            "name": "Camera on RTSP",
            "timezone": "UTC",
            "opening_hours": HOURS,
        },
    )
    assert store.status_code == 201, store.text
    created = api.post(
        "/admin/cameras",
        json={"store_id": store.json()["id"], "name": "Front door", "is_counting_line": True},
    )
    assert created.status_code == 201, created.text
    camera_id, key = created.json()["camera"]["id"], created.json()["worker_key"]
    line = api.put(f"/admin/cameras/{camera_id}/counting-line", json=LINE)
    assert line.status_code == 200, line.text
    return camera_id, key


@contextmanager
def _worker(server: Server, key: str, source: str, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`storeintel-worker run` on `source`; on exit SIGTERM and a wait for it (SIGKILL after 40 s)."""
    executable = Path(sys.executable).with_name("storeintel-worker")
    command = [
        str(executable),
        *("run", "--api", server.base_url, "--source", source, "--model", str(OPENVINO_MODEL)),
        *("--data-dir", str(folder), "--journal", str(folder / "journal.jsonl")),
        *("--log-format", "console", "--log-level", "info"),
    ]
    env = {
        **os.environ,
        **WORKER_ENV,
        "STOREINTEL_WORKER_KEY": key,
        "YOLO_CONFIG_DIR": str(folder / "ultralytics"),
        "YOLO_OFFLINE": "true",
        "YOLO_AUTOINSTALL": "false",
    }
    with (folder / "worker.log").open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=REPO_ROOT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _journal(path: Path) -> list[str]:
    """Event ids the worker journaled, in order (complete lines only: the worker may be writing)."""
    if not path.exists():
        return []
    text = path.read_text()
    return [json.loads(line)["event_id"] for line in text.splitlines(keepends=True) if line.endswith("\n")]


def test_worker_survives_the_rtsp_server_restarting(rtsp_clip: Path, tmp_path: Path) -> None:
    """Count, lose the camera, report it, get it back, count again; every event stored exactly once."""
    started = time.monotonic()
    timings: dict[str, float] = {}
    database = tmp_path / "backend" / "storeintel.db"
    (tmp_path / "backend").mkdir()
    folder = tmp_path / "worker"
    folder.mkdir()
    journal_path, log = folder / "journal.jsonl", folder / "worker.log"
    engine = create_engine(f"sqlite:///{database}")

    def beats() -> list[Beat]:
        stmt = (
            sql_select(
                CameraHeartbeat.uptime_s,
                CameraHeartbeat.stream_status,
                CameraHeartbeat.last_error,
                CameraHeartbeat.frames_read,
            )
            .where(CameraHeartbeat.camera_id == uuid.UUID(camera_id))
            .order_by(CameraHeartbeat.uptime_s)  # the worker's own clock: the order it sent them in
        )
        with engine.connect() as conn:
            return [Beat(u, str(getattr(s, "value", s)), e, f) for u, s, e, f in conn.execute(stmt)]

    with running_backend(tmp_path / "backend", free_port()) as server:
        camera_id, key = _provision(server)
        camera = RtspCamera(rtsp_clip, free_port(), tmp_path / "rtsp-server.log")
        camera.start()
        try:
            with _worker(server, key, camera.url, folder) as worker:
                # 1. Counting on the live stream (crossings 2.4 and 6.1 s into the clip).
                wait_for(
                    "two events and a healthy heartbeat",
                    lambda: (
                        len(_journal(journal_path)) >= 2
                        and any(b.stream_status == "ok" and b.frames_read > 0 for b in beats())
                    ),
                    60,
                    log,
                    every_s=0.5,
                )
                timings["counting"] = time.monotonic() - started

                # 2. The camera loses power: the worker notices and says so in a heartbeat.
                seen = len(beats())
                camera.kill()
                killed = time.monotonic()
                outage = wait_for(
                    "a heartbeat reporting the outage",
                    lambda: [b for b in beats()[seen:] if b.stream_status in OUTAGE],
                    25,
                    log,
                    every_s=0.5,
                )
                timings["outage_reported_after_s"] = time.monotonic() - killed
                time.sleep(2)  # down a little longer: the worker retries against a closed port

                # 3. The camera comes back on the same address: frames flow again without any help.
                seen = len(beats())
                outage_frames = max(b.frames_read for b in beats())
                events_before = len(_journal(journal_path))
                camera.start()
                restarted = time.monotonic()
                back = wait_for(
                    "a healthy heartbeat with new frames after the restart",
                    lambda: [
                        b for b in beats()[seen:] if b.stream_status == "ok" and b.frames_read > outage_frames
                    ],
                    30,
                    log,
                    every_s=0.5,
                )
                timings["ok_again_after_s"] = time.monotonic() - restarted
                # The clip starts over for the new session: its first crossings come round again.
                wait_for(
                    "an event after the reconnect",
                    lambda: len(_journal(journal_path)) > events_before,
                    30,
                    log,
                    every_s=0.5,
                )
                timings["counting_again_after_s"] = time.monotonic() - restarted

                worker.send_signal(signal.SIGTERM)
                exit_code = worker.wait(timeout=40)
        finally:
            camera.kill()

        history = beats()
        with engine.connect() as conn:
            stored = Counter(str(row[0]) for row in conn.execute(sql_select(Event.event_id)))
            cameras = {str(row[0]) for row in conn.execute(sql_select(Event.camera_id).distinct())}
    engine.dispose()
    timings["total_s"] = time.monotonic() - started
    statuses = dict(Counter(b.stream_status for b in history))
    print(f"rtsp e2e: {timings}; {len(stored)} events; heartbeats {statuses}")
    print(f"rtsp e2e: first outage heartbeat {outage[0]}; first one back {back[0]}")

    assert all(b.last_error for b in outage), outage
    assert back[0].frames_read > outage_frames
    # Every journaled event stored exactly once, nothing stored that the worker did not journal.
    journaled = Counter(_journal(journal_path))
    assert journaled, "the worker emitted no events"
    assert max(journaled.values()) == 1, "the journal holds an event twice"
    assert stored == journaled
    assert cameras == {camera_id}
    # Last, so that a failure here still proves the data checks above: a clean stop is exit 0.
    assert exit_code == 0, f"the worker exited {exit_code} on SIGTERM:\n{tail_log(log)}"
