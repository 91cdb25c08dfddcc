"""The owner app in a real headless Chromium against a real backend, with a real SMTP server on loopback
(aiosmtpd) receiving the invite and password-reset mail.

An owner follows the link of the invite e-mail, sets a password and lands on the overview; the store page
shows every dashboard figure exactly as the API answers it for the same store and period, draws the hours
no camera covered as gaps, and its live panel moves after an event reaches `/worker/events`. A reload keeps
the session, sign-out ends it; another organization's store is the same not-found page as a store that
does not exist; a viewer gets no POS upload while an owner's upload lands; a forgotten password is reset
from the e-mailed link. Every test fails on a browser console error.

`STOREINTEL_DOCS_SCREENSHOTS=1 python -m pytest tests/e2e/test_owner_app.py -k invite` rewrites the
screenshots in `docs/img/` that `docs/owner-app.md` shows.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from demo.backend_process import free_port
from tests.e2e.conftest import DESKTOP, PHONE, REPO_ROOT, ConsoleErrors, Server, running_backend, screenshot
from tests.e2e.owner_world import (
    OFFLINE_AFTER_S,
    PASSWORD,
    StoreWorld,
    add_member,
    build_store,
    event,
    heartbeat,
    invite,
    post_events,
)

ARTIFACTS = REPO_ROOT / "test-artifacts" / "owner-app"
DOCS_IMAGES = REPO_ROOT / "docs" / "img"
LINK = re.compile(r"https?://\S+#token=[\w-]+")


@dataclass
class Mailbox:
    """Messages received by the loopback SMTP server, in arrival order."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, to: str, after: int = 0, timeout_s: float = 15) -> EmailMessage:
        """The first message to `to` among those after the first `after`, waiting up to `timeout_s`."""

        def found() -> EmailMessage | None:
            return next((m for m in self.messages[after:] if m["To"] == to), None)

        with self.arrived:
            self.arrived.wait_for(lambda: found() is not None, timeout=timeout_s)
        message = found()
        assert message is not None, (
            f"no mail to {to} within {timeout_s} s; got {[m['To'] for m in self.messages]}"
        )
        return message

    def link_in(self, message: EmailMessage) -> str:
        """The one-time link in a message's text."""
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        match = LINK.search(body.get_content())
        assert match, body.get_content()
        return match.group(0)


class _Collect:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.mailbox.arrived:
            self.mailbox.messages.append(message)
            self.mailbox.arrived.notify_all()
        return "250 OK"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), collecting what the backend sends."""
    from aiosmtpd.controller import Controller

    box = Mailbox(port=free_port())
    controller = Controller(_Collect(box), hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Server]:
    """The backend sending mail to `mailbox`, its links pointing at itself; a camera counts as reporting
    for 900 s after a heartbeat, so one (late) heartbeat per 15-minute slot covers it."""
    port = free_port()
    with running_backend(
        tmp_path_factory.mktemp("owner-app-e2e"),
        port,
        STOREINTEL_SMTP_HOST="127.0.0.1",
        STOREINTEL_SMTP_PORT=str(mailbox.port),
        STOREINTEL_SMTP_STARTTLS="false",
        STOREINTEL_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        STOREINTEL_CAMERA_OFFLINE_AFTER_S=str(OFFLINE_AFTER_S),
    ) as running:
        yield running


@pytest.fixture(scope="module")
def shop(server: Server) -> StoreWorld:
    """A store with this morning's and yesterday morning's covered hours (tests/e2e/owner_world.py)."""
    return build_store(server, "Corner Shop")


@pytest.fixture(autouse=True)
def _expected_refusals(console_errors: ConsoleErrors) -> None:
    """A page opened without a session asks `/auth/session/refresh` first and is refused (401): expected."""
    console_errors.allowed_urls.append("/auth/session/refresh")


def _raw(value: Any) -> str:
    """What the page puts in `data-value` for an API value: "" for null, JavaScript's `String(v)`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _state(bucket: dict[str, Any], figure: str) -> str:
    """How the page must draw a bucket: a value; closed all of it (empty); not yet happened (empty); or
    open, over and not counted (a gap, never a zero)."""
    if bucket[figure] is not None:
        return "covered"
    if bucket["open_s"] == 0:
        return "closed"
    if not bucket["complete"] and bucket["coverage"] is None:
        return "pending"
    return "uncovered"


def _sign_in(page: Any, server: Server, email_address: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.base_url}/app/signin")
    page.get_by_test_id("email-input").fill(email_address)
    page.get_by_test_id("password-input").fill(password)
    page.get_by_test_id("password-input").press("Enter")
    page.get_by_role("heading", name="Your stores").wait_for()


