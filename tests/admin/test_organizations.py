"""Organizations: create, list (paginated, sorted, filtered), rename, and deactivation's effect on owners
and workers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import Role
from backend.models.base import utcnow
from tests.factories import add_member, login, make_camera, make_org, make_store, make_user


async def test_create_list_paginate_and_sort(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for name in ("Zed C", "Zed A", "Zed B"):
        created = await client.post(
            "/admin/organizations", json={"name": f"  {name} "}, headers=admin_headers
        )
        assert created.status_code == 201, created.text
        assert created.json()["name"] == name  # trimmed
        assert created.json()["is_active"] is True

    first = await client.get("/admin/organizations", params={"q": "zed", "limit": 2}, headers=admin_headers)
    assert first.status_code == 200
    body = first.json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 0)
    assert [o["name"] for o in body["items"]] == ["Zed A", "Zed B"]
    second = await client.get(
        "/admin/organizations", params={"q": "zed", "limit": 2, "offset": 2}, headers=admin_headers
    )
    assert [o["name"] for o in second.json()["items"]] == ["Zed C"]
    newest = await client.get(
        "/admin/organizations", params={"q": "zed", "sort": "-name"}, headers=admin_headers
    )
    assert [o["name"] for o in newest.json()["items"]] == ["Zed C", "Zed B", "Zed A"]


async def test_list_filters_by_active(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    await make_org(session, "Yak open")
    await make_org(session, "Yak closed", active=False)
    response = await client.get(
        "/admin/organizations", params={"q": "yak", "active": "false"}, headers=admin_headers
    )
    assert [o["name"] for o in response.json()["items"]] == ["Yak closed"]


async def test_rename_and_unknown_organization(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session, "Old name")
    renamed = await client.patch(
        f"/admin/organizations/{org.id}", json={"name": "New name"}, headers=admin_headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "New name"
    fetched = await client.get(f"/admin/organizations/{org.id}", headers=admin_headers)
    assert fetched.json()["name"] == "New name"
    missing = await client.get(
        "/admin/organizations/00000000-0000-4000-8000-000000000000", headers=admin_headers
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


async def test_deactivation_stops_owners_and_workers_and_reactivation_restores_them(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session, "Closing down")
    store = await make_store(session, org, name="Last shop")
    camera = await make_camera(session, settings, store)
    owner = await make_user(session)
    await add_member(session, org, owner, Role.OWNER)
    owner_headers = await login(client, owner.email)
    assert [s["name"] for s in (await client.get("/stores", headers=owner_headers)).json()] == ["Last shop"]
    assert (await client.get("/worker/config", headers=camera.headers)).status_code == 200

    off = await client.post(f"/admin/organizations/{org.id}/deactivate", headers=admin_headers)
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    assert (await client.get("/stores", headers=owner_headers)).json() == []
    assert (await client.get(f"/stores/{store.id}", headers=owner_headers)).status_code == 404
    assert (await client.get("/me", headers=owner_headers)).json()["organizations"] == []
    assert (await client.get("/worker/config", headers=camera.headers)).status_code == 403
    # Nothing was deleted: the admin still sees the store, and reactivation brings everything back.
    stores = await client.get("/admin/stores", params={"org_id": str(org.id)}, headers=admin_headers)
    assert stores.json()["total"] == 1

    on = await client.post(f"/admin/organizations/{org.id}/activate", headers=admin_headers)
    assert on.json()["is_active"] is True
    assert [s["name"] for s in (await client.get("/stores", headers=owner_headers)).json()] == ["Last shop"]
    assert (await client.get("/worker/config", headers=camera.headers)).status_code == 200


# --- deletion with a grace period (issue 27); the purge itself: tests/backend/organizations ------------


async def test_deletion_deactivates_at_once_and_cancelling_restores_access(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session, "Leaving")
    store = await make_store(session, org, name="Leaving shop")
    camera = await make_camera(session, settings, store)
    owner = await make_user(session)
    await add_member(session, org, owner, Role.OWNER)
    owner_headers = await login(client, owner.email)
    before = utcnow()

    scheduled = await client.delete(f"/admin/organizations/{org.id}", headers=admin_headers)
    assert scheduled.status_code == 202, scheduled.text
    body = scheduled.json()
    assert body["is_active"] is False
    due = datetime.fromisoformat(body["deletion_due_at"])
    grace = timedelta(seconds=settings.org_deletion_grace_s)
    assert before + grace <= due <= utcnow() + grace
    assert (await client.get("/stores", headers=owner_headers)).json() == []
    assert (await client.get("/worker/config", headers=camera.headers)).status_code == 403

    again = await client.delete(f"/admin/organizations/{org.id}", headers=admin_headers)
    assert again.status_code == 409
    assert "already scheduled" in again.json()["error"]["message"]
    # While scheduled, activation would undo the deactivation behind the deletion's back.
    assert (
        await client.post(f"/admin/organizations/{org.id}/activate", headers=admin_headers)
    ).status_code == 409

    cancelled = await client.post(f"/admin/organizations/{org.id}/cancel-deletion", headers=admin_headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["is_active"] is True
    assert cancelled.json()["deletion_due_at"] is None
    assert [s["name"] for s in (await client.get("/stores", headers=owner_headers)).json()] == [
        "Leaving shop"
    ]
    assert (await client.get("/worker/config", headers=camera.headers)).status_code == 200
    not_scheduled = await client.post(f"/admin/organizations/{org.id}/cancel-deletion", headers=admin_headers)
    assert not_scheduled.status_code == 409

    audit = await client.get(
        "/admin/audit", params={"entity_id": str(org.id), "sort": "created_at"}, headers=admin_headers
    )
    actions = [e["action"] for e in audit.json()["items"]]
    assert actions == ["organization.schedule_deletion", "organization.cancel_deletion"]


async def test_cancelling_keeps_an_inactive_organization_inactive(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session, active=False)
    assert (await client.delete(f"/admin/organizations/{org.id}", headers=admin_headers)).status_code == 202
    cancelled = await client.post(f"/admin/organizations/{org.id}/cancel-deletion", headers=admin_headers)
    assert cancelled.json()["is_active"] is False


async def test_deleting_or_cancelling_an_unknown_organization_is_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    unknown = uuid.uuid4()
    assert (await client.delete(f"/admin/organizations/{unknown}", headers=admin_headers)).status_code == 404
    cancel = await client.post(f"/admin/organizations/{unknown}/cancel-deletion", headers=admin_headers)
    assert cancel.status_code == 404
