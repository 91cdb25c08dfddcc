"""The live view: occupancy, footfall so far today, billing-zone queues, last event and camera health."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import repository
from backend.analytics.context import DAY_S, StoreContext
from backend.analytics.kpi import SlotSeries, occupancy, reset_slots
from backend.analytics.schemas import CameraStatus, LiveOut, ZoneQueue
from backend.analytics.timegrid import SLOT_S, from_epoch
from backend.cameras.status import is_online
from backend.models import ZoneKind
from backend.stores.hours import open_intervals


def _people(counts: dict[int, tuple[int, int]], slots: range) -> int:
    """People present at the end of `slots`: occupancy of (in, out) counts per slot, clamped per slot."""
    series = SlotSeries(
        slots.start,
        [counts.get(s, (0, 0))[0] for s in slots],
        [counts.get(s, (0, 0))[1] for s in slots],
        [True] * len(slots),
        [0] * len(slots),
    )
    return occupancy(series)[1][-1]


def _cameras(ctx: StoreContext) -> list[CameraStatus]:
    """Every enabled camera online or offline as of `ctx.now` (`backend.cameras.status.is_online`)."""
    as_of = from_epoch(ctx.now)
    return [
        CameraStatus(
            id=c.id,
            name=c.name,
            is_counting_line=c.is_counting_line,
            status="online"
            if is_online(c.last_heartbeat_at, as_of, ctx.settings.camera_offline_after_s)
            else "offline",
            last_heartbeat_at=c.last_heartbeat_at,
        )
        for c in ctx.cameras
    ]


async def live(session: AsyncSession, ctx: StoreContext) -> LiveOut:
    """Current occupancy, footfall so far today, queue depth in billing zones, last event, camera health.

    `ctx.period` is the store's local today. Occupancy is IN - OUT of counting-line cameras since the
    occupancy restart (local midnight, or the close of an overnight interval running past it), clamped at
    zero per 15-minute slot (see `kpi.occupancy`), including the slot in progress. Footfall counts INs since
    local midnight. Occupancy and footfall are null when the store has no counting-line camera. A camera is
    online when its latest heartbeat is at most `camera_offline_after_s` old at `as_of`.
    """
    tz, now_s = ctx.tz, ctx.now
    today, midnight = ctx.period.first_day, ctx.period.start
    intervals = open_intervals(ctx.hours, tz, now_s - 3 * DAY_S, now_s + DAY_S)
    restart_slot = max(
        s for s in reset_slots(tz, intervals, today - timedelta(days=1), today) if s * SLOT_S <= now_s
    )
    since = min(restart_slot * SLOT_S, midnight)
    billing = [
        z for z in await repository.zones(session, ctx.store, ctx.camera_ids) if z.kind == ZoneKind.BILLING
    ]
    counts, zone_slots = await repository.live_counts(
        session,
        ctx.store,
        ctx.counting_ids,
        [z.id for z in billing],
        from_epoch(since),
        from_epoch(restart_slot * SLOT_S),
        from_epoch(now_s + 1),
    )
    slots = range(restart_slot, now_s // SLOT_S + 1)
    has_counting = bool(ctx.counting_ids)
    footfall = sum(n for s, (n, _) in counts.items() if s * SLOT_S >= midnight) if has_counting else None
    queues = [
        ZoneQueue(zone_id=zone.id, name=zone.name, people=_people(zone_slots.get(zone.id, {}), slots))
        for zone in billing
    ]
    statuses = _cameras(ctx)
    last_event = await repository.last_event_at(session, ctx.store)
    online = sum(1 for s in statuses if s.status == "online")
    return LiveOut(
        store_id=ctx.store.id,
        timezone=ctx.store.timezone,
        as_of=from_epoch(now_s, tz),
        occupancy=_people(counts, slots) if has_counting else None,
        occupancy_since=from_epoch(restart_slot * SLOT_S, tz),
        footfall_today=footfall,
        queue_depth=sum(q.people for q in queues) if queues else None,
        billing_zones=queues,
        last_event_at=last_event.astimezone(tz) if last_event else None,
        cameras_online=online,
        cameras_offline=len(statuses) - online,
        cameras=statuses,
    )
