"""Example requests for every owner route, used by the tenancy test that walks the route table.

Keys are `(method, path template)`; values are keyword arguments for `httpx.AsyncClient.request`
(`params`, `json`, `content`, `files`, `headers`). A route missing here fails the tenancy test, so a new
route cannot ship without being checked for tenant isolation.
"""

from __future__ import annotations

from typing import Any

OWNER_ROUTE_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/me"): {},
    ("GET", "/stores"): {},
    ("GET", "/stores/{store_id}"): {},
    ("GET", "/stores/{store_id}/cameras"): {},
    ("GET", "/stores/{store_id}/cameras/{camera_id}/snapshot"): {},
    # Analytics (backend/analytics) and POS (backend/pos).
    ("GET", "/stores/{store_id}/live"): {},
    ("GET", "/stores/{store_id}/dashboard"): {"params": {"period": "day", "date": "2026-11-20"}},
    ("GET", "/stores/{store_id}/footfall"): {
        "params": {"from": "2026-11-14", "to": "2026-11-20", "bucket": "hour"}
    },
    ("GET", "/stores/{store_id}/occupancy"): {"params": {"date": "2026-11-20", "bucket": "hour"}},
    ("GET", "/stores/{store_id}/funnel"): {"params": {"period": "week", "date": "2026-11-20"}},
    ("GET", "/stores/{store_id}/heatmap"): {"params": {"period": "day", "date": "2026-11-20"}},
    ("GET", "/stores/{store_id}/anomalies"): {"params": {"period": "day", "date": "2026-11-20"}},
    ("POST", "/stores/{store_id}/transactions"): {
        "json": {
            "transactions": [
                {"external_id": "T-1", "ts": "2026-11-20T10:00:00Z", "amount": "12.50", "currency": "EUR"}
            ]
        }
    },
    ("POST", "/stores/{store_id}/transactions/csv"): {
        "content": "external_id,ts,amount,currency\nT-2,2026-11-20T11:00:00Z,3.10,EUR\n",
        "headers": {"Content-Type": "text/csv"},
    },
}
