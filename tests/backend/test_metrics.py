"""`/metrics`: Prometheus text with request, ingestion, camera and pool figures; protected by a token."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.models.base import utcnow
from storeintel_app import create_app
from tests.backend.ingest.test_heartbeat import heartbeat
from tests.conftest import settings_for
from tests.factories import CameraWithKey, make_camera, make_org, make_store


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_requests_are_counted_by_route_template(
    client: httpx.AsyncClient, session: AsyncSession, settings: object
) -> None:
    for _ in range(2):
        await client.get(f"/stores/{uuid.uuid4()}")  # 401, but the template is the label
    samples = _samples((await client.get("/metrics")).text)
    key = (
        "storeintel_http_requests_total",
        (("method", "GET"), ("route", "/stores/{store_id}"), ("status", "401")),
    )
    assert samples[key] == 2
    assert not [k for k in samples if any(v.count("-") == 4 for _, v in k[1])]  # no raw ids as labels


async def test_route_labels_carry_the_full_template_with_router_prefixes(
    client: httpx.AsyncClient, session: AsyncSession, settings: object
) -> None:
    # Both are the "/stores" route of their own router; the admin one is included under "/admin".
    await client.post("/admin/stores", json={})
    await client.get("/stores")
    await client.get(f"/stores/{uuid.uuid4()}/live")
    routes = {
        dict(labels)["route"]
        for name, labels in _samples((await client.get("/metrics")).text)
        if name == "storeintel_http_requests_total"
    }
    assert {"/admin/stores", "/stores", "/stores/{store_id}/live"} <= routes


async def test_cameras_by_status(client: httpx.AsyncClient, session: AsyncSession, settings: object) -> None:
    store = await make_store(session, await make_org(session))
    await make_camera(session, settings, store, last_heartbeat_at=utcnow())  # type: ignore[arg-type]
    await make_camera(session, settings, store, last_heartbeat_at=utcnow() - timedelta(minutes=5))  # type: ignore[arg-type]
    await make_camera(session, settings, store)  # type: ignore[arg-type]
    samples = _samples((await client.get("/metrics")).text)
    assert samples[("storeintel_cameras", (("status", "online"),))] >= 1
    assert samples[("storeintel_cameras", (("status", "offline"),))] >= 2


def test_ingest_outcomes_and_lag() -> None:
    app = create_app(settings_for("sqlite+aiosqlite:///:memory:", Path("/tmp")))
    metrics = app.state.metrics
    now = utcnow()
    metrics.record_ingest(
        "cam-1",
        accepted=480,
        duplicates=15,
        rejected=5,
        newest_event=now - timedelta(seconds=3),
        received_at=now,
    )
    from prometheus_client import generate_latest

    samples = _samples(generate_latest(metrics.registry).decode())
    assert samples[("storeintel_ingest_events_total", (("outcome", "accepted"),))] == 480
    assert samples[("storeintel_ingest_events_total", (("outcome", "duplicate"),))] == 15
    assert samples[("storeintel_ingest_events_total", (("outcome", "rejected"),))] == 5
    # One histogram for the fleet: no label per camera.
    assert samples[("storeintel_ingest_lag_seconds_count", ())] == 1
    assert samples[("storeintel_ingest_lag_seconds_sum", ())] == pytest.approx(3.0)
    assert samples[("storeintel_ingest_lag_seconds_bucket", (("le", "5.0"),))] == 1
    assert samples[("storeintel_ingest_lag_seconds_bucket", (("le", "1.0"),))] == 0
    assert not [k for k in samples if "cam-1" in str(k)]


async def test_worker_figures_from_heartbeats_without_a_label_per_camera(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    # Through the worker API, as real workers report: outboxes, heartbeat ages and fps aggregated.
    store = await make_store(session, await make_org(session))

    async def beat(cam: CameraWithKey, **fields: Any) -> None:
        response = await client.post("/worker/heartbeat", json=heartbeat(**fields), headers=cam.headers)
        assert response.status_code == 204, response.text

    first = await make_camera(session, settings, store)
    second = await make_camera(session, settings, store)
    await make_camera(session, settings, store)  # never reported: no figure of its own
    before = _samples((await client.get("/metrics")).text)
    assert before[("storeintel_worker_outbox_events", ())] == 0
    assert math.isnan(before[("storeintel_worker_fps_min", ())])  # none online: not measured, not 0
    assert math.isnan(before[("storeintel_worker_heartbeat_age_max_seconds", ())])

    await beat(first, outbox_depth=1200, fps=9.5)
    await beat(second, outbox_depth=300, fps=4.25)
    samples = _samples((await client.get("/metrics")).text)
    assert samples[("storeintel_worker_outbox_events", ())] == 1500
    assert samples[("storeintel_worker_outbox_events_max", ())] == 1200
    assert samples[("storeintel_worker_fps_min", ())] == 4.25
    assert 0 <= samples[("storeintel_worker_heartbeat_age_max_seconds", ())] < 30
    assert samples[("storeintel_cameras", (("status", "online"),))] == 2
    assert samples[("storeintel_cameras", (("status", "offline"),))] == 1

    # A clean stop: outbox 0, stopped -> offline, and its fps no longer the fleet's lowest.
    await beat(second, outbox_depth=0, fps=0, stream_status="stopped")
    after = _samples((await client.get("/metrics")).text)
    assert after[("storeintel_worker_outbox_events", ())] == 1200
    assert after[("storeintel_worker_fps_min", ())] == 9.5
    assert after[("storeintel_cameras", (("status", "online"),))] == 1
    series = [k for k in after if k[0].startswith(("storeintel_worker_", "storeintel_cameras"))]
    assert len(series) == 6  # the same with 3 cameras or 3,000


@pytest.fixture
async def protected_client(
    database_url: str,
    tmp_path: Path,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    request: pytest.FixtureRequest,
) -> AsyncIterator[httpx.AsyncClient]:
    overrides = request.param
    application: FastAPI = create_app(settings_for(database_url, tmp_path, **overrides))
    async with application.router.lifespan_context(application):
        application.state.engine, application.state.sessionmaker = engine, sessionmaker
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://t"
        ) as http:
            yield http


@pytest.mark.parametrize("protected_client", [{"metrics_token": "scrape-me-please"}], indirect=True)
async def test_token_is_required_when_configured(protected_client: httpx.AsyncClient) -> None:
    assert (await protected_client.get("/metrics")).status_code == 404
    wrong = await protected_client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404
    ok = await protected_client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
    assert ok.status_code == 200
    assert "storeintel_http_requests_total" in ok.text


@pytest.mark.parametrize("protected_client", [{"environment": "production"}], indirect=True)
async def test_not_exposed_in_production_without_a_token(protected_client: httpx.AsyncClient) -> None:
    assert (await protected_client.get("/metrics")).status_code == 404
