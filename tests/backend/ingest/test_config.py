"""`GET /worker/config`: the camera's calibration and settings, and ETag / If-None-Match."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.ingest.service import etag_matches
from backend.models import InSide, ZoneKind
from tests.factories import CameraWithKey, make_camera, make_counting_line, make_org, make_store, make_zone


@pytest.fixture
async def cam(session: AsyncSession, settings: Settings) -> CameraWithKey:
    store = await make_store(session, await make_org(session), timezone="Asia/Kolkata")
    return await make_camera(session, settings, store, name="Entrance", config_version=7)


class TestConfig:
    async def test_no_key_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/worker/config")).status_code == 401

    async def test_disabled_camera_is_403(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        store = await make_store(session, await make_org(session))
        off = await make_camera(session, settings, store, enabled=False)
        assert (await client.get("/worker/config", headers=off.headers)).status_code == 403

    async def test_uncalibrated_camera(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        response = await client.get("/worker/config", headers=cam.headers)
        assert response.status_code == 200
        assert response.json() == {
            "camera_id": str(cam.camera.id),
            "camera_name": "Entrance",
            "store_id": str(cam.camera.store_id),
            "timezone": "Asia/Kolkata",
            "config_version": 7,
            "is_counting_line": True,
            "counting_line": None,
            "zones": [],
            "detection": {"target_fps": 10.0, "imgsz": 640, "conf": 0.1},
            "snapshot_requested": False,
        }

    async def test_calibrated_camera_gets_only_its_own_zones(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        await make_counting_line(session, cam.camera, 0.0, 0.5, 1.0, 0.5, InSide.RIGHT)
        shelf = await make_zone(
            session, cam.camera, name="Shelf", kind=ZoneKind.PRODUCT, polygon=[[0, 0], [0.5, 0], [0.5, 0.5]]
        )
        till = await make_zone(session, cam.camera, name="Billing")
        other = await make_camera(session, settings, await make_store(session, await make_org(session)))
        await make_zone(session, other.camera, name="Elsewhere")
        body = (await client.get("/worker/config", headers=cam.headers)).json()
        assert body["counting_line"] == {"x1": 0.0, "y1": 0.5, "x2": 1.0, "y2": 0.5, "in_side": "right"}
        assert body["zones"] == [
            {
                "id": str(till.id),
                "name": "Billing",
                "kind": "billing",
                "polygon": [[0.1, 0.6], [0.4, 0.6], [0.4, 0.9], [0.1, 0.9]],
            },
            {
                "id": str(shelf.id),
                "name": "Shelf",
                "kind": "product",
                "polygon": [[0, 0], [0.5, 0], [0.5, 0.5]],
            },
        ]


class TestETag:
    async def test_unchanged_config_is_304(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        first = await client.get("/worker/config", headers=cam.headers)
        etag = first.headers["ETag"]
        assert etag.startswith('"')
        assert etag.endswith('"')
        again = await client.get("/worker/config", headers={**cam.headers, "If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["ETag"] == etag
        stale = await client.get("/worker/config", headers={**cam.headers, "If-None-Match": '"old"'})
        assert stale.status_code == 200
        assert stale.json() == first.json()

    @pytest.mark.parametrize(
        "change",
        ["zone", "line", "snapshot_requested", "detection", "name", "config_version"],
    )
    async def test_any_change_makes_a_new_etag(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey, change: str
    ) -> None:
        etag = (await client.get("/worker/config", headers=cam.headers)).headers["ETag"]
        if change == "zone":
            await make_zone(session, cam.camera)
        elif change == "line":
            await make_counting_line(session, cam.camera)
        elif change == "snapshot_requested":
            cam.camera.snapshot_requested = True
        elif change == "detection":
            cam.camera.conf = 0.4
        elif change == "name":
            cam.camera.name = "Back door"
        else:
            cam.camera.config_version = 8
        await session.flush()
        response = await client.get("/worker/config", headers={**cam.headers, "If-None-Match": etag})
        assert response.status_code == 200
        assert response.headers["ETag"] != etag

    async def test_cameras_have_different_etags(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        store = await make_store(session, await make_org(session), timezone="Asia/Kolkata")
        twin = await make_camera(session, settings, store, name="Entrance", config_version=7)
        mine = (await client.get("/worker/config", headers=cam.headers)).headers["ETag"]
        theirs = await client.get("/worker/config", headers={**twin.headers, "If-None-Match": mine})
        assert theirs.status_code == 200


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"abcd"', False),
        ("abc", False),
    ],
)
def test_etag_matching(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches
