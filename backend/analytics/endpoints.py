"""Owner analytics routes under `/stores/{store_id}/…`, authenticated where the router is included.

Owners and viewers of the store's organization may read them; any other store answers 404. Dates are
store-local calendar dates; `date` defaults to the store's today.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from backend.analytics import serializers, service
from backend.analytics.schemas import (
    AnomaliesOut,
    DashboardOut,
    FootfallOut,
    FunnelOut,
    HeatmapOut,
    LiveOut,
    OccupancyBucketKind,
    OccupancyOut,
    PeriodKind,
)
from backend.auth.deps import CurrentUser
from backend.deps import SessionDep, SettingsDep

router = APIRouter(tags=["analytics"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such store for this user"}}
PeriodQuery = Annotated[PeriodKind, Query(description="day, ISO week (Mon-Sun) or calendar month")]
DateQuery = Annotated[
    date | None, Query(alias="date", description="A store-local date inside the period (default today)")
]


@router.get("/stores/{store_id}/live", responses=_NOT_FOUND)
async def get_live(
    store_id: uuid.UUID, principal: CurrentUser, session: SessionDep, settings: SettingsDep
) -> LiveOut:
    """Current occupancy, footfall so far today, queue depth, last event time and camera health."""
    return await service.live(session, principal, settings, store_id)


@router.get("/stores/{store_id}/dashboard", responses=_NOT_FOUND)
async def get_dashboard(
    store_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: PeriodQuery = "day",
    day: DateQuery = None,
) -> DashboardOut:
    """KPIs of a day, week or month against the previous one (see `service.dashboard`).

    Average dwell time uses Little's law: the time-integral of occupancy over the open hours divided by
    the number of entries in them.
    """
    return await service.dashboard(session, principal, settings, store_id, period, day)


@router.get("/stores/{store_id}/footfall", responses=_NOT_FOUND, response_model=FootfallOut)
async def get_footfall(
    store_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    first_day: Annotated[
        date | None, Query(alias="from", description="First local date (default to - 6)")
    ] = None,
    last_day: Annotated[date | None, Query(alias="to", description="Last local date, inclusive")] = None,
    bucket: Literal["15m", "hour", "day"] = "hour",
    format: Literal["json", "csv"] = "json",
) -> Response:
    """IN/OUT per store-local bucket; uncovered buckets are null. `format=csv` answers `text/csv`."""
    result = await service.footfall(session, principal, settings, store_id, first_day, last_day, bucket)
    if format == "csv":
        return Response(serializers.footfall_csv(result), media_type="text/csv; charset=utf-8")
    # Written from columns (the same JSON FastAPI writes for `response_model`): validating up to 8,784
    # hourly buckets through the response model cost more than computing them.
    return Response(serializers.footfall_json(result), media_type="application/json")


@router.get("/stores/{store_id}/occupancy", responses=_NOT_FOUND)
async def get_occupancy(
    store_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    day: DateQuery = None,
    bucket: Annotated[
        OccupancyBucketKind, Query(description="15-minute or hourly store-local buckets")
    ] = "15m",
) -> OccupancyOut:
    """Occupancy over one local day, per store-local bucket: `avg_occupancy` (people, time-weighted mean
    over the bucket's covered open time, 2 decimals), `peak_occupancy` (people, the highest count in its
    covered time), `coverage` (0..1 share of its open time covered). Null, not zero, where nothing was
    measured (an outage; closed hours for the average). Times are store-local with their UTC offset;
    a daylight-saving day has 92 or 100 quarter hours, 23 or 25 hours. `as_of` is the end of the
    complete slots: the slot in progress is not in the curve.
    """
    return await service.occupancy(session, principal, settings, store_id, day, bucket)


@router.get("/stores/{store_id}/funnel", responses=_NOT_FOUND)
async def get_funnel(
    store_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: PeriodQuery = "day",
    day: DateQuery = None,
) -> FunnelOut:
    """Entries, zone visitors, billing visitors and transactions; stages are counted independently."""
    return await service.funnel(session, principal, settings, store_id, period, day)


@router.get("/stores/{store_id}/heatmap", responses=_NOT_FOUND)
async def get_heatmap(
    store_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: PeriodQuery = "day",
    day: DateQuery = None,
) -> HeatmapOut:
    """Per zone: visits, mean and median dwell, share of visits and popularity 0..100."""
    return await service.heatmap(session, principal, settings, store_id, period, day)


@router.get("/stores/{store_id}/anomalies", responses=_NOT_FOUND)
async def get_anomalies(
    store_id: uuid.UUID,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    period: PeriodQuery = "day",
    day: DateQuery = None,
) -> AnomaliesOut:
    """Camera outages, queue spikes, footfall drops/spikes, conversion drops, dead zones, IN/OUT imbalance."""
    return await service.anomalies(session, principal, settings, store_id, period, day)
