"""Durable event queue on local disk (SQLite in WAL mode): events are stored before they are sent and deleted
only once the backend has acknowledged them, so a crash, a reboot or a backend outage loses nothing.

Delivery is at-least-once: an event may be sent again after a crash between "backend stored it" and "worker
deleted it"; the backend deduplicates on ``event_id``, which is minted on the edge, so the retry is harmless.

The same file keeps the heartbeats the backend did not take when they were made (table ``heartbeats``, see
``worker/heartbeats.py``), so data coverage survives an outage like the events do.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from worker.protocol import Event

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,  -- send order; AUTOINCREMENT never reuses a deleted seq
    event_id TEXT NOT NULL UNIQUE,
    body     TEXT NOT NULL                       -- the event as JSON, exactly as it goes on the wire
);
CREATE TABLE IF NOT EXISTS heartbeats (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,      -- made order; sent oldest first
    body TEXT NOT NULL                           -- the heartbeat as JSON, exactly as it goes on the wire
);
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """An event waiting in the outbox: ``seq`` is its place in line, ``body`` the JSON object to send."""

    seq: int
    event_id: str
    body: dict[str, Any]


class Outbox:
    """A capped FIFO of events in a SQLite file, safe to share between the threads of one process.

    ``max_events`` caps the queue (about 250 bytes of disk per event): past it, the oldest events are deleted
    and counted in :attr:`events_dropped`, which persists across restarts so the heartbeat can report it.
    ``max_heartbeats`` caps the undelivered heartbeats likewise (about 400 bytes each; the default is 7 days
    at one per 30 s, the backend's window for late data); the oldest beyond it are counted in
    :attr:`heartbeats_dropped`.
    """

    def __init__(self, path: Path | str, max_events: int = 500_000, max_heartbeats: int = 20_160) -> None:
        if max_events < 1:
            raise ValueError("max_events must be >= 1")
        if max_heartbeats < 1:
            raise ValueError("max_heartbeats must be >= 1")
        self.path = Path(path)
        self.max_events = max_events
        self.max_heartbeats = max_heartbeats
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Autocommit mode; every write below is its own explicit transaction.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL makes each commit durable across power loss, not only across a process crash; events are few.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._depth: int = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        self._heartbeat_depth: int = self._db.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0]

    def put(self, events: Iterable[Event]) -> int:
        """Append events atomically (all or none); returns how many old events the cap pushed out."""
        rows = [(e.event_id, json.dumps(e.model_dump(mode="json"), separators=(",", ":"))) for e in events]
        if not rows:
            return 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.executemany(
                    "INSERT OR IGNORE INTO outbox (event_id, body) VALUES (?, ?)", rows
                )
                added = cur.rowcount
                overflow = max(0, self._depth + added - self.max_events)
                if overflow:
                    self._db.execute(
                        "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)",
                        (overflow,),
                    )
                    self._count("events_dropped", overflow)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._depth += added - overflow
            return overflow

    def peek(self, limit: int) -> list[QueuedEvent]:
        """The oldest ``limit`` events, oldest first, without removing them."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, event_id, body FROM outbox ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [QueuedEvent(seq, event_id, json.loads(body)) for seq, event_id, body in rows]

    def ack(self, seqs: Sequence[int]) -> None:
        """Delete events the backend has acknowledged (accepted, duplicate or permanently rejected)."""
        if not seqs:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._depth -= cur.rowcount

    def _count(self, name: str, n: int) -> None:
        """Add ``n`` to a persisted counter (inside the caller's transaction)."""
        self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
            (name, n),
        )

    def _counter(self, name: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    # -- heartbeats the backend has not taken yet ----------------------------------------------------------

    def put_heartbeat(self, body: dict[str, Any]) -> int:
        """Append one heartbeat (its wire JSON); returns how many old ones the cap pushed out (0 or 1)."""
        text = json.dumps(body, separators=(",", ":"))
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO heartbeats (body) VALUES (?)", (text,))
                overflow = max(0, self._heartbeat_depth + 1 - self.max_heartbeats)
                if overflow:
                    self._db.execute(
                        "DELETE FROM heartbeats WHERE seq IN "
                        "(SELECT seq FROM heartbeats ORDER BY seq LIMIT ?)",
                        (overflow,),
                    )
                    self._count("heartbeats_dropped", overflow)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._heartbeat_depth += 1 - overflow
            return overflow

    def peek_heartbeats(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """The oldest ``limit`` buffered heartbeats as ``(seq, body)``, oldest first, not removed."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, body FROM heartbeats ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [(seq, json.loads(body)) for seq, body in rows]

    def ack_heartbeat(self, seq: int) -> None:
        """Delete a buffered heartbeat the backend has taken (or refused for good)."""
        with self._lock:
            cur = self._db.execute("DELETE FROM heartbeats WHERE seq = ?", (seq,))  # autocommit: one row
            self._heartbeat_depth -= cur.rowcount

    @property
    def heartbeat_depth(self) -> int:
        """Heartbeats waiting to be sent late."""
        return self._heartbeat_depth

    @property
    def heartbeats_dropped(self) -> int:
        """Buffered heartbeats ever deleted unsent because the buffer was full (persisted)."""
        return self._counter("heartbeats_dropped")

    # -- state ---------------------------------------------------------------------------------------------

    @property
    def depth(self) -> int:
        """Events waiting to be sent."""
        return self._depth

    @property
    def events_dropped(self) -> int:
        """Events ever deleted unsent because the queue was full (persisted; survives restarts)."""
        return self._counter("events_dropped")

    def close(self) -> None:
        """Close the database; pending events stay on disk for the next start."""
        with self._lock:
            self._db.close()
