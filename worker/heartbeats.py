"""Sends heartbeats so that a backend outage costs no data coverage.

The backend counts coverage from heartbeats per 15-minute slot, so a heartbeat lost to an outage makes its
slot look "not covered" although the events of that time arrive later from the outbox. Every heartbeat is
therefore sent live first; if the backend does not take it (network error, timeout, 5xx, 429, an auth
failure, any status but 2xx, 413 and 422), it is written to the outbox's ``heartbeats`` table, marked
``late`` and stamped with ``observed_at`` (the time it was made when it had none), and delivered later:

- after each live heartbeat the backend took, the buffered ones follow, oldest first, up to
  ``backlog_per_send`` per call (the rest on the next calls), so the camera shows online again as soon as
  the backend answers and a long backlog never holds up the control loop for long;
- a buffered heartbeat leaves the buffer only when the backend took it (2xx) or refused it for good (413 or
  422, logged); the first other failure stops the round, the rest wait for the next one;
- the buffer lives in the outbox's SQLite file, so it survives a restart; it is capped (``Outbox``'s
  ``max_heartbeats``, 7 days at the default interval): the oldest beyond the cap are deleted and counted in
  ``Outbox.heartbeats_dropped``.

Delivery is at-least-once: a heartbeat whose answer was lost (a timeout after the backend stored it) is
sent again and counted twice in its slot, which can only make a slot look better covered by one beat.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import structlog
from pydantic import ValidationError

from worker.client import BackendClient, BackendError
from worker.outbox import Outbox
from worker.protocol import HeartbeatIn

log = structlog.get_logger(__name__)

REFUSED_FOR_GOOD = frozenset({413, 422})  # the backend will never take this body: do not keep it


class HeartbeatSender:
    """Live heartbeats with a durable buffer for the ones the backend did not take; thread-safe (the control
    thread and, while replaying, the frame thread both send)."""

    def __init__(
        self,
        backend: BackendClient,
        outbox: Outbox,
        backlog_per_send: int = 100,
        on_refused: Callable[[int], None] | None = None,
    ) -> None:
        if backlog_per_send < 1:
            raise ValueError("backlog_per_send must be >= 1")
        self.backend = backend
        self.outbox = outbox
        self.backlog_per_send = backlog_per_send
        self._lock = threading.Lock()
        self._on_refused = on_refused  # told of 401/403 answers (the runner decides what they mean)

    def send(self, heartbeat: HeartbeatIn, made_at: datetime | None = None) -> bool:
        """Send ``heartbeat`` (made at ``made_at``, default now); buffer it if the backend does not take it,
        else deliver buffered ones after it. Returns whether the live one was taken."""
        made_at = made_at or datetime.now(UTC)
        with self._lock:
            try:
                self.backend.send_heartbeat(heartbeat)
            except (httpx.TransportError, BackendError) as exc:
                status = exc.status if isinstance(exc, BackendError) else None
                if status in REFUSED_FOR_GOOD:
                    log.warning("heartbeat_refused", status=status, error=str(exc))
                    return False
                if status in (401, 403) and self._on_refused is not None:
                    self._on_refused(status)
                self._buffer(heartbeat, made_at)
                log.warning("heartbeat_failed", error=str(exc), buffered=self.outbox.heartbeat_depth)
                return False
            self._send_backlog()
            return True

    def _buffer(self, heartbeat: HeartbeatIn, made_at: datetime) -> None:
        late = heartbeat.model_copy(update={"late": True, "observed_at": heartbeat.observed_at or made_at})
        if self.outbox.put_heartbeat(late.model_dump(mode="json")):
            log.warning("heartbeat_buffer_full", dropped=self.outbox.heartbeats_dropped)

    def _send_backlog(self) -> None:
        sent = 0
        for seq, body in self.outbox.peek_heartbeats(self.backlog_per_send):
            try:
                self.backend.send_heartbeat(HeartbeatIn.model_validate(body))
            except ValidationError as exc:  # written by an older worker the current model refuses
                log.warning("buffered_heartbeat_invalid", error=str(exc))
            except (httpx.TransportError, BackendError) as exc:
                if not (isinstance(exc, BackendError) and exc.status in REFUSED_FOR_GOOD):
                    log.warning("buffered_heartbeat_failed", error=str(exc), sent=sent)
                    return  # try again after the next live heartbeat
                log.warning("buffered_heartbeat_refused", status=exc.status, error=str(exc))
            else:
                sent += 1
            self.outbox.ack_heartbeat(seq)
        if sent:
            log.info("buffered_heartbeats_sent", sent=sent, left=self.outbox.heartbeat_depth)
