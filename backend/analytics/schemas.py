"""Response bodies of the analytics routes. Times are store-local ISO 8601 with their UTC offset.

Every figure that cannot be known (no data, no POS data, division by zero) is null, never zero.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from backend.models.enums import StreamStatus

PeriodKind = Literal["day", "week", "month"]
OccupancyBucketKind = Literal["15m", "hour"]


class PeriodOut(BaseModel):
    """Store-local days `first_day..last_day` (inclusive) and the instants they span."""

    kind: PeriodKind
    first_day: date
    last_day: date
    start: datetime
    end: datetime


class CameraStatus(BaseModel):
    """A camera's health now: online when its last heartbeat is within the offline threshold (and it did not
    report a clean stop); `stream_status` is what its worker last reported of the video: `ok`,
    `reconnecting` or `failed` (the stream is lost), `frozen` (frames arrive but the picture stopped
    changing: nothing can be counted), `stopped` (its worker was shut down); null before its first
    heartbeat."""

    id: uuid.UUID
    name: str
    is_counting_line: bool
    status: Literal["online", "offline"]
    stream_status: StreamStatus | None
    last_heartbeat_at: datetime | None


class ZoneQueue(BaseModel):
    """People in one billing zone now (its ZONE_ENTER/ZONE_EXIT since the occupancy restart, never below 0);
    `stale` when the zone's camera is offline (the figure is its last known value)."""

    zone_id: uuid.UUID
    name: str
    people: int
    stale: bool


class LiveOut(BaseModel):
    """GET /stores/{id}/live."""

    store_id: uuid.UUID
    timezone: str
    as_of: datetime
    occupancy: int | None
    occupancy_since: datetime
    occupancy_stale: bool
    occupancy_as_of: datetime | None
    footfall_today: int | None
    queue_depth: int | None
    queue_stale: bool
    queue_as_of: datetime | None
    billing_zones: list[ZoneQueue]
    last_event_at: datetime | None
    cameras_online: int
    cameras_offline: int
    cameras: list[CameraStatus]


class Figure(BaseModel):
    """A figure, the previous period's, their difference and the relative change in percent."""

    value: float | None
    previous: float | None
    delta: float | None
    change_pct: float | None


class CountFigure(BaseModel):
    """A count (people, crossings, transactions) against the previous period's: integers in JSON."""

    value: int | None
    previous: int | None
    delta: int | None
    change_pct: float | None


class DashboardOut(BaseModel):
    """GET /stores/{id}/dashboard. Counts are people; occupancy people; dwell seconds; rates 0..1."""

    store_id: uuid.UUID
    timezone: str
    period: PeriodOut
    previous_period: PeriodOut
    complete_until: datetime | None
    footfall: CountFigure
    exits: CountFigure
    avg_occupancy: Figure
    peak_occupancy: CountFigure
    peak_occupancy_at: datetime | None
    avg_dwell_s: Figure
    busiest_hour: datetime | None
    busiest_hour_entries: int | None
    transactions: CountFigure
    conversion_rate: Figure
    coverage: Figure


class FootfallBucket(BaseModel):
    """One local bucket: crossings in its covered time (null when none of it was covered), the covered
    share of its open time (0..1), whether it was fully covered, whether it has ended, and the seconds of
    it in which the store is open by its opening hours (0 for a closed bucket)."""

    start: datetime
    end: datetime
    in_count: int | None
    out_count: int | None
    covered: bool
    complete: bool
    coverage: float | None
    open_s: int


class FootfallOut(BaseModel):
    """GET /stores/{id}/footfall."""

    store_id: uuid.UUID
    timezone: str
    bucket: Literal["15m", "hour", "day"]
    start: datetime
    end: datetime
    buckets: list[FootfallBucket]


class OccupancyBucket(BaseModel):
    """One store-local bucket of the occupancy curve, over its complete part (docs/analytics.md,
    occupancy over the day).

    avg_occupancy: people, ∫ o(t) dt over the bucket's measured open time M ÷ |M| (2 decimals); null
    when M is empty (nothing covered, or closed). peak_occupancy: people, the highest o(t) over the
    bucket's covered time C (null when none of it was covered). coverage: |M| ÷ the bucket's open seconds
    (0..1, 4 decimals); null outside opening hours or before any counting camera was set up. covered:
    every open slot covered (every slot when none is open); complete: the bucket has ended; open_s: the
    seconds of the whole bucket in which the store is open by its opening hours (0: closed throughout).
    """

    start: datetime
    end: datetime
    avg_occupancy: float | None
    peak_occupancy: int | None
    coverage: float | None
    covered: bool
    complete: bool
    open_s: int


class OccupancyOut(BaseModel):
    """GET /stores/{id}/occupancy: occupancy (people inside) per 15-minute or hourly bucket of one local
    day. `as_of` is the end of the complete part (the start of the slot in progress, or the day's end):
    nothing after it is in the curve."""

    store_id: uuid.UUID
    timezone: str
    date: date
    bucket: OccupancyBucketKind
    start: datetime
    end: datetime
    as_of: datetime
    buckets: list[OccupancyBucket]


class FunnelStage(BaseModel):
    """A funnel stage's count and its conversion from the stage before (0..1; null for the first)."""

    stage: Literal["entries", "zone_visitors", "billing_visitors", "transactions"]
    count: int | None
    conversion_from_previous: float | None


class FunnelOut(BaseModel):
    """GET /stores/{id}/funnel. Each stage is counted on its own; nobody is followed across cameras."""

    store_id: uuid.UUID
    period: PeriodOut
    stages: list[FunnelStage]
    overall_conversion: float | None


class HeatmapZone(BaseModel):
    """One zone's visits (ZONE_ENTER), dwell (ZONE_EXIT dwell_ms, seconds), share 0..1, popularity 0..100,
    over the slots in which its camera was reporting; visits are null when it reported in none."""

    zone_id: uuid.UUID
    name: str
    kind: str
    camera_id: uuid.UUID
    visits: int | None
    avg_dwell_s: float | None
    median_dwell_s: float | None
    share_of_visits: float | None
    popularity: int | None


class HeatmapOut(BaseModel):
    """GET /stores/{id}/heatmap."""

    store_id: uuid.UUID
    period: PeriodOut
    zones: list[HeatmapZone]


class AnomalyOut(BaseModel):
    """One anomaly; `subject_*` names the camera or zone it is about, when it is about one."""

    type: str
    severity: Literal["low", "medium", "high"]
    start: datetime
    end: datetime
    observed: float | None
    expected: float | None
    message: str
    subject_id: str | None
    subject_name: str | None


class AnomaliesOut(BaseModel):
    """GET /stores/{id}/anomalies, most severe first, then by time."""

    store_id: uuid.UUID
    period: PeriodOut
    anomalies: list[AnomalyOut]
