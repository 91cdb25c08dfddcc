"""Prometheus metrics: HTTP traffic, ingestion outcomes and lag, cameras by status, the workers' own
figures, database pool.

One registry per application (built in `create_app`, kept on `app.state.metrics`), so tests and several
apps in one process never share counters. Gauges that describe state (cameras by status, worker figures,
pool usage) are computed when `/metrics` is scraped, from the cameras table alone (one aggregate query over
each camera's latest live heartbeat figures, `Camera.reported_*`). No label names a camera, store or
organization: the number of series stays the same with 10 or 10,000 cameras.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import QueuePool
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.cameras.status import online_clause, online_since
from backend.deps import SessionDep
from backend.errors import NotFound
from backend.models import Camera
from backend.models.base import utcnow
from backend.routing import AuthFirstRoute

# Latency buckets (seconds) around the targets: 10 ms live reads, 50-150 ms dashboards and ingest batches.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0)
# Ingestion lag buckets (seconds): live delivery (one flush interval, 5 s), a short outage, a day's backlog.
_LAG_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 6 * 3600.0, 86_400.0, 7 * 86_400.0)


@dataclass(frozen=True, slots=True)
class WorkerFigures:
    """Fleet-wide figures from the latest live heartbeat of every enabled camera.

    `outbox_total`/`outbox_max`: events waiting in workers' outboxes, summed and the largest, over every
    enabled camera that ever reported (an offline worker's last report still counts: its backlog is
    real); `heartbeat_age_max_s`: seconds since the oldest latest heartbeat among those cameras; `fps_min`:
    the lowest processing rate among online cameras (None when none is online).
    """

    outbox_total: int
    outbox_max: int
    heartbeat_age_max_s: float | None
    fps_min: float | None


class Metrics:
    """The application's metric families."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "storeintel_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "storeintel_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events = Counter(
            "storeintel_ingest_events",
            "Worker events by outcome (accepted, duplicate, rejected); use rate() for events per second.",
            ["outcome"],
            registry=self.registry,
        )
        self.ingest_lag = Histogram(
            "storeintel_ingest_lag_seconds",
            "Per batch of events: receive time minus the newest event time in it.",
            buckets=_LAG_BUCKETS,
            registry=self.registry,
        )
        self.cameras = Gauge(
            "storeintel_cameras",
            "Enabled cameras by status (online: a live heartbeat within the offline threshold that did not "
            "report a clean stop; backend.cameras.status.is_online).",
            ["status"],
            registry=self.registry,
        )
        self.outbox_total = Gauge(
            "storeintel_worker_outbox_events",
            "Events waiting in the workers' outboxes, summed over the latest heartbeat of every enabled "
            "camera.",
            registry=self.registry,
        )
        self.outbox_max = Gauge(
            "storeintel_worker_outbox_events_max",
            "The largest outbox among the latest heartbeats of enabled cameras.",
            registry=self.registry,
        )
        self.heartbeat_age_max = Gauge(
            "storeintel_worker_heartbeat_age_max_seconds",
            "Seconds since the oldest latest heartbeat of an enabled camera that ever sent one (NaN: none).",
            registry=self.registry,
        )
        self.fps_min = Gauge(
            "storeintel_worker_fps_min",
            "Lowest processing rate (frames/s) reported by an online camera (NaN: none online).",
            registry=self.registry,
        )
        self.pool = Gauge(
            "storeintel_db_pool_connections",
            "Database pool connections by state.",
            ["state"],
            registry=self.registry,
        )

    def record_ingest(
        self,
        camera_id: str,
        accepted: int,
        duplicates: int,
        rejected: int,
        newest_event: datetime | None,
        received_at: datetime,
    ) -> None:
        """Count one batch's outcomes and observe its ingestion lag (seconds); `camera_id` is for the caller's
        logs only, never a label."""
        self.events.labels("accepted").inc(accepted)
        self.events.labels("duplicate").inc(duplicates)
        self.events.labels("rejected").inc(rejected)
        if newest_event is not None:
            self.ingest_lag.observe(max(0.0, (received_at - newest_event).total_seconds()))

    def observe_pool(self, engine: AsyncEngine) -> None:
        """Read the pool's current usage (PostgreSQL's QueuePool; SQLite reports only checked-out)."""
        pool = engine.pool
        if isinstance(pool, QueuePool):
            self.pool.labels("size").set(pool.size())
            self.pool.labels("checked_out").set(pool.checkedout())
            self.pool.labels("overflow").set(max(0, pool.overflow()))
            self.pool.labels("idle").set(pool.checkedin())

    def set_camera_statuses(self, counts: Iterable[tuple[str, int]]) -> None:
        """Replace the cameras-by-status gauge."""
        for status in ("online", "offline"):
            self.cameras.labels(status).set(0)
        for status, count in counts:
            self.cameras.labels(status).set(count)

    def set_worker_figures(self, figures: WorkerFigures) -> None:
        """Replace the worker gauges (NaN where a figure is not measured)."""
        nan = float("nan")
        self.outbox_total.set(figures.outbox_total)
        self.outbox_max.set(figures.outbox_max)
        age = figures.heartbeat_age_max_s
        self.heartbeat_age_max.set(nan if age is None else age)
        self.fps_min.set(nan if figures.fps_min is None else figures.fps_min)


