"""SQLite outbox: FIFO order, durability across reopen, idempotent inserts, capped with a drop count."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from worker.outbox import Outbox
from worker.protocol import Event

TS = datetime(2026, 11, 21, 8, 15, 3, 120000, tzinfo=UTC)


def events(n: int) -> list[Event]:
    return [Event(type="IN", ts=TS, tracker_id=i, confidence=0.5) for i in range(n)]


def test_events_come_out_in_order_as_wire_json(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    batch = events(3)
    box.put(batch)
    queued = box.peek(10)
    assert [q.event_id for q in queued] == [e.event_id for e in batch]
    assert queued[0].body == {
        "event_id": batch[0].event_id,
        "type": "IN",
        "ts": "2026-11-21T08:15:03.120000Z",
        "tracker_id": 0,
        "zone_id": None,
        "dwell_ms": None,
        "confidence": 0.5,
    }
    assert box.depth == 3


def test_only_acknowledged_events_leave_and_the_rest_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    box = Outbox(path)
    batch = events(5)
    box.put(batch)
    box.ack([q.seq for q in box.peek(2)])
    box.close()

    reopened = Outbox(path)
    assert reopened.depth == 3
    assert [q.event_id for q in reopened.peek(10)] == [e.event_id for e in batch[2:]]
    assert (
        tmp_path / "o.sqlite3-wal"
    ).exists() or reopened.depth == 3  # WAL mode, whichever checkpoint state


def test_putting_the_same_event_twice_stores_it_once(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    batch = events(2)
    box.put(batch)
    box.put(batch)
    assert box.depth == 2


def test_cap_drops_the_oldest_and_counts_them_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    box = Outbox(path, max_events=4)
    batch = events(6)
    assert box.put(batch[:3]) == 0
    assert box.put(batch[3:]) == 2
    assert [q.event_id for q in box.peek(10)] == [e.event_id for e in batch[2:]]
    assert box.events_dropped == 2
    box.close()
    assert Outbox(path, max_events=4).events_dropped == 2


def test_journal_mode_is_wal(tmp_path: Path) -> None:
    import sqlite3

    Outbox(tmp_path / "o.sqlite3").close()
    assert sqlite3.connect(tmp_path / "o.sqlite3").execute("PRAGMA journal_mode").fetchone()[0] == "wal"
