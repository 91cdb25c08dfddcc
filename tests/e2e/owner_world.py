"""A store with a morning of real-looking data, made only through the public APIs (admin and worker), for
the owner app's browser tests and its documentation screenshots.

The store is open 08:00-22:00 in a timezone where it is afternoon now (the demo's choice), so its local
morning lies in the past. The counting camera's worker "was" reporting 08:00-10:00 and 11:00-12:00 local
(late heartbeats carry their `observed_at`), so 10:00-11:00 and 12:00 until the live heartbeat are not
covered: the app must draw them as gaps, not zeros.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from demo.run import pick_timezone
from tests.e2e.conftest import Server, snapshot_jpeg

HOURS = {day: [["08:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# Local hours [start, end) the counting camera covered this morning.
COVERED = [(time(8), time(10)), (time(11), time(12))]
SLOT = timedelta(minutes=15)
# A heartbeat per 15-minute slot is enough when the offline threshold is 900 s (`min_heartbeats`).
OFFLINE_AFTER_S = 900


PASSWORD = "e2e-owner-correct-horse"


@dataclass
class Member:
    """An account that accepted an invite to an organization, and an API client signed in as it."""

    email: str
    password: str
    api: httpx.Client


def invite(server: Server, org_id: str, email: str, role: str = "owner") -> dict[str, Any]:
    """An invite through the admin API; the answer holds its one-time token and link."""
    response = server.api.post(f"/admin/organizations/{org_id}/invites", json={"email": email, "role": role})
    assert response.status_code == 201, response.text
    return dict(response.json())


def add_member(server: Server, org_id: str, role: str = "owner") -> Member:
    """A new account with `role` in the organization: invited by the admin, accepted through the API."""
    email = f"{role}-{uuid.uuid4().hex[:6]}@example.com"
    token = invite(server, org_id, email, role)["token"]
    accepted = httpx.post(
        f"{server.base_url}/auth/invites/accept", json={"token": token, "password": PASSWORD}, timeout=10
    )
    assert accepted.status_code == 200, accepted.text
    headers = {"Authorization": f"Bearer {accepted.json()['access_token']}"}
    return Member(email, PASSWORD, httpx.Client(base_url=server.base_url, headers=headers, timeout=10))


@dataclass
class StoreWorld:
    """What `build_store` made: ids, the camera's worker key, the store-local day it filled (and the day
    before), and an owner signed in through the API."""

    org_id: str
    org_name: str
    store_id: str
    store_name: str
    camera_id: str
    worker_key: str
    zone_ids: dict[str, str]
    timezone: str
    local_day: date
    owner: Member


def heartbeat(
    worker: httpx.Client,
    observed_at: datetime | None = None,
    *,
    late: bool = False,
    stream_status: str = "ok",
) -> None:
    """One heartbeat (docs/worker-protocol.md), healthy by default; `late` ones count for coverage at
    `observed_at`."""
    body: dict[str, Any] = {
        "worker_version": "0.1.0",
        "uptime_s": 600.0,
        "fps": 9.5,
        "frames_read": 5700,
        "frames_dropped": 0,
        "outbox_depth": 0,
        "events_dropped": 0,
        "stream_status": stream_status,
        "last_error": None,
        "late": late,
    }
    if observed_at is not None:
        body["observed_at"] = observed_at.isoformat()
    response = worker.post("/worker/heartbeat", json=body)
    assert response.status_code == 204, response.text


def post_events(worker: httpx.Client, events: list[dict[str, Any]]) -> None:
    """Post events as the worker does; every one must be accepted."""
    for start in range(0, len(events), 200):
        chunk = events[start : start + 200]
        response = worker.post("/worker/events", json={"events": chunk})
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == len(chunk), response.text


def event(kind: str, at: datetime, tracker_id: int, **fields: Any) -> dict[str, Any]:
    """One worker event at `at` (UTC)."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": kind,
        "ts": at.isoformat(),
        "tracker_id": tracker_id,
        **fields,
    }


