"""GET /stores/{id}/dashboard, hand-computed: Little's law, clamping, coverage, overnight hours."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import EventType, PosTransaction
from tests.backend.analytics.conftest import Owner
from tests.backend.analytics.helpers import add_events, add_heartbeats, crossings, utc
from tests.factories import make_camera, make_store

IN, OUT = EventType.IN, EventType.OUT


async def test_day_figures_against_the_previous_day(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")  # UTC+0 in January, open 9-21
    cam = (await make_camera(session, settings, store)).camera
    for day in (13, 14):
        await add_heartbeats(session, cam, utc(2026, 1, day, 8), utc(2026, 1, day, 22))
    # 14 January: occupancy at slot ends 10:00→4, 10:30→3, 11:00→1, 12:00→3, 13:00→0.
    await crossings(session, cam, utc(2026, 1, 14, 10, 1), IN, 4)
    await crossings(session, cam, utc(2026, 1, 14, 10, 31), OUT, 1)
    await crossings(session, cam, utc(2026, 1, 14, 11, 2), OUT, 2)
    await crossings(session, cam, utc(2026, 1, 14, 12, 5), IN, 2)
    await crossings(session, cam, utc(2026, 1, 14, 13, 5), OUT, 3)
    # 13 January: 2 in at 10:00, 2 out at 11:00.
    await crossings(session, cam, utc(2026, 1, 13, 10, 1), IN, 2)
    await crossings(session, cam, utc(2026, 1, 13, 11, 1), OUT, 2)
    for ext, ts in (
        ("a", utc(2026, 1, 14, 10, 20)),
        ("b", utc(2026, 1, 14, 12, 40)),
        ("c", utc(2026, 1, 14, 13)),
    ):
        session.add(
            PosTransaction(
                org_id=store.org_id,
                store_id=store.id,
                external_id=ext,
                ts=ts,
                amount=Decimal("9.99"),
                currency="GBP",
            )
        )
    session.add(
        PosTransaction(
            org_id=store.org_id,
            store_id=store.id,
            external_id="d",
            ts=utc(2026, 1, 13, 10, 30),
            amount=Decimal("5.00"),
            currency="GBP",
        )
    )
    await session.flush()

    response = await client.get(
        f"/stores/{store.id}/dashboard", params={"period": "day", "date": "2026-01-14"}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"]["start"] == "2026-01-14T00:00:00Z" or body["period"]["start"].startswith(
        "2026-01-14T00:00:00"
    )
    assert body["footfall"] == {"value": 6, "previous": 2, "delta": 4, "change_pct": 200.0}
    assert body["exits"]["value"] == 6
    # ∫occupancy = 1800+3600+3150+2700+1800+2700+1800+8100+1350 = 27000 person-s over 43200 open s.
    # Occupancy steps at the crossings themselves: 1, 2, 3, 4 at 10:01:00..03, 3 at 10:31:00, 2 and 1 at
    # 11:02:00/01, 2 and 3 at 12:05:00/01, 2, 1, 0 at 13:05:00..02. ∫ = 1 + 2 + 3 + 4 * 1797 + 3 * 1860
    # + 2 + 1 * 3779 + 2 + 3 * 3599 + 2 + 1 = 27357 person-seconds over 43200 open seconds.
    assert body["avg_occupancy"]["value"] == round(27357 / 43200, 2) == 0.63
    # 13 January: 1 + 2 * 3599 + 1 = 7200 person-seconds.
    assert body["avg_occupancy"]["previous"] == 0.17  # 7200 / 43200
    # Little's law: 27357 person-seconds / 6 entries; previous 7200 / 2.
    assert body["avg_dwell_s"] == {"value": 4559.5, "previous": 3600.0, "delta": 959.5, "change_pct": 26.65}
    assert body["peak_occupancy"]["value"] == 4
    assert body["peak_occupancy_at"] == "2026-01-14T10:01:03Z"  # the instant the fourth person came in
    assert body["busiest_hour"].startswith("2026-01-14T10:00:00")
    assert body["busiest_hour_entries"] == 4
    assert body["transactions"]["value"] == 3
    assert body["conversion_rate"] == {"value": 0.5, "previous": 0.5, "delta": 0.0, "change_pct": 0.0}
    assert body["coverage"]["value"] == 1.0


async def test_outage_lowers_coverage(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 14, 8), utc(2026, 1, 14, 13))
    await add_heartbeats(session, cam, utc(2026, 1, 14, 14), utc(2026, 1, 14, 22))
    await crossings(session, cam, utc(2026, 1, 14, 10), IN, 3)
    body = (
        await client.get(
            f"/stores/{store.id}/dashboard", params={"date": "2026-01-14"}, headers=owner.headers
        )
    ).json()
    assert body["coverage"]["value"] == round(11 / 12, 4)
    assert body["coverage"]["previous"] is None  # before the camera's first heartbeat: nothing measured
    assert body["footfall"]["previous"] is None  # no data is null, never zero
    assert body["footfall"]["delta"] is None
    assert body["transactions"]["value"] is None  # no POS data at all
    assert body["conversion_rate"]["value"] is None


async def test_occupancy_clamps_at_zero_when_outs_come_first(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 14, 9), utc(2026, 1, 14, 21))
    await crossings(session, cam, utc(2026, 1, 14, 10, 1), OUT, 2)  # their IN was missed
    await crossings(session, cam, utc(2026, 1, 14, 10, 16), IN, 25)
    await crossings(session, cam, utc(2026, 1, 14, 11, 1), OUT, 5)
    body = (
        await client.get(
            f"/stores/{store.id}/dashboard", params={"date": "2026-01-14"}, headers=owner.headers
        )
    ).json()
    # Without the clamp the 25th IN would leave 23 inside.
    assert body["peak_occupancy"]["value"] == 25
    assert body["peak_occupancy_at"] == "2026-01-14T10:16:24Z"
    # ∫ = (1 + ... + 24) * 1 s + 25 * 2676 s (10:16:24-11:01:00) + (24 + 23 + 22 + 21) * 1 s
    #   + 20 * 35936 s (11:01:04-21:00) = 300 + 66900 + 90 + 718720 = 786010 person-seconds.
    assert body["avg_occupancy"]["value"] == round(786010 / 43200, 2) == 18.19
    assert body["avg_dwell_s"]["value"] == round(786010 / 25, 1)
    assert body["coverage"]["value"] == 1.0


async def test_crossings_without_coverage_are_not_measured(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    cam = (await make_camera(session, settings, store)).camera
    await crossings(session, cam, utc(2026, 1, 14, 10, 1), IN, 3)  # no heartbeat: nobody vouches for them
    body = (
        await client.get(
            f"/stores/{store.id}/dashboard", params={"date": "2026-01-14"}, headers=owner.headers
        )
    ).json()
    assert body["footfall"]["value"] is None
    assert body["peak_occupancy"]["value"] is None
    assert body["coverage"]["value"] is None  # the camera never reported: not set up for analytics yet


async def test_overnight_interval_carries_occupancy_past_midnight(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(
        session, owner.org, timezone="Europe/London", opening_hours={"fri": [["18:00", "02:00"]]}
    )
    cam = (await make_camera(session, settings, store)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 16, 17), utc(2026, 1, 17, 3))
    await crossings(session, cam, utc(2026, 1, 16, 23, 1), IN, 3)  # Friday night
    await crossings(session, cam, utc(2026, 1, 17, 1, 1), OUT, 3)  # Saturday 01:00
    body = (
        await client.get(
            f"/stores/{store.id}/dashboard", params={"date": "2026-01-17"}, headers=owner.headers
        )
    ).json()
    # Saturday's open hours are 00:00-02:00 (Friday's interval); the 3 guests are still inside at midnight.
    # ∫ = 3 * 3660 s (00:00-01:01:00) + 2 * 1 s + 1 * 1 s = 10983 person-seconds over 7200 open seconds.
    assert body["avg_occupancy"]["value"] == round(10983 / 7200, 2) == 1.53
    assert body["peak_occupancy"]["value"] == 3
    assert body["footfall"]["value"] == 0
    assert body["exits"]["value"] == 3
    assert body["avg_dwell_s"]["value"] is None  # no entries during Saturday's open hours


async def test_empty_store_is_null_not_zero_and_quiet_store_is_zero(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    empty = await make_store(session, owner.org)
    body = (
        await client.get(
            f"/stores/{empty.id}/dashboard", params={"date": "2026-01-14"}, headers=owner.headers
        )
    ).json()
    for name in ("footfall", "exits", "avg_occupancy", "peak_occupancy", "avg_dwell_s", "conversion_rate"):
        assert body[name]["value"] is None, name
    assert body["busiest_hour"] is None
    assert body["coverage"]["value"] is None  # no camera: not measured, not "0 % watched"

    quiet = await make_store(session, owner.org)
    cam = (await make_camera(session, settings, quiet)).camera
    await add_heartbeats(session, cam, utc(2026, 1, 14, 9), utc(2026, 1, 14, 21))
    body = (
        await client.get(
            f"/stores/{quiet.id}/dashboard", params={"date": "2026-01-14"}, headers=owner.headers
        )
    ).json()
    assert body["footfall"]["value"] == 0
    assert body["avg_occupancy"]["value"] == 0.0
    assert body["peak_occupancy"]["value"] == 0
    assert body["avg_dwell_s"]["value"] is None
    assert body["busiest_hour"] is None
    assert body["coverage"]["value"] == 1.0


async def test_week_and_month_periods_and_bad_period(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org)
    cam = (await make_camera(session, settings, store)).camera
    for day in (12, 18, 19):  # watched only on the days people came; the rest of the month is not measured
        await add_heartbeats(session, cam, utc(2026, 1, day, 9), utc(2026, 1, day, 21))
    await crossings(session, cam, utc(2026, 1, 12, 10), IN, 1)  # Monday
    await crossings(session, cam, utc(2026, 1, 18, 20), IN, 2)  # Sunday, same ISO week
    await crossings(session, cam, utc(2026, 1, 19, 10), IN, 4)  # next Monday
    week = (
        await client.get(
            f"/stores/{store.id}/dashboard",
            params={"period": "week", "date": "2026-01-14"},
            headers=owner.headers,
        )
    ).json()
    assert (week["period"]["first_day"], week["period"]["last_day"]) == ("2026-01-12", "2026-01-18")
    assert week["footfall"]["value"] == 3
    assert week["coverage"]["value"] == round(2 / 7, 4)
    month = (
        await client.get(
            f"/stores/{store.id}/dashboard",
            params={"period": "month", "date": "2026-01-31"},
            headers=owner.headers,
        )
    ).json()
    assert month["footfall"]["value"] == 7
    assert (month["previous_period"]["first_day"], month["previous_period"]["last_day"]) == (
        "2025-12-01",
        "2025-12-31",
    )
    bad = await client.get(f"/stores/{store.id}/dashboard", params={"period": "year"}, headers=owner.headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "query.period"


async def test_previous_day_after_a_fall_back_day_carries_its_overnight_guests(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(
        session, owner.org, timezone="Europe/London", opening_hours={"sun": [["18:00", "02:00"]]}
    )
    cam = (await make_camera(session, settings, store)).camera
    # Sunday 25 October 2026 has 25 hours (from 23:00Z); Monday's midnight lies in Sunday's 18:00-02:00,
    # so Monday restarts at 02:00 and the guest who came in at 00:30 BST on Sunday (OUT missed) is
    # still counted on Monday 00:00-02:00, Monday's only open hours.
    await add_heartbeats(session, cam, utc(2026, 10, 24, 23), utc(2026, 10, 26, 3))
    await add_events(session, cam, [(utc(2026, 10, 24, 23, 30), IN)])
    monday = (
        await client.get(
            f"/stores/{store.id}/dashboard", params={"date": "2026-10-26"}, headers=owner.headers
        )
    ).json()
    tuesday = (
        await client.get(
            f"/stores/{store.id}/dashboard", params={"date": "2026-10-27"}, headers=owner.headers
        )
    ).json()
    # The same day read as the period and as the previous period: 24 hours back from Monday's midnight
    # would start reading crossings at 01:00 BST on Sunday and miss the guest.
    assert monday["avg_occupancy"]["value"] == tuesday["avg_occupancy"]["previous"] == 1.0
    hours = (
        await client.get(
            f"/stores/{store.id}/occupancy",
            params={"date": "2026-10-26", "bucket": "hour"},
            headers=owner.headers,
        )
    ).json()["buckets"]
    assert [b["avg_occupancy"] for b in hours[:3]] == [1.0, 1.0, None]