def _open_store(page: Any, server: Server, store_id: str, query: str = "") -> None:
    page.goto(f"{server.base_url}/app/stores/{store_id}{query}")
    page.locator('main[data-period-state="ready"]').wait_for()


def _figures(page: Any) -> dict[str, str]:
    """Every `data-figure` on the page: name → raw value."""
    return dict(
        page.eval_on_selector_all("[data-figure]", "els => els.map(e => [e.dataset.figure, e.dataset.value])")
    )


def _live(page: Any, name: str) -> str:
    return str(page.locator(f'[data-testid="live-panel"] [data-live="{name}"]').get_attribute("data-value"))


class TestOnboardingAndStorePage:
    def test_invite_by_email_to_the_store_page_matching_the_api(
        self, page: Any, server: Server, shop: StoreWorld, mailbox: Mailbox
    ) -> None:
        address = f"new-owner-{uuid.uuid4().hex[:6]}@example.com"
        issued = invite(server, shop.org_id, address)
        assert issued["emailed"] is True
        link = mailbox.link_in(mailbox.wait_for(address))
        assert link == f"{server.base_url}/app/invite#token={issued['token']}"

        page.goto(link)
        page.get_by_test_id("invite-form").wait_for()
        assert "token" not in page.url  # read, then dropped from the address bar and the history
        page.get_by_test_id("full-name-input").fill("Nia Owner")
        page.get_by_test_id("password-input").fill("a new owner's password")
        page.get_by_test_id("password-confirm-input").fill("a new owner's password")
        page.get_by_test_id("invite-submit").click()
        page.get_by_role("heading", name="Your stores").wait_for()

        api = httpx.Client(base_url=server.base_url, headers=shop.owner.api.headers, timeout=10)
        dashboard = api.get(f"/stores/{shop.store_id}/dashboard").json()
        live = api.get(f"/stores/{shop.store_id}/live").json()
        card = page.locator(f'[data-testid="store-card"][data-store-id="{shop.store_id}"]')
        expect(card.locator('[data-figure="footfall"]')).to_have_attribute(
            "data-value", _raw(dashboard["footfall"]["value"])
        )
        expect(card.locator('[data-figure="conversion_rate"]')).to_have_attribute(
            "data-value", _raw(dashboard["conversion_rate"]["value"])
        )
        expect(card.locator('[data-figure="coverage"]')).to_have_attribute(
            "data-value", _raw(dashboard["coverage"]["value"])
        )
        expect(card.locator('[data-live="occupancy"]')).to_have_attribute(
            "data-value", _raw(live["occupancy"])
        )
        screenshot(page, "overview", ARTIFACTS)
        if os.environ.get("STOREINTEL_DOCS_SCREENSHOTS"):
            page.screenshot(path=str(DOCS_IMAGES / "owner-app-overview.png"))

        card.get_by_role("link", name=shop.store_name).click()
        page.locator('main[data-period-state="ready"]').wait_for()
        assert page.url == f"{server.base_url}/app/stores/{shop.store_id}"
        # Every figure of the day, as the API answers it.
        shown = _figures(page)
        dashboard = api.get(f"/stores/{shop.store_id}/dashboard").json()
        for name, value in dashboard.items():
            if isinstance(value, dict) and "value" in value and name != "period":
                assert shown.pop(name) == _raw(value["value"]), name
            elif name in ("peak_occupancy_at", "busiest_hour", "busiest_hour_entries", "complete_until"):
                assert shown.pop(name) == _raw(value), name
        assert shown == {}, f"figures on the page the API does not answer: {shown}"
        assert page.locator('[data-figure="footfall"]').inner_text() == f"{dashboard['footfall']['value']:,}"
        changed = page.locator('[data-figure="footfall"]').locator("xpath=..").locator(".change")
        expect(changed).to_have_attribute("data-change-pct", _raw(dashboard["footfall"]["change_pct"]))

        # Footfall per hour: the hours no camera covered are gaps, the covered ones carry the API's count.
        day = shop.local_day.isoformat()
        footfall = api.get(
            f"/stores/{shop.store_id}/footfall", params={"from": day, "to": day, "bucket": "hour"}
        ).json()
        rows = page.eval_on_selector_all(
            '[data-testid="footfall"] [data-bucket-state]',
            "els => els.map(e => [e.dataset.start, e.dataset.bucketState, e.dataset.inCount])",
        )
        assert len(rows) == len(footfall["buckets"])
        for (start, state, count), bucket in zip(rows, footfall["buckets"], strict=True):
            assert datetime.fromisoformat(start) == datetime.fromisoformat(bucket["start"])
            assert state == _state(bucket, "in_count"), start
            assert count == _raw(bucket["in_count"])
        by_hour = {datetime.fromisoformat(r[0]).hour: r[1] for r in rows}
        assert [by_hour[h] for h in (7, 8, 9, 10, 11)] == [
            "closed",
            "covered",
            "covered",
            "uncovered",
            "covered",
        ]
        assert by_hour[23] == "closed"

        # Occupancy over the day: a point per covered bucket, gaps elsewhere.
        occupancy = api.get(
            f"/stores/{shop.store_id}/occupancy", params={"date": day, "bucket": "hour"}
        ).json()
        states = page.eval_on_selector_all(
            '[data-testid="occupancy"] [data-bucket-state]', "els => els.map(e => e.dataset.bucketState)"
        )
        assert states == [_state(b, "avg_occupancy") for b in occupancy["buckets"]]
        assert "uncovered" in states

        # Zones over the camera's snapshot, and the zone table.
        page.locator('[data-testid="zones"] img').wait_for()
        assert page.locator('[data-testid="zones"] [data-zone-id]').count() == len(shop.zone_ids)
        screenshot(page, "store", ARTIFACTS)
        if os.environ.get("STOREINTEL_DOCS_SCREENSHOTS"):
            page.screenshot(path=str(DOCS_IMAGES / "owner-app-store.png"))
            page.set_viewport_size(PHONE)
            page.wait_for_timeout(200)
            page.screenshot(path=str(DOCS_IMAGES / "owner-app-store-phone.png"))
            page.set_viewport_size(DESKTOP)

        # The live panel follows the worker: one more person inside, within a few seconds, no reload.
        before_occupancy = int(_live(page, "occupancy"))
        before_today = int(_live(page, "footfall_today"))
        with httpx.Client(
            base_url=server.base_url, headers={"X-Worker-Key": shop.worker_key}, timeout=10
        ) as worker:
            heartbeat(worker)
            post_events(worker, [event("IN", datetime.now(UTC), 9_001)])
        live_panel = page.get_by_test_id("live-panel")
        expect(live_panel.locator('[data-live="occupancy"]')).to_have_attribute(
            "data-value", str(before_occupancy + 1), timeout=8_000
        )
        expect(live_panel.locator('[data-live="footfall_today"]')).to_have_attribute(
            "data-value", str(before_today + 1)
        )

        # What the worker reports of its picture reaches the owner: frozen (still online), then a clean
        # stop (offline at once), then healthy again (the camera leaves the list).
        camera_line = live_panel.locator(f'[data-camera="{shop.camera_id}"]')
        with httpx.Client(
            base_url=server.base_url, headers={"X-Worker-Key": shop.worker_key}, timeout=10
        ) as worker:
            heartbeat(worker, stream_status="frozen")
            expect(camera_line).to_contain_text("picture frozen, nothing is counted", timeout=8_000)
            cameras_tile = live_panel.locator(".tile-live").filter(
                has=page.locator('[data-live="cameras_online"]')
            )
            expect(cameras_tile.locator(".tile-note")).to_have_text("1 without a picture")
            heartbeat(worker, stream_status="stopped")
            expect(camera_line).to_contain_text("stopped by its operator", timeout=8_000)
            heartbeat(worker)
            expect(camera_line).to_have_count(0, timeout=8_000)

    def test_a_reload_keeps_the_session_and_sign_out_ends_it(
        self, page: Any, server: Server, shop: StoreWorld
    ) -> None:
        _sign_in(page, server, shop.owner.email)
        assert page.evaluate("document.cookie") == ""  # the session cookie is HttpOnly
        assert page.evaluate("Object.keys(localStorage).length + Object.keys(sessionStorage).length") == 0
        page.reload()
        page.get_by_role("heading", name="Your stores").wait_for()
        _open_store(page, server, shop.store_id)
        page.get_by_test_id("signout").click()
        page.get_by_test_id("signin-form").wait_for()
        page.goto(f"{server.base_url}/app/stores/{shop.store_id}")
        page.get_by_test_id("signin-form").wait_for()

    def test_week_and_month_periods_match_the_api(self, page: Any, server: Server, shop: StoreWorld) -> None:
        _sign_in(page, server, shop.owner.email)
        for period in ("week", "month"):
            _open_store(page, server, shop.store_id, f"?period={period}")
            answer = shop.owner.api.get(
                f"/stores/{shop.store_id}/dashboard", params={"period": period}
            ).json()
            shown = _figures(page)
            for name in ("footfall", "exits", "avg_occupancy", "avg_dwell_s", "transactions", "coverage"):
                assert shown[name] == _raw(answer[name]["value"]), (period, name)
            buckets = page.locator('[data-testid="footfall"] [data-bucket-state]').count()
            first, last = answer["period"]["first_day"], answer["period"]["last_day"]
            assert buckets == (datetime.fromisoformat(last) - datetime.fromisoformat(first)).days + 1


