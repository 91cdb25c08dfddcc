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
}
