"""Calibration through the API: counting line with warnings, zones, config versions the worker sees,
and snapshots."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from tests.factories import FAKE_JPEG, CameraWithKey, make_camera, make_org, make_snapshot, make_store

LINE = {"x1": 0.5, "y1": 0.1, "x2": 0.5, "y2": 0.9, "in_side": "right"}
SQUARE = [[0.1, 0.1], [0.4, 0.1], [0.4, 0.4], [0.1, 0.4]]


@pytest.fixture
async def cam(session: AsyncSession, settings: Settings) -> CameraWithKey:
    return await make_camera(session, settings, await make_store(session, await make_org(session)))


async def test_set_line_bumps_the_version_the_worker_reads(
    client: httpx.AsyncClient, cam: CameraWithKey, admin_headers: dict[str, str]
) -> None:
    url = f"/admin/cameras/{cam.camera.id}/counting-line"
    assert (await client.get(url, headers=admin_headers)).status_code == 404
    before = await client.get("/worker/config", headers=cam.headers)
    assert (before.json()["config_version"], before.json()["counting_line"]) == (1, None)

    saved = await client.put(url, json=LINE, headers=admin_headers)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["config_version"], body["warnings"]) == (2, [])
    assert {k: body["counting_line"][k] for k in ("x1", "y1", "x2", "y2", "in_side")} == LINE

    # The worker's next poll with its old ETag gets the new configuration (no restart needed).
    after = await client.get(
        "/worker/config", headers={**cam.headers, "If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200
    assert after.json()["config_version"] == 2
    assert after.json()["counting_line"] == LINE

    moved = await client.put(url, json={**LINE, "x1": 0.6, "x2": 0.6}, headers=admin_headers)
    assert moved.json()["config_version"] == 3
    assert (await client.get(url, headers=admin_headers)).json()["x1"] == 0.6
    deleted = await client.delete(url, headers=admin_headers)
    assert deleted.status_code == 204
    config = (await client.get("/worker/config", headers=cam.headers)).json()
    assert (config["config_version"], config["counting_line"]) == (4, None)


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ({**LINE, "x2": 0.5, "y2": 0.1}, ["body.x2", "body.y2"]),  # both endpoints the same
        ({**LINE, "y1": 0.5, "y2": 0.51}, ["body.x2", "body.y2"]),  # 0.01 long
        ({**LINE, "x1": -0.01}, ["body.x1"]),  # out of frame
        ({**LINE, "y2": 1.5}, ["body.y2"]),
        ({**LINE, "in_side": "up"}, ["body.in_side"]),
    ],
)
async def test_bad_lines_are_refused_naming_the_field(
    line: dict[str, Any],
    fields: list[str],
    client: httpx.AsyncClient,
    cam: CameraWithKey,
    admin_headers: dict[str, str],
) -> None:
    response = await client.put(
        f"/admin/cameras/{cam.camera.id}/counting-line", json=line, headers=admin_headers
    )
    assert response.status_code == 422, response.text
    assert [f["field"] for f in response.json()["error"]["fields"]] == fields
    config = (await client.get("/worker/config", headers=cam.headers)).json()
    assert config["config_version"] == 1  # nothing changed


@pytest.mark.parametrize(
    ("frame", "line", "codes"),
    [
        # 0.2 of the width: 0.36 frame heights on 1280x720, 0.15 on a portrait 480x640 frame.
        ((1280, 720), {"x1": 0.4, "y1": 0.5, "x2": 0.6, "y2": 0.5}, []),
        ((480, 640), {"x1": 0.4, "y1": 0.5, "x2": 0.6, "y2": 0.5}, ["short_line"]),
        ((1280, 720), {"x1": 0.2, "y1": 0.98, "x2": 0.8, "y2": 0.99}, ["near_edge"]),
    ],
)
async def test_line_warnings_use_the_latest_snapshot_scale(
    frame: tuple[int, int],
    line: dict[str, float],
    codes: list[str],
    client: httpx.AsyncClient,
    session: AsyncSession,
    cam: CameraWithKey,
    admin_headers: dict[str, str],
) -> None:
    await make_snapshot(session, cam.camera, width=frame[0], height=frame[1])
    saved = await client.put(
        f"/admin/cameras/{cam.camera.id}/counting-line",
        json={**line, "in_side": "left"},
        headers=admin_headers,
    )
    assert saved.status_code == 200
    assert [w["code"] for w in saved.json()["warnings"]] == codes


async def test_walking_direction_warning(
    client: httpx.AsyncClient, cam: CameraWithKey, admin_headers: dict[str, str]
) -> None:
    url = f"/admin/cameras/{cam.camera.id}/counting-line"
    along = await client.put(
        url, json={**LINE, "walking_direction": {"dx": 0.05, "dy": 1}}, headers=admin_headers
    )
    assert [w["code"] for w in along.json()["warnings"]] == ["parallel_to_walking"]
    across = await client.put(
        url, json={**LINE, "walking_direction": {"dx": 1, "dy": 0.1}}, headers=admin_headers
    )
    assert across.json()["warnings"] == []


async def test_zones_create_replace_delete(
    client: httpx.AsyncClient, cam: CameraWithKey, admin_headers: dict[str, str]
) -> None:
    url = f"/admin/cameras/{cam.camera.id}/zones"
    created = await client.post(
        url, json={"name": "Till", "kind": "billing", "polygon": [*SQUARE, SQUARE[0]]}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    zone = created.json()["zone"]
    assert (created.json()["config_version"], zone["polygon"], zone["kind"]) == (2, SQUARE, "billing")

    duplicate = await client.post(
        url, json={"name": "till", "kind": "other", "polygon": SQUARE}, headers=admin_headers
    )
    assert duplicate.status_code == 409

    replaced = await client.put(
        f"{url}/{zone['id']}",
        json={"name": "Till", "kind": "billing", "polygon": [[0.5, 0.5], [0.9, 0.5], [0.7, 0.9]]},
        headers=admin_headers,
    )
    assert replaced.status_code == 200
    assert (replaced.json()["zone"]["id"], replaced.json()["config_version"]) == (zone["id"], 3)
    config = (await client.get("/worker/config", headers=cam.headers)).json()
    assert config["zones"] == [
        {"id": zone["id"], "name": "Till", "kind": "billing", "polygon": [[0.5, 0.5], [0.9, 0.5], [0.7, 0.9]]}
    ]
    listed = await client.get(url, headers=admin_headers)
    assert [z["name"] for z in listed.json()["items"]] == ["Till"]

    assert (await client.delete(f"{url}/{zone['id']}", headers=admin_headers)).status_code == 204
    config = (await client.get("/worker/config", headers=cam.headers)).json()
    assert (config["zones"], config["config_version"]) == ([], 4)


@pytest.mark.parametrize(
    ("polygon", "field"),
    [
        ([[0.1, 0.1], [0.5, 0.5], [0.5, 0.1], [0.1, 0.5]], "body.polygon"),  # self-intersecting
        ([[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]], "body.polygon"),  # no area
        ([[0.1, 0.1], [0.4, 0.1], [0.4, 0.1], [0.1, 0.4]], "body.polygon.2"),  # repeated vertex
        ([[0.1, 0.1], [1.1, 0.1], [0.4, 0.4]], "body.polygon.1.0"),  # out of frame
        ([[0.1, 0.1], [0.4, 0.1]], "body.polygon"),  # too few
    ],
)
async def test_bad_polygons_are_refused(
    polygon: list[list[float]],
    field: str,
    client: httpx.AsyncClient,
    cam: CameraWithKey,
    admin_headers: dict[str, str],
) -> None:
    response = await client.post(
        f"/admin/cameras/{cam.camera.id}/zones",
        json={"name": "Bad", "kind": "product", "polygon": polygon},
        headers=admin_headers,
    )
    assert response.status_code == 422, response.text
    assert [f["field"] for f in response.json()["error"]["fields"]] == [field]


async def test_snapshot_inline_from_file_and_missing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    cam: CameraWithKey,
    admin_headers: dict[str, str],
) -> None:
    url = f"/admin/cameras/{cam.camera.id}/snapshot"
    missing = await client.get(url, headers=admin_headers)
    assert missing.status_code == 404

    taken = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    await make_snapshot(session, cam.camera, captured_at=taken)
    inline = await client.get(url, headers=admin_headers)
    assert inline.status_code == 200
    assert inline.content == FAKE_JPEG
    assert inline.headers["content-type"] == "image/jpeg"
    assert inline.headers["x-captured-at"] == "2026-11-21T08:00:00+00:00"
    assert (inline.headers["x-snapshot-width"], inline.headers["x-snapshot-height"]) == ("1280", "720")

    # A newer one stored as a file, by a path relative to the data folder.
    relative = f"snapshots/{cam.camera.id}.jpg"
    (settings.data_dir / "snapshots").mkdir(parents=True)
    (settings.data_dir / relative).write_bytes(b"\xff\xd8file\xff\xd9")
    await make_snapshot(
        session, cam.camera, captured_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC), path=relative
    )
    from_file = await client.get(url, headers=admin_headers)
    assert from_file.content == b"\xff\xd8file\xff\xd9"
    assert from_file.headers["x-captured-at"] == "2026-11-21T09:00:00+00:00"


async def test_snapshot_request_reaches_the_worker_config(
    client: httpx.AsyncClient, cam: CameraWithKey, admin_headers: dict[str, str]
) -> None:
    before = await client.get("/worker/config", headers=cam.headers)
    assert before.json()["snapshot_requested"] is False
    requested = await client.post(f"/admin/cameras/{cam.camera.id}/snapshot-request", headers=admin_headers)
    assert requested.status_code == 202
    assert requested.json() == {"snapshot_requested": True}
    after = await client.get(
        "/worker/config", headers={**cam.headers, "If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200
    assert after.json()["snapshot_requested"] is True
