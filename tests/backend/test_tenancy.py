"""Tenant isolation, checked for every owner route found in the application's route table.

Each route is called as: anonymous (401), an owner of another organization (404 for a store's route, and
never any of the store's data in the body), a viewer and an owner of the store's organization (2xx; viewers
get 403 on writes).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.deps import get_current_admin, get_current_user
from backend.config import Settings
from backend.models import Role
from storeintel_app import create_app
from tests.backend.owner_route_examples import OWNER_ROUTE_EXAMPLES
from tests.factories import add_member, login, make_camera, make_org, make_snapshot, make_store, make_user
from tests.route_table import dependency_calls, effective_routes

READ_METHODS = {"GET", "HEAD"}


def owner_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route that authenticates an owner/viewer and is not an admin route."""
    routes = set()
    for route in effective_routes(app):
        calls = dependency_calls(route.dependant)
        if get_current_user in calls and get_current_admin not in calls:
            routes.update((method, route.path) for method in route.methods)
    return sorted(routes)


def test_every_owner_route_has_an_example() -> None:
    missing = set(owner_routes(create_app())) - set(OWNER_ROUTE_EXAMPLES)
    assert not missing, f"add example requests to tests/backend/owner_route_examples.py for {sorted(missing)}"


def test_the_route_walk_finds_owner_routes_and_skips_admin_ones() -> None:
    routes = owner_routes(create_app())
    assert ("GET", "/stores/{store_id}") in routes
    assert ("GET", "/me") in routes
    assert not [path for _, path in routes if path.startswith(("/admin", "/worker", "/auth", "/health"))]


class World:
    """Two organizations: A (the store under test, with an owner and a viewer) and B (an outsider)."""

    store_id: str
    store_name: str
    camera_id: str
    headers: dict[str, dict[str, str]]


@pytest.fixture
async def world(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> World:
    org_a, org_b = await make_org(session, "Org A"), await make_org(session, "Org B")
    store_a = await make_store(session, org_a, name="Store of A")
    await make_store(session, org_b, name="Store of B")
    camera_a = (await make_camera(session, settings, store_a)).camera
    await make_snapshot(session, camera_a)
    people = {"owner": (org_a, Role.OWNER), "viewer": (org_a, Role.VIEWER), "outsider": (org_b, Role.OWNER)}
    w = World()
    w.store_id, w.store_name, w.camera_id, w.headers = str(store_a.id), store_a.name, str(camera_a.id), {}
    for label, (org, role) in people.items():
        user = await make_user(session)
        await add_member(session, org, user, role)
        w.headers[label] = await login(client, user.email)
    return w


def _request(method: str, path: str, world: World, headers: dict[str, str] | None) -> dict[str, Any]:
    example = dict(OWNER_ROUTE_EXAMPLES[(method, path)])
    merged_headers = {**example.pop("headers", {}), **(headers or {})}
    return {
        "method": method,
        "url": path.replace("{store_id}", world.store_id).replace("{camera_id}", world.camera_id),
        "headers": merged_headers,
        **example,
    }


@pytest.mark.parametrize(("method", "path"), owner_routes(create_app()))
async def test_owner_route_is_tenant_scoped(
    method: str, path: str, client: httpx.AsyncClient, world: World
) -> None:
    anonymous = await client.request(**_request(method, path, world, None))
    assert anonymous.status_code == 401, anonymous.text

    outsider = await client.request(**_request(method, path, world, world.headers["outsider"]))
    if "{store_id}" in path:
        assert outsider.status_code == 404, outsider.text
        assert outsider.json()["error"]["code"] == "not_found"
    else:
        assert outsider.status_code == 200, outsider.text
    assert world.store_id not in outsider.text
    assert world.store_name not in outsider.text

    viewer = await client.request(**_request(method, path, world, world.headers["viewer"]))
    if method in READ_METHODS:
        assert viewer.status_code == 200, viewer.text
    else:
        assert viewer.status_code == 403, viewer.text

    owner = await client.request(**_request(method, path, world, world.headers["owner"]))
    assert 200 <= owner.status_code < 300, owner.text
    if "{store_id}" in path and method in READ_METHODS:
        # JSON names the store; a CSV export or a snapshot JPEG is checked by its content type.
        content_type = owner.headers.get("content-type", "")
        assert world.store_id in owner.text or content_type.startswith(("text/csv", "image/jpeg"))
