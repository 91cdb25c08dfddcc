"""GET /stores/{id}/occupancy, hand-computed: null without coverage, zero when watched and empty, the
dashboard's figures as the covered-time-weighted mean and the highest of the buckets, DST days, tenancy."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import service
from backend.config import Settings
from backend.models import EventType
from tests.backend.analytics.conftest import Owner
from tests.backend.analytics.helpers import add_events, add_heartbeats, owner_of, utc
from tests.factories import make_camera, make_org, make_store

IN, OUT = EventType.IN, EventType.OUT


async def _occupancy(client: httpx.AsyncClient, owner: Owner, store_id: Any, **params: str) -> Any:
    response = await client.get(f"/stores/{store_id}/occupancy", params=params, headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_hours_of_a_day_with_outages_and_the_dashboard_agrees(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")  # UTC+0 in January, open 9-21
    cam = (await make_camera(session, settings, store)).camera
    # Watched 08:00-13:00, 14:00-16:15 and 16:30-22:00: the hour 13:00 is out, 16:00 three-quarters.
    await add_heartbeats(session, cam, utc(2026, 1, 14, 8), utc(2026, 1, 14, 13))
    await add_heartbeats(session, cam, utc(2026, 1, 14, 14), utc(2026, 1, 14, 16, 15))
    await add_heartbeats(session, cam, utc(2026, 1, 14, 16, 30), utc(2026, 1, 14, 22))
    await add_events(
        session,
        cam,
        [
            (utc(2026, 1, 14, 10, 30), IN),  # two at the same instant: 2 inside from 10:30
            (utc(2026, 1, 14, 10, 30), IN),
            (utc(2026, 1, 14, 11, 45), OUT),  # 1 from 11:45
            (utc(2026, 1, 14, 13, 30), OUT),  # during the outage: it still moves o(t), 0 from 13:30
            (utc(2026, 1, 14, 16, 20), IN),  # during the 16:15 outage: 1 from 16:20
            (utc(2026, 1, 14, 17, 30), OUT),
        ],
    )
    body = await _occupancy(client, owner, store.id, date="2026-01-14", bucket="hour")
    assert (body["date"], body["bucket"], body["timezone"]) == ("2026-01-14", "hour", "Europe/London")
    assert (body["start"], body["end"], body["as_of"]) == (
        "2026-01-14T00:00:00Z",
        "2026-01-15T00:00:00Z",
        "2026-01-15T00:00:00Z",
    )
    hours = {b["start"][11:16]: b for b in body["buckets"]}
    assert len(hours) == 24
    figures = {
        h: (b["avg_occupancy"], b["peak_occupancy"], b["coverage"], b["covered"]) for h, b in hours.items()
    }
    # Before the camera's first heartbeat: nothing is measured, not even a coverage share.
    assert figures["07:00"] == (None, None, None, False)
    # Watched but closed: no open time to average over (null, not 0); the peak is over covered time.
    assert figures["08:00"] == (None, 0, None, True)
    assert figures["09:00"] == (0.0, 0, 1.0, True)  # watched, open and empty: zero
    assert figures["10:00"] == (1.0, 2, 1.0, True)  # 2 * 1800 person-s / 3600 s
    assert figures["11:00"] == (1.75, 2, 1.0, True)  # (2 * 2700 + 900) / 3600
    assert figures["12:00"] == (1.0, 1, 1.0, True)
    assert figures["13:00"] == (None, None, 0.0, False)  # the outage: not measured, not zero
    assert figures["14:00"] == (0.0, 0, 1.0, True)
    assert figures["16:00"] == (round(1800 / 2700, 2), 1, 0.75, False)  # 0 * 900 + 1 * 1800 over 2700 s
    assert figures["17:00"] == (0.5, 1, 1.0, True)
    assert figures["22:00"] == (None, None, None, False)  # offline after closing: no open time
    assert all(b["complete"] for b in body["buckets"])

    dashboard = (
        await client.get(
            f"/stores/{store.id}/dashboard", params={"date": "2026-01-14"}, headers=owner.headers
        )
    ).json()
    # The day's average is the mean of the hours' weighted by their measured open seconds (coverage *
    # 3600 for a store open on the hour), its peak the highest hour's; both sides rounded to 2 decimals.
    weighted = [
        (b["avg_occupancy"], b["coverage"] * 3600) for b in body["buckets"] if b["avg_occupancy"] is not None
    ]
    mean = sum(a * w for a, w in weighted) / sum(w for _, w in weighted)
    assert abs(mean - dashboard["avg_occupancy"]["value"]) <= 0.01
    # Exactly: 3600 + 6300 + 3600 + 1800 + 1800 (17:00) person-s over 11 h of measured open time.
    assert dashboard["avg_occupancy"]["value"] == round(17100 / (11 * 3600 - 900), 2)
    peaks = [b["peak_occupancy"] for b in body["buckets"] if b["peak_occupancy"] is not None]
    assert max(peaks) == dashboard["peak_occupancy"]["value"] == 2

    quarters = await _occupancy(client, owner, store.id, date="2026-01-14")  # bucket defaults to 15m
    assert quarters["bucket"] == "15m"
    assert len(quarters["buckets"]) == 96
    q = {b["start"][11:16]: b for b in quarters["buckets"]}
    assert (q["16:00"]["avg_occupancy"], q["16:15"]["avg_occupancy"], q["16:30"]["avg_occupancy"]) == (
        0.0,
        None,
        1.0,
    )
    assert q["16:15"]["coverage"] == 0.0
    assert q["10:30"]["peak_occupancy"] == 2


async def test_overnight_occupancy_is_carried_into_the_day(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(
        session, owner.org, timezone="Europe/London", opening_hours={"fri": [["18:00", "02:00"]]}
    )
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 16, 17), utc(2026, 1, 17, 3))
    await add_events(session, cam, [(utc(2026, 1, 16, 23, 1), IN)] * 3 + [(utc(2026, 1, 17, 1, 30), OUT)] * 3)
    body = await _occupancy(client, owner, store.id, date="2026-01-17", bucket="hour")
    hours = [(b["avg_occupancy"], b["peak_occupancy"]) for b in body["buckets"][:4]]
    # The three guests are still inside at midnight; the restart is at Friday's close (02:00).
    assert hours == [(3.0, 3), (1.5, 3), (None, 0), (None, None)]


async def test_daylight_saving_days_have_their_local_buckets(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(
        session,
        owner.org,
        timezone="Europe/London",
        opening_hours={"sun": [["00:00", "00:00"]]},  # the whole Sunday, 23 or 25 hours
    )
    cam = (await make_camera(session, settings, store)).camera
    # 25 October 2026: 02:00 BST (01:00Z) becomes 01:00 GMT; the local day is 23:00Z .. 00:00Z (25 h).
    await add_heartbeats(session, cam, utc(2026, 10, 24, 23), utc(2026, 10, 26, 0))
    await add_events(session, cam, [(utc(2026, 10, 25, 0, 30), IN), (utc(2026, 10, 25, 1, 30), OUT)])
    body = await _occupancy(client, owner, store.id, date="2026-10-25", bucket="hour")
    assert len(body["buckets"]) == 25
    repeated = body["buckets"][1:3]  # 01:00 BST and 01:00 GMT
    assert [b["start"] for b in repeated] == ["2026-10-25T01:00:00+01:00", "2026-10-25T01:00:00Z"]
    assert [(b["avg_occupancy"], b["peak_occupancy"]) for b in repeated] == [(0.5, 1), (0.5, 1)]
    assert body["buckets"][-1]["end"] == "2026-10-26T00:00:00Z"
    assert len((await _occupancy(client, owner, store.id, date="2026-10-25"))["buckets"]) == 100

    # 29 March 2026: 01:00 GMT becomes 02:00 BST; 23 hours, 92 quarters, no 01:00.
    spring = await _occupancy(client, owner, store.id, date="2026-03-29", bucket="hour")
    assert len(spring["buckets"]) == 23
    assert [b["start"] for b in spring["buckets"][:2]] == [
        "2026-03-29T00:00:00Z",
        "2026-03-29T02:00:00+01:00",
    ]
    assert all(b["avg_occupancy"] is None for b in spring["buckets"])  # never watched that day
    assert len((await _occupancy(client, owner, store.id, date="2026-03-29"))["buckets"]) == 92


async def test_today_is_measured_up_to_the_slot_in_progress(
    session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="UTC")
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 14, 9), utc(2026, 1, 14, 12, 15))
    await add_events(session, cam, [(utc(2026, 1, 14, 12, 5), IN)])
    now = utc(2026, 1, 14, 12, 20)
    out = await service.occupancy(session, owner_of(owner.org), settings, store.id, None, "hour", now)
    assert out.date.isoformat() == "2026-01-14"  # the store's today
    assert out.as_of == utc(2026, 1, 14, 12, 15)  # the start of the slot in progress
    noon = out.buckets[12]
    # 12:00-12:15 is complete: 1 person for 600 of its 900 seconds.
    assert (noon.complete, noon.covered, noon.avg_occupancy, noon.peak_occupancy) == (False, True, 0.67, 1)
    assert noon.coverage == 1.0
    later = out.buckets[13]
    assert (later.complete, later.covered, later.avg_occupancy, later.peak_occupancy, later.coverage) == (
        False,
        False,
        None,
        None,
        None,
    )
    tomorrow = await service.occupancy(
        session, owner_of(owner.org), settings, store.id, date(2026, 1, 15), "15m", now
    )
    assert tomorrow.as_of == tomorrow.start  # nothing of it is known yet
    assert not any(b.complete or b.covered or b.avg_occupancy is not None for b in tomorrow.buckets)


class TestOccupancyRoute:
    async def test_no_credentials(
        self, client: httpx.AsyncClient, session: AsyncSession, owner: Owner
    ) -> None:
        store = await make_store(session, owner.org)
        assert (await client.get(f"/stores/{store.id}/occupancy")).status_code == 401

    async def test_another_organizations_store_is_not_found(
        self, client: httpx.AsyncClient, session: AsyncSession, owner: Owner
    ) -> None:
        other = await make_store(session, await make_org(session))
        response = await client.get(f"/stores/{other.id}/occupancy", headers=owner.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    async def test_bad_bucket_and_date(
        self, client: httpx.AsyncClient, session: AsyncSession, owner: Owner
    ) -> None:
        store = await make_store(session, owner.org)
        for bucket in ("day", "5m"):
            response = await client.get(
                f"/stores/{store.id}/occupancy", params={"bucket": bucket}, headers=owner.headers
            )
            assert response.status_code == 422
            assert response.json()["error"]["fields"][0]["field"] == "query.bucket"
        response = await client.get(
            f"/stores/{store.id}/occupancy", params={"date": "2026-02-30"}, headers=owner.headers
        )
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["field"] == "query.date"

    async def test_a_store_without_cameras_is_null_everywhere(
        self, client: httpx.AsyncClient, session: AsyncSession, owner: Owner
    ) -> None:
        store = await make_store(session, owner.org)
        body = await _occupancy(client, owner, store.id, date="2026-01-14", bucket="hour")
        assert {
            (b["avg_occupancy"], b["peak_occupancy"], b["coverage"], b["covered"]) for b in body["buckets"]
        } == {(None, None, None, False)}
