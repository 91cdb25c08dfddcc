"""Count audits through the API: a hand count compared with the events a worker delivered, the window's
bounds, refused input, tenancy, the audit log, and the flag in camera health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from admin.count_audits.accuracy import Comparison, accuracy, below_target
from backend.config import Settings
from backend.models import User
from backend.models.base import utcnow
from tests.backend.ingest.helpers import event, wire_ts
from tests.factories import CameraWithKey, make_camera, make_event, make_org, make_store, make_zone


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _body(
    start: datetime, end: datetime, hand_in: int = 10, hand_out: int = 10, **extra: Any
) -> dict[str, Any]:
    return {
        "window_start": _iso(start),
        "window_end": _iso(end),
        "hand_in": hand_in,
        "hand_out": hand_out,
        **extra,
    }


@pytest.fixture
async def cam(session: AsyncSession, settings: Settings) -> CameraWithKey:
    store = await make_store(session, await make_org(session), name="Audit store")
    return await make_camera(session, settings, store, name="Front door")


@pytest.fixture
def window() -> tuple[datetime, datetime]:
    """A one-hour window that ended ten minutes ago, on whole seconds."""
    end = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    return end - timedelta(hours=1), end


async def _deliver(
    client: httpx.AsyncClient, cam: CameraWithKey, crossings: list[tuple[str, datetime]]
) -> None:
    """Events through the real ingest path, `POST /worker/events`, as the camera's worker sends them."""
    events = [event(type=kind, ts=wire_ts(ts), tracker_id=n) for n, (kind, ts) in enumerate(crossings)]
    response = await client.post("/worker/events", json={"events": events}, headers=cam.headers)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(events), response.text


# --- the accuracy formula (docs/admin-api.md, Count audits) -------------------------------------------


@pytest.mark.parametrize(
    ("abs_error", "truth", "expected"),
    [
        (0, 100, 1.0),
        (5, 100, 0.95),
        (6, 100, 0.94),
        (100, 100, 0.0),
        (250, 100, 0.0),  # clamped: counting 3.5 times the truth is no worse than counting nothing
        (0, 0, None),  # nobody crossed and nothing counted: not measured
        (3, 0, 0.0),  # nobody crossed, three counted: every count wrong
    ],
)
def test_accuracy_of_a_count(abs_error: int, truth: int, expected: float | None) -> None:
    assert accuracy(abs_error, truth) == expected


@pytest.mark.parametrize(
    ("hand_in", "hand_out", "system_in", "system_out", "expected"),
    [
        (40, 60, 40, 60, (1.0, 1.0, 1.0)),
        (40, 60, 38, 63, (0.95, 0.95, 0.95)),
        # An IN surplus does not hide an OUT shortfall: the two errors add up.
        (50, 50, 55, 45, (0.9, 0.9, 0.9)),
        (20, 0, 19, 0, (0.95, None, 0.95)),  # nobody left: OUT not measured, overall from IN alone
        (20, 0, 20, 2, (1.0, 0.0, 0.9)),
        (0, 0, 0, 0, (None, None, None)),
    ],
)
def test_comparison_per_direction_and_overall(
    hand_in: int, hand_out: int, system_in: int, system_out: int, expected: tuple[float | None, ...]
) -> None:
    c = Comparison(hand_in, hand_out, system_in, system_out)
    assert (c.accuracy_in, c.accuracy_out, c.accuracy) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("overall", "flagged"), [(0.9499, True), (0.95, False), (1.0, False), (0.0, True), (None, False)]
)
def test_below_target(overall: float | None, flagged: bool) -> None:
    assert below_target(overall, 0.95) is flagged


# --- POST and GET /admin/cameras/{camera_id}/count-audits -------------------------------------------


