"""`POST /worker/heartbeat`: stored history, camera health, zone counts, retention, bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import CameraHeartbeat, Organization, StreamStatus
from tests.factories import (
    CameraWithKey,
    add_member,
    login,
    make_camera,
    make_org,
    make_store,
    make_user,
    make_zone,
)


def heartbeat(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "worker_version": "0.1.0",
        "uptime_s": 3600.5,
        "fps": 9.8,
        "frames_read": 36000,
        "frames_dropped": 12,
        "outbox_depth": 3,
        "events_dropped": 0,
        "stream_status": "ok",
        "last_error": None,
    }
    body.update(fields)
    return body


@pytest.fixture
async def cam(session: AsyncSession, settings: Settings) -> CameraWithKey:
    return await make_camera(session, settings, await make_store(session, await make_org(session)))


async def heartbeats_of(session: AsyncSession, cam: CameraWithKey) -> list[CameraHeartbeat]:
    rows = await session.scalars(
        select(CameraHeartbeat)
        .where(CameraHeartbeat.camera_id == cam.camera.id)
        .order_by(CameraHeartbeat.received_at)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def old_heartbeat(cam: CameraWithKey, age: timedelta) -> CameraHeartbeat:
    return CameraHeartbeat(
        org_id=cam.camera.org_id,
        camera_id=cam.camera.id,
        received_at=datetime.now(UTC) - age,
        worker_version="0.0.9",
        uptime_s=1,
        fps=10,
        frames_read=1,
        frames_dropped=0,
        outbox_depth=0,
        events_dropped=0,
        stream_status=StreamStatus.OK,
    )


class TestHeartbeat:
    async def test_no_key_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.post("/worker/heartbeat", json=heartbeat())).status_code == 401

    async def test_disabled_camera_is_403(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        off = await make_camera(
            session, settings, await make_store(session, await make_org(session)), enabled=False
        )
        response = await client.post("/worker/heartbeat", json=heartbeat(), headers=off.headers)
        assert response.status_code == 403
        assert await heartbeats_of(session, off) == []

    async def test_heartbeat_is_stored_and_updates_health(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        assert cam.camera.last_heartbeat_at is None
        before = datetime.now(UTC)
        response = await client.post(
            "/worker/heartbeat",
            json=heartbeat(stream_status="reconnecting", last_error="RTSP timeout"),
            headers=cam.headers,
        )
        assert response.status_code == 204
        assert response.content == b""
        [row] = await heartbeats_of(session, cam)
        assert (row.worker_version, row.uptime_s, row.fps) == ("0.1.0", 3600.5, 9.8)
        assert (row.frames_read, row.frames_dropped, row.outbox_depth, row.events_dropped) == (
            36000,
            12,
            3,
            0,
        )
        assert row.stream_status is StreamStatus.RECONNECTING
        assert row.last_error == "RTSP timeout"
        assert row.zone_counts is None
        await session.refresh(cam.camera)
        assert cam.camera.last_heartbeat_at is not None
        assert before <= cam.camera.last_heartbeat_at <= datetime.now(UTC)
        assert cam.camera.last_seen_at == cam.camera.last_heartbeat_at

    async def test_heartbeat_puts_the_camera_online_for_its_owners(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        owner = await make_user(session)
        await add_member(session, await session.get_one(Organization, cam.camera.org_id), owner)
        auth = await login(client, owner.email)
        summary = (await client.get(f"/stores/{cam.camera.store_id}", headers=auth)).json()["cameras"]
        assert (summary["online"], summary["offline"]) == (0, 1)
        await client.post("/worker/heartbeat", json=heartbeat(), headers=cam.headers)
        summary = (await client.get(f"/stores/{cam.camera.store_id}", headers=auth)).json()["cameras"]
        assert (summary["online"], summary["offline"]) == (1, 0)

    async def test_zone_counts_keep_only_this_cameras_zones(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        mine = await make_zone(session, cam.camera)
        other = await make_camera(session, settings, await make_store(session, await make_org(session)))
        theirs = await make_zone(session, other.camera)
        counts = {str(mine.id): 2, str(theirs.id): 5, str(uuid.uuid4()): 1}
        response = await client.post(
            "/worker/heartbeat", json=heartbeat(zone_counts=counts), headers=cam.headers
        )
        assert response.status_code == 204
        [row] = await heartbeats_of(session, cam)
        assert row.zone_counts == {str(mine.id): 2}

    async def test_long_errors_are_cut_and_nul_characters_dropped(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
    ) -> None:
        message = "boom\x00" + "x" * 3000
        response = await client.post(
            "/worker/heartbeat", json=heartbeat(last_error=message), headers=cam.headers
        )
        assert response.status_code == 204
        [row] = await heartbeats_of(session, cam)
        assert row.last_error == ("boom" + "x" * 3000)[:2000]

    async def test_old_history_is_pruned_per_camera(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        other = await make_camera(session, settings, await make_store(session, await make_org(session)))
        session.add_all(
            [
                old_heartbeat(cam, timedelta(days=31)),
                old_heartbeat(cam, timedelta(days=29)),
                old_heartbeat(other, timedelta(days=31)),
            ]
        )
        await session.flush()
        assert (
            await client.post("/worker/heartbeat", json=heartbeat(), headers=cam.headers)
        ).status_code == 204
        kept = await heartbeats_of(session, cam)
        assert [row.worker_version for row in kept] == ["0.0.9", "0.1.0"]
        assert kept[0].received_at < datetime.now(UTC) - timedelta(days=28)
        # Another camera's history is pruned by that camera's own heartbeats, not this one's.
        assert len(await heartbeats_of(session, other)) == 1

    async def test_retention_is_a_setting(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        settings.heartbeat_retention_days = 1
        session.add_all([old_heartbeat(cam, timedelta(hours=25)), old_heartbeat(cam, timedelta(hours=23))])
        await session.flush()
        await client.post("/worker/heartbeat", json=heartbeat(), headers=cam.headers)
        assert len(await heartbeats_of(session, cam)) == 2

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"stream_status": "sleeping"}, "body.stream_status"),
            ({"frames_read": -1}, "body.frames_read"),
            ({"frames_read": "12"}, "body.frames_read"),
            ({"frames_dropped": 2**31}, "body.frames_dropped"),
            ({"fps": -0.1}, "body.fps"),
            ({"worker_version": ""}, "body.worker_version"),
            ({"worker_version": "v" * 51}, "body.worker_version"),
            ({"zone_counts": {"not-a-uuid": 1}}, "body.zone_counts.not-a-uuid.[key]"),
            ({"zone_counts": {str(uuid.UUID(int=1)): -1}}, f"body.zone_counts.{uuid.UUID(int=1)}"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(
        self, client: httpx.AsyncClient, cam: CameraWithKey, change: dict[str, Any], field: str
    ) -> None:
        response = await client.post("/worker/heartbeat", json=heartbeat(**change), headers=cam.headers)
        assert response.status_code == 422
        assert [f["field"] for f in response.json()["error"]["fields"]] == [field]

    async def test_missing_field_and_non_json_are_422(
        self, client: httpx.AsyncClient, cam: CameraWithKey
    ) -> None:
        body = heartbeat()
        del body["fps"]
        missing = await client.post("/worker/heartbeat", json=body, headers=cam.headers)
        assert missing.status_code == 422
        assert missing.json()["error"]["fields"][0]["field"] == "body.fps"
        garbage = await client.post("/worker/heartbeat", content=b"\xff\x00", headers=cam.headers)
        assert garbage.status_code == 422

    async def test_huge_heartbeat_is_413(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        response = await client.post(
            "/worker/heartbeat", json=heartbeat(last_error="x" * 70_000), headers=cam.headers
        )
        assert response.status_code == 413


async def _slots(session: AsyncSession, cam: CameraWithKey) -> dict[datetime, tuple[int, int]]:
    from backend.models import CameraCoverageSlot

    rows = await session.execute(
        select(CameraCoverageSlot.slot_start, CameraCoverageSlot.heartbeats, CameraCoverageSlot.heartbeats_ok)
        .where(CameraCoverageSlot.camera_id == cam.camera.id)
        .execution_options(populate_existing=True)
    )
    return {start: (total, ok) for start, total, ok in rows}


async def test_heartbeats_roll_up_into_coverage_slots(
    client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
) -> None:
    from backend.cameras.coverage import slot_start
    from backend.models.base import utcnow

    for status in ("ok", "ok", "reconnecting"):
        response = await client.post(
            "/worker/heartbeat", json=heartbeat(stream_status=status), headers=cam.headers
        )
        assert response.status_code == 204
    slots = await _slots(session, cam)
    # Three heartbeats within a second or two: one slot, unless the test straddled a slot boundary.
    assert sum(total for total, _ in slots.values()) == 3
    assert sum(ok for _, ok in slots.values()) == 2
    assert max(slots) == slot_start(utcnow())


@pytest.mark.parametrize(
    ("observed_ago", "counted_ago"),
    [
        (timedelta(hours=3, minutes=7), timedelta(hours=3, minutes=7)),  # a replayed morning: counted then
        (timedelta(days=30), timedelta(0)),  # older than late events may be: counted at receipt
        (-timedelta(hours=1), timedelta(0)),  # a clock an hour fast: counted at receipt
    ],
)
async def test_coverage_follows_observed_at_within_the_event_window(
    observed_ago: timedelta,
    counted_ago: timedelta,
    client: httpx.AsyncClient,
    session: AsyncSession,
    cam: CameraWithKey,
) -> None:
    from backend.cameras.coverage import slot_start
    from backend.models.base import utcnow

    now = utcnow()
    body = heartbeat(observed_at=(now - observed_ago).isoformat())
    assert (await client.post("/worker/heartbeat", json=body, headers=cam.headers)).status_code == 204
    slots = await _slots(session, cam)
    expected = slot_start(now - counted_ago)
    assert set(slots) <= {expected, expected + timedelta(minutes=15)}  # receipt may tick into the next slot
    stored = (await heartbeats_of(session, cam))[-1]
    assert stored.observed_at == now - observed_ago


async def test_naive_observed_at_is_422(client: httpx.AsyncClient, cam: CameraWithKey) -> None:
    body = heartbeat(observed_at="2026-11-21T09:00:00")
    response = await client.post("/worker/heartbeat", json=body, headers=cam.headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body.observed_at"


@pytest.mark.parametrize("observed_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_observed_at_without_a_utc_equivalent_is_422(
    client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey, observed_at: str
) -> None:
    # Valid ISO 8601 whose UTC conversion overflows `datetime` (year 0 / 10000): was a 500.
    response = await client.post(
        "/worker/heartbeat", json=heartbeat(observed_at=observed_at), headers=cam.headers
    )
    assert response.status_code == 422, response.text
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["body.observed_at"]
    assert await heartbeats_of(session, cam) == []


async def test_late_heartbeats_fill_their_slot_and_leave_the_camera_health_alone(
    client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
) -> None:
    # A 15-minute outage two hours ago: the worker sends that slot's 30 heartbeats late, after a live one.
    from backend.cameras.coverage import slot_start
    from backend.models.base import utcnow

    now = utcnow()
    live = await client.post("/worker/heartbeat", json=heartbeat(), headers=cam.headers)
    assert live.status_code == 204
    await session.refresh(cam.camera)
    healthy_at = cam.camera.last_heartbeat_at
    assert healthy_at is not None
    slot = slot_start(now - timedelta(hours=2))
    for i in range(30):
        body = heartbeat(
            observed_at=(slot + timedelta(seconds=30 * i)).isoformat(),
            stream_status="ok" if i else "reconnecting",
            late=True,
        )
        assert (await client.post("/worker/heartbeat", json=body, headers=cam.headers)).status_code == 204
    slots = await _slots(session, cam)
    assert slots[slot] == (30, 29)
    assert sum(total for start, (total, _) in slots.items() if start != slot) == 1  # only the live one
    await session.refresh(cam.camera)
    assert cam.camera.last_heartbeat_at == healthy_at  # not renewed by history
    assert cam.camera.last_seen_at is not None
    assert cam.camera.last_seen_at > healthy_at
    # The history keeps live heartbeats only: admin health reads its newest rows as the camera's state.
    rows = await heartbeats_of(session, cam)
    assert len(rows) == 1
    assert rows[0].observed_at is None or rows[0].observed_at > slot + timedelta(hours=1)


async def test_a_late_heartbeat_ten_minutes_old_counts_in_its_observed_slot(
    client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
) -> None:
    from backend.cameras.coverage import slot_start
    from backend.models.base import utcnow

    observed_at = utcnow() - timedelta(minutes=10)
    body = heartbeat(observed_at=observed_at.isoformat(), late=True)
    assert (await client.post("/worker/heartbeat", json=body, headers=cam.headers)).status_code == 204
    assert await _slots(session, cam) == {slot_start(observed_at): (1, 1)}
    await session.refresh(cam.camera)
    assert cam.camera.last_heartbeat_at is None  # a late heartbeat alone does not put a camera online


@pytest.mark.parametrize(
    "observed_at",
    [None, timedelta(days=30), -timedelta(hours=1)],
    ids=["no-observed-at", "older-than-the-window", "in-the-future"],
)
async def test_a_late_heartbeat_is_never_counted_at_receipt(
    client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey, observed_at: timedelta | None
) -> None:
    from backend.models.base import utcnow

    when = None if observed_at is None else (utcnow() - observed_at).isoformat()
    body = heartbeat(observed_at=when, late=True)
    assert (await client.post("/worker/heartbeat", json=body, headers=cam.headers)).status_code == 204
    assert await _slots(session, cam) == {}  # receipt is not when it was made
    assert await heartbeats_of(session, cam) == []  # late heartbeats are not history (admin health)


async def test_late_must_be_a_json_boolean(client: httpx.AsyncClient, cam: CameraWithKey) -> None:
    response = await client.post("/worker/heartbeat", json=heartbeat(late="yes"), headers=cam.headers)
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["body.late"]
