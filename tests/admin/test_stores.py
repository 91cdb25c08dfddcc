"""Stores: create with a validated timezone and opening hours, list by organization, update, deactivate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import Role
from tests.factories import add_member, login, make_camera, make_org, make_store, make_user

HOURS = {"mon": [["09:00", "13:00"], ["14:00", "18:00"]], "fri": [["19:00", "02:00"]]}


async def test_create_and_read_back(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session)
    created = await client.post(
        "/admin/stores",
        json={
            "org_id": str(org.id),
            "name": "Harbour",
            "timezone": "America/New_York",
            "opening_hours": HOURS,
            "address": "1 Pier Rd",
        },
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["org_id"], body["timezone"], body["opening_hours"]) == (
        str(org.id),
        "America/New_York",
        HOURS,
    )
    fetched = await client.get(f"/admin/stores/{body['id']}", headers=admin_headers)
    assert fetched.json() == body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Europe/Londres"}, "body.timezone"),
        ({"timezone": "localtime"}, "body.timezone"),  # the host's zone is not a place
        ({"opening_hours": {"mon": [["09:00", "18:00"]], "funday": []}}, "body.opening_hours.funday"),
        ({"opening_hours": {"tue": [["09:00", "18:00"], ["17:00", "19:00"]]}}, "body.opening_hours.tue.1"),
        ({"opening_hours": {"sat": [["9am", "5pm"]]}}, "body.opening_hours.sat.0"),
        ({"opening_hours": {"sun": "closed"}}, "body.opening_hours.sun"),
        ({"name": ""}, "body.name"),
        ({"org_id": "acme"}, "body.org_id"),
    ],
)
async def test_create_rejects_bad_fields(
    change: dict[str, Any],
    field: str,
    client: httpx.AsyncClient,
    session: AsyncSession,
    admin_headers: dict[str, str],
) -> None:
    org = await make_org(session)
    body = {
        "org_id": str(org.id),
        "name": "Shop",
        "timezone": "Europe/Paris",
        "opening_hours": HOURS,
        **change,
    }
    response = await client.post("/admin/stores", json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert [f["field"] for f in response.json()["error"]["fields"]] == [field]


async def test_create_needs_an_existing_active_organization(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    closed = await make_org(session, active=False)
    body = {"name": "Shop", "timezone": "Europe/Paris", "opening_hours": HOURS}
    refused = await client.post(
        "/admin/stores", json={**body, "org_id": str(closed.id)}, headers=admin_headers
    )
    assert refused.status_code == 409
    unknown = await client.post(
        "/admin/stores",
        json={**body, "org_id": "00000000-0000-4000-8000-000000000000"},
        headers=admin_headers,
    )
    assert unknown.status_code == 404


async def test_list_filters_by_organization_and_sorts(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    org, other = await make_org(session), await make_org(session)
    for name in ("B shop", "A shop", "C shop"):
        await make_store(session, org, name=name)
    await make_store(session, other, name="Elsewhere")
    listed = await client.get(
        "/admin/stores", params={"org_id": str(org.id), "sort": "-name"}, headers=admin_headers
    )
    body = listed.json()
    assert body["total"] == 3
    assert [s["name"] for s in body["items"]] == ["C shop", "B shop", "A shop"]


async def test_update_changes_only_given_fields_and_refuses_nulls(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    store = await make_store(session, await make_org(session), name="Before", address="Old St")
    updated = await client.patch(
        f"/admin/stores/{store.id}",
        json={"opening_hours": {"sun": [["10:00", "16:00"]]}, "timezone": "Asia/Kolkata"},
        headers=admin_headers,
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["name"], body["address"], body["timezone"]) == ("Before", "Old St", "Asia/Kolkata")
    assert body["opening_hours"] == {"sun": [["10:00", "16:00"]]}
    null_name = await client.patch(f"/admin/stores/{store.id}", json={"name": None}, headers=admin_headers)
    assert null_name.status_code == 422
    assert null_name.json()["error"]["fields"][0]["field"] == "body.name"


async def test_deactivated_store_is_hidden_from_owners_and_refuses_its_workers(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session)
    store = await make_store(session, org)
    camera = await make_camera(session, settings, store)
    owner = await make_user(session)
    await add_member(session, org, owner, Role.OWNER)
    owner_headers = await login(client, owner.email)

    off = await client.post(f"/admin/stores/{store.id}/deactivate", headers=admin_headers)
    assert off.json()["is_active"] is False
    assert (await client.get(f"/stores/{store.id}", headers=owner_headers)).status_code == 404
    assert (await client.get("/worker/config", headers=camera.headers)).status_code == 403
    new_camera = await client.post(
        "/admin/cameras", json={"store_id": str(store.id), "name": "Late"}, headers=admin_headers
    )
    assert new_camera.status_code == 409

    await client.post(f"/admin/stores/{store.id}/activate", headers=admin_headers)
    assert (await client.get(f"/stores/{store.id}", headers=owner_headers)).status_code == 200
