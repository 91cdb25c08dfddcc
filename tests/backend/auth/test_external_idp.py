"""An external identity provider (Supabase-style ES256 + JWKS URL), verified through the same path.

The provider is the one boundary we do not own, so its JWKS endpoint is an `httpx.MockTransport`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from jwt.algorithms import ECAlgorithm
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storeintel_app import create_app
from tests.conftest import settings_for
from tests.factories import make_user

ISSUER = "https://project.supabase.example/auth/v1"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"


class FakeProvider:
    """Holds the provider's signing keys and counts JWKS fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {"k1": ec.generate_private_key(ec.SECP256R1())}
        self.fetches = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URL
        self.fetches += 1
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
            jwk.update({"kid": kid, "alg": "ES256", "use": "sig"})
            keys.append(jwk)
        return httpx.Response(200, json={"keys": keys})

    def token(self, kid: str = "k1", **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": "authenticated", "sub": str(uuid.uuid4()), "iat": now, "exp": now + 600}
        body.update(claims)
        return jwt.encode(body, self.keys[kid], algorithm="ES256", headers={"kid": kid})


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
async def idp_client(
    provider: FakeProvider,
    database_url: str,
    tmp_path: Path,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(
        database_url,
        tmp_path,
        external_jwks_url=JWKS_URL,
        external_issuer=ISSUER,
        jwks_refresh_min_interval_s=60,
    )
    application: FastAPI = create_app(settings, http_transport=httpx.MockTransport(provider.handler))
    async with application.router.lifespan_context(application):
        application.state.engine, application.state.sessionmaker = engine, sessionmaker
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_first_sign_in_maps_email_then_subject(
    provider: FakeProvider, idp_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, "owner@shop.example")
    subject = str(uuid.uuid4())
    first = await idp_client.get(
        "/me", headers=_bearer(provider.token(sub=subject, email="Owner@Shop.example"))
    )
    assert first.status_code == 200
    assert first.json()["id"] == str(user.id)
    # From now on the subject alone identifies the user, even if the email claim changes.
    again = await idp_client.get(
        "/me", headers=_bearer(provider.token(sub=subject, email="renamed@x.example"))
    )
    assert again.json()["id"] == str(user.id)


async def test_unknown_subject_gets_401(provider: FakeProvider, idp_client: httpx.AsyncClient) -> None:
    response = await idp_client.get("/me", headers=_bearer(provider.token(email="stranger@x.example")))
    assert response.status_code == 401


async def test_unverified_email_is_not_mapped(
    provider: FakeProvider, idp_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_user(session, "victim@shop.example")
    token = provider.token(email="victim@shop.example", email_verified=False)
    assert (await idp_client.get("/me", headers=_bearer(token))).status_code == 401


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "storeintel"}, "audience of the built-in issuer"),
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"nbf": int(time.time()) + 600}, "not yet valid"),
    ],
)
async def test_external_tokens_are_checked_like_builtin_ones(
    claims: dict[str, Any],
    reason: str,
    provider: FakeProvider,
    idp_client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    await make_user(session, "owner@shop.example")
    token = provider.token(email="owner@shop.example", **claims)
    assert (await idp_client.get("/me", headers=_bearer(token))).status_code == 401, reason


async def test_new_provider_key_is_fetched_on_unknown_kid(
    provider: FakeProvider, idp_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_user(session, "owner@shop.example")
    subject = str(uuid.uuid4())
    first = provider.token(sub=subject, email="owner@shop.example")
    assert (await idp_client.get("/me", headers=_bearer(first))).status_code == 200
    assert provider.fetches == 1
    # The provider rotates in a new key; the first token signed with it triggers one refresh.
    provider.keys["k2"] = ec.generate_private_key(ec.SECP256R1())
    idp = idp_client._transport.app.state.token_verifier.external  # type: ignore[attr-defined]
    idp._last_attempt = float("-inf")  # the minimum refresh interval has passed
    token = provider.token(kid="k2", sub=subject, email="owner@shop.example")
    assert (await idp_client.get("/me", headers=_bearer(token))).status_code == 200
    assert provider.fetches == 2


async def test_a_flood_of_unknown_kids_costs_one_fetch(
    provider: FakeProvider, idp_client: httpx.AsyncClient
) -> None:
    for i in range(25):
        forged = jwt.encode(
            {"iss": ISSUER, "aud": "authenticated", "sub": "x", "exp": int(time.time()) + 60},
            ec.generate_private_key(ec.SECP256R1()),
            algorithm="ES256",
            headers={"kid": f"bogus-{i}"},
        )
        assert (await idp_client.get("/me", headers=_bearer(forged))).status_code == 401
    assert provider.fetches == 1
