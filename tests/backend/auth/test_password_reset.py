"""Password reset by email: one answer for every address, mail through a real SMTP server on loopback,
a one-time expiring token, throttling, and every earlier session ending."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth import service
from backend.auth.crypto import keyed_hash
from backend.config import Settings
from backend.models import PasswordReset, User
from backend.models.base import utcnow
from tests.backend.auth.browser import cookie_value, next_second, refresh_with, sign_in
from tests.backend.auth.conftest import Mailbox, free_port
from tests.factories import PASSWORD, login, make_user

NEW_PASSWORD = "a freshly reset passphrase"
ACCEPTED = {"detail": "If an account exists for this address, we have sent a link to reset its password."}
INVALID = "This link is invalid or has expired."


async def ask(browser: httpx.AsyncClient, email: str) -> httpx.Response:
    return await browser.post("/auth/password-reset", json={"email": email})


async def confirm(browser: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return await browser.post("/auth/password-reset/confirm", json={"token": token, "password": password})


def link_in(text: str) -> str:
    found = re.search(r"https?://\S+", text)
    assert found, text
    return found.group(0)


async def test_the_emailed_link_resets_the_password_once_and_signs_in(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings, mailbox: Mailbox
) -> None:
    user = await make_user(session)
    earlier_session = cookie_value(await sign_in(browser, user.email))
    earlier_token = await login(browser, user.email)

    response = await ask(browser, user.email.upper())
    assert response.status_code == 202
    assert response.json() == ACCEPTED
    [mail] = await mailbox.wait_for(1)
    assert mail["To"] == user.email
    assert mail["From"] == settings.smtp_from
    assert "password" in mail["Subject"].lower()
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    link = link_in(body.get_content())
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == settings.public_base_url
    assert parts.path == "/app/reset"
    assert parts.fragment.startswith("token=")
    token = parts.fragment.removeprefix("token=")
    stored = await session.scalar(select(PasswordReset).where(PasswordReset.user_id == user.id))
    assert stored is not None
    assert stored.token_hash == keyed_hash(settings.server_secret, token)
    assert stored.expires_at - stored.created_at == timedelta(minutes=60)

    await next_second()
    done = await confirm(browser, token)
    assert done.status_code == 200, done.text
    assert (
        await browser.get("/me", headers={"Authorization": f"Bearer {done.json()['access_token']}"})
    ).json()["email"] == user.email
    assert (await refresh_with(browser, cookie_value(done))).status_code == 200
    # Everything from before the reset has ended.
    assert (await browser.get("/me", headers=earlier_token)).status_code == 401
    assert (await refresh_with(browser, earlier_session)).status_code == 401
    await login(browser, user.email, NEW_PASSWORD)
    assert (
        await browser.post("/auth/token", json={"email": user.email, "password": PASSWORD})
    ).status_code == 401

    again = await confirm(browser, token, "yet another passphrase")
    assert again.status_code == 404
    assert again.json()["error"]["message"] == INVALID


async def test_unknown_disabled_and_passwordless_addresses_get_the_same_answer_and_no_mail(
    browser: httpx.AsyncClient, session: AsyncSession, mailbox: Mailbox
) -> None:
    disabled = await make_user(session, active=False)
    invited = User(email="invited-only@example.com", password_hash=None)
    session.add(invited)
    await session.flush()
    known = await make_user(session)
    answers = [
        await ask(browser, email)
        for email in ("nobody@example.com", disabled.email, invited.email, known.email)
    ]
    assert {(a.status_code, a.text) for a in answers} == {(202, answers[0].text)}
    [mail] = await mailbox.wait_for(1)
    assert mail["To"] == known.email
    rows = (await session.scalars(select(PasswordReset))).all()
    assert [r.user_id for r in rows] == [known.id]


async def test_answer_is_the_same_when_the_mail_cannot_be_sent(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    # Nothing listens on this port: delivery fails after the response, which does not change.
    settings.smtp_host, settings.smtp_port, settings.smtp_starttls = "127.0.0.1", free_port(), False
    user = await make_user(session)
    response = await ask(browser, user.email)
    assert response.status_code == 202
    assert response.json() == ACCEPTED


async def test_expired_superseded_and_unknown_tokens_are_refused(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    expired_link = await service.request_password_reset(session, settings, user.email)
    assert expired_link is not None
    expired = expired_link.rsplit("token=", 1)[1]
    row = await session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == keyed_hash(settings.server_secret, expired))
    )
    assert row is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    first_link = await service.request_password_reset(session, settings, user.email)
    latest_link = await service.request_password_reset(session, settings, user.email)
    assert first_link is not None
    assert latest_link is not None
    await session.flush()
    for token in (expired, first_link.rsplit("token=", 1)[1], "x" * 43):
        refused = await confirm(browser, token)
        assert refused.status_code == 404
        assert refused.json()["error"]["message"] == INVALID
    assert (await confirm(browser, latest_link.rsplit("token=", 1)[1])).status_code == 200


async def test_a_user_disabled_after_asking_cannot_reset(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    link = await service.request_password_reset(session, settings, user.email)
    assert link is not None
    user.is_active = False
    await session.flush()
    assert (await confirm(browser, link.rsplit("token=", 1)[1])).status_code == 404


async def test_requests_are_throttled_per_account(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    for _ in range(3):
        assert (await ask(browser, user.email)).status_code == 202
    throttled = await ask(browser, user.email.upper())
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    # An unknown address is counted the same way, so the limit reveals nothing either.
    for _ in range(3):
        assert (await ask(browser, "nobody@example.com")).status_code == 202
    assert (await ask(browser, "nobody@example.com")).status_code == 429


async def test_requests_are_throttled_per_client_address(
    app: FastAPI, browser: httpx.AsyncClient, settings: Settings
) -> None:
    # Built at start-up from the settings; lowered here as the login throttling tests do.
    limiter = app.state.password_reset_limit_address
    assert limiter.max_failures == settings.password_reset_max_per_address
    limiter.max_failures = 4
    for i in range(4):
        assert (await ask(browser, f"someone-{i}@example.com")).status_code == 202
    assert (await ask(browser, "someone-else@example.com")).status_code == 429


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "body.email"),
        ({}, "body.email"),
    ],
)
async def test_request_body_is_validated(
    browser: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    response = await browser.post("/auth/password-reset", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == field


async def test_confirm_body_is_validated(browser: httpx.AsyncClient) -> None:
    response = await confirm(browser, "t" * 43, "short")
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["body.password"]


async def test_invite_mail_carries_the_app_link_and_accepting_sets_the_session_cookie(
    browser: httpx.AsyncClient, session: AsyncSession, settings: Settings, mailbox: Mailbox
) -> None:
    from admin.members.schemas import InviteCreate
    from admin.members.service import invite
    from backend.auth.principals import UserPrincipal
    from backend.models import Role
    from tests.factories import make_org

    org = await make_org(session, "Mail Shop")
    admin = await make_user(session, superadmin=True)
    actor = UserPrincipal(admin.id, admin.email, True)
    issued, emailed = await invite(
        session, settings, actor, org.id, InviteCreate(email="owner@example.com", role=Role.OWNER)
    )
    assert emailed is True
    [mail] = await mailbox.wait_for(1)
    assert mail["To"] == "owner@example.com"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    link = link_in(body.get_content())
    assert link == issued.link == f"{settings.public_base_url}/app/invite#token={issued.token}"

    accepted = await browser.post(
        "/auth/invites/accept", json={"token": link.rsplit("token=", 1)[1], "password": NEW_PASSWORD}
    )
    assert accepted.status_code == 200
    assert (await refresh_with(browser, cookie_value(accepted))).status_code == 200


async def test_without_smtp_the_link_is_logged_outside_production_only(settings: Settings) -> None:
    from structlog.testing import capture_logs

    from backend.auth.mail import deliver_password_reset

    link = f"{settings.public_base_url}/app/reset#token=secret-token"
    production = settings.model_copy(update={"environment": "production"})
    with capture_logs() as logged:
        assert await deliver_password_reset(settings, "a@example.com", link) is False
        assert await deliver_password_reset(production, "a@example.com", link) is False
    assert [(e["event"], e.get("link")) for e in logged] == [
        ("password_reset_link", link),
        ("password_reset_not_sent", None),
    ]
