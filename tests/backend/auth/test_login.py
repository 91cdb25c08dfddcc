"""Password login with the built-in issuer, the JWKS, `/me`, and login throttling."""

from __future__ import annotations

import httpx
import jwt
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Role
from tests.factories import PASSWORD, add_member, login, make_org, make_user


async def test_login_returns_an_es256_token_whose_key_is_published(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, "Owner@Example.com".lower())
    response = await client.post("/auth/token", json={"email": "OWNER@example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "ES256"
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}
    assert all("d" not in k for k in jwks["keys"])  # never the private part
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(user.id)
    assert claims["exp"] - claims["iat"] == 900


async def test_me_lists_active_organizations_and_roles(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    shop, other, closed = (
        await make_org(session, "A shop"),
        await make_org(session, "B shop"),
        await make_org(session, "Closed", active=False),
    )
    await add_member(session, shop, user, Role.OWNER)
    await add_member(session, other, user, Role.VIEWER)
    await add_member(session, closed, user, Role.OWNER)
    response = await client.get("/me", headers=await login(client, user.email))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == user.email
    assert body["is_superadmin"] is False
    assert [(o["org_name"], o["role"]) for o in body["organizations"]] == [
        ("A shop", "owner"),
        ("B shop", "viewer"),
    ]


async def test_wrong_password_and_unknown_email_get_the_same_401(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    wrong = await client.post("/auth/token", json={"email": user.email, "password": "not it at all"})
    unknown = await client.post("/auth/token", json={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


async def test_disabled_user_cannot_log_in(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session, active=False)
    response = await client.post("/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


async def test_login_is_throttled_per_account(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    for _ in range(5):
        assert (
            await client.post("/auth/token", json={"email": user.email, "password": "guess-guess"})
        ).status_code == 401
    # Even the right password is refused while the account is locked.
    locked = await client.post("/auth/token", json={"email": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


async def test_login_is_throttled_per_client_address(app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.login_limit_address.max_failures = 3
    for i in range(3):
        response = await client.post(
            "/auth/token", json={"email": f"u{i}@example.com", "password": "guess-guess"}
        )
        assert response.status_code == 401
    response = await client.post(
        "/auth/token", json={"email": "fresh@example.com", "password": "guess-guess"}
    )
    assert response.status_code == 429


async def test_login_body_is_validated(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/token", json={"email": "not-an-email", "password": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body.email"


async def test_create_superadmin_refuses_an_email_the_login_route_refuses(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    import pytest

    from backend.auth.service import create_superadmin
    from backend.errors import ValidationFailed

    for email in ("admin@localhost", "ops@shop.local", "not-an-email"):
        login_answer = await client.post("/auth/token", json={"email": email, "password": PASSWORD})
        assert login_answer.status_code == 422, login_answer.text  # the rule the command must share
        with pytest.raises(ValidationFailed) as refused:
            await create_superadmin(session, email, PASSWORD)
        assert refused.value.fields[0]["field"] == "email"
    user = await create_superadmin(session, " Ops@Example.com ", PASSWORD)
    assert user.email == "ops@example.com"
    await login(client, "ops@example.com")


def test_the_create_superadmin_command_exits_2_on_a_refused_email(
    tmp_path: object, monkeypatch: object
) -> None:
    from typer.testing import CliRunner

    from backend.cli import app

    monkeypatch.setenv("STOREINTEL_DATA_DIR", str(tmp_path))  # type: ignore[attr-defined]
    monkeypatch.delenv("STOREINTEL_DATABASE_URL", raising=False)  # type: ignore[attr-defined]
    result = CliRunner().invoke(
        app, ["admin", "create-superadmin", "--email", "admin@localhost", "--password", PASSWORD]
    )
    assert result.exit_code == 2, result.output
    assert "email" in result.output
