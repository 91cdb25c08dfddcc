"""Uploader against httpx.MockTransport: success, 5xx, timeouts, 429/503 with Retry-After, partial rejection,
oversized batches, auth failures, and the backoff schedule. No network."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from worker.client import BackendClient, make_http_client
from worker.outbox import Outbox
from worker.protocol import Event
from worker.uploader import Uploader, UploaderConfig

TS = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def posted_ids(request: httpx.Request) -> list[str]:
    body = request.content
    if request.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return [e["event_id"] for e in json.loads(body)["events"]]


def ok(request: httpx.Request) -> httpx.Response:
    n = len(posted_ids(request))
    return httpx.Response(200, json={"accepted": n, "duplicates": 0, "rejected": []})


def make(tmp_path: Path, handler: Handler, n: int = 5, **config: float) -> tuple[Uploader, Outbox, list[str]]:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    batch = [Event(type="IN", ts=TS, tracker_id=i) for i in range(n)]
    outbox.put(batch)
    http = make_http_client("http://backend.test", "k-123", transport=httpx.MockTransport(handler))
    uploader = Uploader(BackendClient(http), outbox, UploaderConfig(**config), rng=random.Random(7))  # type: ignore[arg-type]
    return uploader, outbox, [e.event_id for e in batch]


def test_success_acknowledges_the_batch_and_sends_the_key(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok(request)

    uploader, outbox, ids = make(tmp_path, handler)
    attempt = uploader.send_once()
    assert (attempt.failed, attempt.accepted, outbox.depth) == (False, 5, 0)
    assert seen[0].url.path == "/worker/events"
    assert seen[0].headers["X-Worker-Key"] == "k-123"
    assert posted_ids(seen[0]) == ids


def test_batches_are_capped_at_batch_size_oldest_first(tmp_path: Path) -> None:
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sizes.append(len(posted_ids(request)))
        return ok(request)

    uploader, _outbox, _ = make(tmp_path, handler, n=7, batch_size=3)
    assert uploader.drain(timeout_s=5) is True
    assert sizes == [3, 3, 1]


def test_large_batches_are_gzipped(tmp_path: Path) -> None:
    encodings: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        encodings.append(request.headers.get("Content-Encoding"))
        return ok(request)

    uploader, outbox, _ = make(tmp_path, handler, n=100)
    uploader.send_once()
    assert encodings == ["gzip"]
    assert outbox.depth == 0


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, text="boom"),
        httpx.Response(502),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("connection refused"),
        httpx.Response(401, json={"detail": "unknown key"}),
        httpx.Response(422, json={"detail": "malformed"}),
    ],
    ids=["500", "502", "timeout", "connect-error", "401-keeps-events", "422-without-names-keeps-events"],
)
def test_failures_keep_the_batch_and_a_retry_delivers_it(
    tmp_path: Path, failure: httpx.Response | Exception
) -> None:
    calls: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(posted_ids(request))
        if len(calls) == 1:
            if isinstance(failure, Exception):
                raise failure
            return failure
        return ok(request)

    uploader, outbox, ids = make(tmp_path, handler)
    first = uploader.send_once()
    assert first.failed
    assert outbox.depth == 5
    assert first.error
    assert uploader.next_delay(first) > 0
    second = uploader.send_once()
    assert not second.failed
    assert outbox.depth == 0
    assert calls == [ids, ids]  # same event ids on the retry: the backend deduplicates


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [(429, "7", 7.0), (503, "2.5", 2.5), (429, "100000", 600.0), (503, None, None)],
    ids=["429-seconds", "503-seconds", "capped", "503-without-header-uses-backoff"],
)
def test_retry_after_is_honoured(
    tmp_path: Path, status: int, retry_after: str | None, expected: float | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    uploader, outbox, _ = make(tmp_path, lambda r: httpx.Response(status, headers=headers))
    attempt = uploader.send_once()
    assert attempt.failed
    assert outbox.depth == 5
    assert attempt.retry_in_s == expected
    delay = uploader.next_delay(attempt)
    if expected is None:
        assert 0.5 <= delay <= 1.0  # first backoff step: base 1 s with jitter in [0.5, 1]
    else:
        assert delay == expected


def test_retry_after_as_http_date(tmp_path: Path) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    uploader, _, _ = make(tmp_path, lambda r: httpx.Response(429, headers={"Retry-After": when}))
    assert 25 <= (uploader.send_once().retry_in_s or 0) <= 30


def test_partial_rejection_in_a_200_drops_only_the_named_events(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "accepted": 3,
                "duplicates": 1,
                "rejected": [{"index": 2, "reason": "ts is more than 300 s in the future"}],
            },
        )

    uploader, outbox, _ = make(tmp_path, handler)
    attempt = uploader.send_once()
    assert (attempt.accepted, attempt.duplicates, attempt.rejected, outbox.depth) == (3, 1, 1, 0)


def test_a_4xx_naming_rejected_events_drops_those_and_retries_the_rest(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(posted_ids(request))
        if len(calls) == 1:
            return httpx.Response(
                422,
                json={"rejected": [{"index": 0, "reason": "bad zone"}, {"index": 3, "reason": "bad zone"}]},
            )
        return ok(request)

    uploader, outbox, ids = make(tmp_path, handler)
    first = uploader.send_once()
    assert (first.failed, first.rejected, outbox.depth) == (False, 2, 3)
    uploader.send_once()
    assert calls[1] == [ids[1], ids[2], ids[4]]
    assert outbox.depth == 0


def test_413_halves_the_batch_until_it_fits(tmp_path: Path) -> None:
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sizes.append(len(posted_ids(request)))
        return httpx.Response(413) if sizes[-1] > 2 else ok(request)

    uploader, _outbox, _ = make(tmp_path, handler, n=8, batch_size=8)
    assert uploader.drain(timeout_s=5)
    assert sizes == [8, 4, 2, 2, 2, 2]


def test_backoff_grows_exponentially_with_jitter_and_resets_on_success(tmp_path: Path) -> None:
    responses = iter([503, 503, 503, 503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(responses)
        return ok(request) if status == 200 else httpx.Response(status)

    uploader, _, _ = make(tmp_path, handler, backoff_base_s=1.0, backoff_max_s=5.0)
    delays = [uploader.next_delay(uploader.send_once()) for _ in range(4)]
    for delay, ceiling in zip(delays, [1.0, 2.0, 4.0, 5.0], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert uploader.next_delay(uploader.send_once()) == 0.0


def test_drain_gives_up_when_time_is_up(tmp_path: Path) -> None:
    uploader, outbox, _ = make(tmp_path, lambda r: httpx.Response(503, headers={"Retry-After": "30"}))
    assert uploader.drain(timeout_s=0.5) is False
    assert outbox.depth == 5
