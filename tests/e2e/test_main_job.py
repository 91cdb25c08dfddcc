"""The main job end to end, on SQLite and on PostgreSQL: the real backend process, provisioning through the
admin API, the real worker (outbox, uploader, HTTP) on the real video with the real model, KPIs through
the owner API.

Checks: every event the worker emitted is stored exactly once (by id); the API's counts equal the worker's;
the IN/OUT counts are within the worker's stated tolerance of the ground truth; every KPI route answers
200 for the store's owner and 404 for an owner of another organization; the owner app, signed in with the
demo's printed credentials, shows the same footfall.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from backend.models import Event
from bench.accuracy.evaluation import ground_truth_crossings, line_in_pixels, load_mot_foot_points
from demo import provision
from demo.assets import DemoAssets
from demo.backend_process import free_port
from demo.report import KPI_ROUTES
from demo.run import DemoResult, run_demo
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.e2e.conftest import chromium
from tests.worker.conftest import GROUND_TRUTH, OPENVINO_MODEL, VIDEO, require
from worker.line_counter import Direction

# The worker's real-video test allows ±2 crossings per direction on this line (tests/worker); same here.
TOLERANCE = 2

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo_database(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the embedded default (SQLite in the demo's data folder), or a fresh PostgreSQL URL."""
    if request.param == "sqlite":
        yield None
        return
    name = f"storeintel_e2e_{os.getpid()}"
    url = create_postgres_database(name)
    yield url
    drop_postgres_database(name)


def _stored_ids(url: str, camera_id: str) -> Counter[str]:
    """Event ids stored for the camera, read straight from the database."""

    async def fetch() -> list[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                stmt = select(Event.event_id).where(Event.camera_id == uuid.UUID(camera_id))
                return [str(row[0]) for row in await conn.execute(stmt)]
        finally:
            await engine.dispose()

    return Counter(asyncio.run(fetch()))


def _ground_truth() -> Counter[str]:
    line = provision.COUNTING_LINE
    start, end = line_in_pixels((line["x1"], line["y1"], line["x2"], line["y2"]), 768, 576)
    crossings = ground_truth_crossings(load_mot_foot_points(GROUND_TRUTH), start, end, line["in_side"])
    return Counter("IN" if c.direction is Direction.IN else "OUT" for c in crossings)


def _outsider_token(base_url: str) -> str:
    """An owner of a second organization, provisioned through the admin API."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        admin = http.post(
            "/auth/token", json={"email": provision.ADMIN_EMAIL, "password": provision.ADMIN_PASSWORD}
        )
        http.headers["Authorization"] = f"Bearer {admin.json()['access_token']}"
        org = http.post("/admin/organizations", json={"name": "Someone Else Ltd"}).json()
        invite = http.post(
            f"/admin/organizations/{org['id']}/invites",
            json={"email": "other@else.example.com", "role": "owner"},
        ).json()
        del http.headers["Authorization"]
        accepted = http.post(
            "/auth/invites/accept", json={"token": invite["token"], "password": "another passphrase"}
        )
        token: str = accepted.json()["access_token"]
        return token


def test_main_job(demo_database: str | None, tmp_path: Path) -> None:
    require(VIDEO, GROUND_TRUTH, OPENVINO_MODEL)
    url = demo_database
    data_dir = tmp_path / "demo"
    checked: dict[str, object] = {}

    result = run_demo(
        DemoAssets(VIDEO, OPENVINO_MODEL, "tests"),
        data_dir,
        free_port(),
        database_url=url,
        progress=False,
        say=lambda *_: None,
        after=lambda base_url, res: checked.update(_checks_while_backend_runs(base_url, res)),
    )
    assert result.worker_exit_code == 0
    assert result.outbox_depth == 0

    # Exactly the events the worker emitted, each stored once.
    emitted = Counter(e["event_id"] for e in result.journal)
    assert emitted, "the worker emitted no events"
    assert max(emitted.values()) == 1
    database = url or f"sqlite+aiosqlite:///{data_dir / 'backend' / 'storeintel.db'}"
    stored = _stored_ids(database, result.tenant.camera_id)
    assert stored == emitted

    # The API reports what the worker counted.
    by_type = Counter(e["type"] for e in result.journal)
    dashboard = result.kpis["dashboard"]
    assert dashboard["footfall"]["value"] == by_type["IN"]
    assert dashboard["exits"]["value"] == by_type["OUT"]
    enters_by_zone = Counter(e["zone_id"] for e in result.journal if e["type"] == "ZONE_ENTER")
    heatmap = {z["zone_id"]: z["visits"] for z in result.kpis["heatmap"]["zones"]}
    assert heatmap == {z["id"]: enters_by_zone[z["id"]] for z in result.tenant.zones}
    assert result.kpis["live"]["footfall_today"] == by_type["IN"]

    # Within tolerance of the ground truth.
    truth = _ground_truth()
    assert abs(by_type["IN"] - truth["IN"]) <= TOLERANCE, (by_type, truth)
    assert abs(by_type["OUT"] - truth["OUT"]) <= TOLERANCE, (by_type, truth)

    # Every KPI route: 200 for the owner, 404 for another organization's owner.
    assert checked["owner"] == dict.fromkeys(KPI_ROUTES, 200)
    assert checked["outsider"] == dict.fromkeys(KPI_ROUTES, 404)
    # The owner app, signed in with the credentials the demo prints, shows the replayed morning.
    assert checked["app_footfall"] == str(dashboard["footfall"]["value"])
    assert checked["snapshot"] == "image/jpeg"


def _checks_while_backend_runs(base_url: str, result: DemoResult) -> dict[str, object]:
    outsider = _outsider_token(base_url)
    statuses: dict[str, object] = {}
    for who, token in (("owner", result.tenant.owner_token), ("outsider", outsider)):
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            statuses[who] = {
                route: http.get(
                    f"/stores/{result.tenant.store_id}/{route}", params={"date": str(result.local_day)}
                ).status_code
                for route in KPI_ROUTES
            }
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {result.tenant.owner_token}"}, timeout=30
    ) as http:
        # The worker uploaded the snapshot the demo asked for: the owner app draws the zones over it.
        path = f"/stores/{result.tenant.store_id}/cameras/{result.tenant.camera_id}/snapshot"
        statuses["snapshot"] = http.get(path).headers.get("content-type")
    statuses["app_footfall"] = _footfall_in_the_owner_app(base_url, result)
    return statuses


def _footfall_in_the_owner_app(base_url: str, result: DemoResult) -> str:
    """Sign in to the owner app as the demo prints it (`demo.report.app_help`) and read today's footfall
    on the store page."""
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{base_url}/app/stores/{result.tenant.store_id}")
        page.get_by_test_id("email-input").fill(provision.OWNER_EMAIL)
        page.get_by_test_id("password-input").fill(provision.OWNER_PASSWORD)
        page.get_by_test_id("password-input").press("Enter")
        page.locator('main[data-period-state="ready"]').wait_for()
        assert page.url == f"{base_url}/app/stores/{result.tenant.store_id}"  # back where the link pointed
        return str(page.locator('[data-figure="footfall"]').get_attribute("data-value"))
