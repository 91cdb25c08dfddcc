"""Durable event queue on local disk (SQLite in WAL mode): events are stored before they are sent and deleted
only once the backend has acknowledged them, so a crash, a reboot or a backend outage loses nothing.

Delivery is at-least-once: an event may be sent again after a crash between "backend stored it" and "worker
deleted it"; the backend deduplicates on ``event_id``, which is minted on the edge, so the retry is harmless.

The same file keeps the heartbeats the backend did not take when they were made (table ``heartbeats``, see
``worker/heartbeats.py``), so data coverage survives an outage like the events do, and the zone visits that
are open (table ``open_visits``: a ``ZONE_ENTER`` queued without its ``ZONE_EXIT`` yet), with the capture
time of the newest frame seen (``last_observed_at``), so a worker killed mid-visit closes those visits when it
starts again (:meth:`Outbox.orphaned_visits`, docs/worker.md "Outbox guarantees").
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
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
CREATE TABLE IF NOT EXISTS open_visits (
    zone_id    TEXT NOT NULL,
    tracker_id INTEGER NOT NULL,
    enter_id   TEXT NOT NULL,                    -- the ZONE_ENTER's event_id
    enter_ts   TEXT NOT NULL,                    -- its ts as on the wire (UTC ISO 8601)
    source     TEXT NOT NULL,                    -- the recording's fingerprint; '' for a live stream
    PRIMARY KEY (zone_id, tracker_id)
);
CREATE TABLE IF NOT EXISTS clock (
    name TEXT PRIMARY KEY,
    ts   TEXT NOT NULL                           -- UTC ISO 8601
);
"""
_ORPHAN_EXIT = uuid.UUID("7f3c2a4e-51b9-4d0e-9a8c-2b6f0e1d3c5a")  # namespace of closing-after-restart ids


@dataclass(frozen=True, slots=True)
class OpenVisit:
    """A zone visit whose ``ZONE_ENTER`` was queued and whose ``ZONE_EXIT`` was not (yet): times are UTC,
    as on the wire (replay-mapped when replaying)."""

    zone_id: str
    tracker_id: int
    enter_id: str
    enter_ts: datetime
    source: str | None  # the recording's fingerprint (worker.event_ids), None for a live stream

    def closing_event(self, at: datetime | None) -> Event:
        """The ``ZONE_EXIT`` that ends this visit at ``at`` (the last capture time the dead process recorded;
        never before the entry; ``None``: at the entry). Its id derives from the entry's, so closing the same
        visit twice yields one event."""
        end = max(self.enter_ts, at) if at is not None else self.enter_ts
        return Event(
            event_id=str(uuid.uuid5(_ORPHAN_EXIT, self.enter_id)),
            type="ZONE_EXIT",
            ts=end,
            tracker_id=self.tracker_id,
            zone_id=self.zone_id,
            dwell_ms=round((end - self.enter_ts).total_seconds() * 1000),
        )


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

    def put(
        self, events: Iterable[Event], observed_at: datetime | None = None, source: str | None = None
    ) -> int:
        """Append events atomically (all or none); returns how many old events the cap pushed out.

        In the same transaction, each ``ZONE_ENTER`` opens a visit and each ``ZONE_EXIT`` closes it (see
        :meth:`orphaned_visits`), and ``observed_at`` (UTC, the newest frame's capture time on the events'
        clock), when given, is recorded as :meth:`last_observed_at`. ``source``: the recording's fingerprint
        the events come from (None: a live stream), kept with the visits they open.
        """
        queued = list(events)
        rows = [(e.event_id, json.dumps(e.model_dump(mode="json"), separators=(",", ":"))) for e in queued]
        if not rows:
            if observed_at is not None:
                self.mark_observed(observed_at)
            return 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.executemany(
                    "INSERT OR IGNORE INTO outbox (event_id, body) VALUES (?, ?)", rows
                )
                added = cur.rowcount
                self._track_visits(queued, source)
                if observed_at is not None:
                    self._set_clock("last_observed_at", observed_at)
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

    def _track_visits(self, events: Sequence[Event], source: str | None) -> None:
        """Open and close zone visits for these events (inside the caller's transaction)."""
        for e in events:
            if e.zone_id is None:
                continue
            if e.type == "ZONE_ENTER":
                self._db.execute(
                    "INSERT OR REPLACE INTO open_visits (zone_id, tracker_id, enter_id, enter_ts, source) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (e.zone_id, e.tracker_id, e.event_id, e.ts.isoformat(), source or ""),
                )
            elif e.type == "ZONE_EXIT":
                self._db.execute(
                    "DELETE FROM open_visits WHERE zone_id = ? AND tracker_id = ?", (e.zone_id, e.tracker_id)
                )

    def _set_clock(self, name: str, ts: datetime) -> None:
        self._db.execute(
            "INSERT INTO clock (name, ts) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET ts = excluded.ts",
            (name, ts.isoformat()),
        )

    def mark_observed(self, observed_at: datetime) -> None:
        """Record ``observed_at`` (UTC, the newest frame's capture time on the events' clock) as
        :meth:`last_observed_at`; the runner calls it with every heartbeat."""
        with self._lock:
            self._set_clock("last_observed_at", observed_at)  # autocommit: one row

    def last_observed_at(self) -> datetime | None:
        """The newest capture time recorded by :meth:`put` or :meth:`mark_observed` (UTC), or ``None``."""
        with self._lock:
            row = self._db.execute("SELECT ts FROM clock WHERE name = 'last_observed_at'").fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def orphaned_visits(self) -> list[OpenVisit]:
        """The zone visits still open, oldest entry first. Read before the first frame of a new process,
        every one of them was left open by a process that died without closing it (a clean stop emits the
        exits). The runner closes them with :meth:`OpenVisit.closing_event` at :meth:`last_observed_at`
        through :meth:`put`, which also deletes them (exactly once, whatever fails)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT zone_id, tracker_id, enter_id, enter_ts, source FROM open_visits ORDER BY enter_ts"
            ).fetchall()
        return [OpenVisit(z, int(t), i, datetime.fromisoformat(ts), src or None) for z, t, i, ts, src in rows]

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
