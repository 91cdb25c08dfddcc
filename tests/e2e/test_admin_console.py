"""The admin console in a real headless Chromium against a real backend: log in (and stay logged in across a
reload), provision a store and a camera through the forms, calibrate the counting line by dragging on a
snapshot and a zone by clicking (checked through the API), and watch a camera go offline in the health table
when its heartbeats stop. Every test fails on a browser console error and writes screenshots of the pages it
visits at 1280x800 and 390x844."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    ADMIN_EMAIL,
    OFFLINE_AFTER_S,
    REPO_ROOT,
    ConsoleErrors,
    Server,
    log_in,
    screenshot,
    snapshot_jpeg,
    utc_now,
)

STORE_HOURS = {"mon": [["09:00", "18:00"]], "sat": [["10:00", "16:00"]]}


def _unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def _showing(first: int, last: int, total: int) -> str:
    """The pager's text."""
    return f"Showing {first}\N{EN DASH}{last} of {total}"


def _camera(server: Server, *, counting: bool = True) -> tuple[dict[str, Any], str]:
    """An organization, store and camera made through the API; returns (camera, worker key)."""
    org = server.api.post("/admin/organizations", json={"name": _unique("Org")}).json()
    store = server.api.post(
        "/admin/stores",
        json={"org_id": org["id"], "name": _unique("Store"), "timezone": "UTC", "opening_hours": STORE_HOURS},
    ).json()
    created = server.api.post(
        "/admin/cameras", json={"store_id": store["id"], "name": _unique("Cam"), "is_counting_line": counting}
    ).json()
    return created["camera"], created["worker_key"]


def _heartbeat(worker: httpx.Client, frames_read: int, uptime_s: float) -> int:
    """One heartbeat as docs/worker-protocol.md describes it; returns the HTTP status (204 expected)."""
    try:
        response = worker.post(
            "/worker/heartbeat",
            json={
                "worker_version": "0.1.0",
                "uptime_s": uptime_s,
                "fps": 9.5,
                "frames_read": frames_read,
                "frames_dropped": 0,
                # 0: an outbox holding events while none arrive would make the camera stale (events_stalled).
                "outbox_depth": 0,
                "events_dropped": 0,
                "stream_status": "ok",
                "last_error": None,
                "zone_counts": {},
            },
        )
    except httpx.TransportError:
        return 0
    return response.status_code


class TestLogin:
    def test_login_survives_a_reload_and_logout_returns_to_the_form(self, page: Any, server: Server) -> None:
        page.goto(server.console_url)
        page.get_by_role("heading", name="Admin console").wait_for()
        screenshot(page, "01-login")

        log_in(page, server)
        page.get_by_role("heading", name="Organizations").wait_for()
        assert page.locator("#who").inner_text() == ADMIN_EMAIL
        assert page.evaluate("sessionStorage.getItem('storeintel.admin.token')").count(".") == 2  # a JWT

        page.reload()
        page.get_by_role("heading", name="Organizations").wait_for()
        expect(page.locator("#topbar")).to_be_visible()

        page.get_by_role("button", name="Log out").click()
        page.get_by_role("heading", name="Admin console").wait_for()
        assert page.evaluate("sessionStorage.getItem('storeintel.admin.token')") is None
        page.reload()
        page.get_by_role("heading", name="Admin console").wait_for()
        assert page.locator("#topbar").is_hidden()

    def test_an_expired_session_returns_to_the_login_form(
        self, page: Any, server: Server, console_errors: ConsoleErrors
    ) -> None:
        console_errors.allowed_urls.append("/admin/")  # the 401s that end the session
        log_in(page, server, "/organizations")
        page.get_by_role("heading", name="Organizations").wait_for()
        # A token the server no longer accepts (as after its 15 minutes): the next API call answers 401.
        page.evaluate("sessionStorage.setItem('storeintel.admin.token', 'x.y.z')")
        page.goto(f"{server.console_url}#/stores")
        page.get_by_role("heading", name="Admin console").wait_for()
        assert page.evaluate("sessionStorage.getItem('storeintel.admin.token')") is None


