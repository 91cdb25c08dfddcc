"""Durability: a worker killed with SIGKILL in the middle of a flush loses nothing and duplicates nothing.

The backend is a real HTTP server on 127.0.0.1 (``fake_backend``) that stores each batch and only then waits
before answering, so the kill lands after the backend stored a batch the worker never saw acknowledged: the
exact case where an at-least-once outbox must resend and the backend must deduplicate.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.worker.fake_backend import FakeBackend
from worker.outbox import Outbox
from worker.protocol import Event

DRAINER = Path(__file__).with_name("outbox_drainer.py")
N_EVENTS = 300


@pytest.fixture
def backend() -> Iterator[tuple[FakeBackend, str]]:
    server = FakeBackend(answer_delay_s=0.15)
    url = server.start()
    yield server, url
    server.stop()


def drainer(outbox: Path, url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, str(DRAINER), str(outbox), url, "test-key"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_kill_9_mid_flush_then_restart_delivers_every_event_exactly_once(
    tmp_path: Path, backend: tuple[FakeBackend, str]
) -> None:
    server, url = backend
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path)
    events = [
        Event(type="IN" if i % 2 else "OUT", ts=datetime.now(UTC), tracker_id=i) for i in range(N_EVENTS)
    ]
    outbox.put(events)
    outbox.close()

    first = drainer(path, url)
    with server.lock:
        # Kill once a third is stored *and* a batch is stored but not yet answered.
        ok = server.lock.wait_for(
            lambda: len(server.stored) >= N_EVENTS // 3 and server.in_flight > 0, timeout=60
        )
        assert ok, "the drainer made no progress"
        first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    stored_at_kill = len(server.stored)
    assert stored_at_kill < N_EVENTS

    second = drainer(path, url)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()[-2000:]

    assert set(server.stored) == {e.event_id for e in events}  # nothing lost
    assert len(server.stored) == N_EVENTS  # nothing stored twice
    assert server.duplicates >= 1  # the unacknowledged batch really was resent, and deduplicated
    reopened = Outbox(path)
    assert reopened.depth == 0
    reopened.close()