def build_store(server: Server, name: str, *, org_id: str | None = None) -> StoreWorld:
    """An organization (unless `org_id`), a store, a counting camera with its line, a billing and a
    product zone, a snapshot, and this morning's covered hours of crossings and zone visits."""
    now = datetime.now(UTC)
    tz = pick_timezone(now)
    local_day = now.astimezone(ZoneInfo(tz)).date()
    api = server.api
    if org_id is None:
        org = api.post("/admin/organizations", json={"name": f"{name} Ltd {uuid.uuid4().hex[:4]}"})
        assert org.status_code == 201, org.text
        org_id = org.json()["id"]
    org_name = api.get(f"/admin/organizations/{org_id}").json()["name"]
    store = api.post(
        "/admin/stores", json={"org_id": org_id, "name": name, "timezone": tz, "opening_hours": HOURS}
    )
    assert store.status_code == 201, store.text
    store_id = store.json()["id"]
    created = api.post(
        "/admin/cameras", json={"store_id": store_id, "name": "Front door", "is_counting_line": True}
    )
    assert created.status_code == 201, created.text
    camera_id, key = created.json()["camera"]["id"], created.json()["worker_key"]
    line = {"x1": 0.5, "y1": 0.15, "x2": 0.5, "y2": 0.95, "in_side": "left"}
    assert api.put(f"/admin/cameras/{camera_id}/counting-line", json=line).status_code == 200
    zone_ids = {}
    for zone_name, kind, polygon in [
        ("Tills", "billing", [[0.05, 0.55], [0.4, 0.55], [0.4, 0.95], [0.05, 0.95]]),
        ("New arrivals", "product", [[0.6, 0.2], [0.95, 0.2], [0.95, 0.6], [0.6, 0.6]]),
    ]:
        zone = api.post(
            f"/admin/cameras/{camera_id}/zones", json={"name": zone_name, "kind": kind, "polygon": polygon}
        )
        assert zone.status_code == 201, zone.text
        zone_ids[zone_name] = zone.json()["zone"]["id"]

    with server.worker(key) as worker:
        jpeg, _, _ = snapshot_jpeg()
        snap = worker.post(
            "/worker/snapshot",
            content=jpeg,
            headers={"Content-Type": "image/jpeg", "X-Captured-At": now.isoformat()},
        )
        assert snap.status_code == 201, snap.text
        events: list[dict[str, Any]] = []
        sales: list[dict[str, Any]] = []
        tracker = 0
        # Yesterday (an entry every 5 minutes) and this morning (every 4): the period change has a base.
        for day, every in ((local_day - timedelta(days=1), 5), (local_day, 4)):
            for first, last in COVERED:
                start = datetime.combine(day, first, ZoneInfo(tz)).astimezone(UTC)
                end = datetime.combine(day, last, ZoneInfo(tz)).astimezone(UTC)
                slot = start
                while slot < end:
                    heartbeat(worker, slot + SLOT / 2, late=True)
                    slot += SLOT
                # Each entrant leaves 9 minutes later; every third visits the tills and buys something.
                at = start + timedelta(minutes=1)
                while at + timedelta(minutes=9) < end:
                    tracker += 1
                    events.append(event("IN", at, tracker))
                    if tracker % 3 == 0:
                        zone = zone_ids["Tills"]
                        paid = at + timedelta(minutes=5)
                        events.append(event("ZONE_ENTER", at + timedelta(minutes=2), tracker, zone_id=zone))
                        events.append(event("ZONE_EXIT", paid, tracker, zone_id=zone, dwell_ms=180_000))
                        sales.append(
                            {
                                "external_id": f"till-{tracker}",
                                "ts": paid.isoformat(),
                                "amount": "12.50",
                                "currency": "EUR",
                            }
                        )
                    elif tracker % 3 == 1:
                        zone = zone_ids["New arrivals"]
                        events.append(event("ZONE_ENTER", at + timedelta(minutes=1), tracker, zone_id=zone))
                        events.append(
                            event(
                                "ZONE_EXIT", at + timedelta(minutes=2), tracker, zone_id=zone, dwell_ms=60_000
                            )
                        )
                    events.append(event("OUT", at + timedelta(minutes=9), tracker))
                    at += timedelta(minutes=every)
        post_events(worker, events)
        heartbeat(worker)  # the camera is reporting now
    owner = add_member(server, org_id)
    response = owner.api.post(f"/stores/{store_id}/transactions", json={"transactions": sales})
    assert response.status_code == 200, response.text
    return StoreWorld(org_id, org_name, store_id, name, camera_id, key, zone_ids, tz, local_day, owner)
