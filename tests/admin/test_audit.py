"""The admin audit log: every write recorded with actor, action and before/after, never a secret."""

from __future__ import annotations

import json
import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.crypto import keyed_hash
from backend.config import Settings
from backend.models import AdminAuditEntry, Camera, User


async def test_writes_are_audited_in_order_without_secrets(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    admin_user: User,
    admin_headers: dict[str, str],
) -> None:
    h = admin_headers
    org = (await client.post("/admin/organizations", json={"name": "Audited"}, headers=h)).json()
    store = (
        await client.post(
            "/admin/stores",
            json={"org_id": org["id"], "name": "S", "timezone": "UTC", "opening_hours": {}},
            headers=h,
        )
    ).json()
    created = (
        await client.post("/admin/cameras", json={"store_id": store["id"], "name": "C"}, headers=h)
    ).json()
    camera_id = created["camera"]["id"]
    rotated = (await client.post(f"/admin/cameras/{camera_id}/rotate-key", headers=h)).json()
    await client.put(
        f"/admin/cameras/{camera_id}/counting-line",
        json={"x1": 0.5, "y1": 0.1, "x2": 0.5, "y2": 0.9, "in_side": "left"},
        headers=h,
    )
    invite = (
        await client.post(
            f"/admin/organizations/{org['id']}/invites", json={"email": "o@example.com"}, headers=h
        )
    ).json()
    await client.patch(f"/admin/organizations/{org['id']}", json={"name": "Audited Ltd"}, headers=h)

    log = await client.get("/admin/audit", params={"org_id": org["id"], "sort": "created_at"}, headers=h)
    assert log.status_code == 200
    entries = log.json()["items"]
    assert [e["action"] for e in entries] == [
        "organization.create",
        "store.create",
        "camera.create",
        "camera.rotate_key",
        "counting_line.set",
        "invite.create",
        "organization.update",
    ]
    assert {e["actor_user_id"] for e in entries} == {str(admin_user.id)}
    rename = entries[-1]
    assert (rename["before"]["name"], rename["after"]["name"]) == ("Audited", "Audited Ltd")
    assert (rename["entity_type"], rename["entity_id"]) == ("organization", org["id"])
    rotation = entries[3]
    assert rotation["before"]["key_prefix"] == created["camera"]["key_prefix"]
    assert rotation["after"]["key_prefix"] == rotated["camera"]["key_prefix"]
    assert entries[0]["before"] is None

    camera = await session.scalar(select(Camera).where(Camera.org_id == uuid.UUID(org["id"])))
    assert camera is not None
    secrets = [
        created["worker_key"],
        rotated["worker_key"],
        camera.key_hash,
        keyed_hash(settings.server_secret, created["worker_key"]),
        invite["token"],
        keyed_hash(settings.server_secret, invite["token"]),
    ]
    stored = await session.scalars(select(AdminAuditEntry))
    everything = log.text + json.dumps([[e.before, e.after] for e in stored])
    for secret in secrets:
        assert secret not in everything

    cameras_only = await client.get(
        "/admin/audit", params={"entity_type": "camera", "entity_id": camera_id}, headers=h
    )
    assert [e["action"] for e in cameras_only.json()["items"]] == ["camera.rotate_key", "camera.create"]


async def test_rejected_writes_leave_no_audit_entry(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    org = (await client.post("/admin/organizations", json={"name": "Strict"}, headers=admin_headers)).json()
    bad = await client.post(
        "/admin/stores",
        json={"org_id": org["id"], "name": "S", "timezone": "UTC", "opening_hours": {"mon": [["18:00"]]}},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    log = await client.get("/admin/audit", params={"org_id": org["id"]}, headers=admin_headers)
    assert [e["action"] for e in log.json()["items"]] == ["organization.create"]