def route_templates(routes: Iterable[BaseRoute]) -> dict[int, str]:
    """`id()` of each route object of an application's table → its full path template, prefixes included.

    Keyed by identity because routes are unhashable dataclasses; they live as long as the application.

    Recent FastAPI keeps an included router as one node and puts the router's own route object (whose
    `path` lacks the include prefix, e.g. "/stores" for `POST /admin/stores`) in `scope["route"]`; its
    public `iter_route_contexts` walks the nodes with the effective (prefixed) `path_format`. Older
    FastAPI copied every route with the prefix applied, so the route's own `path_format` is already full.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: routes are copied with their prefix applied
        return {id(route): path for route in routes if (path := getattr(route, "path_format", None))}
    templates: dict[int, str] = {}
    for context in iter_route_contexts(list(routes)):
        if context.path_format:
            templates.setdefault(id(context.original_route), context.path_format)
    return templates


class MetricsMiddleware:
    """Pure ASGI middleware: counts requests and observes latency by full route *template* (bounded labels).

    The label is the template as matched, prefixes included: "/admin/stores", "/stores/{store_id}/live";
    "unmatched" where no API route matched (404s, the console's static files), so raw paths never become
    labels.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # Built from the application's route table on the first request, once every router is included.
        self._templates: dict[int, str] | None = None

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return "unmatched"
        if self._templates is None:
            self._templates = route_templates(scope["app"].routes)
        return self._templates.get(id(route)) or getattr(route, "path", None) or "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            template = self._template(scope)
            self.metrics.requests.labels(template, scope["method"], str(status)).inc()
            self.metrics.latency.labels(template, scope["method"]).observe(time.perf_counter() - started)


router = APIRouter(route_class=AuthFirstRoute, tags=["operations"])


async def _camera_figures(
    session: AsyncSession, now: datetime, offline_after_s: float
) -> tuple[list[tuple[str, int]], WorkerFigures]:
    """Cameras by status and the worker figures in one aggregate query over the enabled cameras."""
    online = online_clause(online_since(now, offline_after_s))
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((online, 1), else_=0)), 0),
                func.coalesce(func.sum(Camera.reported_outbox_depth), 0),
                func.coalesce(func.max(Camera.reported_outbox_depth), 0),
                func.min(Camera.last_heartbeat_at),
                func.min(case((online, Camera.reported_fps))),
            ).where(Camera.enabled.is_(True))
        )
    ).one()
    total, up, outbox_total, outbox_max, oldest, fps_min = row
    figures = WorkerFigures(
        outbox_total=int(outbox_total),
        outbox_max=int(outbox_max),
        heartbeat_age_max_s=None if oldest is None else max(0.0, (now - oldest).total_seconds()),
        fps_min=None if fps_min is None else float(fps_min),
    )
    return [("online", int(up)), ("offline", int(total) - int(up))], figures


@router.get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request, session: SessionDep) -> Response:
    """Prometheus exposition. Needs `Authorization: Bearer <STOREINTEL_METRICS_TOKEN>` when a token is set;
    in production without a token the route answers 404 (not exposed)."""
    settings = request.app.state.settings
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if token is None and settings.environment == "production":
        raise NotFound("Not Found")
    if token is not None:
        import hmac

        presented = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(presented.encode(), token.encode()):
            raise NotFound("Not Found")
    metrics: Metrics = request.app.state.metrics
    engine: AsyncEngine = request.app.state.engine
    metrics.observe_pool(engine)
    statuses, figures = await _camera_figures(session, utcnow(), settings.camera_offline_after_s)
    metrics.set_camera_statuses(statuses)
    metrics.set_worker_figures(figures)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
