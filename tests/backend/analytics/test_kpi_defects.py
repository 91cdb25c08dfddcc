"""Regression tests of the KPI defects found when the figures were tried as an owner would (issue "KPI
truth"): each failed on the code before the fix. Definitions: docs/analytics.md."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import service
from backend.config import Settings
from backend.models import EventType, ZoneKind
from tests.backend.analytics.conftest import Owner
from tests.backend.analytics.helpers import add_events, add_heartbeats, crossings, owner_of, utc
from tests.factories import make_camera, make_store, make_zone

IN, OUT, ENTER, EXIT = EventType.IN, EventType.OUT, EventType.ZONE_ENTER, EventType.ZONE_EXIT
DAY = {"period": "day", "date": "2026-01-14"}


async def _dashboard(client: httpx.AsyncClient, owner: Owner, store_id: object, **params: str) -> dict:
    response = await client.get(f"/stores/{store_id}/dashboard", params=DAY | params, headers=owner.headers)
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


async def test_a_two_minute_visit_dwells_two_minutes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    # 42 visitors, each inside exactly 120 s: 21 within one slot (10:01-10:03 …), 21 across a slot end.
    store = await make_store(session, owner.org, timezone="Europe/London")
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 14, 9), utc(2026, 1, 14, 21))
    visits = []
    for k in range(21):
        start = utc(2026, 1, 14, 10) + timedelta(minutes=15 * k, seconds=60)
        visits += [(start, IN), (start + timedelta(seconds=120), OUT)]
        across = utc(2026, 1, 14, 10) + timedelta(minutes=15 * k + 14)
        visits += [(across, IN), (across + timedelta(seconds=120), OUT)]
    await add_events(session, cam, visits)
    body = await _dashboard(client, owner, store.id)
    assert body["footfall"]["value"] == 42
    assert body["avg_dwell_s"]["value"] == 120.0  # was 0.0 / 107.1 with occupancy sampled at slot ends
    assert body["avg_occupancy"]["value"] == round(42 * 120 / 43200, 2)


async def test_an_uncovered_slot_is_not_integrated(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    cam = (await make_camera(session, settings, store)).camera
    # Reporting 09:00-12:00 and 13:00-21:00: the camera was down for the hour after two people left.
    await add_heartbeats(session, cam, utc(2026, 1, 14, 9), utc(2026, 1, 14, 12))
    await add_heartbeats(session, cam, utc(2026, 1, 14, 13), utc(2026, 1, 14, 21))
    await add_events(session, cam, [(utc(2026, 1, 14, 9), IN)] * 4 + [(utc(2026, 1, 14, 11, 59), OUT)] * 2)
    body = await _dashboard(client, owner, store.id)
    # Measured: 4 people for 10,740 s, 2 for 60 s, then 2 for 8 h after the outage, over 11 open hours.
    area = 4 * 10740 + 2 * 60 + 2 * 8 * 3600
    assert body["avg_occupancy"]["value"] == round(area / (11 * 3600), 2) == 2.54  # carried through: 2.5
    assert body["avg_dwell_s"]["value"] == round(area / 4, 1)
    assert body["coverage"]["value"] == round(11 / 12, 4)


async def test_a_partly_covered_hour_reports_its_counts_and_the_views_add_up(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="America/New_York")  # UTC-5 in January
    cam = (await make_camera(session, settings, store)).camera
    # Open 09:00-21:00 local = 14:00-02:00 UTC; the 11:45-12:00 local slot (16:45Z) is uncovered.
    await add_heartbeats(session, cam, utc(2026, 1, 14, 14), utc(2026, 1, 14, 16, 45))
    await add_heartbeats(session, cam, utc(2026, 1, 14, 17), utc(2026, 1, 15, 2))
    await crossings(session, cam, utc(2026, 1, 14, 16, 5), IN, 5)  # 11:05 local
    await crossings(session, cam, utc(2026, 1, 14, 16, 50), IN, 2)  # 11:50 local: in the outage
    await crossings(session, cam, utc(2026, 1, 14, 15, 10), IN, 3)  # 10:10 local
    await crossings(session, cam, utc(2026, 1, 14, 19, 0), IN, 5)  # 14:00 local
    hours = (
        await client.get(
            f"/stores/{store.id}/footfall",
            params={"from": "2026-01-14", "to": "2026-01-14", "bucket": "hour"},
            headers=owner.headers,
        )
    ).json()["buckets"]
    eleven = next(b for b in hours if b["start"] == "2026-01-14T11:00:00-05:00")
    assert (eleven["in_count"], eleven["coverage"], eleven["covered"]) == (5, 0.75, False)  # was null
    day = (
        await client.get(
            f"/stores/{store.id}/footfall",
            params={"from": "2026-01-14", "to": "2026-01-14", "bucket": "day"},
            headers=owner.headers,
        )
    ).json()["buckets"]
    body = await _dashboard(client, owner, store.id)
    hourly_sum = sum(b["in_count"] or 0 for b in hours)
    assert hourly_sum == day[0]["in_count"] == body["footfall"]["value"] == 13
    assert day[0]["coverage"] == round(47 / 48, 4)


async def test_what_was_not_measured_is_null(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    door = (await make_camera(session, settings, store)).camera
    till = (await make_camera(session, settings, store, counting=False)).camera
    floor = (await make_camera(session, settings, store, counting=False)).camera
    billing = await make_zone(session, till, name="Till", kind=ZoneKind.BILLING)
    shelf = await make_zone(session, floor, name="Shelf", kind=ZoneKind.PRODUCT)
    # Only the entrance camera reports; the zone cameras' events are not vouched for by any heartbeat.
    await add_heartbeats(session, door, utc(2026, 1, 14, 9), utc(2026, 1, 14, 21))
    await crossings(session, door, utc(2026, 1, 14, 10), IN, 4)
    await add_events(session, till, [(utc(2026, 1, 14, 10, 5), ENTER)], zone_id=billing.id)
    await add_events(session, floor, [(utc(2026, 1, 14, 10, 5), ENTER)], zone_id=shelf.id)
    funnel = (await client.get(f"/stores/{store.id}/funnel", params=DAY, headers=owner.headers)).json()
    assert [(s["stage"], s["count"]) for s in funnel["stages"]] == [
        ("entries", 4),
        ("zone_visitors", None),  # was 0
        ("billing_visitors", None),  # was 0
        ("transactions", None),
    ]
    heat = (await client.get(f"/stores/{store.id}/heatmap", params=DAY, headers=owner.headers)).json()
    assert {z["name"]: z["visits"] for z in heat["zones"]} == {"Shelf": None, "Till": None}
    before = {"period": "day", "date": "2026-01-13"}  # before any camera reported
    heat = (await client.get(f"/stores/{store.id}/heatmap", params=before, headers=owner.headers)).json()
    assert [z["visits"] for z in heat["zones"]] == [None, None]  # was 0
    body = await _dashboard(client, owner, store.id)
    assert body["coverage"] == {"value": 1.0, "previous": None, "delta": None, "change_pct": None}  # was 0.0

    # Once the till camera reports, its zone is measured, the floor's still not.
    await add_heartbeats(session, till, utc(2026, 1, 14, 9), utc(2026, 1, 14, 21))
    funnel = (await client.get(f"/stores/{store.id}/funnel", params=DAY, headers=owner.headers)).json()
    assert [s["count"] for s in funnel["stages"]] == [4, None, 1, None]


async def test_live_marks_figures_from_offline_cameras_as_stale(
    session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="America/New_York")
    now = utc(2026, 1, 14, 19, 15)  # 14:15 local
    last_seen = utc(2026, 1, 14, 16, 45)  # 11:45 local
    door = (await make_camera(session, settings, store, last_heartbeat_at=last_seen)).camera
    till = (await make_camera(session, settings, store, counting=False, last_heartbeat_at=last_seen)).camera
    billing = await make_zone(session, till, name="Till", kind=ZoneKind.BILLING)
    await crossings(session, door, utc(2026, 1, 14, 15), IN, 3)
    await add_events(session, till, [(utc(2026, 1, 14, 16), ENTER)], zone_id=billing.id)
    live = await service.live(session, owner_of(owner.org), settings, store.id, now=now)
    assert (live.occupancy, live.queue_depth, live.cameras_online) == (3, 1, 0)
    assert (live.occupancy_stale, live.queue_stale) == (True, True)  # was: nothing marked them
    assert live.occupancy_as_of == live.queue_as_of == last_seen
    assert live.occupancy_as_of is not None
    assert live.occupancy_as_of.utcoffset() == timedelta(hours=-5)

    online = await service.live(
        session, owner_of(owner.org), settings, store.id, now=last_seen + timedelta(seconds=30)
    )
    assert (online.occupancy_stale, online.queue_stale) == (False, False)


async def test_counts_are_integers_and_complete_until_is_never_in_the_future(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 14, 9), utc(2026, 1, 14, 21))
    await crossings(session, cam, utc(2026, 1, 14, 10), IN, 13)
    raw = (await client.get(f"/stores/{store.id}/dashboard", params=DAY, headers=owner.headers)).text
    assert '"footfall":{"value":13,"previous":null,"delta":null,"change_pct":null}' in raw  # was 13.0
    assert '"peak_occupancy":{"value":13,' in raw

    ahead = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    body = await _dashboard(client, owner, store.id, date=ahead)
    assert body["complete_until"] is None  # was that day's midnight
    assert body["footfall"]["value"] is None
