"""Compare the answers of two running backends, request by request: the check behind a pure refactor.

    python scripts/compare_answers.py --a http://127.0.0.1:8001 --b http://127.0.0.1:8002 \
        --owner EMAIL:PASSWORD --admin EMAIL:PASSWORD [--worker-key sik_...] [--max-ids 10]

Run two backends (say, the commit before a change and the working tree) on the same database and the same
data directory (so a token from one is valid on the other), then point this at both. It signs in on `--a`,
discovers the stores, organizations and cameras it can see, and sends every GET route of the OpenAPI
document (owner, admin, worker, public) over a fixed grid of query values — every enum value, dates
around today, the day before the store existed and the year's daylight-saving changes, footfall ranges up
to 90 days in JSON and CSV — plus bad inputs (malformed and unknown ids, unknown enum values, impossible
dates, out-of-range paging) and missing or wrong credentials. Each request goes to `--a` and then at once to
`--b` with the same `X-Request-ID`; the status, the content type and the body bytes must be identical
(a pair that differs is asked once more, in case a clock minute turned between the two). Also compares
`/openapi.json`. Prints one line per route template and exits 1 if any answer differed.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import httpx

Params = dict[str, str]

# Days every grid includes besides those around today: the daylight-saving changes of 2026 in the EU
# (29 Mar, 25 Oct), the US (8 Mar, 1 Nov) and Australia (5 Apr, 4 Oct).
DST_DAYS_2026 = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4), date(2026, 10, 25),
                 date(2026, 11, 1)]  # fmt: skip


@dataclass(frozen=True)
class Request:
    """One GET: which credentials, the route template it exercises, the concrete path and query."""

    who: str  # "owner", "admin", "worker", "none" or "bad"
    template: str
    path: str
    params: tuple[tuple[str, str], ...] = ()


def _login(client: httpx.Client, credentials: str) -> str:
    email, _, password = credentials.partition(":")
    answer = client.post("/auth/token", json={"email": email, "password": password})
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def _days(today: date, extra: list[date]) -> list[str | None]:
    days = [today, today - timedelta(days=1), today - timedelta(days=7), today - timedelta(days=40), *extra]
    return [None, *sorted({d.isoformat() for d in days})]


def _period_grid(today: date, extra: list[date]) -> Iterator[Params]:
    for period, day in itertools.product(["day", "week", "month", None], _days(today, extra)):
        params = {"period": period, "date": day}
        yield {k: v for k, v in params.items() if v is not None}


def _footfall_grid(today: date, extra: list[date]) -> Iterator[Params]:
    ranges: list[tuple[date | None, date | None]] = [(None, None), (today, today)]
    ranges += [(today - timedelta(days=n), today) for n in (1, 7, 90)]
    ranges += [(d - timedelta(days=1), d + timedelta(days=1)) for d in extra]
    for (start, end), bucket, fmt in itertools.product(ranges, ["15m", "hour", "day"], ["json", "csv"]):
        params = {"bucket": bucket, "format": fmt}
        if start is not None and end is not None:
            params |= {"from": start.isoformat(), "to": end.isoformat()}
        yield params


def _enum_grid(operation: dict[str, object], schemas: dict[str, dict[str, object]]) -> Iterator[Params]:
    """The default query, then each enum value of each query parameter on its own, then bad paging."""
    yield {}
    for parameter in operation.get("parameters", []):  # type: ignore[attr-defined]
        if parameter["in"] != "query":
            continue
        schema = parameter.get("schema", {})
        options = [schema, *schema.get("anyOf", [])]
        for option in options:
            if "$ref" in option:
                option = schemas[option["$ref"].rsplit("/", 1)[-1]]
            for value in option.get("enum", []):
                yield {parameter["name"]: str(value)}
            if option.get("type") == "boolean":
                yield {parameter["name"]: "true"}
                yield {parameter["name"]: "false"}
        if parameter["name"] == "limit":
            yield from ({"limit": v} for v in ("1", "0", "100000"))
        if parameter["name"] == "offset":
            yield from ({"offset": v} for v in ("1", "-1", "9223372036854775807"))


def build_requests(
    a: httpx.Client, owner: str, admin: str, worker_key: str | None, max_ids: int
) -> list[Request]:
    """Discover ids through `a` (the first `max_ids` of each kind, in list order) and expand every GET route
    of its OpenAPI document into requests."""
    spec = a.get("/openapi.json").json()
    schemas = spec.get("components", {}).get("schemas", {})
    owner_auth = {"Authorization": f"Bearer {owner}"}
    admin_auth = {"Authorization": f"Bearer {admin}"}
    stores = a.get("/stores", headers=owner_auth).json()
    store_ids = [s["id"] for s in stores]
    orgs = a.get("/admin/organizations", params={"limit": 200}, headers=admin_auth).json()["items"]
    cameras = a.get("/admin/cameras", params={"limit": 200}, headers=admin_auth).json()["items"]
    admin_stores = a.get("/admin/stores", params={"limit": 200}, headers=admin_auth).json()["items"]
    ids = {
        "store_id": store_ids or [s["id"] for s in admin_stores],
        "org_id": [o["id"] for o in orgs],
        "camera_id": [c["id"] for c in cameras],
    }
    ids = {kind: values[:max_ids] for kind, values in ids.items()}
    unknown = str(uuid.UUID(int=1))
    today = date.today()
    requests: list[Request] = [Request("none", "/openapi.json", "/openapi.json")]
    for template, operations in spec["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        who = {"/admin": "admin", "/worker": "worker"}.get("/" + template.split("/")[1], "owner")
        if not operation.get("security") and template in {"/health", "/ready", "/.well-known/jwks.json"}:
            who = "none"
        if who == "worker" and worker_key is None:
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        bindings = [
            dict(zip(names, combo, strict=True)) for combo in itertools.product(*(ids[n] for n in names))
        ]
        if template.endswith(("/dashboard", "/funnel", "/heatmap", "/anomalies")):
            grid = list(_period_grid(today, DST_DAYS_2026))
        elif template.endswith("/footfall"):
            grid = list(_footfall_grid(today, DST_DAYS_2026))
        else:
            grid = list(_enum_grid(operation, schemas))
        for binding in bindings:
            path = template.format(**binding)
            requests += [Request(who, template, path, tuple(sorted(p.items()))) for p in grid]
        if names:
            requests.append(Request(who, template, template.format(**dict.fromkeys(names, "not-a-uuid"))))
            requests.append(Request(who, template, template.format(**dict.fromkeys(names, unknown))))
        if who in {"owner", "admin", "worker"}:
            path = template.format(**bindings[0]) if bindings else template
            requests += [Request("none", template, path), Request("bad", template, path)]
        if template.endswith(("/dashboard", "/funnel", "/heatmap", "/anomalies", "/footfall")) and bindings:
            path = template.format(**bindings[0])
            backwards = {"from": today.isoformat(), "to": (today - timedelta(days=3)).isoformat()}
            for bad in (
                {"period": "year"},
                {"date": "2026-02-30"},
                {"bucket": "week"},
                {"from": "x"},
                backwards,
            ):
                requests.append(Request(who, template, path, tuple(sorted(bad.items()))))
    return requests


def main() -> int:
    """Run the comparison; 0 when every answer was identical, 1 otherwise."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--a", required=True, help="base URL of the reference backend")
    parser.add_argument("--b", required=True, help="base URL of the backend under test")
    parser.add_argument("--owner", required=True, help="EMAIL:PASSWORD of an owner")
    parser.add_argument("--admin", required=True, help="EMAIL:PASSWORD of a superadmin")
    parser.add_argument("--worker-key", help="a camera's worker key, for the /worker routes")
    parser.add_argument("--max-ids", type=int, default=10, help="stores, organizations, cameras: at most")
    parser.add_argument("--show", type=int, default=5, help="differing answers to print in full")
    args = parser.parse_args()

    with httpx.Client(base_url=args.a, timeout=60) as a, httpx.Client(base_url=args.b, timeout=60) as b:
        tokens = {"owner": _login(a, args.owner), "admin": _login(a, args.admin)}
        requests = build_requests(a, tokens["owner"], tokens["admin"], args.worker_key, args.max_ids)
        per_route: Counter[str] = Counter()
        differing: list[tuple[Request, httpx.Response, httpx.Response]] = []
        for n, request in enumerate(requests):
            headers = {"X-Request-ID": f"compare-{n}"}
            if request.who in tokens:
                headers["Authorization"] = f"Bearer {tokens[request.who]}"
            elif request.who == "worker":
                headers["X-Worker-Key"] = args.worker_key
            elif request.who == "bad":
                headers["Authorization"] = "Bearer not.a.token"
                headers["X-Worker-Key"] = "sik_not_a_key"
            for _attempt in range(2):
                answers = [c.get(request.path, params=dict(request.params), headers=headers) for c in (a, b)]
                same = [(r.status_code, r.headers.get("content-type"), r.content) for r in answers]
                if same[0] == same[1]:
                    break
            else:
                differing.append((request, answers[0], answers[1]))
            per_route[request.template] += 1
        failed = Counter(r.template for r, _, _ in differing)
        for template, count in per_route.items():
            verdict = "DIFF" if failed[template] else "same"
            print(f"{verdict}  {count - failed[template]:5d}/{count:<5d} {template}")
        for request, left, right in differing[: args.show]:
            print(f"\n--- {request.who} GET {request.path} {dict(request.params)}")
            print(f"a: {left.status_code} {left.content[:600]!r}")
            print(f"b: {right.status_code} {right.content[:600]!r}")
        print(f"\n{len(requests) - len(differing)} of {len(requests)} answers identical")
        return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
