"""From an empty database to a store with a calibrated counting camera and an invited owner, using only
the admin API (plus the invitee's own accept call and the worker's own calls)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.service import create_superadmin
from backend.models import Organization, Store, User
from tests.factories import PASSWORD, login


async def test_empty_database_to_a_counting_store_with_an_owner(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for model in (Organization, Store, User):
        assert await session.scalar(select(func.count()).select_from(model)) == 0
    await create_superadmin(session, "ops@storeintel.example", PASSWORD)
    admin = await login(client, "ops@storeintel.example")

    org = await client.post("/admin/organizations", json={"name": "Corner Books"}, headers=admin)
    assert org.status_code == 201, org.text
    org_id = org.json()["id"]

    store = await client.post(
        "/admin/stores",
        json={
            "org_id": org_id,
            "name": "Corner Books Camden",
            "timezone": "Europe/London",
            "opening_hours": {
                day: [["09:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")
            },
            "address": "12 Camden High St",
        },
        headers=admin,
    )
    assert store.status_code == 201, store.text
    store_id = store.json()["id"]

    camera = await client.post(
        "/admin/cameras",
        json={"store_id": store_id, "name": "Front door", "is_counting_line": True},
        headers=admin,
    )
    assert camera.status_code == 201, camera.text
    camera_id = camera.json()["camera"]["id"]
    worker = {"X-Worker-Key": camera.json()["worker_key"]}

    line = await client.put(
        f"/admin/cameras/{camera_id}/counting-line",
        json={"x1": 0.2, "y1": 0.55, "x2": 0.8, "y2": 0.55, "in_side": "right"},
        headers=admin,
    )
    assert line.status_code == 200, line.text
    assert line.json()["warnings"] == []
    zone = await client.post(
        f"/admin/cameras/{camera_id}/zones",
        json={
            "name": "New releases",
            "kind": "product",
            "polygon": [[0.6, 0.1], [0.9, 0.1], [0.9, 0.4], [0.6, 0.4]],
        },
        headers=admin,
    )
    assert zone.status_code == 201, zone.text

    invite = await client.post(
        f"/admin/organizations/{org_id}/invites", json={"email": "owner@cornerbooks.example"}, headers=admin
    )
    assert invite.status_code == 201, invite.text
    accepted = await client.post(
        "/auth/invites/accept",
        json={"token": invite.json()["token"], "password": PASSWORD, "full_name": "Ada"},
    )
    assert accepted.status_code == 200, accepted.text
    owner = {"Authorization": f"Bearer {accepted.json()['access_token']}"}

    stores = await client.get("/stores", headers=owner)
    assert stores.status_code == 200
    assert [(s["id"], s["name"], s["timezone"]) for s in stores.json()] == [
        (store_id, "Corner Books Camden", "Europe/London")
    ]
    assert stores.json()[0]["cameras"]["counting_cameras"] == 1

    config = await client.get("/worker/config", headers=worker)
    assert config.status_code == 200, config.text
    assert config.json()["config_version"] == 3  # created 1, line 2, zone 3
    assert config.json()["counting_line"] == {
        "x1": 0.2,
        "y1": 0.55,
        "x2": 0.8,
        "y2": 0.55,
        "in_side": "right",
    }
    assert [z["name"] for z in config.json()["zones"]] == ["New releases"]

    heartbeat = await client.post(
        "/worker/heartbeat",
        json={
            "worker_version": "0.1.0",
            "uptime_s": 30.0,
            "fps": 9.8,
            "frames_read": 294,
            "frames_dropped": 0,
            "outbox_depth": 0,
            "events_dropped": 0,
            "stream_status": "ok",
            "last_error": None,
            "zone_counts": {},
        },
        headers=worker,
    )
    assert heartbeat.status_code == 204, heartbeat.text
    health = await client.get("/admin/cameras/health", params={"org_id": org_id}, headers=admin)
    assert [(h["camera_name"], h["status"], h["fps"]) for h in health.json()["items"]] == [
        ("Front door", "online", 9.8)
    ]
    members = await client.get(f"/admin/organizations/{org_id}/members", headers=admin)
    assert [(m["email"], m["role"], m["full_name"]) for m in members.json()["items"]] == [
        ("owner@cornerbooks.example", "owner", "Ada")
    ]