class TestProvisioning:
    def test_organizations_are_paged_and_searched(self, page: Any, server: Server) -> None:
        prefix = _unique("Paging")
        for n in range(26):
            server.api.post("/admin/organizations", json={"name": f"{prefix} {n:02d}"}).raise_for_status()
        log_in(page, server, "/organizations")
        page.get_by_label("Name contains").fill(prefix)
        page.get_by_label("Name contains").press("Enter")
        page.get_by_text(_showing(1, 25, 26)).wait_for()
        rows = page.get_by_role("table", name="Organizations").locator("tbody tr")
        # expect() retries until the list has re-rendered; a bare count() could read it mid-render.
        expect(rows).to_have_count(25)
        assert rows.first.inner_text().startswith(f"{prefix} 00")
        page.get_by_role("button", name="Next").click()
        page.get_by_text(_showing(26, 26, 26)).wait_for()
        assert [r.split("\t")[0] for r in rows.all_inner_texts()] == [f"{prefix} 25"]
        assert page.get_by_role("button", name="Next").is_disabled()
        page.go_back()  # the page is in the URL, so Back returns to the first one
        page.get_by_text(_showing(1, 25, 26)).wait_for()

    def test_delete_an_organization_then_cancel_the_deletion(self, page: Any, server: Server) -> None:
        name = _unique("Leaving")
        org = server.api.post("/admin/organizations", json={"name": name}).json()
        log_in(page, server, f"/organizations/{org['id']}")
        asked: list[str] = []

        def accept(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        page.get_by_role("button", name="Delete organization").click()
        page.get_by_role("button", name="Cancel deletion").wait_for()
        assert name in asked[0]
        assert "STOREINTEL_ORG_DELETION_GRACE_S" in asked[0]
        expect(page.get_by_role("status").filter(has_text="Scheduled for deletion")).to_be_visible()
        expect(page.get_by_role("button", name="Deactivate organization")).to_have_count(0)
        assert server.api.get(f"/admin/organizations/{org['id']}").json()["deletion_due_at"] is not None

        page.get_by_role("button", name="Cancel deletion").click()
        page.get_by_role("button", name="Delete organization").wait_for()
        restored = server.api.get(f"/admin/organizations/{org['id']}").json()
        assert restored["deletion_due_at"] is None
        assert restored["is_active"] is True

    def test_create_organization_store_and_camera_and_invite_an_owner(
        self, page: Any, server: Server, console_errors: ConsoleErrors
    ) -> None:
        # The refused store and camera below answer 422: Chromium logs every non-2xx fetch as a console error.
        console_errors.allowed_urls += ["/admin/stores", "/admin/cameras/"]
        org_name = _unique("Corner Shops")
        log_in(page, server, "/organizations")

        page.get_by_label("Name", exact=True).fill(org_name)
        page.get_by_label("Name", exact=True).press("Enter")
        page.get_by_role("heading", name=org_name).wait_for()
        org_id = page.url.rsplit("/", 1)[1]

        page.get_by_role("textbox", name="Email").fill("owner@example.com")
        page.get_by_role("button", name="Send invite").click()
        page.get_by_text("Invite link for owner@example.com").wait_for()
        invites = server.api.get(f"/admin/organizations/{org_id}/invites").json()["items"]
        assert [i["email"] for i in invites] == ["owner@example.com"]
        invite_table = page.get_by_role("table", name="Invites")
        expect(invite_table.get_by_role("cell", name="owner@example.com", exact=True)).to_be_visible()
        expect(invite_table.get_by_role("cell", name="pending", exact=True)).to_be_visible()
        screenshot(page, "02-organization")

        page.get_by_role("link", name="Organizations", exact=True).first.click()
        page.get_by_label("Name contains").fill(org_name)
        page.get_by_label("Name contains").press("Enter")
        page.get_by_role("link", name=org_name).wait_for()
        expect(page.get_by_role("table", name="Organizations").locator("tbody tr")).to_have_count(1)
        screenshot(page, "03-organizations")

        page.goto(f"{server.console_url}#/stores?org_id={org_id}")
        form = page.locator("form", has=page.get_by_role("heading", name="New store"))
        form.get_by_label("Organization").select_option(org_id)
        form.get_by_label("Name", exact=True).fill("High Street")
        form.get_by_label("Timezone").fill("Mars/Olympus_Mons")
        form.get_by_label("Monday").fill("09:00-18:00, 17:00-20:00")
        form.get_by_role("button", name="Create store").click()
        # The API's 422s, shown next to their fields.
        timezone_error = form.locator("[data-field=timezone] .field-error")
        timezone_error.wait_for()
        assert "IANA" in timezone_error.inner_text()
        assert form.get_by_label("Timezone").get_attribute("aria-invalid") == "true"
        screenshot(page, "04-stores-validation")
        form.get_by_label("Timezone").fill("Europe/London")
        form.get_by_role("button", name="Create store").click()
        hours_error = form.locator("[data-field='opening_hours.mon'] .field-error")
        hours_error.wait_for()
        assert hours_error.inner_text() != ""
        form.get_by_label("Monday").fill("09:00-18:00")
        form.get_by_role("button", name="Create store").click()
        page.get_by_role("heading", name="High Street").wait_for()
        store_id = page.url.rsplit("/", 1)[1]
        store = server.api.get(f"/admin/stores/{store_id}").json()
        assert (store["timezone"], store["opening_hours"]["mon"]) == ("Europe/London", [["09:00", "18:00"]])

        camera_form = page.locator("form", has=page.get_by_role("heading", name="New camera"))
        camera_form.get_by_label("Name", exact=True).fill("Entrance")
        camera_form.get_by_label("Counting-line camera").check()
        camera_form.get_by_role("button", name="Create camera").click()
        key = camera_form.locator(".secret-value").input_value()
        assert key.startswith("sik_")
        assert "shown only once" in camera_form.locator(".secret .warning").inner_text()
        page.get_by_role("table", name="Cameras").get_by_role("link", name="Entrance", exact=True).wait_for()
        screenshot(page, "05-store")
        with server.worker(key) as worker:
            assert worker.get("/worker/config").status_code == 200

        # Rotate the key: the new one works and the old one is refused at once.
        page.get_by_role("table", name="Cameras").get_by_role("link", name="Entrance", exact=True).click()
        page.get_by_role("heading", name="Entrance").wait_for()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Rotate worker key").click()
        new_key = page.locator(".secret-value").input_value()
        assert new_key.startswith("sik_")
        assert new_key != key
        screenshot(page, "06-camera")
        settings = page.locator("form", has=page.get_by_role("heading", name="Settings"))
        settings.get_by_label("Detector size (px)").fill("96")
        settings.get_by_label("Detector size (px)").press("Enter")
        imgsz_error = settings.locator("[data-field=imgsz] .field-error")
        imgsz_error.wait_for()
        assert "160" in imgsz_error.inner_text()  # pydantic's "greater than or equal to 160"
        settings.get_by_label("Detector size (px)").fill("960")
        settings.get_by_role("button", name="Save camera").click()
        page.get_by_text("Camera saved (config version").wait_for()
        assert imgsz_error.is_hidden()
        with server.worker(key) as old, server.worker(new_key) as new:
            assert old.get("/worker/config").status_code == 401
            config = new.get("/worker/config")
            assert config.status_code == 200
            assert config.json()["detection"]["imgsz"] == 960

        page.get_by_role("link", name="Cameras", exact=True).click()
        page.get_by_role("heading", name="Cameras", exact=True).wait_for()
        screenshot(page, "07-cameras")


class TestCalibration:
    def test_drag_the_counting_line_and_draw_a_zone_on_the_snapshot(
        self, page: Any, server: Server, console_errors: ConsoleErrors
    ) -> None:
        camera, key = _camera(server)
        # An uncalibrated camera has no line yet: the console reads that from the API's 404.
        console_errors.allowed_urls.append(f"/admin/cameras/{camera['id']}/counting-line")
        jpeg, width, height = snapshot_jpeg()
        with server.worker(key) as worker:
            response = worker.post(
                "/worker/snapshot",
                content=jpeg,
                headers={"Content-Type": "image/jpeg", "X-Captured-At": utc_now()},
            )
            assert response.status_code == 201, response.text
        version = camera["config_version"]

        log_in(page, server, f"/cameras/{camera['id']}/calibrate")
        page.locator("#stage.has-snapshot").wait_for()
        size = f"{width}\N{MULTIPLICATION SIGN}{height}"
        assert page.locator("#snapshot-info").inner_text().startswith(f"Snapshot {size} captured")

        def at(x: float, y: float) -> tuple[float, float]:
            # Measured each time: clicking a button may have scrolled the page.
            image = page.locator("#snapshot").bounding_box()
            return image["x"] + x * image["width"], image["y"] + y * image["height"]

        def drag(handle: str, x: float, y: float) -> None:
            # The overlay is redrawn (handles replaced) on resize and after loads: None means "replaced
            # while measuring", so measure the new one.
            box = None
            for _ in range(20):
                box = page.locator(f"[data-handle={handle}]").bounding_box()
                if box is not None:
                    break
                page.wait_for_timeout(50)
            assert box is not None, handle
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(*at(x, y), steps=6)
            page.mouse.up()

        # First a line hugging the top edge and short: saved, with the API's warnings shown.
        drag("p1", 0.40, 0.01)
        drag("p2", 0.50, 0.02)
        page.get_by_role("button", name="Save line").click()
        page.locator("#line-warnings .warnings").wait_for()
        codes = page.locator("#line-warnings li").evaluate_all("items => items.map(li => li.dataset.code)")
        assert sorted(codes) == ["near_edge", "short_line"]
        assert page.locator("#config-version").inner_text() == str(version + 1)

        # Then the real line, dragged across the doorway, with "in" on the right of 1 → 2.
        drag("p1", 0.25, 0.30)
        drag("p2", 0.75, 0.70)
        page.get_by_label("Right of 1 → 2").check()
        arrow = page.locator("#in-arrow")
        ax1, ay1, ax2, ay2 = (float(arrow.get_attribute(a)) for a in ("x1", "y1", "x2", "y2"))
        # The arrow points right of the directed line: cross((p2 - p1), (tip - p1)) > 0 with y down.
        assert (0.5 * width) * (ay2 - ay1) - (0.4 * height) * (ax2 - ax1) > 0
        page.get_by_role("button", name="Save line").click()
        page.get_by_text("No calibration warnings.").wait_for()
        assert page.locator("#config-version").inner_text() == str(version + 2)
        screenshot(page, "08-calibrate-line")

        line = server.api.get(f"/admin/cameras/{camera['id']}/counting-line").json()
        drawn = {"x1": 0.25, "y1": 0.30, "x2": 0.75, "y2": 0.70}
        for name, expected in drawn.items():
            assert line[name] == pytest.approx(expected, abs=0.002), name  # ±1.5 px on the displayed image
        assert line["in_side"] == "right"
        assert server.api.get(f"/admin/cameras/{camera['id']}").json()["config_version"] == version + 2

        # A billing zone: four clicks on the picture, a name and a kind.
        page.get_by_role("button", name="New zone").click()
        zone_form = page.locator("#zone-form")
        zone_form.get_by_label("Name").fill("Till")
        zone_form.get_by_label("Kind").select_option("billing")
        corners = [(0.10, 0.60), (0.30, 0.60), (0.30, 0.90), (0.10, 0.90)]
        for x, y in corners:
            page.mouse.click(*at(x, y))
        expect(page.locator("[data-handle^=v]")).to_have_count(4)
        screenshot(page, "09-calibrate-zone")
        zone_form.get_by_role("button", name="Save zone").click()
        page.get_by_role("button", name="Edit zone Till").wait_for()
        zones = server.api.get(f"/admin/cameras/{camera['id']}/zones").json()["items"]
        assert [(z["name"], z["kind"]) for z in zones] == [("Till", "billing")]
        for (x, y), (zx, zy) in zip(corners, zones[0]["polygon"], strict=True):
            assert (zx, zy) == (pytest.approx(x, abs=0.002), pytest.approx(y, abs=0.002))
        assert page.locator("#config-version").inner_text() == str(version + 3)

        # Keyboard: a focused endpoint moves by 0.005 of the frame per arrow key.
        page.locator("[data-handle=p1]").focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.locator("details.coords summary").click()
        assert float(page.get_by_label("x1").input_value()) == pytest.approx(line["x1"] + 0.01, abs=1e-4)
        assert page.locator("#line-status").inner_text() == "Unsaved changes."

        page.get_by_role("button", name="Request fresh snapshot").click()
        page.get_by_text("Snapshot requested").wait_for()
        assert server.api.get(f"/admin/cameras/{camera['id']}").json()["snapshot_requested"] is True

    def test_a_zone_that_crosses_itself_shows_the_api_error(
        self, page: Any, server: Server, console_errors: ConsoleErrors
    ) -> None:
        camera, _ = _camera(server, counting=False)
        console_errors.allowed_urls += [f"/admin/cameras/{camera['id']}/"]  # no line, no snapshot, the 422
        log_in(page, server, f"/cameras/{camera['id']}/calibrate")
        page.get_by_text("No snapshot yet:").wait_for()
        page.get_by_role("button", name="New zone").click()
        page.locator("#zone-form").get_by_label("Name").fill("Bow tie")
        stage = page.locator("#overlay").bounding_box()
        for x, y in [(0.2, 0.2), (0.7, 0.6), (0.7, 0.2), (0.2, 0.5)]:
            page.mouse.click(stage["x"] + x * stage["width"], stage["y"] + y * stage["height"])
        page.get_by_role("button", name="Save zone").click()
        error = page.locator("#zone-form [data-field=polygon] .field-error")
        error.wait_for()
        assert "edge" in error.inner_text()
        assert server.api.get(f"/admin/cameras/{camera['id']}/zones").json()["total"] == 0


class TestHealth:
    def test_a_camera_turns_offline_when_its_heartbeats_stop(self, page: Any, server: Server) -> None:
        camera, key = _camera(server)
        stop = threading.Event()
        statuses: list[int] = []

        def beat() -> None:
            # Like a worker: a refused or failed heartbeat is simply followed by the next one.
            with server.worker(key) as worker:
                frames = 0
                while not stop.is_set():
                    frames += 5
                    statuses.append(_heartbeat(worker, frames_read=frames, uptime_s=frames / 10))
                    stop.wait(0.5)

        beating = threading.Thread(target=beat, daemon=True)
        beating.start()
        try:
            log_in(page, server, "/health", query="?refresh=1")
            row = page.locator("tr", has=page.get_by_role("link", name=camera["name"]))
            row.locator(".badge-online").wait_for()
            assert row.locator("td[data-label=fps]").inner_text() == "9.5"
            assert row.locator("td[data-label=Outbox]").inner_text() == "0"
            screenshot(page, "10-health-online")
        finally:
            stop.set()
            beating.join(timeout=5)
        assert statuses.count(204) >= 1, statuses
        # No heartbeat for OFFLINE_AFTER_S: the table, refreshing every second by itself, turns it red.
        row.locator(".badge-offline").wait_for(timeout=(OFFLINE_AFTER_S + 5) * 1000)
        assert "row-offline" in row.get_attribute("class")
        screenshot(page, "11-health-offline")


class TestCountAudit:
    def test_record_a_hand_count_see_it_listed_and_flagged_in_health(
        self, page: Any, server: Server, console_errors: ConsoleErrors
    ) -> None:
        # A store in Paris (UTC+1 in winter, +2 in summer): the form takes store time and sends UTC.
        paris = ZoneInfo("Europe/Paris")
        org = server.api.post("/admin/organizations", json={"name": _unique("Org")}).json()
        store = server.api.post(
            "/admin/stores",
            json={
                "org_id": org["id"],
                "name": _unique("Store"),
                "timezone": "Europe/Paris",
                "opening_hours": {},
            },
        ).json()
        created = server.api.post(
            "/admin/cameras",
            json={"store_id": store["id"], "name": _unique("Audit door"), "is_counting_line": True},
        ).json()
        camera, key = created["camera"], created["worker_key"]
        line = {"x1": 0.5, "y1": 0.2, "x2": 0.5, "y2": 0.9, "in_side": "left"}
        assert server.api.put(f"/admin/cameras/{camera['id']}/counting-line", json=line).status_code == 200
        # The window: 30 minutes that ended an hour ago, on a whole minute. The worker delivers 10 IN (one
        # exactly at the start) and 8 OUT inside it, and one OUT exactly at its end (not counted).
        start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=90)
        end = start + timedelta(minutes=30)
        crossings = [("IN", start + timedelta(minutes=n)) for n in range(10)]
        crossings += [("OUT", start + timedelta(minutes=10 + n)) for n in range(8)] + [("OUT", end)]
        events = [
            {"event_id": str(uuid.uuid4()), "type": kind, "ts": ts.isoformat(), "tracker_id": n}
            for n, (kind, ts) in enumerate(crossings)
        ]
        with server.worker(key) as worker:
            delivered = worker.post("/worker/events", json={"events": events})
            assert delivered.status_code == 200, delivered.text

        console_errors.allowed_urls.append(f"/admin/cameras/{camera['id']}/count-audits")  # the 422 below
        log_in(page, server, f"/cameras/{camera['id']}/count-audit")
        form = page.locator("#audit-form")
        form.wait_for()
        assert (
            "storeintel-worker preview --source recording.mp4 --out annotated.mp4 --line 0.5,0.2,0.5,0.9 "
            in (page.locator("#audit-howto").inner_text())
        )
        local = "%Y-%m-%dT%H:%M"
        form.get_by_label("Window start").fill(end.astimezone(paris).strftime(local))
        form.get_by_label("Window end").fill(start.astimezone(paris).strftime(local))
        form.get_by_label("Counted IN").fill("10")
        form.get_by_label("Counted OUT").fill("10")
        form.get_by_role("button", name="Record audit").click()
        error = form.locator("[data-field=window_end] .field-error")
        error.wait_for()
        assert error.inner_text() == "must be after window_start"

        form.get_by_label("Window start").fill(start.astimezone(paris).strftime(local))
        form.get_by_label("Window end").fill(end.astimezone(paris).strftime(local))
        assert page.locator("#audit-utc").inner_text() == (
            f"In UTC: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"
        )
        form.get_by_label("Note").fill("Counted from the recording")
        form.get_by_role("button", name="Record audit").click()
        row = page.locator("#audit-list tbody tr").first
        expect(row.locator("td[data-label='System IN / OUT']")).to_have_text("10 / 8")
        assert row.locator("td[data-label='Hand IN / OUT']").inner_text() == "10 / 10"
        assert row.locator("td[data-label='Accuracy IN / OUT']").inner_text() == "100.0 % / 80.0 %"
        assert row.locator("td[data-label=Accuracy]").inner_text() == "90.0 % below target"
        assert row.locator("td[data-label=Note]").inner_text() == "Counted from the recording"
        window = f"{start.astimezone(paris):%Y-%m-%d %H:%M} \N{EN DASH} {end.astimezone(paris):%H:%M}"
        assert row.locator("td").first.inner_text() == window
        [stored] = server.api.get(f"/admin/cameras/{camera['id']}/count-audits").json()["items"]
        assert (
            datetime.fromisoformat(stored["window_start"]),
            datetime.fromisoformat(stored["window_end"]),
        ) == (
            start,
            end,
        )
        screenshot(page, "12-count-audit")

        page.get_by_role("link", name="Health").click()
        health = page.locator("tr", has=page.get_by_role("link", name=camera["name"]))
        cell = health.locator("td[data-label='Count audit']")
        expect(cell).to_contain_text("90.0 % below target")
        assert cell.locator(".badge-offline").inner_text() == "below target"
        screenshot(page, "13-health-count-audit")


