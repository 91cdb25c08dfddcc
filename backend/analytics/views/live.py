"""The live view: occupancy, footfall so far today, billing-zone queues, last event and camera health."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import repository
from backend.analytics.context import DAY_S, StoreContext
from backend.analytics.kpi import reset_slots
from backend.analytics.schemas import CameraStatus, LiveOut, ZoneQueue
from backend.analytics.timegrid import SLOT_S, from_epoch
from backend.cameras.status import is_online
from backend.models import ZoneKind
from backend.stores.hours import open_intervals


def _cameras(ctx: StoreContext) -> list[CameraStatus]:
    """Every enabled camera online or offline as of `ctx.now` (`backend.cameras.status.is_online`), the
    stream status its worker last reported, its last heartbeat in store-local time."""
    as_of = from_epoch(ctx.now)
    return [
        CameraStatus(
            id=c.id,
            name=c.name,
            is_counting_line=c.is_counting_line,
            status="online"
            if is_online(
                c.last_heartbeat_at,
                as_of,
                ctx.settings.camera_offline_after_s,
                reported_stream_status=c.reported_stream_status,
            )
            else "offline",
            stream_status=c.reported_stream_status,
            last_heartbeat_at=c.last_heartbeat_at.astimezone(ctx.tz) if c.last_heartbeat_at else None,
        )
        for c in ctx.cameras
    ]


def _freshness(statuses: Sequence[CameraStatus], tz: ZoneInfo) -> tuple[bool, datetime | None]:
    """Whether a figure from these cameras is stale (one is offline) and the instant up to which all of
    them are known to have reported: their oldest last heartbeat (None when one never sent one)."""
    stale = any(s.status == "offline" for s in statuses)
    beats = [s.last_heartbeat_at for s in statuses]
    as_of = min(b for b in beats if b is not None) if beats and None not in beats else None
    return stale, as_of.astimezone(tz) if as_of is not None else None


async def live(session: AsyncSession, ctx: StoreContext) -> LiveOut:
    """Current occupancy, footfall so far today, queue depth in billing zones, last event, camera health.

    `ctx.period` is the store's local today; `as_of` is `ctx.now` (docs/analytics.md, live). Occupancy is
    the exact step function of the counting cameras' crossings since the last restart (local midnight, or
    the close of an overnight interval running past it; `kpi.OccupancyCurve`) at `as_of`, including the
    slot in progress; each billing zone's people the same of its ZONE_ENTER/ZONE_EXIT. Footfall counts
    every IN since local midnight. All three come from one statement (`repository.live_levels`). A figure
    is stale when a camera behind it is offline (`is_online`: a heartbeat at most `camera_offline_after_s`
    old), with `*_as_of` the oldest last heartbeat of those cameras. Occupancy and footfall are null
    without a counting-line camera, the queue without billing zones.
    """
    tz, now_s = ctx.tz, ctx.now
    today, midnight = ctx.period.first_day, ctx.period.start
    intervals = open_intervals(ctx.hours, tz, now_s - 3 * DAY_S, now_s + DAY_S)
    restart = SLOT_S * max(
        s for s in reset_slots(tz, intervals, today - timedelta(days=1), today) if s * SLOT_S <= now_s
    )
    billing = [
        z for z in await repository.zones(session, ctx.store, ctx.camera_ids) if z.kind == ZoneKind.BILLING
    ]
    levels = await repository.live_levels(
        session,
        ctx.store,
        ctx.counting_ids,
        [z.id for z in billing],
        restart=from_epoch(restart),
        midnight=from_epoch(midnight),
        end=from_epoch(now_s + 1),
    )
    has_counting = bool(ctx.counting_ids)
    statuses = _cameras(ctx)
    by_camera = {s.id: s for s in statuses}
    queues = [
        ZoneQueue(
            zone_id=zone.id,
            name=zone.name,
            people=levels.zone_people.get(zone.id, 0),
            stale=by_camera[zone.camera_id].status == "offline",
        )
        for zone in billing
    ]
    occupancy_stale, occupancy_as_of = _freshness([s for s in statuses if s.is_counting_line], tz)
    queue_stale, queue_as_of = _freshness(
        [by_camera[c] for c in dict.fromkeys(z.camera_id for z in billing)], tz
    )
    # Each camera's newest event time is kept on its row by ingestion (`Camera.last_event_at`).
    last_event = max((c.last_event_at for c in ctx.cameras if c.last_event_at is not None), default=None)
    online = sum(1 for s in statuses if s.status == "online")
    return LiveOut(
        store_id=ctx.store.id,
        timezone=ctx.store.timezone,
        as_of=from_epoch(now_s, tz),
        occupancy=levels.occupancy if has_counting else None,
        occupancy_since=from_epoch(restart, tz),
        occupancy_stale=has_counting and occupancy_stale,
        occupancy_as_of=occupancy_as_of if has_counting else None,
        footfall_today=levels.footfall if has_counting else None,
        queue_depth=sum(q.people for q in queues) if queues else None,
        queue_stale=bool(queues) and queue_stale,
        queue_as_of=queue_as_of if queues else None,
        billing_zones=queues,
        last_event_at=last_event.astimezone(tz) if last_event else None,
        cameras_online=online,
        cameras_offline=len(statuses) - online,
        cameras=statuses,
    )