async def test_audit_compares_the_hand_count_with_the_delivered_events_of_the_window(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    cam: CameraWithKey,
    admin_user: User,
    admin_headers: dict[str, str],
    window: tuple[datetime, datetime],
) -> None:
    start, end = window
    minute = timedelta(minutes=1)
    await _deliver(
        client,
        cam,
        [
            ("IN", start),  # exactly at the start: counts
            ("IN", start + 5 * minute),
            ("IN", start + 20 * minute),
            ("OUT", start + 30 * minute),
            ("IN", end - timedelta(microseconds=1)),  # the last instant of the window: counts
            ("OUT", end),  # exactly at the end: the next window's
            ("IN", start - timedelta(microseconds=1)),  # just before: not counted
        ],
    )
    # Neither zone transitions nor another camera's crossings in the same store and window count.
    zone = await make_zone(session, cam.camera)
    await make_event(session, cam.camera, start + minute, "ZONE_ENTER", zone_id=zone.id)
    other = (await make_camera(session, settings, await _store_of(session, cam), name="Back door")).camera
    await make_event(session, other, start + minute, "IN")

    response = await client.post(
        f"/admin/cameras/{cam.camera.id}/count-audits",
        json=_body(start, end, hand_in=4, hand_out=2, note="Counted at the door"),
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    audit = response.json()
    assert (audit["system_in"], audit["system_out"]) == (4, 1)
    assert (audit["hand_in"], audit["hand_out"]) == (4, 2)
    assert (audit["accuracy_in"], audit["accuracy_out"]) == (1.0, 0.5)
    assert audit["accuracy"] == pytest.approx(1 - 1 / 6)
    assert audit["below_target"] is True
    assert (audit["camera_id"], audit["store_id"], audit["org_id"]) == (
        str(cam.camera.id),
        str(cam.camera.store_id),
        str(cam.camera.org_id),
    )
    assert datetime.fromisoformat(audit["window_start"]) == start
    assert datetime.fromisoformat(audit["window_end"]) == end
    assert (audit["note"], audit["recorded_by"]) == ("Counted at the door", str(admin_user.id))
    assert utcnow() - datetime.fromisoformat(audit["created_at"]) < timedelta(seconds=30)

    # Kept: the camera's list shows it, with the counts as they were when it was recorded.
    await make_event(session, cam.camera, start + 40 * minute, "OUT")  # arrives after the audit
    listed = await client.get(f"/admin/cameras/{cam.camera.id}/count-audits", headers=admin_headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 1
    assert listed.json()["items"] == [audit]

    # The write is in the admin audit log, with the audit as its after-state.
    log = await client.get(
        "/admin/audit", params={"entity_type": "count_audit", "entity_id": audit["id"]}, headers=admin_headers
    )
    [entry] = log.json()["items"]
    assert (entry["action"], entry["actor_user_id"], entry["org_id"]) == (
        "count_audit.create",
        str(admin_user.id),
        str(cam.camera.org_id),
    )
    assert (entry["before"], entry["after"]) == (None, audit)


async def _store_of(session: AsyncSession, cam: CameraWithKey) -> Any:
    from backend.models import Store

    return await session.get(Store, (cam.camera.org_id, cam.camera.store_id))


async def test_a_window_with_no_traffic_is_not_measured_and_not_flagged(
    client: httpx.AsyncClient,
    cam: CameraWithKey,
    admin_headers: dict[str, str],
    window: tuple[datetime, datetime],
) -> None:
    response = await client.post(
        f"/admin/cameras/{cam.camera.id}/count-audits", json=_body(*window, 0, 0), headers=admin_headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["system_in"], body["system_out"]) == (0, 0)
    assert (body["accuracy_in"], body["accuracy_out"], body["accuracy"], body["below_target"]) == (
        None,
        None,
        None,
        False,
    )
    assert body["note"] is None


def _shifted(window: tuple[datetime, datetime], **changes: timedelta) -> tuple[datetime, datetime]:
    start, end = window
    return start + changes.get("start", timedelta()), end + changes.get("end", timedelta())


@pytest.mark.parametrize(
    ("make_body", "field", "message"),
    [
        (lambda s, e: _body(e, e), "body.window_end", "must be after window_start"),
        (lambda s, e: _body(e, s), "body.window_end", "must be after window_start"),
        (
            lambda s, e: _body(s, utcnow() + timedelta(minutes=5)),
            "body.window_end",
            "is in the future: record the audit once the window has passed",
        ),
        (
            lambda s, e: _body(e - timedelta(hours=24, seconds=1), e),
            "body.window_end",
            "the window must not be longer than 24 h",
        ),
        (lambda s, e: _body(s, e, hand_in=-1), "body.hand_in", None),
        (lambda s, e: _body(s, e, hand_out=1_000_001), "body.hand_out", None),
        (lambda s, e: {**_body(s, e), "window_start": "2026-12-01T09:00:00"}, "body.window_start", None),
        (lambda s, e: {**_body(s, e), "window_end": "yesterday"}, "body.window_end", None),
        (lambda s, e: _body(s, e, note="x" * 1001), "body.note", None),
        (lambda s, e: {k: v for k, v in _body(s, e).items() if k != "hand_out"}, "body.hand_out", None),
    ],
)
async def test_refused_input_is_422_naming_the_field(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cam: CameraWithKey,
    admin_headers: dict[str, str],
    window: tuple[datetime, datetime],
    make_body: Any,
    field: str,
    message: str | None,
) -> None:
    response = await client.post(
        f"/admin/cameras/{cam.camera.id}/count-audits", json=make_body(*window), headers=admin_headers
    )
    assert response.status_code == 422, response.text
    fields = response.json()["error"]["fields"]
    assert field in [f["field"] for f in fields], fields
    if message is not None:
        assert fields == [{"field": field, "message": message}]
    listed = await client.get(f"/admin/cameras/{cam.camera.id}/count-audits", headers=admin_headers)
    assert listed.json()["total"] == 0  # nothing kept
    log = await client.get("/admin/audit", params={"entity_type": "count_audit"}, headers=admin_headers)
    assert log.json()["total"] == 0


async def test_a_window_of_exactly_24_hours_is_accepted(
    client: httpx.AsyncClient,
    cam: CameraWithKey,
    admin_headers: dict[str, str],
    window: tuple[datetime, datetime],
) -> None:
    _, end = window
    response = await client.post(
        f"/admin/cameras/{cam.camera.id}/count-audits",
        json=_body(end - timedelta(hours=24), end),
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text


async def test_unknown_camera_is_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str], window: tuple[datetime, datetime]
) -> None:
    url = "/admin/cameras/00000000-0000-4000-8000-000000000000/count-audits"
    created = await client.post(url, json=_body(*window), headers=admin_headers)
    assert created.status_code == 404, created.text
    assert created.json()["error"]["code"] == "not_found"
    assert (await client.get(url, headers=admin_headers)).status_code == 404


async def test_owners_are_refused_and_each_camera_lists_only_its_own_audits(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    cam: CameraWithKey,
    admin_headers: dict[str, str],
    owner_headers: dict[str, str],
    window: tuple[datetime, datetime],
) -> None:
    elsewhere = await make_camera(session, settings, await make_store(session, await make_org(session)))
    await _deliver(client, elsewhere, [("IN", window[0] + timedelta(minutes=1))])
    url = f"/admin/cameras/{cam.camera.id}/count-audits"
    refused = await client.post(url, json=_body(*window), headers=owner_headers)
    assert refused.status_code == 403, refused.text
    assert (await client.get(url, headers=owner_headers)).status_code == 403

    mine = (await client.post(url, json=_body(*window, 1, 0), headers=admin_headers)).json()
    theirs = (
        await client.post(
            f"/admin/cameras/{elsewhere.camera.id}/count-audits",
            json=_body(*window, 1, 0),
            headers=admin_headers,
        )
    ).json()
    # The other organization's event is not this camera's: 0 counted against 1 by hand.
    assert (mine["system_in"], mine["accuracy"], mine["org_id"]) == (0, 0.0, str(cam.camera.org_id))
    assert (theirs["system_in"], theirs["accuracy"], theirs["org_id"]) == (
        1,
        1.0,
        str(elsewhere.camera.org_id),
    )
    listed = (await client.get(url, headers=admin_headers)).json()
    assert [a["id"] for a in listed["items"]] == [mine["id"]]


async def test_list_is_paged_latest_window_first(
    client: httpx.AsyncClient,
    cam: CameraWithKey,
    admin_headers: dict[str, str],
    window: tuple[datetime, datetime],
) -> None:
    url = f"/admin/cameras/{cam.camera.id}/count-audits"
    ids = []
    for hours_back in (3, 1, 2):
        body = _body(*_shifted(window, start=-timedelta(hours=hours_back), end=-timedelta(hours=hours_back)))
        ids.append((await client.post(url, json=body, headers=admin_headers)).json()["id"])
    first = (await client.get(url, params={"limit": 2}, headers=admin_headers)).json()
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    assert [a["id"] for a in first["items"]] == [ids[1], ids[2]]
    rest = (await client.get(url, params={"limit": 2, "offset": 2}, headers=admin_headers)).json()
    assert [a["id"] for a in rest["items"]] == [ids[0]]
    recorded = (await client.get(url, params={"sort": "created_at"}, headers=admin_headers)).json()
    assert [a["id"] for a in recorded["items"]] == ids


# --- camera health: the last audit and its flag ---------------------------------------------------------


async def test_health_shows_the_last_audit_and_flags_accuracy_below_the_target(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    admin_headers: dict[str, str],
    window: tuple[datetime, datetime],
) -> None:
    store = await make_store(session, await make_org(session))
    start, end = window

    async def camera_with_ins(name: str, ins: int) -> CameraWithKey:
        made = await make_camera(session, settings, store, name=name)
        if ins:
            await _deliver(client, made, [("IN", start + timedelta(seconds=n)) for n in range(ins)])
        return made

    async def audit(made: CameraWithKey, hand_in: int, hours_back: int = 0) -> dict[str, Any]:
        span = _shifted(window, start=-timedelta(hours=hours_back), end=-timedelta(hours=hours_back))
        response = await client.post(
            f"/admin/cameras/{made.camera.id}/count-audits",
            json=_body(*span, hand_in, 0),
            headers=admin_headers,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    low = await camera_with_ins("1 low", 18)
    low_audit = await audit(low, 20)  # 0.9
    recovered = await camera_with_ins("2 recovered", 20)
    await audit(recovered, 20)  # 1.0, the latest window
    await audit(recovered, 40, hours_back=2)  # 0.0 but an earlier window, recorded later
    quiet = await camera_with_ins("3 quiet", 0)
    await audit(quiet, 0)  # nothing to measure
    await camera_with_ins("4 never audited", 0)

    async def health() -> dict[str, dict[str, Any]]:
        response = await client.get(
            "/admin/cameras/health", params={"store_id": str(store.id), "sort": "name"}, headers=admin_headers
        )
        assert response.status_code == 200, response.text
        return {r["camera_name"]: r for r in response.json()["items"]}

    rows = await health()
    assert rows["1 low"]["last_count_audit"] == low_audit
    assert {name: r["count_audit_below_target"] for name, r in rows.items()} == {
        "1 low": True,
        "2 recovered": False,
        "3 quiet": False,
        "4 never audited": False,
    }
    assert rows["2 recovered"]["last_count_audit"]["accuracy"] == 1.0
    assert datetime.fromisoformat(rows["2 recovered"]["last_count_audit"]["window_end"]) == end
    assert rows["3 quiet"]["last_count_audit"]["accuracy"] is None
    assert rows["4 never audited"]["last_count_audit"] is None

    # The target is a setting (STOREINTEL_COUNT_AUDIT_TARGET).
    app.state.settings = settings.model_copy(update={"count_audit_target": 0.85})
    rows = await health()
    assert rows["1 low"]["count_audit_below_target"] is False
    assert rows["1 low"]["last_count_audit"]["below_target"] is False
