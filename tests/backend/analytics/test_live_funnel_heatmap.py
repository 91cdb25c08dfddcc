"""GET /live (through the service with a fixed `now`, and over HTTP), /funnel and /heatmap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import service
from backend.config import Settings
from backend.models import EventType, PosTransaction, ZoneKind
from tests.backend.analytics.conftest import Owner
from tests.backend.analytics.helpers import add_events, add_heartbeats, crossings, owner_of, utc
from tests.factories import make_camera, make_store, make_zone

IN, OUT, ENTER, EXIT = EventType.IN, EventType.OUT, EventType.ZONE_ENTER, EventType.ZONE_EXIT


async def test_live_occupancy_footfall_and_queue(
    session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Asia/Kolkata")
    now = utc(2026, 1, 14, 8)  # 13:30 IST
    door = (await make_camera(session, settings, store, last_heartbeat_at=now - timedelta(seconds=20))).camera
    till = (await make_camera(session, settings, store, counting=False)).camera
    billing = await make_zone(session, till, name="Till", kind=ZoneKind.BILLING)
    await crossings(session, door, utc(2026, 1, 13, 18, 10), IN, 9)  # 23:40 IST yesterday: not today
    await crossings(session, door, utc(2026, 1, 14, 4, 0), OUT, 2)  # 09:30 IST, nobody counted in yet
    await crossings(session, door, utc(2026, 1, 14, 5, 0), IN, 5)
    await crossings(session, door, utc(2026, 1, 14, 7, 50), OUT, 1)
    await add_events(session, till, [(utc(2026, 1, 14, 7, 40), ENTER)] * 3, zone_id=billing.id)
    await add_events(session, till, [(utc(2026, 1, 14, 7, 55), EXIT)], zone_id=billing.id, dwell_ms=60000)
    live = await service.live(session, owner_of(owner.org), settings, store.id, now=now)
    assert live.occupancy == 4  # max(0, 0 - 2) = 0, then + 5 - 1
    assert live.footfall_today == 5
    assert live.occupancy_since.isoformat() == "2026-01-14T00:00:00+05:30"
    assert live.queue_depth == 2
    assert [(q.name, q.people) for q in live.billing_zones] == [("Till", 2)]
    assert (live.cameras_online, live.cameras_offline) == (1, 1)
    assert live.last_event_at == utc(2026, 1, 14, 7, 55)
    # The door reported 20 s ago; the till camera never did, so its queue is its last known value.
    assert (live.occupancy_stale, live.occupancy_as_of) == (False, now - timedelta(seconds=20))
    assert (live.queue_stale, live.queue_as_of) == (True, None)
    assert [q.stale for q in live.billing_zones] == [True]


async def test_live_over_http(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org)
    await make_camera(session, settings, store)
    empty = await make_store(session, owner.org)
    body = (await client.get(f"/stores/{store.id}/live", headers=owner.headers)).json()
    assert (body["occupancy"], body["footfall_today"], body["cameras_offline"]) == (0, 0, 1)
    assert body["last_event_at"] is None
    body = (await client.get(f"/stores/{empty.id}/live", headers=owner.headers)).json()
    assert (body["occupancy"], body["footfall_today"], body["queue_depth"]) == (None, None, None)
    assert datetime.fromisoformat(body["as_of"]) <= datetime.now(UTC)


async def test_funnel_and_heatmap(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    store = await make_store(session, owner.org, timezone="Europe/London")
    door = (await make_camera(session, settings, store)).camera
    floor = (await make_camera(session, settings, store, counting=False)).camera
    shoes = await make_zone(session, floor, name="Shoes", kind=ZoneKind.PRODUCT)
    hats = await make_zone(session, floor, name="Hats", kind=ZoneKind.PRODUCT)
    till = await make_zone(session, floor, name="Till", kind=ZoneKind.BILLING)
    t = utc(2026, 1, 14, 12)
    for camera in (door, floor):
        await add_heartbeats(session, camera, utc(2026, 1, 14, 9), utc(2026, 1, 14, 21))
    await crossings(session, door, t, IN, 10)
    await add_events(session, floor, [(t, ENTER)] * 6, zone_id=shoes.id)
    for dwell in (10_000, 20_000, 30_000, 40_000):
        await add_events(session, floor, [(t, EXIT)], zone_id=shoes.id, dwell_ms=dwell)
    await add_events(session, floor, [(t, ENTER)] * 2, zone_id=hats.id)
    await add_events(session, floor, [(t, EXIT)], zone_id=hats.id, dwell_ms=60_000)
    await add_events(session, floor, [(t, ENTER)] * 4, zone_id=till.id)
    await add_events(session, floor, [(t - timedelta(days=1), ENTER)] * 7, zone_id=hats.id)  # another day
    for ext in ("p1", "p2"):
        session.add(
            PosTransaction(
                org_id=store.org_id,
                store_id=store.id,
                external_id=ext,
                ts=t,
                amount=Decimal("1.00"),
                currency="GBP",
            )
        )
    await session.flush()
    params = {"period": "day", "date": "2026-01-14"}
    funnel = (await client.get(f"/stores/{store.id}/funnel", params=params, headers=owner.headers)).json()
    assert [(s["stage"], s["count"], s["conversion_from_previous"]) for s in funnel["stages"]] == [
        ("entries", 10, None),
        ("zone_visitors", 8, 0.8),
        ("billing_visitors", 4, 0.5),
        ("transactions", 2, 0.5),
    ]
    assert funnel["overall_conversion"] == 0.2
    heat = (await client.get(f"/stores/{store.id}/heatmap", params=params, headers=owner.headers)).json()
    rows = [
        (z["name"], z["visits"], z["avg_dwell_s"], z["median_dwell_s"], z["share_of_visits"], z["popularity"])
        for z in heat["zones"]
    ]
    assert rows == [
        ("Hats", 2, 60.0, 60.0, 0.1667, 33),
        ("Shoes", 6, 25.0, 25.0, 0.5, 100),
        ("Till", 4, None, None, 0.3333, 67),
    ]
    empty = await make_store(session, owner.org)
    funnel = (await client.get(f"/stores/{empty.id}/funnel", params=params, headers=owner.headers)).json()
    assert [s["count"] for s in funnel["stages"]] == [None, None, None, None]
    heat = (await client.get(f"/stores/{empty.id}/heatmap", params=params, headers=owner.headers)).json()
    assert heat["zones"] == []


async def test_live_levels_in_sql_walk_the_occupancy_curve(
    session: AsyncSession, settings: Settings, owner: Owner
) -> None:
    """`repository.live_levels` (one statement, the reflection form) equals `kpi.OccupancyCurve` on the
    same events: OUTs at zero, an IN and an OUT at the same microsecond, events before the restart."""
    import random

    from backend.analytics import repository
    from backend.analytics.kpi import US, OccupancyCurve

    rng = random.Random(26)
    store = await make_store(session, owner.org)
    doors = [(await make_camera(session, settings, store)).camera for _ in range(2)]
    till = (await make_camera(session, settings, store, counting=False)).camera
    zones = [await make_zone(session, till, name=f"Till {n}", kind=ZoneKind.BILLING) for n in range(2)]
    midnight, restart, end = utc(2026, 3, 2), utc(2026, 3, 2, 2), utc(2026, 3, 2, 20)
    instants = [utc(2026, 3, 1, 23) + timedelta(seconds=rng.randrange(0, 21 * 3600, 300)) for _ in range(40)]
    crossings_sent: list[tuple[datetime, EventType]] = []
    for door in doors:
        batch = [(rng.choice(instants), rng.choice([IN, IN, OUT])) for _ in range(120)]
        await add_events(session, door, batch)
        crossings_sent += batch
    transitions_sent: dict[object, list[tuple[datetime, EventType]]] = {}
    for zone in zones:
        batch = [(rng.choice(instants), rng.choice([ENTER, EXIT, EXIT])) for _ in range(60)]
        await add_events(session, till, batch, zone_id=zone.id)
        transitions_sent[zone.id] = batch

    def level(events: list[tuple[datetime, EventType]], plus: EventType) -> int:
        steps = [
            (int(t.timestamp()) * US, 1 if kind is plus else -1) for t, kind in events if restart <= t < end
        ]
        return OccupancyCurve.build(steps, [int(restart.timestamp()) * US]).level_at(
            int(end.timestamp()) * US - 1
        )

    levels = await repository.live_levels(
        session,
        store,
        [d.id for d in doors],
        [z.id for z in zones],
        restart=restart,
        midnight=midnight,
        end=end,
    )
    assert levels.footfall == sum(1 for t, kind in crossings_sent if kind is IN and midnight <= t < end)
    assert levels.occupancy == level(crossings_sent, IN)
    assert levels.zone_people == {z.id: level(transitions_sent[z.id], ENTER) for z in zones}
    assert levels.occupancy > 0  # the case is not trivial: people are in
    assert any(kind is OUT for t, kind in crossings_sent if t < restart)  # and some came before the restart
