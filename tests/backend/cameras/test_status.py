"""Camera status (backend/cameras/status.py): a table of heartbeat situations and the status each gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.cameras.status import (
    CameraStatus,
    HeartbeatSample,
    StatusThresholds,
    camera_status,
    is_online,
    online_since,
    stale_reason,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LIMITS = StatusThresholds(offline_after_s=60, events_stalled_after_s=300)


def beat(
    age_s: float,
    *,
    fps: float = 9.5,
    frames: int = 6000,
    uptime: float = 630.0,
    stream: str = "ok",
    outbox: int = 0,
) -> HeartbeatSample:
    return HeartbeatSample(NOW - timedelta(seconds=age_s), fps, frames, uptime, stream, outbox)


PREVIOUS = beat(40, frames=5715, uptime=600.0)  # 30 s before the latest, 285 frames earlier


@pytest.mark.parametrize(
    ("last_age_s", "latest", "previous", "event_age_s", "expected", "reason"),
    [
        (None, None, None, None, CameraStatus.OFFLINE, None),  # never heard from
        (10, beat(10), PREVIOUS, 5, CameraStatus.ONLINE, None),
        (60, beat(60), PREVIOUS, 5, CameraStatus.ONLINE, None),  # exactly at the threshold
        (61, beat(61), PREVIOUS, 5, CameraStatus.OFFLINE, None),
        (10, None, None, None, CameraStatus.ONLINE, None),  # heartbeat time known, content pruned
        (10, beat(10, stream="reconnecting"), PREVIOUS, 5, CameraStatus.STALE, "stream_reconnecting"),
        (10, beat(10, stream="failed"), PREVIOUS, 5, CameraStatus.STALE, "stream_failed"),
        # Frames arrive but the image stopped changing (worker/source.py's frozen-stream check).
        (10, beat(10, stream="frozen"), PREVIOUS, 5, CameraStatus.STALE, "stream_frozen"),
        # The worker's final heartbeat on a clean stop: offline at once, not in 60 s.
        (2, beat(2, stream="stopped", outbox=0), PREVIOUS, 5, CameraStatus.OFFLINE, None),
        (10, beat(10, fps=0.0), PREVIOUS, 5, CameraStatus.STALE, "no_frames"),
        (10, beat(10, frames=5715), PREVIOUS, 5, CameraStatus.STALE, "frames_not_advancing"),
        # A restart resets frames_read: uptime went down, so it is not a stall.
        (10, beat(10, frames=100, uptime=12.0), PREVIOUS, 5, CameraStatus.ONLINE, None),
        (10, beat(10), None, 5, CameraStatus.ONLINE, None),  # first heartbeat: nothing to compare
        # Events pending in the outbox, none arrived for 301 s (> 300): stalled.
        (10, beat(10, outbox=42), PREVIOUS, 301, CameraStatus.STALE, "events_stalled"),
        (10, beat(10, outbox=42), PREVIOUS, 299, CameraStatus.ONLINE, None),
        (10, beat(10, outbox=42), PREVIOUS, None, CameraStatus.STALE, "events_stalled"),
        # No events for hours but nothing pending: a quiet store, not a stale camera.
        (10, beat(10, outbox=0), PREVIOUS, 7200, CameraStatus.ONLINE, None),
        # Catching up after an outage: thousands waiting, but batches arrive (the event *times* in them
        # are hours old; only arrival is compared): online.
        (10, beat(10, outbox=12_000), PREVIOUS, 3, CameraStatus.ONLINE, None),
    ],
)
def test_camera_status(
    last_age_s: float | None,
    latest: HeartbeatSample | None,
    previous: HeartbeatSample | None,
    event_age_s: float | None,
    expected: CameraStatus,
    reason: str | None,
) -> None:
    # event_age_s: seconds since a batch of events last *arrived* (Camera.last_event_received_at).
    last_at = None if last_age_s is None else NOW - timedelta(seconds=last_age_s)
    event_at = None if event_age_s is None else NOW - timedelta(seconds=event_age_s)
    assert camera_status(last_at, latest, previous, event_at, NOW, LIMITS) is expected
    if latest is not None and expected is not CameraStatus.OFFLINE:
        assert stale_reason(latest, previous, event_at, NOW, LIMITS.events_stalled_after_s) == reason


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (None, False),  # never heard from
        (timedelta(0), True),
        (timedelta(seconds=60), True),  # exactly at the threshold
        (timedelta(seconds=60, microseconds=1), False),
        (timedelta(seconds=-5), True),  # a heartbeat stamped after `now` (clock skew)
    ],
)
def test_is_online_is_a_heartbeat_at_most_the_threshold_old(age: timedelta | None, expected: bool) -> None:
    last_at = None if age is None else NOW - age
    assert is_online(last_at, NOW, 60, reported_stream_status="ok") is expected
    assert is_online(last_at, NOW, 60, reported_stream_status="stopped") is False
    # The same rule as the admin status and as the SQL bound (`last_heartbeat_at >= online_since`).
    assert (camera_status(last_at, None, None, None, NOW, LIMITS) is CameraStatus.ONLINE) is expected
    assert (last_at is not None and last_at >= online_since(NOW, 60)) is expected
