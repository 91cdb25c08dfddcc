"""`POST /auth/password`: the current password is checked (and throttled), every other session and every
access token issued before the change ends, and this browser is signed in again."""

from __future__ import annotations

import httpx
import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import User
from tests.backend.auth.browser import CSRF, cookie_value, next_second, refresh_with, sign_in
from tests.factories import PASSWORD, login, make_user

NEW_PASSWORD = "a completely new passphrase"


def bearer(response: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_change_ends_every_other_session_and_older_access_tokens(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    this_browser = await sign_in(browser, user.email)
    other_browser = cookie_value(await sign_in(browser, user.email))
    plain_token = await login(browser, user.email)
    await next_second()

    changed = await browser.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(this_browser),
    )
    assert changed.status_code == 200, changed.text
    fresh_cookie = cookie_value(changed)

    # The token answered by the change works at once, although its `iat` is the cutoff's second.
    assert (await browser.get("/me", headers=bearer(changed))).status_code == 200
    account = await session.get(User, user.id, populate_existing=True)
    assert account is not None
    assert account.tokens_valid_after is not None
    assert account.tokens_valid_after.microsecond == 0
    claims = jwt.decode(changed.json()["access_token"], options={"verify_signature": False})
    assert claims["iat"] >= account.tokens_valid_after.timestamp()
    # Every access token issued before the change is refused, whichever route issued it.
    for old in (bearer(this_browser), plain_token):
        refused = await browser.get("/me", headers=old)
        assert refused.status_code == 401
    # Every earlier session ended, this browser's included; the new cookie works.
    assert (await refresh_with(browser, cookie_value(this_browser))).status_code == 401
    assert (await refresh_with(browser, other_browser)).status_code == 401
    assert (await refresh_with(browser, fresh_cookie)).status_code == 200

    assert (
        await browser.post("/auth/token", json={"email": user.email, "password": PASSWORD})
    ).status_code == 401
    await login(browser, user.email, NEW_PASSWORD)


async def test_wrong_current_password_is_422_on_the_field_and_throttled(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    token = bearer(await sign_in(browser, user.email))
    for _ in range(5):
        wrong = await browser.post(
            "/auth/password",
            json={"current_password": "not my password", "new_password": NEW_PASSWORD},
            headers=token,
        )
        assert wrong.status_code == 422
        assert [f["field"] for f in wrong.json()["error"]["fields"]] == ["body.current_password"]
    locked = await browser.post(
        "/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=token
    )
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    # Nothing changed: the password and the session are as they were.
    assert (await browser.post("/auth/session/refresh", headers=CSRF)).status_code == 200


async def test_requires_a_bearer_token(browser: httpx.AsyncClient) -> None:
    response = await browser.post(
        "/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_new_password_is_validated(browser: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    response = await browser.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=await login(browser, user.email),
    )
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["body.new_password"]
