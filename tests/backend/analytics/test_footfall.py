"""GET /stores/{id}/footfall: local buckets across DST and at UTC+05:30, null without coverage, CSV."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import EventType
from tests.backend.analytics.conftest import Owner
from tests.backend.analytics.helpers import add_heartbeats, crossings, utc
from tests.factories import make_camera, make_store

IN, OUT = EventType.IN, EventType.OUT


async def test_spring_forward_day_has_23_hourly_buckets(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    cam = (await make_camera(session, settings, store)).camera
    # 29 March 2026: 01:00 GMT becomes 02:00 BST; the local day is 00:00Z .. 23:00Z.
    await add_heartbeats(session, cam, utc(2026, 3, 29, 0), utc(2026, 3, 29, 23))
    await crossings(session, cam, utc(2026, 3, 29, 0, 30), IN, 1)  # 00:30 GMT
    await crossings(session, cam, utc(2026, 3, 29, 1, 30), IN, 2)  # 02:30 BST
    await crossings(session, cam, utc(2026, 3, 29, 22, 59), OUT, 3)  # 23:59 BST
    response = await client.get(
        f"/stores/{store.id}/footfall",
        params={"from": "2026-03-29", "to": "2026-03-29", "bucket": "hour"},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    buckets = response.json()["buckets"]
    assert len(buckets) == 23
    assert [b["start"] for b in buckets[:2]] == ["2026-03-29T00:00:00Z", "2026-03-29T02:00:00+01:00"]
    assert [b["in_count"] for b in buckets[:3]] == [1, 2, 0]
    assert buckets[-1]["start"] == "2026-03-29T23:00:00+01:00"
    assert buckets[-1]["out_count"] == 3
    day = await client.get(
        f"/stores/{store.id}/footfall",
        params={"from": "2026-03-29", "to": "2026-03-29", "bucket": "day"},
        headers=owner.headers,
    )
    [whole] = day.json()["buckets"]
    assert (whole["in_count"], whole["out_count"], whole["covered"]) == (3, 3, True)
    assert whole["end"] == "2026-03-30T00:00:00+01:00"


async def test_kolkata_buckets_follow_half_hour_offset_and_uncovered_are_null(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Asia/Kolkata")  # open 09:00-21:00 = 03:30-15:30Z
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 14, 3, 30), utc(2026, 1, 14, 15, 30))
    await crossings(session, cam, utc(2026, 1, 14, 3, 40), IN, 1)  # 09:10 IST
    await crossings(session, cam, utc(2026, 1, 14, 4, 20), IN, 1)  # 09:50 IST
    await crossings(session, cam, utc(2026, 1, 14, 4, 35), IN, 1)  # 10:05 IST
    response = await client.get(
        f"/stores/{store.id}/footfall",
        params={"from": "2026-01-14", "to": "2026-01-14", "bucket": "hour"},
        headers=owner.headers,
    )
    buckets = {b["start"]: b for b in response.json()["buckets"]}
    assert len(buckets) == 24
    assert buckets["2026-01-14T09:00:00+05:30"]["in_count"] == 2
    assert buckets["2026-01-14T10:00:00+05:30"]["in_count"] == 1
    assert buckets["2026-01-14T20:00:00+05:30"]["in_count"] == 0
    # Night hours had no heartbeats: no data, not zero; before the camera's first heartbeat not even a
    # coverage share.
    assert buckets["2026-01-14T08:00:00+05:30"] | {"start": None} == {
        "start": None,
        "end": "2026-01-14T09:00:00+05:30",
        "in_count": None,
        "out_count": None,
        "covered": False,
        "complete": True,
        "coverage": None,
        "open_s": 0,
    }
    # After it, a closed hour nobody watched is measured as 0 % covered.
    assert buckets["2026-01-14T22:00:00+05:30"]["coverage"] == 0.0
    assert buckets["2026-01-14T22:00:00+05:30"]["in_count"] is None
    # Open seconds come from the opening hours alone (09:00-21:00), whatever was watched.
    assert [b["open_s"] for b in response.json()["buckets"]] == [0] * 9 + [3600] * 12 + [0] * 3
    # A day bucket judges only its open hours, which were all covered.
    day = await client.get(
        f"/stores/{store.id}/footfall",
        params={"from": "2026-01-14", "to": "2026-01-14", "bucket": "day"},
        headers=owner.headers,
    )
    [whole] = day.json()["buckets"]
    assert (whole["start"], whole["in_count"], whole["coverage"]) == ("2026-01-14T00:00:00+05:30", 3, 1.0)
    assert whole["open_s"] == 12 * 3600


async def test_csv_and_bad_ranges(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 14, 10), utc(2026, 1, 14, 10, 30))
    await crossings(session, cam, utc(2026, 1, 14, 10, 5), IN, 2)
    response = await client.get(
        f"/stores/{store.id}/footfall",
        params={"from": "2026-01-14", "to": "2026-01-14", "bucket": "15m", "format": "csv"},
        headers=owner.headers,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "start,end,in,out,covered,complete,coverage"
    assert len(lines) == 1 + 96
    assert lines[1 + 39] == "2026-01-14T09:45:00+00:00,2026-01-14T10:00:00+00:00,,,false,true,"
    assert lines[1 + 40] == "2026-01-14T10:00:00+00:00,2026-01-14T10:15:00+00:00,2,0,true,true,1.0"
    assert lines[1 + 42] == "2026-01-14T10:30:00+00:00,2026-01-14T10:45:00+00:00,,,false,true,0.0"

    backwards = await client.get(
        f"/stores/{store.id}/footfall",
        params={"from": "2026-01-14", "to": "2026-01-13"},
        headers=owner.headers,
    )
    assert backwards.status_code == 422
    assert backwards.json()["error"]["fields"] == [
        {"field": "query.to", "message": "must not be before `from`"}
    ]
    too_long = await client.get(
        f"/stores/{store.id}/footfall",
        params={"from": "2026-01-01", "to": "2026-03-01", "bucket": "15m"},
        headers=owner.headers,
    )
    assert too_long.status_code == 422
    not_a_date = await client.get(
        f"/stores/{store.id}/footfall", params={"from": "soon"}, headers=owner.headers
    )
    assert not_a_date.status_code == 422
    assert not_a_date.json()["error"]["fields"][0]["field"] == "query.from"


async def test_an_event_a_microsecond_before_the_hour_stays_in_its_hour(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    from datetime import timedelta

    from tests.backend.analytics.helpers import add_events

    store = await make_store(session, owner.org, timezone="UTC")
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 2, 2, 9), utc(2026, 2, 2, 11))
    # SQLite's strftime('%s') rounds sub-seconds: 09:59:59.9999995 must not slip into the 10:00 bucket.
    await add_events(session, cam, [(utc(2026, 2, 2, 10) - timedelta(microseconds=1), IN)])
    response = await client.get(
        f"/stores/{store.id}/footfall",
        params={"from": "2026-02-02", "to": "2026-02-02", "bucket": "hour"},
        headers=owner.headers,
    )
    counts = {b["start"][11:16]: b["in_count"] for b in response.json()["buckets"] if b["covered"]}
    assert counts == {"09:00": 1, "10:00": 0}
