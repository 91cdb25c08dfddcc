"""SQLite outbox: FIFO order, durability across reopen, idempotent inserts, capped with a drop count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


def test_open_zone_visits_are_kept_until_their_exit_and_closed_once(tmp_path: Path) -> None:
    zone = "5d1b8c3e-3f0a-4c6e-9a51-0c2f7d9e4b11"
    t0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    enter = Event(type="ZONE_ENTER", ts=t0, tracker_id=7, zone_id=zone)
    left = Event(type="ZONE_ENTER", ts=t0, tracker_id=8, zone_id=zone)
    outbox = Outbox(tmp_path / "o.sqlite3")
    outbox.put([enter, left, Event(type="IN", ts=t0, tracker_id=7)], observed_at=t0, source="file:1:ab")
    outbox.put(
        [Event(type="ZONE_EXIT", ts=t0 + timedelta(seconds=5), tracker_id=7, zone_id=zone, dwell_ms=5000)]
    )
    outbox.mark_observed(t0 + timedelta(seconds=42))
    outbox.close()

    reopened = Outbox(tmp_path / "o.sqlite3")  # a new process after a crash
    (visit,) = reopened.orphaned_visits()
    assert (visit.tracker_id, visit.enter_id, visit.enter_ts, visit.source) == (
        8,
        left.event_id,
        t0,
        "file:1:ab",
    )
    at = reopened.last_observed_at()
    assert at == t0 + timedelta(seconds=42)
    closing = visit.closing_event(at)
    assert (closing.type, closing.ts, closing.dwell_ms, closing.zone_id) == ("ZONE_EXIT", at, 42_000, zone)
    assert visit.closing_event(None).dwell_ms == 0  # nothing recorded: closed at its entry
    assert closing.event_id == visit.closing_event(at).event_id  # closing it twice is one event
    reopened.put([closing])
    assert reopened.orphaned_visits() == []
    assert reopened.depth == 5
