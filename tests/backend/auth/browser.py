"""What a browser does with the session cookie, for the session and password tests."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.factories import PASSWORD

CSRF = {"X-Requested-With": "storeintel"}
COOKIE = "storeintel_session"


def session_cookie(response: httpx.Response) -> str:
    """The raw `Set-Cookie` header of the session cookie in `response`."""
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE}=")]
    assert len(headers) == 1, response.headers
    return headers[0]


def cookie_value(response: httpx.Response) -> str:
    value = session_cookie(response).split(";", 1)[0].removeprefix(f"{COOKIE}=").strip('"')
    assert value
    return value


def assert_cleared(response: httpx.Response) -> None:
    header = session_cookie(response).lower()
    assert "max-age=0" in header
    assert "path=/auth/session" in header


async def refresh_with(browser: httpx.AsyncClient, token: str | None, **headers: str) -> httpx.Response:
    """POST /auth/session/refresh presenting exactly `token` (or no cookie), with the CSRF header."""
    browser.cookies.clear()
    cookie = {"Cookie": f"{COOKIE}={token}"} if token else {}
    return await browser.post("/auth/session/refresh", headers={**CSRF, **cookie, **headers})


async def sign_in(browser: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    response = await browser.post(
        "/auth/session",
        json={"email": email, "password": password},
        headers={"User-Agent": "ua/" + "x" * 300},
    )
    assert response.status_code == 200, response.text
    return response


async def next_second() -> None:
    """Wait until the wall clock enters a new second: access tokens carry `iat` in whole seconds, so a
    token is refused by a cutoff only when it was issued in an earlier second."""
    await asyncio.sleep(1.001 - time.time() % 1)
