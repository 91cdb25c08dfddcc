"""Every admin route, found in the application's route table: 401 without credentials, 403 for an owner,
2xx for a superadmin, and 422 naming the field for bad input. A route added later without an example in
`route_examples.py` fails here, so the table cannot fall behind."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth import service as auth
from backend.auth.deps import get_current_admin
from backend.config import Settings
from backend.models import Role
from backend.models.base import utcnow
from storeintel_app import create_app
from tests.admin.route_examples import ADMIN_ROUTE_EXAMPLES, fill
from tests.factories import (
    add_member,
    make_camera,
    make_counting_line,
    make_heartbeat,
    make_org,
    make_snapshot,
    make_store,
    make_user,
    make_zone,
)
from tests.route_table import dependency_calls, effective_routes


def admin_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route under /admin."""
    routes = set()
    for route in effective_routes(app):
        if route.path.startswith("/admin"):
            routes.update((method, route.path) for method in route.methods)
    return sorted(routes)


ROUTES = admin_routes(create_app())


def test_every_admin_route_has_an_example_and_no_example_is_stale() -> None:
    assert len(ROUTES) >= 30
    assert set(ROUTES) == set(ADMIN_ROUTE_EXAMPLES), (
        f"missing: {sorted(set(ROUTES) - set(ADMIN_ROUTE_EXAMPLES))}, "
        f"stale: {sorted(set(ADMIN_ROUTE_EXAMPLES) - set(ROUTES))}"
    )


def test_every_admin_route_depends_on_the_admin_check() -> None:
    for route in effective_routes(create_app()):
        if route.path.startswith("/admin"):
            assert get_current_admin in dependency_calls(route.dependant), route.path


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_admin_route_refuses_anonymous_and_owners(
    method: str, path: str, client: httpx.AsyncClient, owner_headers: dict[str, str]
) -> None:
    url = fill(path, {name: str(uuid.uuid4()) for name in ("org_id", "store_id", "camera_id", "zone_id")})
    url = fill(url, {"invite_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4())})
    anonymous = await client.request(method, url)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    owner = await client.request(method, url, headers=owner_headers)
    assert owner.status_code == 403, owner.text
    assert owner.json()["error"]["code"] == "forbidden"


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> dict[str, str]:
    """An organization with a member and a pending invite, a store, and a calibrated, reporting camera;
    another organization whose deletion is scheduled."""
    org = await make_org(session, "World org")
    store = await make_store(session, org, name="World store")
    camera = (await make_camera(session, settings, store, name="World door")).camera
    await make_counting_line(session, camera)
    zone = await make_zone(session, camera)
    await make_snapshot(session, camera)
    await make_heartbeat(session, camera)
    member = await make_user(session)
    await add_member(session, org, member, Role.OWNER)
    issued = await auth.create_invite(session, settings, org.id, "pending@example.com", Role.OWNER, None)
    deleting = await make_org(session, "Deleting org", active=False)
    deleting.deletion_due_at, deleting.active_before_deletion = utcnow() + timedelta(days=7), True
    await session.flush()
    return {
        "deleting_org_id": str(deleting.id),
        "org_id": str(org.id),
        "store_id": str(store.id),
        "camera_id": str(camera.id),
        "zone_id": str(zone.id),
        "user_id": str(member.id),
        "invite_id": str(issued.invite.id),
    }


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_admin_route_serves_admins_and_names_the_bad_field(
    method: str,
    path: str,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    world: dict[str, str],
) -> None:
    example = ADMIN_ROUTE_EXAMPLES[(method, path)]
    ok = await client.request(
        method,
        fill(example.path or path, world),
        headers=admin_headers,
        json=fill(example.json, world),
        params=fill(example.params, world),
    )
    assert ok.status_code == example.status, ok.text

    bad = await client.request(
        method,
        fill(example.bad_path or path, world),
        headers=admin_headers,
        json=fill(example.bad_json if example.bad_json is not None else example.json, world),
        params=fill(example.bad_params, world),
    )
    assert bad.status_code == 422, bad.text
    body = bad.json()
    assert body["error"]["code"] == "validation_error"
    assert example.bad_field in [f["field"] for f in body["error"]["fields"]], body


# --- input rules shared by every route (issue 25): page bounds, control characters -------------------

PAGED = sorted(
    ("GET", path)
    for path, operations in create_app().openapi()["paths"].items()
    if path.startswith("/admin")
    and any(p["name"] == "offset" for p in operations.get("get", {}).get("parameters", []))
)
# Validated against their own allow-lists or formats.
_NOT_TEXT = {"timezone", "email", "role", "in_side", "kind", "window_start", "window_end"}
TEXT_FIELDS = [
    (m, p, key)
    for m, p in ROUTES
    for key, value in (ADMIN_ROUTE_EXAMPLES[(m, p)].json or {}).items()
    if isinstance(value, str) and "{" not in value and key not in _NOT_TEXT
] + [("POST", "/admin/stores", "address"), ("PATCH", "/admin/stores/{store_id}", "address")]


def test_every_paged_list_and_text_field_is_covered() -> None:
    assert len(PAGED) >= 8, PAGED
    names = {key for _, _, key in TEXT_FIELDS}
    assert {"name", "address"} <= names, TEXT_FIELDS


@pytest.mark.parametrize(("method", "path"), PAGED)
async def test_offset_beyond_a_64_bit_integer_is_422(
    method: str, path: str, client: httpx.AsyncClient, admin_headers: dict[str, str], world: dict[str, str]
) -> None:
    url = fill(path, world)
    biggest = await client.get(url, headers=admin_headers, params={"offset": 2**63 - 1})
    assert biggest.status_code == 200, biggest.text
    assert biggest.json()["items"] == []
    beyond = await client.get(url, headers=admin_headers, params={"offset": 2**63})  # was a 500
    assert beyond.status_code == 422, beyond.text
    assert [f["field"] for f in beyond.json()["error"]["fields"]] == ["query.offset"]


@pytest.mark.parametrize(("method", "path", "key"), TEXT_FIELDS)
async def test_text_with_a_nul_character_is_422_naming_the_field(
    method: str,
    path: str,
    key: str,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    world: dict[str, str],
) -> None:
    example = ADMIN_ROUTE_EXAMPLES[(method, path)]
    body = {**fill(example.json, world), key: "bad\u0000value"}
    response = await client.request(method, fill(path, world), headers=admin_headers, json=body)
    assert response.status_code == 422, response.text  # was a 500 on PostgreSQL, stored on SQLite
    assert {"field": f"body.{key}", "message": "must not contain control characters (such as U+0000)"} in (
        response.json()["error"]["fields"]
    )


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/admin/organizations", "q"),
        ("/admin/audit", "entity_type"),
        ("/admin/audit", "entity_id"),
        ("/admin/audit", "action"),
    ],
)
async def test_search_text_with_a_nul_character_is_422(
    path: str, param: str, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.get(path, headers=admin_headers, params={param: "\x00"})
    assert response.status_code == 422, response.text
    assert [f["field"] for f in response.json()["error"]["fields"]] == [f"query.{param}"]


async def test_unauthenticated_bad_body_is_401_not_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/admin/stores", content=b"{bad", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401, response.text
