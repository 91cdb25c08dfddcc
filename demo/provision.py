"""Provision the demo tenant through the public admin API, exactly as an admin would."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx

ADMIN_EMAIL = "admin@demo.example.com"
OWNER_EMAIL = "owner@demo.example.com"
# Demo credentials only: the demo's data folder is local and recreated on every run.
ADMIN_PASSWORD = "demo-admin-password"  # noqa: S105
OWNER_PASSWORD = "demo-owner-password"  # noqa: S105

OPENING_HOURS = {day: [["09:00", "21:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")} | {
    "sun": [["10:00", "18:00"]]
}
# Fitted to the sample video (PETS 2009 S2.L1 view 1, normalized coordinates, y down): the counting line
# splits the scene left/right across both footpaths; the zones cover the two paths people walk along.
COUNTING_LINE = {"x1": 0.5, "y1": 0.2, "x2": 0.5, "y2": 0.9, "in_side": "left"}
ZONES = [
    {
        "name": "Promotion aisle",
        "kind": "product",
        "polygon": [[0.03, 0.25], [0.45, 0.25], [0.45, 0.5], [0.03, 0.5]],
    },
    {"name": "Tills", "kind": "billing", "polygon": [[0.55, 0.35], [0.97, 0.35], [0.97, 0.75], [0.55, 0.75]]},
]


@dataclass(frozen=True)
class DemoTenant:
    """What the demo created: ids, the worker key, and an owner's bearer token."""

    org_id: str
    store_id: str
    store_name: str
    timezone: str
    camera_id: str
    worker_key: str
    owner_token: str
    zones: list[dict[str, Any]]


def create_superadmin(env: dict[str, str]) -> None:
    """`storeintel admin create-superadmin`, the documented first step of every installation."""
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "backend.cli",
            "admin",
            "create-superadmin",
            "--email",
            ADMIN_EMAIL,
            "--password",
            ADMIN_PASSWORD,
        ],
        env=env,
        check=True,
        capture_output=True,
    )


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} -> {response.status_code}: "
            f"{response.text}"
        )
    return response.json() if response.content else None


def _token(http: httpx.Client, email: str, password: str) -> str:
    token: str = _ok(http.post("/auth/token", json={"email": email, "password": password}))["access_token"]
    return token


def provision(base_url: str, timezone: str, org_name: str = "Demo Retail") -> DemoTenant:
    """Organization → store → counting camera → line, zones and a snapshot request → invited owner, via
    `/admin` and `/auth`.

    Raises:
        RuntimeError: any API call that fails, with its status and error body.
    """
    with httpx.Client(base_url=base_url, timeout=30) as http:
        http.headers["Authorization"] = f"Bearer {_token(http, ADMIN_EMAIL, ADMIN_PASSWORD)}"
        org = _ok(http.post("/admin/organizations", json={"name": org_name}))
        store = _ok(
            http.post(
                "/admin/stores",
                json={
                    "org_id": org["id"],
                    "name": "High Street",
                    "timezone": timezone,
                    "opening_hours": OPENING_HOURS,
                    "address": "1 High Street",
                },
            )
        )
        created = _ok(
            http.post(
                "/admin/cameras",
                json={
                    "store_id": store["id"],
                    "name": "Entrance",
                    "is_counting_line": True,
                },
            )
        )
        camera_id = created["camera"]["id"]
        _ok(http.put(f"/admin/cameras/{camera_id}/counting-line", json=COUNTING_LINE))
        zones = [_ok(http.post(f"/admin/cameras/{camera_id}/zones", json=zone))["zone"] for zone in ZONES]
        # The worker uploads a person-blurred frame on its first config poll: the owner app draws the
        # zones over it.
        _ok(http.post(f"/admin/cameras/{camera_id}/snapshot-request"))
        invite = _ok(
            http.post(
                f"/admin/organizations/{org['id']}/invites", json={"email": OWNER_EMAIL, "role": "owner"}
            )
        )
        del http.headers["Authorization"]
        _ok(
            http.post(
                "/auth/invites/accept",
                json={"token": invite["token"], "password": OWNER_PASSWORD, "full_name": "Demo Owner"},
            )
        )
        owner_token = _token(http, OWNER_EMAIL, OWNER_PASSWORD)
    return DemoTenant(
        org_id=org["id"],
        store_id=store["id"],
        store_name=store["name"],
        timezone=timezone,
        camera_id=camera_id,
        worker_key=created["worker_key"],
        owner_token=owner_token,
        zones=zones,
    )
