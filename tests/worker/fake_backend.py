"""A small real HTTP server on 127.0.0.1 that answers the worker protocol (docs/worker-protocol.md) and
records what it received. Stands in for the backend in worker tests; deduplicates events on ``event_id`` like
the real one."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeBackend:
    """Start with :meth:`start` (returns the base URL), stop with :meth:`stop`. ``answer_delay_s`` makes
    ``POST /worker/events`` store the events and then wait before answering, widening the window in which a
    worker can die after the backend stored a batch but before it heard back."""

    def __init__(self, key: str = "test-key", answer_delay_s: float = 0.0) -> None:
        self.key = key
        self.answer_delay_s = answer_delay_s
        self.lock = threading.Condition()
        self.stored: dict[str, dict[str, Any]] = {}
        self.received = 0
        self.duplicates = 0
        self.in_flight = 0
        self.heartbeats: list[dict[str, Any]] = []
        self.snapshots: list[tuple[bytes, str]] = []
        self.config: dict[str, Any] = {
            "camera_id": "cam-1",
            "config_version": 1,
            "counting_line": None,
            "zones": [],
        }
        self.config_version = 1
        self._server: ThreadingHTTPServer | None = None

    def set_config(self, **changes: Any) -> None:
        """Change the served config (bumps the version, hence the ETag)."""
        with self.lock:
            self.config_version += 1
            self.config = {**self.config, **changes, "config_version": self.config_version}

    def start(self) -> str:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
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
                    etag = f'"v{backend.config_version}"'
                    config = dict(backend.config)
                if self.headers.get("If-None-Match") == etag:
                    return self._reply(304)
                return self._reply(200, config, {"ETag": etag})

            def do_POST(self) -> None:
                if self.headers.get("X-Worker-Key") != backend.key:
                    return self._reply(401, {"detail": "unknown key"})
                body = self._body()
                if self.path == "/worker/heartbeat":
                    with backend.lock:
                        backend.heartbeats.append(json.loads(body))
                    return self._reply(204)
                if self.path == "/worker/snapshot":
                    with backend.lock:
                        backend.snapshots.append((body, self.headers.get("X-Captured-At", "")))
                    return self._reply(201, {"captured_at": self.headers.get("X-Captured-At")})
                events = json.loads(body)["events"]
                accepted = duplicates = 0
                with backend.lock:
                    backend.in_flight += 1
                    for e in events:
                        backend.received += 1
                        if e["event_id"] in backend.stored:
                            duplicates += 1
                        else:
                            backend.stored[e["event_id"]] = e
                            accepted += 1
                    backend.duplicates += duplicates
                    backend.lock.notify_all()
                try:
                    if backend.answer_delay_s:
                        threading.Event().wait(backend.answer_delay_s)
                    self._reply(200, {"accepted": accepted, "duplicates": duplicates, "rejected": []})
                finally:
                    with backend.lock:
                        backend.in_flight -= 1

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
