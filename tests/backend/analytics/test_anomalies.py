"""GET /stores/{id}/anomalies: an outage is an outage, not a footfall drop; a real drop is; imbalance."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import EventType
from tests.backend.analytics.conftest import Owner
from tests.backend.analytics.helpers import add_heartbeats, crossings, utc
from tests.factories import make_camera, make_store

IN, OUT = EventType.IN, EventType.OUT


@pytest.mark.parametrize("outage", [True, False])
async def test_outage_versus_real_footfall_drop(
    outage: bool, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    cam = (await make_camera(session, settings, store, name="Door")).camera
    day = utc(2026, 1, 28)  # a Wednesday; baselines are the four Wednesdays before
    for weeks in range(5):
        d = day - timedelta(weeks=weeks)
        if weeks == 0 and outage:
            await add_heartbeats(session, cam, d + timedelta(hours=9), d + timedelta(hours=13))
            await add_heartbeats(session, cam, d + timedelta(hours=14), d + timedelta(hours=21))
        else:
            await add_heartbeats(session, cam, d + timedelta(hours=9), d + timedelta(hours=21))
        for hour in range(10, 17):
            if weeks == 0 and hour == 13:
                continue  # nobody counted at 13:00 on the day
            await crossings(session, cam, d + timedelta(hours=hour, minutes=5), IN, 20)
            await crossings(session, cam, d + timedelta(hours=hour, minutes=35), OUT, 20)
    response = await client.get(
        f"/stores/{store.id}/anomalies", params={"period": "day", "date": "2026-01-28"}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    found = response.json()["anomalies"]
    types = [a["type"] for a in found]
    if outage:
        assert types == ["camera_offline"]
        [a] = found
        assert (a["start"], a["end"]) == ("2026-01-28T13:00:00Z", "2026-01-28T14:00:00Z")
        assert a["severity"] == "medium"  # an hour; a counting camera
        assert (a["observed"], a["expected"]) == (0.0, 120.0)
        assert a["subject_name"] == "Door"
        dashboard = (
            await client.get(
                f"/stores/{store.id}/dashboard", params={"date": "2026-01-28"}, headers=owner.headers
            )
        ).json()
        assert dashboard["coverage"]["value"] == round(11 / 12, 4)
    else:
        assert types == ["footfall_drop"]
        [a] = found
        assert (a["start"], a["observed"], a["expected"]) == ("2026-01-28T13:00:00Z", 0.0, 20.0)
        assert a["severity"] == "high"


async def test_missing_outs_fire_the_imbalance_anomaly(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 14, 9), utc(2026, 1, 14, 21))
    await crossings(session, cam, utc(2026, 1, 14, 10), IN, 25)
    await crossings(session, cam, utc(2026, 1, 14, 11), OUT, 7)  # 18 OUT crossings were missed
    found = (
        await client.get(
            f"/stores/{store.id}/anomalies", params={"date": "2026-01-14"}, headers=owner.headers
        )
    ).json()["anomalies"]
    assert [(a["type"], a["severity"], a["observed"], a["expected"]) for a in found] == [
        ("in_out_imbalance", "high", 7.0, 25.0)
    ]
    assert found[0]["message"].endswith("the counting line may need calibration.")


async def test_empty_store_has_no_anomalies_but_a_silent_camera_is_reported(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org)
    params = {"date": "2026-01-14"}
    empty = await client.get(f"/stores/{store.id}/anomalies", params=params, headers=owner.headers)
    assert empty.json()["anomalies"] == []
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 13, 9), utc(2026, 1, 13, 10))  # set up the day before
    found = (await client.get(f"/stores/{store.id}/anomalies", params=params, headers=owner.headers)).json()
    assert [(a["type"], a["severity"]) for a in found["anomalies"]] == [("camera_offline", "high")]
    assert found["anomalies"][0]["start"] == "2026-01-14T09:00:00Z"
    assert found["anomalies"][0]["end"] == "2026-01-14T21:00:00Z"
