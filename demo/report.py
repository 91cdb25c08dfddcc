"""Fetch the store's KPIs through the owner API and print them as readable tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from demo import provision

KPI_ROUTES = ("live", "dashboard", "footfall", "funnel", "heatmap", "anomalies")


def fetch(base_url: str, token: str, store_id: str, day: str) -> dict[str, Any]:
    """Every KPI document for `day` (store-local `YYYY-MM-DD`), keyed by route name.

    Raises:
        httpx.HTTPStatusError: a KPI route did not answer 200.
    """
    headers = {"Authorization": f"Bearer {token}"}
    params: dict[str, dict[str, str]] = {
        "live": {},
        "dashboard": {"period": "day", "date": day},
        "footfall": {"from": day, "to": day, "bucket": "hour"},
        "funnel": {"period": "day", "date": day},
        "heatmap": {"period": "day", "date": day},
        "anomalies": {"period": "day", "date": day},
    }
    documents = {}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        for name in KPI_ROUTES:
            response = http.get(f"/stores/{store_id}/{name}", params=params[name])
            response.raise_for_status()
            documents[name] = response.json()
    return documents


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with a title line; None shows as "—" (no data, which is not zero)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)
    out = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), line]
    for row in cells:
        out.append(
            "  ".join(c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in zip(row, widths, strict=True))
        )
    if not cells:
        out.append("(none)")
    return "\n".join(out)


def _hours_so_far(footfall: dict[str, Any]) -> list[dict[str, Any]]:
    """Hourly buckets from the first one with data up to the current hour; later gaps show as "—"."""
    buckets: list[dict[str, Any]] = footfall["buckets"]
    first = next((i for i, b in enumerate(buckets) if b["in_count"] is not None), None)
    if first is None:
        return []
    started = [i for i, b in enumerate(buckets) if b["complete"] or b["in_count"] is not None]
    return buckets[first : max(started) + 2]


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).replace("%", "").isdigit()


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.2f}"
    return str(value)


def _local(ts: str | None, tz: ZoneInfo, fmt: str = "%H:%M") -> str | None:
    return datetime.fromisoformat(ts).astimezone(tz).strftime(fmt) if ts else None


def _live(value: int | None, stale: bool, as_of: str | None, tz: ZoneInfo) -> str | int | None:
    """A live figure, marked as the last known value when a camera behind it is offline."""
    if value is None or not stale:
        return value
    return f"{value} (last known, as of {_local(as_of, tz) or 'never'}: camera offline)"


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:.1f}%"


def _minutes(seconds: float | None) -> str | None:
    return None if seconds is None else f"{seconds / 60:.1f} min"


def render(docs: dict[str, Any], timezone: str) -> str:
    """All tables, store-local times."""
    tz = ZoneInfo(timezone)
    live, dash = docs["live"], docs["dashboard"]
    parts = [
        table(
            "Live",
            ["figure", "value"],
            [
                [
                    "occupancy now",
                    _live(live["occupancy"], live["occupancy_stale"], live["occupancy_as_of"], tz),
                ],
                ["footfall today", live["footfall_today"]],
                [
                    "people at the tills (queue)",
                    _live(live["queue_depth"], live["queue_stale"], live["queue_as_of"], tz),
                ],
                ["last event", _local(live["last_event_at"], tz)],
                ["cameras online / offline", f"{live['cameras_online']} / {live['cameras_offline']}"],
            ],
        ),
        table(
            f"Today ({dash['period']['first_day']}, {timezone})",
            ["figure", "value", "previous day"],
            [
                ["footfall (entries)", dash["footfall"]["value"], dash["footfall"]["previous"]],
                ["exits", dash["exits"]["value"], dash["exits"]["previous"]],
                ["average occupancy", dash["avg_occupancy"]["value"], dash["avg_occupancy"]["previous"]],
                ["peak occupancy", dash["peak_occupancy"]["value"], dash["peak_occupancy"]["previous"]],
                ["peak at", _local(dash["peak_occupancy_at"], tz), None],
                [
                    "average dwell (Little's law)",
                    _minutes(dash["avg_dwell_s"]["value"]),
                    _minutes(dash["avg_dwell_s"]["previous"]),
                ],
                ["busiest hour", _local(dash["busiest_hour"], tz), None],
                [
                    "conversion rate",
                    _pct(dash["conversion_rate"]["value"]),
                    _pct(dash["conversion_rate"]["previous"]),
                ],
                [
                    "data coverage of open hours",
                    _pct(dash["coverage"]["value"]),
                    _pct(dash["coverage"]["previous"]),
                ],
            ],
        ),
        table(
            "Footfall by hour",
            ["hour", "in", "out", "covered"],
            [
                [_local(b["start"], tz), b["in_count"], b["out_count"], _pct(b["coverage"])]
                for b in _hours_so_far(docs["footfall"])
            ],
        ),
        table(
            "Funnel (each stage counted on its own; no identity across cameras)",
            ["stage", "count", "conversion from previous"],
            [[s["stage"], s["count"], _pct(s["conversion_from_previous"])] for s in docs["funnel"]["stages"]],
        ),
        table(
            "Heatmap",
            ["zone", "kind", "visits", "avg dwell", "median dwell", "share", "popularity"],
            [
                [
                    z["name"],
                    z["kind"],
                    z["visits"],
                    _minutes(z["avg_dwell_s"]),
                    _minutes(z["median_dwell_s"]),
                    _pct(z["share_of_visits"]),
                    z["popularity"],
                ]
                for z in docs["heatmap"]["zones"]
            ],
        ),
        table(
            "Anomalies",
            ["type", "severity", "from", "to", "message"],
            [
                [a["type"], a["severity"], _local(a["start"], tz), _local(a["end"], tz), a["message"]]
                for a in docs["anomalies"]["anomalies"]
            ],
        ),
    ]
    return "\n\n".join(parts)


def app_help(base_url: str, store_id: str) -> str:
    """Where to look at the same in the owner app and the admin console, and how to sign in to each."""
    return "\n".join(
        [
            "Look at it in a browser on this machine:",
            f"  owner app      {base_url}/app/stores/{store_id}",
            f"                 sign in as {provision.OWNER_EMAIL} / {provision.OWNER_PASSWORD}",
            f"  admin console  {base_url}/admin/console/",
            f"                 sign in as {provision.ADMIN_EMAIL} / {provision.ADMIN_PASSWORD}",
        ]
    )


def api_help(base_url: str, token: str, store_id: str, day: str) -> str:
    """How to ask the same through the API."""
    return "\n".join(
        [
            "Query the same through the API:",
            f"  base URL     {base_url}   (OpenAPI docs: {base_url}/docs)",
            f"  owner token  export TOKEN={token}",
            "               (expires in 15 min; get a new one with POST /auth/token, see README)",
            f'  curl -H "Authorization: Bearer $TOKEN" {base_url}/stores',
            f'  curl -H "Authorization: Bearer $TOKEN" {base_url}/stores/{store_id}/live',
            f'  curl -H "Authorization: Bearer $TOKEN" '
            f'"{base_url}/stores/{store_id}/dashboard?period=day&date={day}"',
            f'  curl -H "Authorization: Bearer $TOKEN" '
            f'"{base_url}/stores/{store_id}/footfall?from={day}&to={day}&bucket=15m&format=csv"',
        ]
    )
