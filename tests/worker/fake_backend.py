"""A small real HTTP server on 127.0.0.1 that answers the worker protocol (docs/worker-protocol.md) and
records what it received. Stands in for the backend in worker tests: it parses every request with the
models of `worker.protocol` (a malformed one is a 422) and answers with them, rejects events whose fields do
not fit their type, and deduplicates events on ``event_id``, like the real one."""

from __future__ import annotations

import gzip
import io
import json
import threading
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image
from pydantic import BaseModel, ValidationError

from worker.protocol import (
    EVENTS_BATCH,
    DetectionSettings,
    EventsResult,
    HeartbeatIn,
    Rejection,
    SnapshotOut,
    WorkerConfig,
    event_fields_problem,
)


class FakeBackend:
    """Start with :meth:`start` (returns the base URL), stop with :meth:`stop`. ``answer_delay_s`` makes
    ``POST /worker/events`` store the events and then wait before answering, widening the window in which a
    worker can die after the backend stored a batch but before it heard back. While ``heartbeat_status`` is
    set, ``POST /worker/heartbeat`` answers it without storing the heartbeat (an outage of that route); while
    ``config_status`` is set, ``GET /worker/config`` answers it (403: the camera is disabled). Changing
    ``key`` is a key rotation: the old key gets 401 everywhere."""

    def __init__(self, key: str = "test-key", answer_delay_s: float = 0.0) -> None:
        self.key = key
        self.answer_delay_s = answer_delay_s
        self.lock = threading.Condition()
        self.stored: dict[str, dict[str, Any]] = {}
        self.received = 0
        self.duplicates = 0
        self.in_flight = 0
        self.heartbeats: list[dict[str, Any]] = []
        self.heartbeat_status: int | None = None
        self.config_status: int | None = None
        self.config_requests = 0
        self.heartbeats_refused = 0
        self.snapshots: list[tuple[bytes, str]] = []
        self.config = WorkerConfig(
            camera_id=uuid.uuid4(),
            camera_name="Entrance",
            store_id=uuid.uuid4(),
            timezone="Europe/London",
            config_version=1,
            is_counting_line=True,
            counting_line=None,
            zones=[],
            detection=DetectionSettings(
                target_fps=60.0, imgsz=640, conf=0.1
            ),  # 60: the fake clips run at 100 fps
            snapshot_requested=False,
        )
        self._server: ThreadingHTTPServer | None = None

    def set_config(self, **changes: Any) -> None:
        """Change fields of the served config, given as JSON values (bumps the version, hence the ETag)."""
        with self.lock:
            version = self.config.config_version + 1
            current = self.config.model_dump(mode="json")
            self.config = WorkerConfig.model_validate({**current, **changes, "config_version": version})

    def start(self) -> str:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                if body is None:
                    data = b""
                elif isinstance(body, BaseModel):
                    data = body.model_dump_json().encode()
                else:
                    data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                return gzip.decompress(data) if self.headers.get("Content-Encoding") == "gzip" else data

            def do_GET(self) -> None:
                if self.headers.get("X-Worker-Key") != backend.key:
                    return self._reply(401, {"detail": "unknown key"})
                with backend.lock:
                    backend.config_requests += 1
                    config, status = backend.config, backend.config_status
                if status is not None:
                    return self._reply(status, {"detail": "camera disabled"})
                etag = f'"v{config.config_version}"'
                if self.headers.get("If-None-Match") == etag:
                    return self._reply(304)
                return self._reply(200, config, {"ETag": etag})

            def do_POST(self) -> None:
                if self.headers.get("X-Worker-Key") != backend.key:
                    return self._reply(401, {"detail": "unknown key"})
                body = self._body()
                try:
                    if self.path == "/worker/heartbeat":
                        return self._heartbeat(body)
                    if self.path == "/worker/snapshot":
                        return self._snapshot(body)
                    events = EVENTS_BATCH.validate_json(body)["events"]
                except ValidationError as exc:
                    return self._reply(422, {"error": {"code": "validation_failed", "message": str(exc)}})
                sent = json.loads(body)["events"]  # recorded as sent, for the tests to read
                accepted = duplicates = 0
                rejected: list[Rejection] = []
                with backend.lock:
                    backend.in_flight += 1
                    for index, (e, raw) in enumerate(zip(events, sent, strict=True)):
                        backend.received += 1
                        problem = event_fields_problem(e["type"], e.get("zone_id"), e.get("dwell_ms"))
                        if problem is not None:
                            rejected.append(Rejection(index=index, reason=problem))
                        elif str(e["event_id"]) in backend.stored:
                            duplicates += 1
                        else:
                            backend.stored[str(e["event_id"])] = raw
                            accepted += 1
                    backend.duplicates += duplicates
                    backend.lock.notify_all()
                answer = EventsResult(accepted=accepted, duplicates=duplicates, rejected=rejected)
                try:
                    if backend.answer_delay_s:
                        threading.Event().wait(backend.answer_delay_s)
                    self._reply(200, answer)
                finally:
                    with backend.lock:
                        backend.in_flight -= 1

            def _heartbeat(self, body: bytes) -> None:
                HeartbeatIn.model_validate_json(body)
                with backend.lock:
                    status = backend.heartbeat_status
                    if status is not None:
                        backend.heartbeats_refused += 1
                        return self._reply(status, {"detail": "unavailable"})
                    backend.heartbeats.append(json.loads(body))
                self._reply(204)

            def _snapshot(self, body: bytes) -> None:
                header = self.headers.get("X-Captured-At", "")
                captured_at = datetime.fromisoformat(header)  # ValueError: a 500, the worker must send one
                with Image.open(io.BytesIO(body), formats=["JPEG"]) as image:
                    width, height = image.size
                with backend.lock:
                    backend.snapshots.append((body, header))
                self._reply(201, SnapshotOut(captured_at=captured_at, width=width, height=height))

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client killed mid-request is the point of some tests

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
