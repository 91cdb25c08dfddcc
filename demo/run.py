"""The demo flow: backend → provisioning → the real worker on the sample video → KPIs.

Every step goes through the product's public surfaces: the backend runs as `uvicorn storeintel_app:app` on the
embedded default, the tenant is provisioned through `/admin`, the worker is `storeintel-worker run` (its
outbox and uploader, over HTTP), and the KPIs come from the owner API.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from demo import provision, report
from demo.assets import DemoAssets
from demo.backend_process import BackendProcess

# Wall seconds per media second: the 80-second sample becomes about 2 h 40 min of a morning.
REPLAY_SPEED = 120.0
# Real timezones to host the demo store in; the first where it is now afternoon wins, so this morning's
# opening hours are in the past (events may not be in the future) and the store is still open.
CANDIDATE_TIMEZONES = (
    "Europe/London",
    "Europe/Berlin",
    "Europe/Athens",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Atlantic/Azores",
)


@dataclass
class DemoResult:
    """What one demo run produced, for the printout and for the end-to-end test."""

    base_url: str
    tenant: provision.DemoTenant
    local_day: date
    replay_start: datetime
    worker_exit_code: int
    outbox_depth: int
    journal: list[dict[str, Any]] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)


def pick_timezone(now: datetime, preferred: str | None = None) -> str:
    """`preferred`, else the first candidate whose local time is between 13:00 and 20:00."""
    if preferred:
        return preferred
    for name in CANDIDATE_TIMEZONES:
        if 13 <= now.astimezone(ZoneInfo(name)).hour < 20:
            return name
    return CANDIDATE_TIMEZONES[0]


def replay_window(now: datetime, timezone: str, video_seconds: float) -> tuple[date, datetime]:
    """The store-local day and UTC start the video is placed on: today's opening time if the replayed
    morning has already ended, else the previous day's (events must not lie in the future)."""
    tz = ZoneInfo(timezone)
    local_today = now.astimezone(tz).date()
    for day in (local_today, local_today - timedelta(days=1)):
        weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
        opening = time.fromisoformat(provision.OPENING_HOURS[weekday][0][0])
        start = datetime.combine(day, opening, tz).astimezone(UTC)
        if start + timedelta(seconds=video_seconds * REPLAY_SPEED) <= now:
            return day, start
    raise ValueError(f"no opening window before {now} in {timezone}")


def video_seconds(path: Path) -> float:
    """Duration of a video file in seconds (frame count / frame rate)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        frames, fps = capture.get(cv2.CAP_PROP_FRAME_COUNT), capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    if not frames or not fps:
        raise ValueError(f"cannot read the duration of {path}")
    return float(frames / fps)


def _outbox_depth(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        depth: int = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        return depth


def run_worker(
    base_url: str, key: str, assets: DemoAssets, data_dir: Path, replay_start: datetime, progress: bool = True
) -> int:
    """`storeintel-worker run` on the sample video, placed at `replay_start`; returns its exit code."""
    executable = Path(sys.executable).with_name("storeintel-worker")
    command = [
        str(executable) if executable.exists() else "storeintel-worker",
        "run",
        "--api",
        base_url,
        "--source",
        str(assets.video),
        "--model",
        str(assets.model),
        "--imgsz",
        "640",
        "--target-fps",
        "10",
        "--data-dir",
        str(data_dir),
        "--replay-start",
        replay_start.isoformat(),
        "--replay-speed",
        str(REPLAY_SPEED),
        "--journal",
        str(data_dir / "journal.jsonl"),
        "--log-format",
        "console",
        "--log-level",
        "warning",
        "--progress" if progress else "--no-progress",
    ]
    env = {**os.environ, "STOREINTEL_WORKER_KEY": key, "YOLO_CONFIG_DIR": str(data_dir / "ultralytics")}
    return subprocess.run(command, env=env, check=False).returncode  # noqa: S603 - our own console script


def run_demo(
    assets: DemoAssets,
    data_dir: Path,
    port: int,
    *,
    database_url: str | None = None,
    timezone: str | None = None,
    org_name: str = "Demo Retail",
    progress: bool = True,
    keep_running: bool = False,
    say: Callable[[str], object] = print,
    after: Callable[[str, DemoResult], object] | None = None,
) -> DemoResult:
    """Run the whole flow. With `keep_running`, the backend stays up until Ctrl-C after the printout;
    `after(base_url, result)` runs while the backend is still up (the end-to-end test's extra checks).

    Raises:
        RuntimeError: the backend did not start, or a provisioning call failed.
    """
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    env = {
        "STOREINTEL_DATA_DIR": str(data_dir / "backend"),
        "STOREINTEL_AUTO_MIGRATE": "true",
        "STOREINTEL_LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["STOREINTEL_DATABASE_URL"] = database_url
    now = datetime.now(UTC)
    tz = pick_timezone(now, timezone)
    local_day, replay_start = replay_window(now, tz, video_seconds(assets.video))
    say(f"1/4  starting the backend on {database_url or 'the embedded default (SQLite)'} …")
    with BackendProcess(env, port, data_dir / "backend.log") as backend:
        provision.create_superadmin({**os.environ, **env})
        say(
            f"2/4  provisioning a store in {tz} (local time now {now.astimezone(ZoneInfo(tz)):%H:%M}) with a "
            "counting camera, a line, two zones and an owner …"
        )
        tenant = provision.provision(backend.base_url, tz, org_name)
        say(
            f"3/4  running the worker on {assets.video.name} ({assets.origin}), placed at "
            f"{replay_start.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M} store time, "
            f"{REPLAY_SPEED:g} times faster …"
        )
        worker_dir = data_dir / "worker"
        code = run_worker(backend.base_url, tenant.worker_key, assets, worker_dir, replay_start, progress)
        depth = _outbox_depth(worker_dir / "outbox.sqlite3")
        journal_path = worker_dir / "journal.jsonl"
        journal = (
            [json.loads(x) for x in journal_path.read_text().splitlines()] if journal_path.exists() else []
        )
        say(f"4/4  worker finished (exit {code}); {len(journal)} events emitted, outbox now holds {depth}.")
        kpis = report.fetch(backend.base_url, tenant.owner_token, tenant.store_id, local_day.isoformat())
        result = DemoResult(backend.base_url, tenant, local_day, replay_start, code, depth, journal, kpis)
        say("")
        say(report.render(kpis, tz))
        say("")
        say(report.api_help(backend.base_url, tenant.owner_token, tenant.store_id, local_day.isoformat()))
        say("")
        say(report.app_help(backend.base_url, tenant.store_id))
        if after is not None:
            after(backend.base_url, result)
        if keep_running:
            say("\nThe backend keeps running; press Ctrl-C to stop it.")
            try:
                assert backend.process is not None
                backend.process.wait()
            except KeyboardInterrupt:
                say("stopping …")
    return result
