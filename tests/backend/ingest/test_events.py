"""`POST /worker/events`: authentication, idempotency, partial rejection, limits, gzip, zones."""

from __future__ import annotations

import asyncio
import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import migrate
from backend.config import Settings
from backend.models import Event, EventType, Store
from storeintel_app import create_app
from tests.backend.ingest.helpers import event, stored_events, wire_ts
from tests.conftest import settings_for
from tests.factories import CameraWithKey, make_camera, make_org, make_store, make_zone


@pytest.fixture
async def cam(session: AsyncSession, settings: Settings) -> CameraWithKey:
    org = await make_org(session)
    store = await make_store(session, org)
    return await make_camera(session, settings, store)


async def post(
    client: httpx.AsyncClient, cam: CameraWithKey, events: list[dict[str, object]]
) -> httpx.Response:
    return await client.post("/worker/events", json={"events": events}, headers=cam.headers)


class TestAuthentication:
    async def test_no_key_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/worker/events", json={"events": [event()]})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"

    async def test_unknown_key_is_401(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        forged = cam.key[:-4] + ("AAAA" if not cam.key.endswith("AAAA") else "BBBB")
        response = await client.post(
            "/worker/events", json={"events": [event()]}, headers={"X-Worker-Key": forged}
        )
        assert response.status_code == 401

    async def test_disabled_camera_is_403_and_nothing_is_stored(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        store = await make_store(session, await make_org(session))
        disabled = await make_camera(session, settings, store, enabled=False)
        response = await post(client, disabled, [event()])
        assert response.status_code == 403
        assert await stored_events(session, disabled.camera) == 0

    async def test_deactivated_organization_is_403_and_nothing_is_stored(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        store = await make_store(session, await make_org(session, active=False))
        cam = await make_camera(session, settings, store)
        response = await post(client, cam, [event()])
        assert response.status_code == 403
        assert await stored_events(session, cam.camera) == 0


class TestStoring:
    async def test_events_are_stored_under_the_keys_camera(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
    ) -> None:
        zone = await make_zone(session, cam.camera)
        now = datetime.now(UTC)
        ts = now.replace(microsecond=120000) - timedelta(minutes=3)
        enter = event(type="ZONE_ENTER", zone_id=str(zone.id), ts=wire_ts(ts), tracker_id=5, confidence=None)
        leave = event(
            type="ZONE_EXIT",
            zone_id=str(zone.id),
            ts=wire_ts(ts + timedelta(seconds=42)),
            tracker_id=5,
            dwell_ms=42000,
            confidence=0.5,
        )
        # The offset form is accepted too, and stored in UTC.
        crossing = event(
            type="OUT",
            ts=(ts - timedelta(hours=1)).astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(),
            tracker_id=9,
        )
        response = await post(client, cam, [enter, leave, crossing])
        assert response.status_code == 200
        assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}

        rows = {
            r.event_id: r
            for r in await session.scalars(select(Event).where(Event.camera_id == cam.camera.id))
        }
        assert set(rows) == {uuid.UUID(e["event_id"]) for e in (enter, leave, crossing)}
        stored_leave = rows[uuid.UUID(leave["event_id"])]
        assert stored_leave.org_id == cam.camera.org_id
        assert stored_leave.store_id == cam.camera.store_id
        assert stored_leave.type is EventType.ZONE_EXIT
        assert stored_leave.ts == ts + timedelta(seconds=42)
        assert stored_leave.tracker_id == 5
        assert stored_leave.zone_id == zone.id
        assert stored_leave.dwell_ms == 42000
        assert stored_leave.confidence == 0.5
        stored_enter = rows[uuid.UUID(enter["event_id"])]
        assert (stored_enter.dwell_ms, stored_enter.confidence) == (None, None)
        stored_out = rows[uuid.UUID(crossing["event_id"])]
        assert stored_out.type is EventType.OUT
        assert stored_out.zone_id is None
        assert stored_out.ts == ts - timedelta(hours=1)
        assert now - timedelta(seconds=5) <= stored_out.received_at <= datetime.now(UTC)

    async def test_camera_health_moves_forward_only(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
    ) -> None:
        recent = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        assert (await post(client, cam, [event(ts=wire_ts(recent))])).status_code == 200
        # A late batch (an hour older) must not rewind last_event_at.
        late = await post(client, cam, [event(ts=wire_ts(recent - timedelta(hours=1)))])
        assert late.json()["accepted"] == 1
        await session.refresh(cam.camera)
        assert cam.camera.last_event_at == recent
        assert cam.camera.last_seen_at is not None
        assert cam.camera.last_seen_at > recent

    async def test_empty_batch_is_fine(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        response = await post(client, cam, [])
        assert response.status_code == 200
        assert response.json() == {"accepted": 0, "duplicates": 0, "rejected": []}

    async def test_unknown_keys_in_an_event_are_ignored(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
    ) -> None:
        response = await post(client, cam, [event(model="yolo11n", extra={"a": 1})])
        assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}


class TestIdempotency:
    async def test_repeat_within_a_batch_counts_the_second_as_duplicate(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
    ) -> None:
        first, second = event(), event()
        again = dict(first, tracker_id=99)  # same id, different content: still the same event
        response = await post(client, cam, [first, again, second, first])
        assert response.json() == {"accepted": 2, "duplicates": 2, "rejected": []}
        assert await stored_events(session, cam.camera) == 2
        stored = await session.scalar(select(Event).where(Event.event_id == uuid.UUID(first["event_id"])))
        assert stored is not None
        assert stored.tracker_id == 17  # the first occurrence wins

    async def test_retried_batch_is_all_duplicates(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
    ) -> None:
        batch = [event() for _ in range(5)]
        assert (await post(client, cam, batch)).json() == {"accepted": 5, "duplicates": 0, "rejected": []}
        overlapping = [*batch[3:], event(), event()]
        assert (await post(client, cam, overlapping)).json() == {
            "accepted": 2,
            "duplicates": 2,
            "rejected": [],
        }
        assert (await post(client, cam, batch)).json() == {"accepted": 0, "duplicates": 5, "rejected": []}
        assert await stored_events(session, cam.camera) == 7

    async def test_the_same_id_from_another_camera_is_another_event(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        other = await make_camera(session, settings, await make_store(session, await make_org(session)))
        shared = event()
        assert (await post(client, cam, [shared])).json()["accepted"] == 1
        assert (await post(client, other, [shared])).json()["accepted"] == 1
        assert await stored_events(session, cam.camera) == 1
        assert await stored_events(session, other.camera) == 1


class TestPartialRejection:
    async def test_bad_events_are_rejected_one_by_one(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
    ) -> None:
        now = datetime.now(UTC)
        good = [event(), event(type="OUT")]
        batch = [
            good[0],
            event(event_id="not-a-uuid"),  # 1
            event(type="SIDEWAYS"),  # 2
            event(ts="2026-11-21T08:15:03"),  # 3: no offset
            event(ts="yesterday"),  # 4
            "an event?",  # 5
            event(tracker_id="17"),  # 6
            event(confidence=1.5),  # 7
            good[1],  # 8
            event(dwell_ms=-1, type="ZONE_EXIT"),  # 9
            {"type": "IN", "ts": wire_ts(now), "tracker_id": 1},  # 10: no event_id
            event(tracker_id=True),  # 11
            event(ts=1_700_000_000),  # 12: a bare number is not a time here
            event(event_id="also bad", tracker_id=-3),  # 13: two reasons
        ]
        response = await post(client, cam, batch)
        assert response.status_code == 200
        body = response.json()
        assert (body["accepted"], body["duplicates"]) == (2, 0)
        assert body["rejected"] == [
            {"index": 1, "reason": "event_id is not a UUID"},
            {"index": 2, "reason": "type must be one of IN, OUT, ZONE_ENTER, ZONE_EXIT"},
            {"index": 3, "reason": "ts has no UTC offset"},
            {"index": 4, "reason": "ts is not an ISO 8601 time"},
            {"index": 5, "reason": "event is not a JSON object"},
            {"index": 6, "reason": "tracker_id must be an integer from 0 to 2147483647"},
            {"index": 7, "reason": "confidence must be null or a number from 0 to 1"},
            {"index": 9, "reason": "dwell_ms must be null or an integer from 0 to 2147483647 (milliseconds)"},
            {"index": 10, "reason": "event_id is missing"},
            {"index": 11, "reason": "tracker_id must be an integer from 0 to 2147483647"},
            {"index": 12, "reason": "ts is not an ISO 8601 time"},
            {
                "index": 13,
                "reason": "event_id is not a UUID; tracker_id must be an integer from 0 to 2147483647",
            },
        ]
        assert await stored_events(session, cam.camera) == 2

    async def test_rejections_and_duplicates_together(
        self, client: httpx.AsyncClient, cam: CameraWithKey
    ) -> None:
        old = event()
        await post(client, cam, [old])
        future = wire_ts(datetime.now(UTC) + timedelta(minutes=10))
        response = await post(client, cam, [old, event(ts=future), event(), old])
        assert response.json() == {
            "accepted": 1,
            "duplicates": 2,
            "rejected": [{"index": 1, "reason": "ts is more than 300 s in the future"}],
        }

    async def test_a_rejected_first_copy_does_not_make_the_second_a_duplicate(
        self, client: httpx.AsyncClient, cam: CameraWithKey
    ) -> None:
        valid = event()
        broken = dict(valid, type="NOPE")
        response = await post(client, cam, [broken, valid])
        assert response.json()["accepted"] == 1
        assert response.json()["duplicates"] == 0


class TestZones:
    async def test_zone_rules(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        mine = await make_zone(session, cam.camera)
        # Same organization and store, another camera: its zone is still not this camera's.
        store = await session.get_one(Store, (cam.camera.org_id, cam.camera.store_id))
        sibling = await make_camera(session, settings, store)
        theirs = await make_zone(session, sibling.camera)
        batch = [
            event(type="ZONE_ENTER", zone_id=str(mine.id)),
            event(type="ZONE_ENTER", zone_id=str(theirs.id)),
            event(type="ZONE_EXIT", zone_id=str(uuid.uuid4()), dwell_ms=10),
            event(type="ZONE_ENTER"),
            event(type="IN", zone_id=str(mine.id)),
            event(type="OUT", dwell_ms=100),
            event(type="ZONE_EXIT", zone_id="nope", dwell_ms=1),
            event(type="ZONE_EXIT", zone_id=str(mine.id), dwell_ms=1500),
        ]
        response = await post(client, cam, batch)
        assert response.json() == {
            "accepted": 2,
            "duplicates": 0,
            "rejected": [
                {"index": 1, "reason": "zone_id does not belong to this camera"},
                {"index": 2, "reason": "zone_id does not belong to this camera"},
                {"index": 3, "reason": "zone_id is required for ZONE_ENTER events"},
                {"index": 4, "reason": "zone_id must be null for IN events"},
                {"index": 5, "reason": "dwell_ms is only sent with ZONE_EXIT events"},
                {"index": 6, "reason": "zone_id is not a UUID"},
            ],
        }


class TestLimits:
    async def test_at_most_5000_events_by_default(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
    ) -> None:
        ts = wire_ts(datetime.now(UTC) - timedelta(minutes=1))
        batch = [event(ts=ts) for _ in range(5001)]
        response = await post(client, cam, batch)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
        assert await stored_events(session, cam.camera) == 0
        assert (await post(client, cam, batch[:5000])).json()["accepted"] == 5000

    async def test_count_limit_is_a_setting_and_holds_on_the_slow_path(
        self, client: httpx.AsyncClient, settings: Settings, cam: CameraWithKey
    ) -> None:
        settings.ingest_max_events = 3
        assert (await post(client, cam, [event() for _ in range(4)])).status_code == 413
        # With a malformed event the batch is parsed event by event; the limit still applies.
        assert (await post(client, cam, [event(), event(), event(), "x"])).status_code == 413
        assert (await post(client, cam, [event() for _ in range(3)])).json()["accepted"] == 3

    async def test_body_over_5_mb_is_413(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        padding = "x" * 5_000_000
        response = await post(client, cam, [event(note=padding)])
        assert response.status_code == 413
        # Exactly at the limit is still read; one byte more is not.
        prefix = b'{"events": [], "pad": "'
        exact = prefix + b"y" * (5_000_000 - len(prefix) - 2) + b'"}'
        assert len(exact) == 5_000_000
        over = await client.post("/worker/events", content=exact[:-2] + b'y"}', headers=cam.headers)
        assert over.status_code == 413
        ok = await client.post("/worker/events", content=exact, headers=cam.headers)
        assert ok.status_code == 200

    async def test_body_limit_is_a_setting(
        self, client: httpx.AsyncClient, settings: Settings, cam: CameraWithKey
    ) -> None:
        settings.ingest_max_body_bytes = 1000
        assert (await post(client, cam, [event() for _ in range(10)])).status_code == 413
        assert (await post(client, cam, [event()])).status_code == 200

    @pytest.mark.parametrize(
        ("offset_s", "accepted"),
        [(-60, True), (290, True), (310, False), (3600, False)],
    )
    async def test_future_timestamps(
        self, client: httpx.AsyncClient, cam: CameraWithKey, offset_s: int, accepted: bool
    ) -> None:
        ts = wire_ts(datetime.now(UTC) + timedelta(seconds=offset_s))
        body = (await post(client, cam, [event(ts=ts)])).json()
        assert body["accepted"] == (1 if accepted else 0)
        expected = [] if accepted else [{"index": 0, "reason": "ts is more than 300 s in the future"}]
        assert body["rejected"] == expected

    @pytest.mark.parametrize(
        ("age", "accepted"), [(timedelta(days=6, hours=23), True), (timedelta(days=7, hours=1), False)]
    )
    async def test_late_events_up_to_7_days(
        self, client: httpx.AsyncClient, cam: CameraWithKey, age: timedelta, accepted: bool
    ) -> None:
        body = (await post(client, cam, [event(ts=wire_ts(datetime.now(UTC) - age))])).json()
        assert body["accepted"] == (1 if accepted else 0)
        expected = [] if accepted else [{"index": 0, "reason": "ts is more than 7 days old"}]
        assert body["rejected"] == expected

    async def test_late_and_future_limits_are_settings(
        self, client: httpx.AsyncClient, settings: Settings, cam: CameraWithKey
    ) -> None:
        settings.ingest_max_age_days = 1
        settings.ingest_max_future_s = 10
        now = datetime.now(UTC)
        body = (
            await post(
                client,
                cam,
                [
                    event(ts=wire_ts(now - timedelta(days=2))),
                    event(ts=wire_ts(now + timedelta(seconds=60))),
                    event(ts=wire_ts(now - timedelta(hours=23))),
                ],
            )
        ).json()
        assert body == {
            "accepted": 1,
            "duplicates": 0,
            "rejected": [
                {"index": 0, "reason": "ts is more than 1 days old"},
                {"index": 1, "reason": "ts is more than 10 s in the future"},
            ],
        }

    async def test_extreme_timestamps_are_rejected_not_crashed(
        self, client: httpx.AsyncClient, cam: CameraWithKey
    ) -> None:
        batch = [event(ts="9999-12-31T23:59:59-01:00"), event(ts="0001-01-01T00:00:00+01:00")]
        body = (await post(client, cam, batch)).json()
        assert [r["reason"] for r in body["rejected"]] == [
            "ts is more than 300 s in the future",
            "ts is more than 7 days old",
        ]


class TestBodyEncoding:
    async def test_gzip_body_is_accepted(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
    ) -> None:
        batch = [event() for _ in range(50)]
        body = gzip.compress(json.dumps({"events": batch}).encode())
        response = await client.post(
            "/worker/events",
            content=body,
            headers={**cam.headers, "Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        assert response.status_code == 200
        assert response.json() == {"accepted": 50, "duplicates": 0, "rejected": []}
        assert await stored_events(session, cam.camera) == 50

    async def test_gzip_bomb_is_413(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        # 6 MB of spaces (valid JSON whitespace) compress to a few kilobytes.
        bomb = gzip.compress(b'{"events": []' + b" " * 6_000_000 + b"}")
        assert len(bomb) < 20_000
        response = await client.post(
            "/worker/events", content=bomb, headers={**cam.headers, "Content-Encoding": "gzip"}
        )
        assert response.status_code == 413

    @pytest.mark.parametrize(
        "body", [b"not gzip at all", gzip.compress(b'{"events": []}')[:-6]], ids=["garbage", "truncated"]
    )
    async def test_broken_gzip_is_422(
        self, client: httpx.AsyncClient, cam: CameraWithKey, body: bytes
    ) -> None:
        response = await client.post(
            "/worker/events", content=body, headers={**cam.headers, "Content-Encoding": "gzip"}
        )
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["field"] == "body"

    async def test_other_encodings_are_415(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        response = await client.post(
            "/worker/events", content=b"{}", headers={**cam.headers, "Content-Encoding": "br"}
        )
        assert response.status_code == 415

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (b"", "body"),
            (b"{not json", "body"),
            (b"[]", "body"),
            (b"{}", "body.events"),
            (b'{"events": 5}', "body.events"),
            (b'{"events": null}', "body.events"),
            (b'{"events": {"0": {}}}', "body.events"),
            (b"[" * 5000 + b"]" * 5000, "body"),
        ],
    )
    async def test_malformed_body_is_422_naming_the_field(
        self, client: httpx.AsyncClient, cam: CameraWithKey, body: bytes, field: str
    ) -> None:
        response = await client.post("/worker/events", content=body, headers=cam.headers)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["fields"][0]["field"] == field


async def test_concurrent_batches_on_a_sqlite_file_all_land(tmp_path: Path) -> None:
    """Real concurrency on the embedded default (not the shared test transaction): every batch is stored.

    Without care, SQLite answers a read-then-write transaction with SQLITE_BUSY_SNAPSHOT (503 here) as
    soon as another request committed in between.
    """
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'concurrent.db'}", tmp_path)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await migrate.upgrade(app.state.engine)
        async with app.state.sessionmaker() as session:
            store = await make_store(session, await make_org(session))
            cams = [await make_camera(session, settings, store) for _ in range(4)]
            await session.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            batches = [(cams[i % 4], [event() for _ in range(50)]) for i in range(16)]
            responses = await asyncio.gather(*(post(client, cam, batch) for cam, batch in batches))
            assert [r.status_code for r in responses] == [200] * 16
            assert sum(r.json()["accepted"] for r in responses) == 800
            again = await asyncio.gather(*(post(client, cam, batch) for cam, batch in batches[:4]))
            assert [r.json()["duplicates"] for r in again] == [50] * 4
        async with app.state.sessionmaker() as session:
            assert sum([await stored_events(session, c.camera) for c in cams]) == 800


async def test_ts_without_a_utc_equivalent_is_rejected_alone(
    client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
) -> None:
    # Regression guard (issue 25): these never reach the UTC conversion; the event window refuses them.
    extremes = [event(ts="0001-01-01T00:00:00+14:00"), event(ts="9999-12-31T23:59:59-14:00")]
    response = await client.post("/worker/events", json={"events": [event(), *extremes]}, headers=cam.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert await stored_events(session, cam.camera) == 1


async def test_an_event_stamped_with_an_offset_moves_last_event_at_to_its_utc_instant(
    client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
) -> None:
    # Was 5 h 30 min ahead on SQLite: the CASE that keeps the column from going back bound the time bare.
    ts = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    kolkata = ts.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    response = await post(client, cam, [event(ts=kolkata)])
    assert response.status_code == 200, response.text
    await session.refresh(cam.camera)
    assert cam.camera.last_event_at == ts