class TestTenancyAndRoles:
    def test_another_organizations_store_is_the_same_not_found_page(
        self, page: Any, server: Server, shop: StoreWorld, console_errors: ConsoleErrors
    ) -> None:
        rival = build_store(server, "Rival Shop")
        # The page asks the API for each store and gets 404 for both: the browser logs those, as expected.
        console_errors.allowed_urls.append("/stores/")
        _sign_in(page, server, rival.owner.email)
        page.goto(f"{server.base_url}/app/stores/{uuid.uuid4()}")
        missing = page.get_by_test_id("not-found")
        missing.wait_for()
        missing_text = missing.inner_text()
        page.goto(f"{server.base_url}/app/stores/{shop.store_id}")
        page.get_by_test_id("not-found").wait_for()
        assert page.get_by_test_id("not-found").inner_text() == missing_text
        assert shop.store_name not in page.content()
        assert page.locator('[data-testid="store-card"]').count() == 0  # nothing of the other store shows

    def test_a_viewer_sees_no_pos_upload_and_an_owners_upload_lands(
        self, page: Any, server: Server, shop: StoreWorld, tmp_path: Path
    ) -> None:
        viewer = add_member(server, shop.org_id, "viewer")
        _sign_in(page, server, viewer.email)
        _open_store(page, server, shop.store_id)
        assert page.get_by_test_id("pos-panel").count() == 0
        assert page.get_by_test_id("pos-file").count() == 0
        page.get_by_test_id("signout").click()
        page.get_by_test_id("signin-form").wait_for()

        _sign_in(page, server, shop.owner.email)
        _open_store(page, server, shop.store_id)
        before = shop.owner.api.get(f"/stores/{shop.store_id}/dashboard").json()["transactions"]["value"]
        # At 09:30 this morning: the dashboard counts completed 15-minute slots only.
        at = datetime.combine(shop.local_day, time(9, 30), ZoneInfo(shop.timezone)).isoformat()
        csv = tmp_path / "till.csv"
        csv.write_text(
            f"external_id,ts,amount,currency\nupload-1,{at},9.99,EUR\nupload-2,{at},not-money,EUR\n"
        )
        page.get_by_test_id("pos-file").set_input_files(str(csv))
        page.get_by_test_id("pos-submit").click()
        result = page.get_by_test_id("pos-result")
        expect(result.locator('[data-pos="accepted"]')).to_have_attribute("data-value", "1")
        expect(result.locator('[data-pos="rejected"]')).to_have_attribute("data-value", "1")
        after = shop.owner.api.get(f"/stores/{shop.store_id}/dashboard").json()["transactions"]["value"]
        assert after == before + 1
        page.locator('main[data-period-state="ready"]').wait_for()
        expect(page.locator('[data-figure="transactions"]')).to_have_attribute("data-value", str(after))


