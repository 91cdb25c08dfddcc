"""Heartbeats survive a backend outage: the ones the backend did not take are kept in the outbox's SQLite file
(across a restart too) and delivered late, oldest first, with the `observed_at` they were made with, each
exactly once; refused-for-good ones are not kept; the buffer is capped."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.worker.fake_backend import FakeBackend
from tests.worker.test_runner import make_worker
from worker.client import BackendClient, make_http_client
from worker.heartbeats import HeartbeatSender
from worker.outbox import Outbox
from worker.protocol import HeartbeatIn

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def beat(i: int, **fields: Any) -> HeartbeatIn:
    """The i-th heartbeat, made 30 s after the one before."""
    body: dict[str, Any] = {
        "worker_version": "0.1.0",
        "uptime_s": 30.0 * i,
        "fps": 10.0,
        "frames_read": 300 * i,
        "frames_dropped": 0,
        "outbox_depth": 0,
        "events_dropped": 0,
        "stream_status": "ok" if i % 2 else "reconnecting",
        "observed_at": T0 + timedelta(seconds=30 * i),
    }
    return HeartbeatIn.model_validate({**body, **fields})


def observed(heartbeat: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(heartbeat["observed_at"])


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    server = FakeBackend()
    yield server
    server.stop()


def sender_for(url: str, outbox: Outbox, **kwargs: Any) -> HeartbeatSender:
    return HeartbeatSender(BackendClient(make_http_client(url, "test-key", timeout_s=2.0)), outbox, **kwargs)


@pytest.mark.parametrize("status", [503, 500, 429, 401])
def test_an_outage_delays_heartbeats_but_loses_none(
    tmp_path: Path, backend: FakeBackend, status: int
) -> None:
    url = backend.start()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    sender = sender_for(url, outbox)
    taken = []
    for i in range(12):
        backend.heartbeat_status = status if 3 <= i < 8 else None  # the backend is down for 5 heartbeats
        taken.append(sender.send(beat(i)))
    assert taken == [True] * 3 + [False] * 5 + [True] * 4
    assert backend.heartbeats_refused == 5
    assert outbox.heartbeat_depth == 0
    got = backend.heartbeats
    # Every heartbeat made arrives exactly once, with its original observed_at and stream status.
    assert sorted(observed(h) for h in got) == [beat(i).observed_at for i in range(12)]
    assert {observed(h): h["stream_status"] for h in got} == {
        beat(i).observed_at: beat(i).stream_status for i in range(12)
    }
    # The first live heartbeat after the outage goes first (the camera is online again at once), then the
    # buffered ones, oldest first, marked late; the rest are live.
    assert [observed(h) for h in got[3:9]] == [beat(i).observed_at for i in (8, 3, 4, 5, 6, 7)]
    assert [h["late"] for h in got] == [False] * 4 + [True] * 5 + [False] * 3
    outbox.close()


def test_buffered_heartbeats_survive_a_restart(tmp_path: Path, backend: FakeBackend) -> None:
    path = tmp_path / "outbox.sqlite3"
    down = Outbox(path)
    dead = sender_for("http://127.0.0.1:9", down)  # nothing listens: connection refused
    for i in range(4):
        assert dead.send(beat(i)) is False
    assert down.heartbeat_depth == 4
    down.close()

    url = backend.start()
    up = Outbox(path)
    assert up.heartbeat_depth == 4
    assert sender_for(url, up).send(beat(4)) is True
    assert [observed(h) for h in backend.heartbeats] == [beat(i).observed_at for i in (4, 0, 1, 2, 3)]
    assert [h["late"] for h in backend.heartbeats] == [False, True, True, True, True]
    assert up.heartbeat_depth == 0
    up.close()
    assert Outbox(path).heartbeat_depth == 0  # acknowledged for good, not sent again on the next start


def test_a_long_backlog_goes_out_over_several_heartbeats(tmp_path: Path, backend: FakeBackend) -> None:
    url = backend.start()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    sender = sender_for(url, outbox, backlog_per_send=3)
    backend.heartbeat_status = 503
    for i in range(7):
        sender.send(beat(i))
    backend.heartbeat_status = None
    sender.send(beat(7))
    assert outbox.heartbeat_depth == 4
    sender.send(beat(8))
    sender.send(beat(9))
    assert outbox.heartbeat_depth == 0
    late = [observed(h) for h in backend.heartbeats if h["late"]]
    assert late == [beat(i).observed_at for i in range(7)]
    outbox.close()


def test_a_heartbeat_without_observed_at_is_buffered_with_the_time_it_was_made(
    tmp_path: Path, backend: FakeBackend
) -> None:
    url = backend.start()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    sender = sender_for(url, outbox)
    backend.heartbeat_status = 503
    made = T0 + timedelta(minutes=7)
    sender.send(beat(0, observed_at=None), made_at=made)
    backend.heartbeat_status = None
    sender.send(beat(1, observed_at=None))
    assert backend.heartbeats[0]["observed_at"] is None
    assert observed(backend.heartbeats[1]) == made
    outbox.close()


def test_refused_for_good_is_not_kept(tmp_path: Path, backend: FakeBackend) -> None:
    url = backend.start()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    backend.heartbeat_status = 422
    assert sender_for(url, outbox).send(beat(0)) is False
    assert outbox.heartbeat_depth == 0
    outbox.close()


def test_the_buffer_is_capped_oldest_first_and_counts_what_it_dropped(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path, max_heartbeats=3)
    for i in range(5):
        outbox.put_heartbeat(beat(i).model_dump(mode="json"))
    assert outbox.heartbeat_depth == 3
    assert [body["uptime_s"] for _, body in outbox.peek_heartbeats(10)] == [60.0, 90.0, 120.0]
    assert outbox.heartbeats_dropped == 2
    outbox.close()
    reopened = Outbox(path, max_heartbeats=3)
    assert (reopened.heartbeat_depth, reopened.heartbeats_dropped) == (3, 2)
    reopened.close()


def test_an_existing_outbox_file_gains_the_heartbeat_table(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    db = sqlite3.connect(path)  # the layout before heartbeats were buffered: events and counters only
    db.executescript(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, "
        "body TEXT NOT NULL); CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    )
    db.close()
    outbox = Outbox(path)
    assert outbox.heartbeat_depth == 0
    outbox.close()


def test_the_worker_buffers_heartbeats_through_an_outage_and_sends_them_after_a_restart(
    tmp_path: Path, backend: FakeBackend
) -> None:
    # The first process never reaches a backend: its heartbeats stay in the outbox file.
    first = make_worker(tmp_path, "http://127.0.0.1:9", frames=80, line="0,0.5,1,0.5", shutdown_flush_s=0.2)
    assert first.run() == 0
    kept = Outbox(tmp_path / "outbox.sqlite3")
    buffered = [body for _, body in kept.peek_heartbeats(1000)]
    kept.close()
    assert buffered
    assert all(b["late"] and b["observed_at"] for b in buffered)

    url = backend.start()
    second = make_worker(tmp_path, url, frames=100_000)
    thread_result: list[int] = []
    thread = threading.Thread(target=lambda: thread_result.append(second.run()))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while second.outbox.heartbeat_depth and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        second.request_stop()
        thread.join(30)
    assert thread_result == [0]
    late = [h for h in backend.heartbeats if h["late"]]
    assert [h["observed_at"] for h in late] == [b["observed_at"] for b in buffered]
    after = Outbox(tmp_path / "outbox.sqlite3")
    assert after.heartbeat_depth == 0
    after.close()