class TestServing:
    def test_the_console_is_public_with_a_strict_content_security_policy(self, server: Server) -> None:
        with httpx.Client(base_url=server.base_url, timeout=10) as anonymous:
            redirect = anonymous.get("/admin/console")
            assert redirect.status_code == 307
            assert redirect.headers["location"].endswith("/admin/console/")
            for path, media_type in [
                ("/admin/console/", "text/html"),
                ("/admin/console/js/main.js", "text/javascript"),
                ("/admin/console/console.css", "text/css"),
            ]:
                response = anonymous.get(path)
                assert response.status_code == 200, path
                assert response.headers["content-type"].startswith(media_type), path
                csp = response.headers["content-security-policy"]
                assert "script-src 'self';" in csp
                assert "default-src 'none'" in csp
                assert "frame-ancestors 'none'" in csp
                assert response.headers["x-content-type-options"] == "nosniff"
            # The data behind it is not public.
            assert anonymous.get("/admin/organizations").status_code == 401
            assert anonymous.get("/admin/console/nope.js").status_code == 404

    def test_no_inline_script_or_handler_in_the_console_files(self) -> None:
        console = REPO_ROOT / "admin" / "console"
        html = (console / "index.html").read_text()
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
        for path in [console / "index.html", *console.rglob("*.js")]:
            text = path.read_text()
            assert re.search(r"\son[a-z]+\s*=\s*[\"']", text) is None, path  # onclick="…" in markup
            assert "innerHTML" not in text, path
            assert "eval(" not in text, path
