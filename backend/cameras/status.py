"""Camera health status (online, stale, offline) from heartbeats and events: pure code, no I/O.

The one home of the online/offline rule (`is_online`): the admin health view (`camera_status`), the owner
`/live` camera list, the store list's camera counts and `/metrics` (`online_clause`, its SQL form) all
decide with it. Every time here is an *arrival* time at the backend (UTC), never a time the worker put on
its data: a replayed recording or a worker catching up after an outage sends old event times while it is
working normally. Definitions (thresholds are settings):

- **offline**: no live heartbeat ever, or none for longer than `offline_after_s` (default 60 s, two
  heartbeat intervals), or the latest live heartbeat reported `stream_status` `stopped` (the worker's
  final heartbeat on a clean stop): `is_online` is False.
- **stale**: heartbeats arrive but the camera is not producing: the latest heartbeat reports
  `stream_status` other than `ok` (`reconnecting`, `failed`, `frozen`: the image stopped changing), or
  `fps` of 0, or `frames_read` did not advance since the previous heartbeat of the same worker process
  (same process: uptime grew), or the worker holds undelivered events (`outbox_depth > 0`) while no batch
  of events has *arrived* for longer than `events_stalled_after_s`.
- **online**: otherwise. A worker catching up (events waiting, batches arriving) is online.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import BindParameter, ColumnElement, and_, func

from backend.models import Camera, StreamStatus


class CameraStatus(StrEnum):
    """A camera's health as derived by `camera_status`."""

    ONLINE = "online"
    STALE = "stale"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class HeartbeatSample:
    """The parts of one heartbeat that decide the status. `received_at` is UTC; `fps` frames per second."""

    received_at: datetime
    fps: float
    frames_read: int
    uptime_s: float
    stream_status: str
    outbox_depth: int


@dataclass(frozen=True, slots=True)
class StatusThresholds:
    """Seconds: no heartbeat for longer than `offline_after_s` is offline; events pending for longer than
    `events_stalled_after_s` without one arriving is stale."""

    offline_after_s: float
    events_stalled_after_s: float


def online_since(now: datetime, offline_after_s: float) -> datetime:
    """The earliest heartbeat time (UTC) that still counts as online at `now`: `now - offline_after_s`.

    Also the bound of the SQL form of `is_online` (`last_heartbeat_at >= online_since(...)`), used where
    cameras are counted in the database rather than loaded.
    """
    return now - timedelta(seconds=offline_after_s)


def is_online(
    last_heartbeat_at: datetime | None,
    now: datetime,
    offline_after_s: float,
    *,
    reported_stream_status: str | None,
) -> bool:
    """Whether a camera whose latest live heartbeat was received at `last_heartbeat_at` (UTC, None when it
    never sent one) and reported `reported_stream_status` (`Camera.reported_stream_status`) is online at
    `now`: a heartbeat at most `offline_after_s` seconds old that did not announce a clean stop.

    Example: heartbeat 60 s before `now`, threshold 60 s → True; 60.001 s → False; never → False; 5 s
    ago but `stopped` → False.
    """
    return (
        last_heartbeat_at is not None
        and last_heartbeat_at >= online_since(now, offline_after_s)
        and reported_stream_status != StreamStatus.STOPPED
    )


def online_clause(since: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """`is_online` as a SQL condition on `cameras` (never NULL), for counting cameras in the database.

    `since` is `online_since(now, offline_after_s)` (UTC), or a bind parameter that will carry it (for a
    statement built once and run many times).
    """
    return and_(
        func.coalesce(Camera.last_heartbeat_at >= since, False),
        func.coalesce(Camera.reported_stream_status != StreamStatus.STOPPED, True),
    )


def stale_reason(
    latest: HeartbeatSample,
    previous: HeartbeatSample | None,
    last_event_received_at: datetime | None,
    now: datetime,
    events_stalled_after_s: float,
) -> str | None:
    """Why a camera that still sends heartbeats is stale, or None when it is producing.

    `last_event_received_at` is when a batch of events last arrived (UTC, `Camera.last_event_received_at`).
    Returns one of `stream_<status>` (`stream_reconnecting`, `stream_failed`, `stream_frozen`), `no_frames`
    (fps is 0), `frames_not_advancing`, `events_stalled`.
    """
    if latest.stream_status != "ok":
        return f"stream_{latest.stream_status}"
    if latest.fps <= 0:
        return "no_frames"
    # A restart resets the counters (uptime goes down); only compare heartbeats of one process.
    if (
        previous is not None
        and latest.uptime_s > previous.uptime_s
        and latest.frames_read <= previous.frames_read
    ):
        return "frames_not_advancing"
    if latest.outbox_depth > 0 and (
        last_event_received_at is None
        or (now - last_event_received_at).total_seconds() > events_stalled_after_s
    ):
        return "events_stalled"
    return None


def camera_status(
    last_heartbeat_at: datetime | None,
    latest: HeartbeatSample | None,
    previous: HeartbeatSample | None,
    last_event_received_at: datetime | None,
    now: datetime,
    thresholds: StatusThresholds,
) -> CameraStatus:
    """The camera's status at `now` (all datetimes timezone-aware UTC).

    Args:
        last_heartbeat_at: when the latest live heartbeat was received (`Camera.last_heartbeat_at`).
        latest: that heartbeat's content, or None when unknown (then a recent heartbeat means online).
        previous: the heartbeat before it, or None.
        last_event_received_at: when a batch of events last arrived (`Camera.last_event_received_at`).
        now: the reference time.
        thresholds: see `StatusThresholds`.

    Example: a heartbeat 20 s ago reporting fps 9.5 and frames advancing, no events pending → online;
    the same 90 s ago (threshold 60 s) → offline; the same 5 s ago reporting `stopped` → offline.
    """
    reported = latest.stream_status if latest is not None else None
    if not is_online(last_heartbeat_at, now, thresholds.offline_after_s, reported_stream_status=reported):
        return CameraStatus.OFFLINE
    if latest is None:
        return CameraStatus.ONLINE
    if stale_reason(latest, previous, last_event_received_at, now, thresholds.events_stalled_after_s):
        return CameraStatus.STALE
    return CameraStatus.ONLINE