class TestPasswordReset:
    def test_a_forgotten_password_is_reset_from_the_emailed_link(
        self, page: Any, server: Server, shop: StoreWorld, mailbox: Mailbox, console_errors: ConsoleErrors
    ) -> None:
        member = add_member(server, shop.org_id)
        mailbox.wait_for(member.email)  # the invite
        received = len(mailbox.messages)
        page.goto(f"{server.base_url}/app/signin")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_test_id("email-input").fill(member.email)
        page.get_by_test_id("email-input").press("Enter")
        done = page.get_by_test_id("forgot-done")
        done.wait_for()
        answer_for_member = done.inner_text()

        reset_mail = mailbox.wait_for(member.email, after=received)
        assert "password" in str(reset_mail["Subject"]).lower()
        link = mailbox.link_in(reset_mail)
        assert link.startswith(f"{server.base_url}/app/reset#token=")
        page.goto(link)
        page.get_by_test_id("reset-form").wait_for()
        assert "token" not in page.url
        page.get_by_test_id("password-input").fill("my brand new password")
        page.get_by_test_id("password-confirm-input").fill("my brand new password")
        page.get_by_test_id("reset-submit").click()
        page.get_by_role("heading", name="Your stores").wait_for()

        old = httpx.post(
            f"{server.base_url}/auth/session", json={"email": member.email, "password": PASSWORD}
        )
        new = httpx.post(
            f"{server.base_url}/auth/session",
            json={"email": member.email, "password": "my brand new password"},
        )
        assert (old.status_code, new.status_code) == (401, 200)
        # The link is one-time: a second use is refused (a 404 the page explains).
        console_errors.allowed_urls.append("/auth/password-reset/confirm")
        page.goto(link)
        page.get_by_test_id("password-input").fill("yet another password")
        page.get_by_test_id("password-confirm-input").fill("yet another password")
        page.get_by_test_id("reset-submit").click()
        page.get_by_role("heading", name="This link has expired").wait_for()

        # An address without an account gets the same answer, and no mail.
        page.goto(f"{server.base_url}/app/forgot")
        stranger = f"nobody-{uuid.uuid4().hex[:6]}@example.com"
        page.get_by_test_id("email-input").fill(stranger)
        page.get_by_test_id("email-input").press("Enter")
        page.get_by_test_id("forgot-done").wait_for()
        assert page.get_by_test_id("forgot-done").inner_text() == answer_for_member
        page.wait_for_timeout(500)
        assert not [m for m in mailbox.messages if m["To"] == stranger]


_UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !el.hidden && el.type !== 'hidden')
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
        && !el.getAttribute('aria-labelledby') && !(el.textContent || '').trim())
    .map((el) => el.outerHTML.slice(0, 120))"""


class TestAccessibility:
    def test_sign_in_by_keyboard_alone_and_every_control_is_named(
        self, page: Any, server: Server, shop: StoreWorld
    ) -> None:
        page.goto(f"{server.base_url}/app/signin")
        page.get_by_test_id("signin-form").wait_for()
        assert page.evaluate(_UNNAMED_CONTROLS) == []
        page.get_by_test_id("email-input").focus()
        page.keyboard.type(shop.owner.email)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.testid") == "password-input"
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Your stores").wait_for()
        _open_store(page, server, shop.store_id)
        assert page.evaluate(_UNNAMED_CONTROLS) == []
        assert (
            page.get_by_test_id("live-panel").get_attribute("aria-live")
            or page.locator('[data-testid="live-panel"] [aria-live="polite"]').count()
        )
        # Charts have a text alternative: a labelled image role or a table of the same figures.
        for section in ("footfall", "occupancy"):
            chart = page.get_by_test_id(section)
            assert chart.locator("[role=img][aria-label]").count() >= 1, section
            assert chart.locator("table caption").count() == 1, section
        # The period buttons work from the keyboard.
        page.get_by_test_id("period-week").focus()
        page.keyboard.press("Enter")
        page.locator('main[data-period-state="ready"]').wait_for()
        assert page.get_by_test_id("period-week").get_attribute("aria-pressed") == "true"


class TestAccountAndExport:
    def test_the_csv_download_is_the_apis_footfall_on_screen(
        self, page: Any, server: Server, shop: StoreWorld
    ) -> None:
        _sign_in(page, server, shop.owner.email)
        _open_store(page, server, shop.store_id)
        with page.expect_download() as download:
            page.get_by_test_id("download-csv").click()
        day = shop.local_day.isoformat()
        expected = shop.owner.api.get(
            f"/stores/{shop.store_id}/footfall",
            params={"from": day, "to": day, "bucket": "hour", "format": "csv"},
        )
        saved = Path(download.value.path()).read_text()
        assert saved == expected.text
        assert download.value.suggested_filename.endswith(f"{day}-hour.csv")

    def test_a_password_change_keeps_this_browser_and_ends_other_sessions(
        self, page: Any, server: Server, shop: StoreWorld, console_errors: ConsoleErrors
    ) -> None:
        member = add_member(server, shop.org_id)
        _sign_in(page, server, member.email)
        page.goto(f"{server.base_url}/app/account")
        console_errors.allowed_urls.append("/auth/password")  # the wrong current password's 422
        page.get_by_test_id("current-password-input").fill("not my password at all")
        page.get_by_test_id("new_password-input").fill("a better password 2026")
        page.get_by_test_id("new_password-confirm-input").fill("a better password 2026")
        page.get_by_test_id("password-submit").click()
        expect(page.get_by_test_id("password-form")).to_contain_text("current password")
        page.get_by_test_id("current-password-input").fill(PASSWORD)
        page.get_by_test_id("password-submit").click()
        expect(page.locator("#notice")).to_contain_text("password is changed")
        # The API client signed in before the change is signed out; this browser stays signed in.
        assert member.api.get("/me").status_code == 401
        page.reload()
        page.get_by_role("heading", name="Your account").wait_for()
        changed = httpx.post(
            f"{server.base_url}/auth/session",
            json={"email": member.email, "password": "a better password 2026"},
        )
        assert changed.status_code == 200
