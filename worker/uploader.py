"""Drains the outbox to ``POST /worker/events``: batches, backoff, ``Retry-After``, partial rejection.

An event leaves the outbox only when the backend has answered for it: accepted, duplicate, or rejected for
good. Anything else (network errors, timeouts, 5xx, 429, auth failures, unexplained 4xx) keeps the batch
queued and retries later, so an outage or a misconfiguration delays events but never loses them.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from pydantic import ValidationError

from worker.client import BackendClient
from worker.outbox import Outbox, QueuedEvent
from worker.protocol import EventsResult, Rejection

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class UploaderConfig:
    """``batch_size``: events per request (the API takes up to 5,000); fewer queued events go out every
    ``flush_interval_s`` seconds. Backoff after failure ``n`` (1-based) is
    ``min(backoff_max_s, backoff_base_s * 2**(n-1))`` scaled by a random factor in [0.5, 1] (jitter spreads
    out a fleet of workers reconnecting after an outage). ``Retry-After`` is honoured up to
    ``retry_after_max_s``."""

    batch_size: int = 500
    flush_interval_s: float = 5.0
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    retry_after_max_s: float = 600.0


@dataclass(slots=True)
class Attempt:
    """What one ``POST /worker/events`` achieved. ``retry_in_s`` is set when the batch must wait and be
    retried (``Retry-After`` when the backend gave one, else ``None`` plus ``failed=True`` for the caller's
    backoff)."""

    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    failed: bool = False
    retry_in_s: float | None = None
    error: str | None = None


@dataclass(slots=True)
class UploaderStats:
    """Running totals since start, for logs and heartbeats."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    failures: int = 0
    last_error: str | None = None
    last_success: float | None = field(default=None)  # time.monotonic() of the last acknowledged batch


