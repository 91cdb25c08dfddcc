"""GET /admin/cameras/health: status per camera (online, stale, offline), figures, filters, thresholds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models.base import utcnow
from tests.backend.ingest.helpers import event, wire_ts
from tests.backend.ingest.test_heartbeat import heartbeat
from tests.factories import (
    CameraWithKey,
    make_camera,
    make_event,
    make_heartbeat,
    make_org,
    make_snapshot,
    make_store,
)


async def _fleet(session: AsyncSession, settings: Settings) -> dict[str, str]:
    now = utcnow()
    org = await make_org(session)
    store = await make_store(session, org, name="Fleet store")
    online = (await make_camera(session, settings, store, name="A online")).camera
    await make_heartbeat(
        session, online, received_at=now - timedelta(seconds=40), frames_read=5715, uptime_s=600
    )
    await make_heartbeat(
        session,
        online,
        received_at=now - timedelta(seconds=10),
        frames_read=6000,
        uptime_s=630,
        fps=9.5,
        frames_dropped=3,
        worker_version="0.2.0",
    )
    for minutes in (10, 30, 59, 120):  # three within the hour, one before it
        await make_event(session, online, now - timedelta(minutes=minutes))
    await make_snapshot(session, online, captured_at=now - timedelta(seconds=120))
    stale = (await make_camera(session, settings, store, name="B stale")).camera
    await make_heartbeat(session, stale, received_at=now - timedelta(seconds=5), fps=0.0)
    offline = (await make_camera(session, settings, store, name="C offline")).camera
    await make_heartbeat(
        session, offline, received_at=now - timedelta(seconds=600), last_error="rtsp timeout"
    )
    await make_camera(session, settings, store, name="D never")
    other_store = await make_store(session, await make_org(session))
    await make_camera(session, settings, other_store, name="E elsewhere")
    return {"org_id": str(org.id), "store_id": str(store.id)}


async def test_health_statuses_figures_and_worst_first_order(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    fleet = await _fleet(session, settings)
    response = await client.get(
        "/admin/cameras/health", params={"org_id": fleet["org_id"]}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 4
    rows = {r["camera_name"]: r for r in body["items"]}
    assert [(r["camera_name"], r["status"]) for r in body["items"]] == [
        ("C offline", "offline"),
        ("D never", "offline"),
        ("B stale", "stale"),
        ("A online", "online"),
    ]
    a = rows["A online"]
    assert (a["fps"], a["frames_dropped"], a["worker_version"], a["outbox_depth"]) == (9.5, 3, "0.2.0", 0)
    assert (a["events_last_hour"], a["stale_reason"], a["store_name"]) == (3, None, "Fleet store")
    assert 120 <= a["snapshot_age_s"] < 150
    assert rows["B stale"]["stale_reason"] == "no_frames"
    assert (rows["C offline"]["last_error"], rows["C offline"]["events_last_hour"]) == ("rtsp timeout", 0)
    never = rows["D never"]
    assert (never["last_heartbeat_at"], never["fps"], never["worker_version"], never["snapshot_age_s"]) == (
        None,
        None,
        None,
        None,
    )


async def test_health_filters_and_sorts(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    fleet = await _fleet(session, settings)
    stale = await client.get(
        "/admin/cameras/health",
        params={"store_id": fleet["store_id"], "status": "stale"},
        headers=admin_headers,
    )
    assert [r["camera_name"] for r in stale.json()["items"]] == ["B stale"]
    by_name = await client.get(
        "/admin/cameras/health",
        params={"store_id": fleet["store_id"], "sort": "-name", "limit": 2, "offset": 1},
        headers=admin_headers,
    )
    assert by_name.json()["total"] == 4
    assert [r["camera_name"] for r in by_name.json()["items"]] == ["C offline", "B stale"]
    newest = await client.get(
        "/admin/cameras/health",
        params={"store_id": fleet["store_id"], "sort": "-last_heartbeat_at"},
        headers=admin_headers,
    )
    assert [r["camera_name"] for r in newest.json()["items"]] == [
        "B stale",
        "A online",
        "C offline",
        "D never",
    ]


async def test_offline_threshold_is_a_setting(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    admin_headers: dict[str, str],
) -> None:
    fleet = await _fleet(session, settings)
    app.state.settings = settings.model_copy(update={"camera_offline_after_s": 900})
    response = await client.get(
        "/admin/cameras/health", params={"store_id": fleet["store_id"], "sort": "name"}, headers=admin_headers
    )
    assert [(r["camera_name"], r["status"]) for r in response.json()["items"]] == [
        ("A online", "online"),
        ("B stale", "stale"),
        ("C offline", "online"),  # 600 s without a heartbeat is within 900 s
        ("D never", "offline"),
    ]


async def test_events_stalled_threshold_is_a_setting(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    admin_headers: dict[str, str],
) -> None:
    store = await make_store(session, await make_org(session))
    camera = (await make_camera(session, settings, store, name="Backlog")).camera
    await make_event(session, camera, utcnow() - timedelta(seconds=400))
    await make_heartbeat(session, camera, outbox_depth=120)
    params = {"store_id": str(store.id)}
    stalled = (await client.get("/admin/cameras/health", params=params, headers=admin_headers)).json()[
        "items"
    ]
    assert [(r["status"], r["stale_reason"]) for r in stalled] == [("stale", "events_stalled")]
    app.state.settings = settings.model_copy(update={"camera_events_stalled_after_s": 600})
    patient = (await client.get("/admin/cameras/health", params=params, headers=admin_headers)).json()[
        "items"
    ]
    assert [(r["status"], r["stale_reason"]) for r in patient] == [("online", None)]


async def test_health_through_the_worker_api_healthy_catching_up_stalled_stopped_frozen(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    # Each camera speaks only through `POST /worker/heartbeat` and `/worker/events`, as a real worker does;
    # the rules read arrival times and the worker's own reports (backend/cameras/status.py).
    store = await make_store(session, await make_org(session))
    now = utcnow()
    hours_ago = now - timedelta(hours=5)  # a replayed recording or a backlog after an outage

    async def beat(cam: CameraWithKey, **fields: Any) -> None:
        response = await client.post("/worker/heartbeat", json=heartbeat(**fields), headers=cam.headers)
        assert response.status_code == 204, response.text

    async def events(cam: CameraWithKey, ts: datetime) -> None:
        response = await client.post(
            "/worker/events", json={"events": [event(ts=wire_ts(ts))]}, headers=cam.headers
        )
        assert response.status_code == 200, response.text

    healthy = await make_camera(session, settings, store, name="1 healthy")
    await beat(healthy, frames_read=100, uptime_s=10)
    await events(healthy, now)
    await beat(healthy, frames_read=400, uptime_s=40)  # 3 events queued since the batch: normal
    catching_up = await make_camera(session, settings, store, name="2 catching up")
    await events(catching_up, hours_ago)  # old event times, arriving now
    await beat(catching_up, outbox_depth=12_000)
    stalled = await make_camera(session, settings, store, name="3 stalled")
    await beat(stalled, outbox_depth=500)  # events waiting, none ever arrived
    stopped = await make_camera(session, settings, store, name="4 stopped")
    await beat(stopped, frames_read=100, uptime_s=10)
    await beat(stopped, frames_read=400, uptime_s=40, stream_status="stopped", outbox_depth=0)
    frozen = await make_camera(session, settings, store, name="5 frozen")
    await beat(frozen, stream_status="frozen", last_error="image unchanged for 30 s (frozen stream)")

    response = await client.get(
        "/admin/cameras/health", params={"store_id": str(store.id), "sort": "name"}, headers=admin_headers
    )
    rows = {r["camera_name"]: r for r in response.json()["items"]}
    assert {name: (r["status"], r["stale_reason"]) for name, r in rows.items()} == {
        "1 healthy": ("online", None),
        "2 catching up": ("online", None),
        "3 stalled": ("stale", "events_stalled"),
        "4 stopped": ("offline", None),
        "5 frozen": ("stale", "stream_frozen"),
    }
    up = rows["2 catching up"]
    assert up["outbox_depth"] == 12_000
    assert up["events_last_hour"] == 1  # arrived now, stamped 5 h ago
    assert datetime.fromisoformat(up["last_event_at"]) < now - timedelta(hours=4)
    assert datetime.fromisoformat(up["last_event_received_at"]) >= now - timedelta(seconds=1)
    assert (rows["4 stopped"]["stream_status"], rows["4 stopped"]["outbox_depth"]) == ("stopped", 0)
    assert rows["5 frozen"]["last_error"] == "image unchanged for 30 s (frozen stream)"
