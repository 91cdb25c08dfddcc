"""One valid and one invalid request for every admin route, used by the route-table tests.

`WORLD` ids are filled in by the test's fixture; `{name}` placeholders in paths and bodies are replaced.
A route missing from `ADMIN_ROUTE_EXAMPLES` fails `test_every_admin_route_has_an_example`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BAD_ID = "not-a-uuid"
LINE = {"x1": 0.5, "y1": 0.1, "x2": 0.5, "y2": 0.9, "in_side": "left"}
ZONE = {"name": "Shelf A", "kind": "product", "polygon": [[0.1, 0.1], [0.3, 0.1], [0.3, 0.3]]}
HOURS = {"mon": [["09:00", "18:00"]]}
COUNT_AUDIT = {
    "window_start": "2026-01-05T09:00:00Z",
    "window_end": "2026-01-05T11:00:00+01:00",
    "hand_in": 12,
    "hand_out": 9,
    "note": "Counted at the door",
}


@dataclass(frozen=True)
class Example:
    """A valid request (`status` expected) and an invalid one whose 422 must name `bad_field`.

    `bad_path` replaces the route's path for the invalid request (to put a malformed id in it), `path`
    for the valid one (to address a row in the state the route needs).
    """

    status: int
    bad_field: str
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    bad_json: Any = None
    bad_params: dict[str, Any] = field(default_factory=dict)
    bad_path: str | None = None
    path: str | None = None


ADMIN_ROUTE_EXAMPLES: dict[tuple[str, str], Example] = {
    # organizations
    ("POST", "/admin/organizations"): Example(
        201, "body.name", json={"name": "Acme"}, bad_json={"name": " "}
    ),
    ("GET", "/admin/organizations"): Example(200, "query.sort", bad_params={"sort": "password"}),
    ("GET", "/admin/organizations/{org_id}"): Example(200, "path.org_id", bad_path="/admin/organizations/x"),
    ("PATCH", "/admin/organizations/{org_id}"): Example(
        200, "body.name", json={"name": "Renamed"}, bad_json={"name": "x" * 201}
    ),
    ("POST", "/admin/organizations/{org_id}/deactivate"): Example(
        200, "path.org_id", bad_path=f"/admin/organizations/{BAD_ID}/deactivate"
    ),
    ("POST", "/admin/organizations/{org_id}/activate"): Example(
        200, "path.org_id", bad_path=f"/admin/organizations/{BAD_ID}/activate"
    ),
    ("DELETE", "/admin/organizations/{org_id}"): Example(
        202, "path.org_id", bad_path=f"/admin/organizations/{BAD_ID}"
    ),
    ("POST", "/admin/organizations/{org_id}/cancel-deletion"): Example(
        200,
        "path.org_id",
        path="/admin/organizations/{deleting_org_id}/cancel-deletion",
        bad_path=f"/admin/organizations/{BAD_ID}/cancel-deletion",
    ),
    # members and invites
    ("POST", "/admin/organizations/{org_id}/invites"): Example(
        201,
        "body.email",
        json={"email": "new.owner@example.com", "role": "owner"},
        bad_json={"email": "nope"},
    ),
    ("GET", "/admin/organizations/{org_id}/invites"): Example(
        200, "query.state", bad_params={"state": "old"}
    ),
    ("DELETE", "/admin/organizations/{org_id}/invites/{invite_id}"): Example(
        204, "path.invite_id", bad_path="/admin/organizations/{org_id}/invites/" + BAD_ID
    ),
    ("GET", "/admin/organizations/{org_id}/members"): Example(200, "query.limit", bad_params={"limit": 201}),
    ("PATCH", "/admin/organizations/{org_id}/members/{user_id}"): Example(
        200, "body.role", json={"role": "viewer"}, bad_json={"role": "king"}
    ),
    ("DELETE", "/admin/organizations/{org_id}/members/{user_id}"): Example(
        204, "path.user_id", bad_path="/admin/organizations/{org_id}/members/" + BAD_ID
    ),
    # stores
    ("POST", "/admin/stores"): Example(
        201,
        "body.timezone",
        json={"org_id": "{org_id}", "name": "High St", "timezone": "Europe/Paris", "opening_hours": HOURS},
        bad_json={
            "org_id": "{org_id}",
            "name": "High St",
            "timezone": "Mars/Olympus",
            "opening_hours": HOURS,
        },
    ),
    ("GET", "/admin/stores"): Example(200, "query.org_id", bad_params={"org_id": BAD_ID}),
    ("GET", "/admin/stores/{store_id}"): Example(200, "path.store_id", bad_path=f"/admin/stores/{BAD_ID}"),
    ("PATCH", "/admin/stores/{store_id}"): Example(
        200,
        "body.opening_hours.tue.0",
        json={"name": "Renamed store"},
        bad_json={"opening_hours": {"tue": [["09:00", "25:00"]]}},
    ),
    ("POST", "/admin/stores/{store_id}/deactivate"): Example(
        200, "path.store_id", bad_path=f"/admin/stores/{BAD_ID}/deactivate"
    ),
    ("POST", "/admin/stores/{store_id}/activate"): Example(
        200, "path.store_id", bad_path=f"/admin/stores/{BAD_ID}/activate"
    ),
    # cameras
    ("POST", "/admin/cameras"): Example(
        201,
        "body.imgsz",
        json={"store_id": "{store_id}", "name": "Door"},
        bad_json={"store_id": "{store_id}", "name": "Door", "imgsz": 650},
    ),
    ("GET", "/admin/cameras"): Example(200, "query.status", bad_params={"status": "sleepy"}),
    ("GET", "/admin/cameras/health"): Example(200, "query.offset", bad_params={"offset": -1}),
    ("GET", "/admin/cameras/{camera_id}"): Example(
        200, "path.camera_id", bad_path=f"/admin/cameras/{BAD_ID}"
    ),
    ("PATCH", "/admin/cameras/{camera_id}"): Example(
        200, "body.conf", json={"is_counting_line": False}, bad_json={"conf": 1.5}
    ),
    ("POST", "/admin/cameras/{camera_id}/enable"): Example(
        200, "path.camera_id", bad_path=f"/admin/cameras/{BAD_ID}/enable"
    ),
    ("POST", "/admin/cameras/{camera_id}/disable"): Example(
        200, "path.camera_id", bad_path=f"/admin/cameras/{BAD_ID}/disable"
    ),
    ("POST", "/admin/cameras/{camera_id}/rotate-key"): Example(
        200, "path.camera_id", bad_path=f"/admin/cameras/{BAD_ID}/rotate-key"
    ),
    # calibration
    ("GET", "/admin/cameras/{camera_id}/counting-line"): Example(
        200, "path.camera_id", bad_path=f"/admin/cameras/{BAD_ID}/counting-line"
    ),
    ("PUT", "/admin/cameras/{camera_id}/counting-line"): Example(
        200, "body.x2", json=LINE, bad_json={**LINE, "x2": 1.2}
    ),
    ("DELETE", "/admin/cameras/{camera_id}/counting-line"): Example(
        204, "path.camera_id", bad_path=f"/admin/cameras/{BAD_ID}/counting-line"
    ),
    ("GET", "/admin/cameras/{camera_id}/zones"): Example(200, "query.sort", bad_params={"sort": "polygon"}),
    ("POST", "/admin/cameras/{camera_id}/zones"): Example(
        201, "body.kind", json=ZONE, bad_json={**ZONE, "kind": "parking"}
    ),
    ("PUT", "/admin/cameras/{camera_id}/zones/{zone_id}"): Example(
        200,
        "body.polygon",
        json=ZONE,
        # A bow tie: edges 0 and 2 cross.
        bad_json={**ZONE, "polygon": [[0.1, 0.1], [0.5, 0.5], [0.5, 0.1], [0.1, 0.5]]},
    ),
    ("DELETE", "/admin/cameras/{camera_id}/zones/{zone_id}"): Example(
        204, "path.zone_id", bad_path="/admin/cameras/{camera_id}/zones/" + BAD_ID
    ),
    ("GET", "/admin/cameras/{camera_id}/snapshot"): Example(
        200, "path.camera_id", bad_path=f"/admin/cameras/{BAD_ID}/snapshot"
    ),
    ("POST", "/admin/cameras/{camera_id}/snapshot-request"): Example(
        202, "path.camera_id", bad_path=f"/admin/cameras/{BAD_ID}/snapshot-request"
    ),
    # count audits
    ("POST", "/admin/cameras/{camera_id}/count-audits"): Example(
        201, "body.hand_out", json=COUNT_AUDIT, bad_json={**COUNT_AUDIT, "hand_out": -1}
    ),
    ("GET", "/admin/cameras/{camera_id}/count-audits"): Example(
        200, "query.sort", bad_params={"sort": "accuracy"}
    ),
    # audit
    ("GET", "/admin/audit"): Example(200, "query.actor_user_id", bad_params={"actor_user_id": "me"}),
}


def fill(value: Any, ids: dict[str, str]) -> Any:
    """`value` with every `{name}` placeholder in its strings replaced by `ids[name]`."""
    if isinstance(value, str):
        for name, id_ in ids.items():
            value = value.replace("{" + name + "}", id_)
        return value
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value
