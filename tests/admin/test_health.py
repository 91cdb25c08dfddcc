"""GET /admin/cameras/health: status per camera (online, stale, offline), figures, filters, thresholds."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models.base import utcnow
from tests.factories import make_camera, make_event, make_heartbeat, make_org, make_snapshot, make_store


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
