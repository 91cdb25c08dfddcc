"""HTTP client for the backend's worker API (docs/worker-protocol.md): config, events, heartbeat, snapshot.

Thin: it speaks the protocol and raises :class:`BackendError` for unexpected answers; retry policy lives with
the callers (the uploader for events, the runner's periodic loops for the rest).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from worker import __version__
from worker.protocol import HeartbeatIn, WorkerConfig, format_utc

# Bodies below this size are not worth compressing: gzip framing plus CPU outweigh the saving.
GZIP_MIN_BYTES = 4096


class BackendError(Exception):
    """The backend answered with an unexpected status (``status``), or not at all (``status`` is ``None``)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def make_http_client(
    api_url: str, key: str, timeout_s: float = 15.0, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """An ``httpx.Client`` for ``api_url`` that sends the worker key on every request.

    ``timeout_s`` bounds connect, read, write and pool waits separately, in seconds.
    """
    return httpx.Client(
        base_url=api_url.rstrip("/"),
        headers={"X-Worker-Key": key, "User-Agent": f"storeintel-worker/{__version__}"},
        timeout=httpx.Timeout(timeout_s),
        transport=transport,
    )


class BackendClient:
    """The worker's view of the backend. Methods block; network errors surface as ``httpx.TransportError``."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def fetch_config(self, etag: str | None) -> tuple[WorkerConfig | None, str | None]:
        """``GET /worker/config`` with ``If-None-Match``; returns ``(None, etag)`` when unchanged (304),
        else the new config and its ETag. Raises :class:`BackendError` on any other status."""
        headers = {"If-None-Match": etag} if etag else {}
        resp = self.http.get("/worker/config", headers=headers)
        if resp.status_code == 304:
            return None, etag
        if resp.status_code != 200:
            raise BackendError(f"GET /worker/config answered {resp.status_code}", resp.status_code)
        return WorkerConfig.model_validate(resp.json()), resp.headers.get("ETag")

    def post_events(self, events: Sequence[dict[str, Any]]) -> httpx.Response:
        """``POST /worker/events`` with ``{"events": [...]}``, gzip-compressed when large. Returns the raw
        response: the uploader interprets every status itself."""
        body = json.dumps({"events": list(events)}, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if len(body) >= GZIP_MIN_BYTES:
            body = gzip.compress(body, compresslevel=5)
            headers["Content-Encoding"] = "gzip"
        return self.http.post("/worker/events", content=body, headers=headers)

    def send_heartbeat(self, heartbeat: HeartbeatIn) -> None:
        """``POST /worker/heartbeat``; raises :class:`BackendError` unless the answer is 2xx."""
        resp = self.http.post("/worker/heartbeat", json=heartbeat.model_dump(mode="json"))
        if not resp.is_success:
            raise BackendError(f"POST /worker/heartbeat answered {resp.status_code}", resp.status_code)

    def upload_snapshot(self, jpeg: bytes, captured_at: datetime) -> None:
        """``POST /worker/snapshot`` with a JPEG whose people are already blurred; ``captured_at`` is UTC."""
        resp = self.http.post(
            "/worker/snapshot",
            content=jpeg,
            headers={"Content-Type": "image/jpeg", "X-Captured-At": format_utc(captured_at)},
        )
        if not resp.is_success:
            raise BackendError(f"POST /worker/snapshot answered {resp.status_code}", resp.status_code)
