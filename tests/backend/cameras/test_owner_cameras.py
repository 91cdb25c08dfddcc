"""`GET /stores/{id}/cameras` and `/stores/{id}/cameras/{camera_id}/snapshot` for owners and viewers:
what each camera watches (line, zones) and its person-blurred snapshot, scoped to the user's stores."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import Role, ZoneKind
from backend.models.base import utcnow
from tests.factories import (
    FAKE_JPEG,
    add_member,
    login,
    make_camera,
    make_counting_line,
    make_heartbeat,
    make_org,
    make_snapshot,
    make_store,
    make_user,
    make_zone,
)


async def test_cameras_list_lines_zones_status_and_hides_disabled_ones(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    org = await make_org(session)
    viewer = await make_user(session)
    await add_member(session, org, viewer, Role.VIEWER)
    store = await make_store(session, org)
    door = (await make_camera(session, settings, store, name="A door")).camera
    floor = (await make_camera(session, settings, store, counting=False, name="B floor")).camera
    await make_camera(session, settings, store, name="C disabled", enabled=False)
    await make_counting_line(session, door, 0.5, 0.1, 0.5, 0.9)
    polygon = [[0.1, 0.1], [0.6, 0.1], [0.6, 0.5]]
    await make_zone(session, floor, name="Till", kind=ZoneKind.BILLING, polygon=polygon)
    await make_zone(session, floor, name="Aisle", kind=ZoneKind.PRODUCT)
    await make_heartbeat(session, door)
    await make_heartbeat(session, floor, received_at=utcnow() - timedelta(hours=1))
    await make_snapshot(session, floor)
    await session.commit()

    response = await client.get(f"/stores/{store.id}/cameras", headers=await login(client, viewer.email))

    assert response.status_code == 200, response.text
    cameras = response.json()
    assert [c["name"] for c in cameras] == ["A door", "B floor"]
    first, second = cameras
    assert first["status"] == "online"
    assert second["status"] == "offline"
    assert first["line"] == {"x1": 0.5, "y1": 0.1, "x2": 0.5, "y2": 0.9, "in_side": "left"}
    assert first["zones"] == []
    assert first["snapshot_at"] is None
    assert second["line"] is None
    assert second["snapshot_at"] is not None
    assert [(z["name"], z["kind"]) for z in second["zones"]] == [("Aisle", "product"), ("Till", "billing")]
    assert second["zones"][1]["polygon"] == polygon
    assert "key_prefix" not in first
    assert "conf" not in first


async def test_snapshot_is_the_latest_jpeg_and_404_without_one(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    org = await make_org(session)
    owner = await make_user(session)
    await add_member(session, org, owner)
    store = await make_store(session, org)
    with_snapshot = (await make_camera(session, settings, store)).camera
    without = (await make_camera(session, settings, store)).camera
    await make_snapshot(
        session, with_snapshot, captured_at=utcnow() - timedelta(hours=2), data=b"\xff\xd8old"
    )
    latest = await make_snapshot(session, with_snapshot, width=640, height=480)
    await session.commit()
    headers = await login(client, owner.email)

    response = await client.get(f"/stores/{store.id}/cameras/{with_snapshot.id}/snapshot", headers=headers)
    assert response.status_code == 200
    assert response.content == FAKE_JPEG
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-snapshot-width"] == "640"
    assert response.headers["x-snapshot-height"] == "480"
    assert response.headers["x-captured-at"] == latest.captured_at.isoformat()
    assert response.headers["cache-control"] == "no-store"

    missing = await client.get(f"/stores/{store.id}/cameras/{without.id}/snapshot", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "This camera has no snapshot yet."


async def test_another_organizations_camera_is_not_found(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    mine, theirs = await make_org(session), await make_org(session)
    owner = await make_user(session)
    await add_member(session, mine, owner)
    my_store, their_store = await make_store(session, mine), await make_store(session, theirs)
    their_camera = (await make_camera(session, settings, their_store)).camera
    await make_snapshot(session, their_camera)
    await session.commit()
    headers = await login(client, owner.email)

    # Their camera through my store, and their store directly: both answer as a camera that does not exist.
    through_mine = await client.get(
        f"/stores/{my_store.id}/cameras/{their_camera.id}/snapshot", headers=headers
    )
    direct = await client.get(f"/stores/{their_store.id}/cameras/{their_camera.id}/snapshot", headers=headers)
    listing = await client.get(f"/stores/{their_store.id}/cameras", headers=headers)
    assert (through_mine.status_code, direct.status_code, listing.status_code) == (404, 404, 404)
    assert (await client.get(f"/stores/{my_store.id}/cameras", headers=headers)).json() == []
