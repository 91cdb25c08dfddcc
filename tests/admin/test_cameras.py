"""Cameras: worker keys shown once and working at once, rotation, enable/disable, counting role, listing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import Camera
from backend.models.base import utcnow
from tests.factories import make_camera, make_heartbeat, make_org, make_store


async def test_create_returns_a_working_key_once(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    store = await make_store(session, await make_org(session))
    created = await client.post(
        "/admin/cameras",
        json={"store_id": str(store.id), "name": "Entrance", "is_counting_line": True, "target_fps": 8},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    key, camera = body["worker_key"], body["camera"]
    assert key.startswith(f"sik_{camera['key_prefix']}_")
    assert (camera["org_id"], camera["store_id"]) == (str(store.org_id), str(store.id))
    assert (camera["is_counting_line"], camera["enabled"], camera["config_version"]) == (True, True, 1)
    assert "key_hash" not in camera

    config = await client.get("/worker/config", headers={"X-Worker-Key": key})
    assert config.status_code == 200, config.text
    assert config.json()["camera_name"] == "Entrance"
    assert config.json()["detection"]["target_fps"] == 8

    shown_again = await client.get(f"/admin/cameras/{camera['id']}", headers=admin_headers)
    assert key not in shown_again.text
    row = await session.get(Camera, (store.org_id, uuid.UUID(camera["id"])))
    assert row is not None
    assert key not in (row.key_hash, row.key_prefix)


async def test_rotate_key_invalidates_the_old_key(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    camera = await make_camera(session, settings, await make_store(session, await make_org(session)))
    rotated = await client.post(f"/admin/cameras/{camera.camera.id}/rotate-key", headers=admin_headers)
    assert rotated.status_code == 200
    new_key = rotated.json()["worker_key"]
    assert new_key != camera.key
    assert (await client.get("/worker/config", headers=camera.headers)).status_code == 401
    assert (await client.get("/worker/config", headers={"X-Worker-Key": new_key})).status_code == 200


async def test_disable_and_enable(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    camera = await make_camera(session, settings, await make_store(session, await make_org(session)))
    off = await client.post(f"/admin/cameras/{camera.camera.id}/disable", headers=admin_headers)
    assert off.json()["enabled"] is False
    assert (await client.get("/worker/config", headers=camera.headers)).status_code == 403
    on = await client.post(f"/admin/cameras/{camera.camera.id}/enable", headers=admin_headers)
    assert on.json()["enabled"] is True
    assert (await client.get("/worker/config", headers=camera.headers)).status_code == 200


async def test_update_bumps_config_version_only_when_something_changes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    camera = await make_camera(
        session, settings, await make_store(session, await make_org(session)), counting=False
    )
    url = f"/admin/cameras/{camera.camera.id}"
    first = await client.patch(url, json={"is_counting_line": True, "conf": 0.4}, headers=admin_headers)
    assert first.status_code == 200
    assert (first.json()["is_counting_line"], first.json()["conf"], first.json()["config_version"]) == (
        True,
        0.4,
        2,
    )
    same = await client.patch(url, json={"is_counting_line": True}, headers=admin_headers)
    assert same.json()["config_version"] == 2
    config = (await client.get("/worker/config", headers=camera.headers)).json()
    assert (config["is_counting_line"], config["config_version"], config["detection"]["conf"]) == (
        True,
        2,
        0.4,
    )
    null = await client.patch(url, json={"name": None}, headers=admin_headers)
    assert null.status_code == 422
    assert null.json()["error"]["fields"][0]["field"] == "body.name"


async def test_list_filters_by_store_status_and_counting_role(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session)
    store, other = await make_store(session, org), await make_store(session, org)
    live = (await make_camera(session, settings, store, name="B live")).camera
    silent = (await make_camera(session, settings, store, name="A silent", counting=False)).camera
    await make_camera(session, settings, other, name="C elsewhere")
    await make_heartbeat(session, live)
    await make_heartbeat(session, silent, received_at=utcnow() - timedelta(minutes=10))

    by_store = await client.get("/admin/cameras", params={"store_id": str(store.id)}, headers=admin_headers)
    assert [(c["name"], c["status"]) for c in by_store.json()["items"]] == [
        ("A silent", "offline"),
        ("B live", "online"),
    ]
    online = await client.get(
        "/admin/cameras", params={"org_id": str(org.id), "status": "online"}, headers=admin_headers
    )
    assert [c["name"] for c in online.json()["items"]] == ["B live"]
    assert online.json()["total"] == 1
    counting = await client.get(
        "/admin/cameras",
        params={"org_id": str(org.id), "is_counting_line": "true", "sort": "-name", "limit": 1},
        headers=admin_headers,
    )
    assert counting.json()["total"] == 2
    assert [c["name"] for c in counting.json()["items"]] == ["C elsewhere"]
