"""Browser sessions: the `storeintel_session` cookie, rotation, reuse detection, expiry, sign-out, CSRF,
and sessions ending when a member loses their last organization or is disabled."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.crypto import keyed_hash
from backend.config import Settings
from backend.models import RefreshToken, Role, User
from backend.models.base import utcnow
from tests.backend.auth.browser import (
    COOKIE,
    CSRF,
    assert_cleared,
    cookie_value,
    next_second,
    refresh_with,
    session_cookie,
    sign_in,
)
from tests.factories import PASSWORD, add_member, login, make_org, make_user


async def rows_of_family(session: AsyncSession, token: str, settings: Settings) -> list[RefreshToken]:
    first = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == keyed_hash(settings.server_secret, token))
    )
    assert first is not None
    found = await session.scalars(
        select(RefreshToken)
        .where(RefreshToken.family_id == first.family_id)
        .order_by(RefreshToken.created_at)
        .execution_options(populate_existing=True)
    )
    return list(found)


class TestSignIn:
    async def test_answers_an_access_token_and_sets_a_hardened_cookie(
        self, browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        user = await make_user(session)
        response = await sign_in(browser, user.email.upper())
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 900
        header = session_cookie(response).lower()
        for flag in ("httponly", "secure", "samesite=strict", "path=/auth/session", "max-age=43200"):
            assert flag in header, header
        me = await browser.get("/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json()["email"] == user.email

        token = cookie_value(response)
        [row] = await rows_of_family(session, token, settings)
        assert row.user_id == user.id
        assert token not in row.token_hash  # only the keyed hash is stored
        assert row.expires_at - row.created_at == timedelta(hours=12)
        assert row.family_expires_at - row.created_at == timedelta(days=7)
        assert row.user_agent is not None
        assert len(row.user_agent) == 200

    async def test_cookie_secure_flag_follows_the_setting(
        self, browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        settings.session_cookie_secure = False
        user = await make_user(session)
        assert "secure" not in session_cookie(await sign_in(browser, user.email)).lower()

    async def test_wrong_password_is_401_without_cookie(
        self, browser: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        user = await make_user(session)
        response = await browser.post("/auth/session", json={"email": user.email, "password": "wrong-guess"})
        assert response.status_code == 401
        assert "set-cookie" not in response.headers

    async def test_is_throttled_with_the_login_limits(
        self, browser: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        user = await make_user(session)
        for _ in range(5):
            wrong = await browser.post("/auth/session", json={"email": user.email, "password": "wrong-guess"})
            assert wrong.status_code == 401
        locked = await browser.post("/auth/session", json={"email": user.email, "password": PASSWORD})
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > 0
        # One limiter for both routes: /auth/token is locked for this account as well.
        assert (
            await browser.post("/auth/token", json={"email": user.email, "password": PASSWORD})
        ).status_code == 429

    async def test_body_is_validated(self, browser: httpx.AsyncClient) -> None:
        response = await browser.post("/auth/session", json={"email": "not-an-email", "password": "x"})
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["field"] == "body.email"


class TestRefresh:
    async def test_rotates_the_cookie_on_every_use(
        self, browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        user = await make_user(session)
        first = cookie_value(await sign_in(browser, user.email))
        # The browser's own jar: the cookie goes back to /auth/session/refresh (Path=/auth/session).
        refreshed = await browser.post("/auth/session/refresh", headers=CSRF)
        assert refreshed.status_code == 200, refreshed.text
        second = cookie_value(refreshed)
        assert second != first
        me = await browser.get("/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"})
        assert me.status_code == 200
        third = await browser.post("/auth/session/refresh", headers=CSRF)
        assert third.status_code == 200
        assert cookie_value(third) not in {first, second}

        rows = await rows_of_family(session, first, settings)
        assert len(rows) == 3
        assert [r.used_at is not None for r in rows] == [True, True, False]
        assert len({r.family_id for r in rows}) == 1
        assert len({r.family_expires_at for r in rows}) == 1  # the absolute deadline carries over

    async def test_reusing_a_rotated_token_revokes_the_whole_family(
        self, browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        user = await make_user(session)
        stolen = cookie_value(await sign_in(browser, user.email))
        legit = cookie_value(await refresh_with(browser, stolen))
        other_browser = cookie_value(await sign_in(browser, user.email))

        replay = await refresh_with(browser, stolen)
        assert replay.status_code == 401
        assert replay.json()["error"]["code"] == "not_authenticated"
        assert_cleared(replay)
        # The successor the legitimate browser holds is dead too: both parties must sign in again.
        after = await refresh_with(browser, legit)
        assert after.status_code == 401
        assert all(r.revoked_at is not None for r in await rows_of_family(session, stolen, settings))
        # Another sign-in (another family) is not affected.
        assert (await refresh_with(browser, other_browser)).status_code == 200

    async def test_idle_session_expires(
        self, browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        user = await make_user(session)
        token = cookie_value(await sign_in(browser, user.email))
        [row] = await rows_of_family(session, token, settings)
        row.expires_at = utcnow() - timedelta(seconds=1)
        await session.flush()
        response = await refresh_with(browser, token)
        assert response.status_code == 401
        assert_cleared(response)

    async def test_absolute_lifetime_caps_every_successor(
        self, browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        settings.session_absolute_ttl_s = 120
        user = await make_user(session)
        signed_in = await sign_in(browser, user.email)
        max_age = int(session_cookie(signed_in).lower().split("max-age=")[1].split(";")[0])
        assert 110 <= max_age <= 120
        refreshed = await refresh_with(browser, cookie_value(signed_in))
        rows = await rows_of_family(session, cookie_value(refreshed), settings)
        assert all(r.expires_at == r.family_expires_at for r in rows)

    @pytest.mark.parametrize("token", [None, "", "not-a-token-we-issued-" + "x" * 20])
    async def test_missing_or_unknown_cookie_is_401_and_cleared(
        self, browser: httpx.AsyncClient, token: str | None
    ) -> None:
        response = await refresh_with(browser, token)
        assert response.status_code == 401
        assert_cleared(response)

    async def test_disabled_user_cannot_refresh(
        self, browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        user = await make_user(session)
        token = cookie_value(await sign_in(browser, user.email))
        user.is_active = False
        await session.flush()
        assert (await refresh_with(browser, token)).status_code == 401
        user.is_active = True
        await session.flush()
        # The family was revoked when it was refused: re-enabling the user does not revive it.
        assert (await refresh_with(browser, token)).status_code == 401


class TestSignOut:
    async def test_revokes_the_family_and_clears_the_cookie(
        self, browser: httpx.AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        user = await make_user(session)
        first = cookie_value(await sign_in(browser, user.email))
        current = cookie_value(await refresh_with(browser, first))
        out = await browser.delete("/auth/session", headers={**CSRF, "Cookie": f"{COOKIE}={current}"})
        assert out.status_code == 204
        assert_cleared(out)
        assert (await refresh_with(browser, current)).status_code == 401
        assert all(r.revoked_at is not None for r in await rows_of_family(session, first, settings))

    async def test_is_idempotent_without_or_with_a_dead_cookie(self, browser: httpx.AsyncClient) -> None:
        browser.cookies.clear()
        for cookie in ({}, {"Cookie": f"{COOKIE}=gone"}):
            out = await browser.delete("/auth/session", headers={**CSRF, **cookie})
            assert out.status_code == 204
            assert_cleared(out)


class TestCsrf:
    @pytest.mark.parametrize(
        ("method", "path"), [("POST", "/auth/session/refresh"), ("DELETE", "/auth/session")]
    )
    async def test_cookie_routes_need_the_header(
        self, browser: httpx.AsyncClient, session: AsyncSession, method: str, path: str
    ) -> None:
        user = await make_user(session)
        token = cookie_value(await sign_in(browser, user.email))
        for headers in ({}, {"X-Requested-With": "XMLHttpRequest"}):
            refused = await browser.request(method, path, headers={**headers, "Cookie": f"{COOKIE}={token}"})
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["code"] == "forbidden"
        # Refused before the cookie was looked at: the session still works.
        assert (await refresh_with(browser, token)).status_code == 200

    @pytest.mark.parametrize(
        ("origin", "allowed"),
        [
            ("https://testserver", True),
            ("HTTPS://TestServer:443", True),
            ("http://127.0.0.1:8000", True),  # settings.public_base_url (the app behind a proxy)
            ("https://evil.example", False),
            ("http://testserver", False),  # another scheme is another origin
            ("https://testserver:8443", False),
            ("null", False),
        ],
    )
    async def test_origin_must_be_our_own(
        self, browser: httpx.AsyncClient, session: AsyncSession, origin: str, allowed: bool
    ) -> None:
        user = await make_user(session)
        token = cookie_value(await sign_in(browser, user.email))
        response = await refresh_with(browser, token, Origin=origin)
        assert response.status_code == (200 if allowed else 403), response.text

    async def test_sign_in_and_token_routes_need_no_header(
        self, browser: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        user = await make_user(session)
        await sign_in(browser, user.email)  # no X-Requested-With: the body is JSON, no cookie is read


class TestSessionsEndWithAccess:
    async def test_losing_the_last_membership_ends_sessions_and_access_tokens(
        self,
        browser: httpx.AsyncClient,
        session: AsyncSession,
        settings: Settings,
        admin_headers: dict[str, str],
    ) -> None:
        first_org, second_org = await make_org(session), await make_org(session)
        user = await make_user(session)
        await add_member(session, first_org, user, Role.OWNER)
        await add_member(session, second_org, user, Role.VIEWER)
        token = cookie_value(await sign_in(browser, user.email))
        await next_second()
        access = await login(browser, user.email)

        removed = await browser.delete(
            f"/admin/organizations/{first_org.id}/members/{user.id}", headers=admin_headers
        )
        assert removed.status_code == 204
        # Still a member of another organization: sessions continue, the removed organization is gone.
        me = await browser.get("/me", headers=access)
        assert [o["org_id"] for o in me.json()["organizations"]] == [str(second_org.id)]
        token = cookie_value(await refresh_with(browser, token))

        await next_second()
        removed = await browser.delete(
            f"/admin/organizations/{second_org.id}/members/{user.id}", headers=admin_headers
        )
        assert removed.status_code == 204
        assert (await browser.get("/me", headers=access)).status_code == 401
        assert (await refresh_with(browser, token)).status_code == 401
        account = await session.get(User, user.id, populate_existing=True)
        assert account is not None
        assert account.tokens_valid_after is not None

    async def test_removing_a_superadmin_from_an_organization_keeps_their_sessions(
        self,
        browser: httpx.AsyncClient,
        session: AsyncSession,
        admin_headers: dict[str, str],
    ) -> None:
        org = await make_org(session)
        staff = await make_user(session, superadmin=True)
        await add_member(session, org, staff)
        token = cookie_value(await sign_in(browser, staff.email))
        removed = await browser.delete(
            f"/admin/organizations/{org.id}/members/{staff.id}", headers=admin_headers
        )
        assert removed.status_code == 204
        assert (await refresh_with(browser, token)).status_code == 200


@pytest.fixture
async def admin_user(session: AsyncSession) -> User:
    return await make_user(session, f"admin-{uuid.uuid4().hex[:6]}@example.com", superadmin=True)


@pytest.fixture
async def admin_headers(browser: httpx.AsyncClient, admin_user: User) -> dict[str, str]:
    return await login(browser, admin_user.email)
