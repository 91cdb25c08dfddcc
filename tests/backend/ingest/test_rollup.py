"""The line-crossing roll-up footfall reads equals counting the stored events, whatever the worker retries.

Through the real route on a fresh database of each kind (real commits and real concurrency, not the shared
test transaction): batches of IN, OUT and zone events around slot boundaries, each posted twice at once (a
retry racing its original), some re-sent later with new events mixed in, one with events the ingestion
rejects. Afterwards every `(camera, slot)` of the roll-up must equal a count of the stored events, and
the total must equal the distinct crossings that were sent.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from backend import migrate
from backend.models import Event, EventType, LineCrossingSlot
from storeintel_app import create_app
from tests.backend.ingest.helpers import event, wire_ts
from tests.conftest import settings_for
from tests.factories import CameraWithKey, make_camera, make_org, make_store, make_zone


def _batches(
    rng: random.Random, zone_ids: dict[str, str], cams: list[CameraWithKey]
) -> list[tuple[CameraWithKey, list[dict[str, object]]]]:
    """Batches of 40 events per camera within the last two hours, a third of them on or a microsecond
    before a slot boundary."""
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    batches = []
    for n in range(12):
        cam = cams[n % len(cams)]
        events = []
        for _ in range(40):
            boundary = base + timedelta(minutes=15 * rng.randrange(8))
            ts = rng.choice(
                [
                    boundary,
                    boundary - timedelta(microseconds=1),
                    base + timedelta(seconds=rng.uniform(0, 7000)),
                ]
            )
            kind = rng.choice(["IN", "IN", "OUT", "OUT", "ZONE_ENTER", "ZONE_EXIT"])
            zone = zone_ids[str(cam.camera.id)] if kind.startswith("ZONE") else None
            events.append(event(type=kind, ts=wire_ts(ts), zone_id=zone, tracker_id=rng.randrange(100)))
        batches.append((cam, events))
    return batches


async def test_the_roll_up_equals_the_stored_events_through_retries_and_races(
    empty_database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(empty_database_url, tmp_path)
    app = create_app(settings)
    rng = random.Random(26)
    async with app.router.lifespan_context(app):
        await migrate.upgrade(app.state.engine)
        async with app.state.sessionmaker() as session:
            store = await make_store(session, await make_org(session))
            cams = [await make_camera(session, settings, store) for _ in range(2)]
            zone_ids = {str(c.camera.id): str((await make_zone(session, c.camera)).id) for c in cams}
            await session.commit()
        batches = _batches(rng, zone_ids, cams)
        sent: set[tuple[str, str, str, str]] = set()  # (camera, event id, type, ts) of crossings sent
        for cam, events in batches:
            sent |= {
                (str(cam.camera.id), str(e["event_id"]), str(e["type"]), str(e["ts"]))
                for e in events
                if e["type"] in ("IN", "OUT")
            }
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

            async def post(cam: CameraWithKey, events: list[dict[str, object]]) -> httpx.Response:
                return await client.post("/worker/events", json={"events": events}, headers=cam.headers)

            # Each batch twice at once: the retry races its original.
            first = await asyncio.gather(*(post(c, b) for c, b in batches for _ in range(2)))
            assert [r.status_code for r in first] == [200] * len(first)
            # Later resends mix old events with new ones, and events the ingestion rejects.
            old_ts = wire_ts(datetime.now(UTC) - timedelta(days=60))
            for cam, events in batches[:4]:
                fresh = _batches(rng, zone_ids, [cam])[0][1][:5]
                sent |= {
                    (str(cam.camera.id), str(e["event_id"]), str(e["type"]), str(e["ts"]))
                    for e in fresh
                    if e["type"] in ("IN", "OUT")
                }
                too_old = event(type="IN", ts=old_ts)
                response = await post(cam, [*events[::3], *fresh, too_old])
                assert response.status_code == 200, response.text
                assert [r["index"] for r in response.json()["rejected"]] == [len(events[::3]) + 5]

        async with app.state.sessionmaker() as session:
            stored = (
                await session.execute(
                    select(Event.camera_id, Event.type, Event.ts).where(
                        Event.type.in_([EventType.IN, EventType.OUT])
                    )
                )
            ).all()
            rolled = (
                await session.execute(
                    select(
                        LineCrossingSlot.camera_id,
                        LineCrossingSlot.slot_start,
                        LineCrossingSlot.in_count,
                        LineCrossingSlot.out_count,
                    )
                )
            ).all()
    counted: Counter[tuple[object, datetime, str]] = Counter(
        (camera, _quarter_hour(ts), str(kind)) for camera, kind, ts in stored
    )
    expected = {
        (camera, slot): (counted[(camera, slot, "IN")], counted[(camera, slot, "OUT")])
        for camera, slot, _ in counted
    }
    assert {(camera, slot): (i, o) for camera, slot, i, o in rolled} == expected
    assert len(stored) == len(sent)  # every crossing sent stored once
    assert sum(i + o for _, _, i, o in rolled) == len(sent)


def _quarter_hour(ts: datetime) -> datetime:
    """The UTC quarter hour holding `ts`, worked out on the clock face (09:14:59.999999 is 09:00)."""
    return ts.astimezone(UTC).replace(minute=ts.minute // 15 * 15, second=0, microsecond=0)
