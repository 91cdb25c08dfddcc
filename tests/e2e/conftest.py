"""End-to-end fixtures: a real backend (uvicorn in a subprocess on SQLite in a temp folder), a superadmin
made with the CLI, an API client for set-up and checks, and a headless Chromium driven by Playwright.

The browser is Debian's chromium (`scripts/install-browser.sh`); Playwright's own browser downloads are not
reachable from CI. A missing chromium fails under CI and skips elsewhere (`missing_dependency`).
Screenshots go to `test-artifacts/admin-console/` (gitignored).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from demo.backend_process import BackendProcess, free_port
from tests.conftest import missing_dependency

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "admin-console"
CHROMIUM = Path(os.environ.get("STOREINTEL_CHROMIUM", "/usr/bin/chromium"))
SHARED_DIR = Path(os.environ.get("STOREINTEL_SHARED_DIR", REPO_ROOT.parent / "shared"))
VIDEO = SHARED_DIR / "media" / "pets09-s2l1-view1.avi"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "e2e-correct-horse-battery"
# The server marks a camera offline after this many seconds without a heartbeat (60 s in production), so
# the health test sees a camera drop within seconds.
OFFLINE_AFTER_S = 3
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass
class Server:
    """A running backend: its base URL and an admin-authenticated API client."""

    base_url: str
    api: httpx.Client

    @property
    def console_url(self) -> str:
        return f"{self.base_url}/admin/console/"

    def worker(self, worker_key: str) -> httpx.Client:
        """A client that authenticates as a camera's worker."""
        return httpx.Client(base_url=self.base_url, headers={"X-Worker-Key": worker_key}, timeout=10)


@contextmanager
def running_backend(data_dir: Path, port: int, **extra_env: str) -> Iterator[Server]:
    """The backend on a fresh SQLite database in `data_dir` (auto-migrated at start-up) on `port`, with one
    superadmin made by the CLI; `extra_env` adds `STOREINTEL_*` settings (SMTP, thresholds)."""
    env = {
        "STOREINTEL_ENVIRONMENT": "development",
        "STOREINTEL_DATA_DIR": str(data_dir),
        "STOREINTEL_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'storeintel.db'}",
        "STOREINTEL_CAMERA_OFFLINE_AFTER_S": str(OFFLINE_AFTER_S),
        "STOREINTEL_LOG_LEVEL": "WARNING",
        **extra_env,
    }
    backend = BackendProcess(
        env,
        port,
        data_dir / "server.log",
        unset_env=["DATABASE_URL"],
        cwd=REPO_ROOT,
        stop_timeout_s=10,
    )
    with backend:
        # The CLI as an operator runs it (the console-script entry point, in-process of a fresh interpreter).
        subprocess.run(
            [
                *(sys.executable, "-c", "from backend.cli import main; main()"),
                *("admin", "create-superadmin", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD),
            ],
            cwd=REPO_ROOT,
            env=backend.env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        token = httpx.post(
            f"{backend.base_url}/auth/token",
            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            timeout=10,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=backend.base_url, headers=headers, timeout=10) as api:
            yield Server(base_url=backend.base_url, api=api)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The backend on a fresh SQLite database with one superadmin (`running_backend`)."""
    with running_backend(tmp_path_factory.mktemp("console-e2e"), free_port()) as running:
        yield running


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Debian chromium under Playwright (sync API); fails under CI, skips elsewhere, when missing."""
    if not CHROMIUM.exists():
        missing_dependency(f"{CHROMIUM} is missing: run scripts/install-browser.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """`chromium()` for a module. Module-scoped: while the sync API is active its event loop runs in this
    thread, so it must be stopped before other modules' asyncio tests run."""
    with chromium() as instance:
        yield instance


@dataclass
class ConsoleErrors:
    """Console errors and uncaught exceptions seen by a page. `allowed` holds substrings of
    expected "Failed to load resource" messages' URLs (an API 404 the console handles)."""

    messages: list[str] = field(default_factory=list)
    allowed_urls: list[str] = field(default_factory=list)

    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(url in m for url in self.allowed_urls)]


@pytest.fixture
def console_errors() -> ConsoleErrors:
    """Where the `page` fixture records console errors; a test may allow an expected API 404."""
    return ConsoleErrors()


@pytest.fixture
def page(browser: Any, console_errors: ConsoleErrors) -> Iterator[Any]:
    """A fresh browser context (empty storage, no cookies) at 1280x800; fails the test on any console
    error."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(10_000)
    tab = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            location = message.location.get("url", "") if message.location else ""
            console_errors.messages.append(f"{message.text} @ {location}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: console_errors.messages.append(f"page error: {exc}"))
    yield tab
    context.close()
    assert console_errors.unexpected() == []


def log_in(page: Any, server: Server, hash_path: str = "", query: str = "") -> None:
    """Open the console and sign in through the login form (Enter submits it)."""
    page.goto(f"{server.console_url}{query}#{hash_path}")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.locator("#topbar").wait_for(state="visible")


def screenshot(page: Any, name: str, folder: Path = ARTIFACTS) -> None:
    """Full-page screenshots at 1280x800 and on a 390-px phone into `folder`; asserts the phone page has no
    sideways scroll (tables scroll inside their own box)."""
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(150)  # the overlay redraws on resize
    page.screenshot(path=str(folder / f"{name}-390.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(150)
    assert overflow <= 0, f"{name}: the page scrolls sideways on a phone by {overflow} px"


def snapshot_jpeg() -> tuple[bytes, int, int]:
    """A JPEG to upload as the camera's snapshot: a frame of the sample video when it is there, otherwise a
    drawn scene. Returns (bytes, width, height)."""
    if VIDEO.exists():
        import cv2

        capture = cv2.VideoCapture(str(VIDEO))
        ok, frame = capture.read()
        capture.release()
        if ok:
            encoded, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
            assert encoded
            return buffer.tobytes(), int(frame.shape[1]), int(frame.shape[0])
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (768, 576), (90, 100, 110))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 768, 576), fill=(140, 130, 120))
    draw.rectangle((300, 120, 470, 380), fill=(60, 70, 80))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue(), 768, 576


def utc_now() -> str:
    """Now as UTC ISO 8601, for X-Captured-At."""
    return datetime.now(UTC).isoformat()


T = TypeVar("T")


def tail_log(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a child process's log file, for failure messages."""
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_for(
    what: str, probe: Callable[[], T | None], timeout_s: float, log: Path, every_s: float = 0.1
) -> T:
    """Poll `probe` every `every_s` seconds until it returns something truthy and return that; fails the test
    after `timeout_s` seconds with the tail of `log` (the worker's)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}; worker log:\n{tail_log(log)}")
        time.sleep(every_s)