class Uploader:
    """Sends queued events. Use :meth:`run` in a background thread and :meth:`drain` on shutdown.

    ``rng`` and ``clock`` are injectable so tests can pin jitter and time.
    """

    def __init__(
        self,
        client: BackendClient,
        outbox: Outbox,
        config: UploaderConfig | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_refused: Callable[[int], None] | None = None,
    ) -> None:
        self.client = client
        self.outbox = outbox
        self.config = config or UploaderConfig()
        self.stats = UploaderStats()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self._clock = clock
        self._on_refused = on_refused  # told of 401/403: the key or the camera is refused (the runner acts)
        self._batch_size = self.config.batch_size  # shrinks on 413, never grows back past the setting
        self._failures = 0  # consecutive failures, drives the backoff
        self.wake = threading.Event()  # set by producers when a batch is due, to skip the rest of a wait

    def send_once(self) -> Attempt:
        """Post the oldest batch and settle the outbox according to the answer. Never raises for HTTP or
        network failures (they are reported in the returned :class:`Attempt`)."""
        batch = self.outbox.peek(self._batch_size)
        if not batch:
            return Attempt()
        try:
            resp = self.client.post_events([q.body for q in batch])
        except httpx.TransportError as exc:  # connect errors, timeouts, broken connections
            return self._failed(Attempt(sent=len(batch)), f"{type(exc).__name__}: {exc}")
        return self._settle(batch, resp)

    def next_delay(self, attempt: Attempt) -> float:
        """Seconds to wait before the next try after ``attempt``: 0 after progress, ``Retry-After`` when
        given, else jittered exponential backoff over the consecutive failures."""
        if not attempt.failed:
            return 0.0
        if attempt.retry_in_s is not None:
            return attempt.retry_in_s
        exp = self.config.backoff_base_s * 2.0 ** max(0, self._failures - 1)
        return min(self.config.backoff_max_s, exp) * self._rng.uniform(0.5, 1.0)

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set: send whenever a full batch is queued or every ``flush_interval_s``."""
        last_flush = self._clock()
        while not stop.is_set():
            due = self._clock() - last_flush >= self.config.flush_interval_s
            if self.outbox.depth >= self._batch_size or (due and self.outbox.depth > 0):
                attempt = self.send_once()
                last_flush = self._clock()
                delay = self.next_delay(attempt)
                if delay > 0:
                    stop.wait(delay)  # a failing backend is not hammered, whatever wakes us
                continue
            if due:
                last_flush = self._clock()
            self.wake.wait(timeout=min(1.0, self.config.flush_interval_s))
            self.wake.clear()

    def drain(self, timeout_s: float) -> bool:
        """Send until the outbox is empty or ``timeout_s`` seconds have passed (shutdown). Waits out backoff
        only while time remains. Returns True when everything queued was acknowledged."""
        deadline = self._clock() + timeout_s
        while self.outbox.depth > 0:
            attempt = self.send_once()
            delay = self.next_delay(attempt)
            if self._clock() + delay >= deadline:
                break
            if delay > 0:
                time.sleep(delay)
        return self.outbox.depth == 0

    def _settle(self, batch: list[QueuedEvent], resp: httpx.Response) -> Attempt:
        attempt = Attempt(sent=len(batch))
        status = resp.status_code
        if status == 200:
            try:
                answer = EventsResult.model_validate(resp.json())
            except (ValueError, ValidationError) as exc:
                return self._failed(attempt, f"unreadable 200 answer: {exc}")
            self._drop_rejected(batch, answer.rejected)
            self.outbox.ack([q.seq for q in batch])
            attempt.accepted, attempt.duplicates = answer.accepted, answer.duplicates
            attempt.rejected = len({r.index for r in answer.rejected if 0 <= r.index < len(batch)})
            self._failures = 0
            self.stats.accepted += attempt.accepted
            self.stats.duplicates += attempt.duplicates
            self.stats.rejected += attempt.rejected
            self.stats.last_success = self._clock()
            self.stats.last_error = None  # delivering again: the earlier failure is over
            log.debug("events_sent", sent=len(batch), accepted=answer.accepted, duplicates=answer.duplicates)
            return attempt
        if status in (429, 503):
            attempt.retry_in_s = self._retry_after(resp)
            return self._failed(attempt, f"backend busy ({status})")
        if status == 413:
            if len(batch) == 1:
                # A single event too large to ever be accepted: a permanent failure like a rejection.
                self._drop_rejected(batch, [Rejection(index=0, reason="413 body too large")])
                self.outbox.ack([batch[0].seq])
                attempt.rejected = 1
                return attempt
            self._batch_size = max(1, len(batch) // 2)
            log.warning("batch_too_large", sent=len(batch), next_batch_size=self._batch_size)
            return attempt  # progress of a kind: retry at once with the smaller batch
        if status in (401, 403) and self._on_refused is not None:
            self._on_refused(status)
        if 400 <= status < 500:
            rejected = _rejections_in(resp)
            if rejected:
                # The backend named the bad events: drop exactly those, keep the rest for the next try.
                self._drop_rejected(batch, rejected)
                named = {r.index for r in rejected if 0 <= r.index < len(batch)}
                self.outbox.ack([batch[i].seq for i in sorted(named)])
                attempt.rejected = len(named)
                self.stats.rejected += attempt.rejected
                return attempt
        return self._failed(attempt, f"POST /worker/events answered {status}: {resp.text[:200]}")

    def _failed(self, attempt: Attempt, error: str) -> Attempt:
        attempt.failed = True
        attempt.error = error
        self._failures += 1
        self.stats.failures += 1
        self.stats.last_error = error
        log.warning("events_send_failed", error=error, consecutive=self._failures, queued=self.outbox.depth)
        return attempt

    def _retry_after(self, resp: httpx.Response) -> float | None:
        value = resp.headers.get("Retry-After")
        if value is None:
            return None
        seconds: float | None
        try:
            seconds = float(value)
        except ValueError:
            try:  # the HTTP-date form
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = (when - datetime.now(UTC)).total_seconds()
        return min(max(0.0, seconds), self.config.retry_after_max_s)

    @staticmethod
    def _drop_rejected(batch: list[QueuedEvent], rejected: list[Rejection]) -> None:
        for r in rejected:
            if 0 <= r.index < len(batch):
                q = batch[r.index]
                log.error("event_rejected", event_id=q.event_id, reason=r.reason, body=q.body)
            else:
                log.error("rejection_index_out_of_range", index=r.index, reason=r.reason, batch=len(batch))


def _rejections_in(resp: httpx.Response) -> list[Rejection]:
    """The ``rejected`` list of a 4xx answer that names the events it refuses; empty when it names none."""
    try:
        body: Any = resp.json()
    except ValueError:
        return []
    if not isinstance(body, dict) or not isinstance(body.get("rejected"), list):
        return []
    try:
        return [Rejection.model_validate(r) for r in body["rejected"]]
    except ValidationError:
        return []
