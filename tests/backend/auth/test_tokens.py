"""Every way a forged, stale or misdirected token can arrive gets 401; rotation keeps live tokens valid."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.tokens import BuiltinIssuer
from backend.models import User
from tests.factories import login, make_user


async def _signing_key(app: FastAPI, session: AsyncSession) -> tuple[str, ec.EllipticCurvePrivateKey]:
    issuer: BuiltinIssuer = app.state.token_issuer
    await issuer.issue(session, __import__("uuid").uuid4(), "warm@example.com")  # make sure a key exists
    key = next(k for k in issuer._keys.values() if not k.retired)
    assert key.private_key is not None
    return key.kid, key.private_key


def _claims(user: User, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "storeintel",
        "aud": "storeintel",
        "sub": str(user.id),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


Forge = Callable[[str, ec.EllipticCurvePrivateKey, User], str]


def _valid(kid: str, key: ec.EllipticCurvePrivateKey, user: User) -> str:
    return jwt.encode(_claims(user), key, algorithm="ES256", headers={"kid": kid})


def _alg_none(kid: str, key: ec.EllipticCurvePrivateKey, user: User) -> str:
    return _unsigned({"alg": "none", "typ": "JWT", "kid": kid}, _claims(user))


def _hs256_with_public_key(kid: str, key: ec.EllipticCurvePrivateKey, user: User) -> str:
    # The classic confusion attack: use the published public key as an HMAC secret.
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = _b64(json.dumps(_claims(user)).encode())
    import hashlib
    import hmac

    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _with_claims(**overrides: Any) -> Forge:
    def forge(kid: str, key: ec.EllipticCurvePrivateKey, user: User) -> str:
        return jwt.encode(_claims(user, **overrides), key, algorithm="ES256", headers={"kid": kid})

    return forge


def _unknown_kid(kid: str, key: ec.EllipticCurvePrivateKey, user: User) -> str:
    return jwt.encode(_claims(user), key, algorithm="ES256", headers={"kid": "not-a-key"})


def _foreign_key(kid: str, key: ec.EllipticCurvePrivateKey, user: User) -> str:
    return jwt.encode(
        _claims(user), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": kid}
    )


def _tampered_payload(kid: str, key: ec.EllipticCurvePrivateKey, user: User) -> str:
    header, _, signature = _valid(kid, key, user).split(".")
    other = _b64(json.dumps(_claims(user, sub="00000000-0000-0000-0000-000000000001")).encode())
    return f"{header}.{other}.{signature}"


def _tampered_signature(kid: str, key: ec.EllipticCurvePrivateKey, user: User) -> str:
    header, payload, signature = _valid(kid, key, user).split(".")
    flipped = bytearray(base64.urlsafe_b64decode(signature + "=="))
    flipped[5] ^= 0x01
    return f"{header}.{payload}.{_b64(bytes(flipped))}"


ATTACKS: dict[str, Forge] = {
    "alg none": _alg_none,
    "HS256 signed with the public key": _hs256_with_public_key,
    "wrong issuer": _with_claims(iss="https://evil.example.com"),
    "wrong audience": _with_claims(aud="someone-else"),
    "no audience": _with_claims(aud=None),
    "expired": _with_claims(
        exp=int(time.time()) - 3600, iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200
    ),
    "not yet valid": _with_claims(nbf=int(time.time()) + 3600),
    "no expiry": _with_claims(exp=None),
    "unknown kid": _unknown_kid,
    "signed by another key": _foreign_key,
    "tampered payload": _tampered_payload,
    "tampered signature": _tampered_signature,
}


async def test_a_correctly_forged_token_is_accepted(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # The control for the attack table: the same construction with nothing wrong verifies.
    user = await make_user(session)
    kid, key = await _signing_key(app, session)
    response = await client.get("/me", headers={"Authorization": f"Bearer {_valid(kid, key, user)}"})
    assert response.status_code == 200


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_attack_gets_401(
    attack: str, app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    kid, key = await _signing_key(app, session)
    token = ATTACKS[attack](kid, key, user)
    response = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz", "Bearer a.b"])
async def test_malformed_authorization_gets_401(header: str, client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401


async def test_token_of_a_deleted_user_gets_401(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    headers = await login(client, user.email)
    await session.delete(user)
    await session.flush()
    assert (await client.get("/me", headers=headers)).status_code == 401


async def test_token_of_a_disabled_user_gets_401(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    headers = await login(client, user.email)
    user.is_active = False
    await session.flush()
    assert (await client.get("/me", headers=headers)).status_code == 401


async def test_rotated_key_keeps_verifying_until_tokens_expire(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    old_headers = await login(client, user.email)
    old_kid = jwt.get_unverified_header(old_headers["Authorization"].split()[1])["kid"]

    new_kid = await app.state.token_issuer.rotate(session)
    assert new_kid != old_kid

    assert (await client.get("/me", headers=old_headers)).status_code == 200
    new_headers = await login(client, user.email)
    assert jwt.get_unverified_header(new_headers["Authorization"].split()[1])["kid"] == new_kid
    published = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert published == {old_kid, new_kid}


async def test_a_remembered_token_still_expires(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A verified token is remembered (`TokenVerifier`), and its `exp` is still read on every request."""
    user = await make_user(session)
    kid, key = await _signing_key(app, session)
    exp = int(time.time()) + 2
    token = jwt.encode(_claims(user, exp=exp), key, algorithm="ES256", headers={"kid": kid})
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/me", headers=headers)).status_code == 200
    assert token in app.state.token_verifier._verified  # remembered: the next request skips the ECDSA check
    assert (await client.get("/me", headers=headers)).status_code == 200

    await asyncio.sleep(max(0.0, exp - time.time()) + 0.05)
    expired = await client.get("/me", headers=headers)
    assert expired.status_code == 401, expired.text
    assert token not in app.state.token_verifier._verified


async def test_the_remembered_tokens_are_bounded(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Least recently used tokens are dropped beyond `_VERIFIED_CACHE_SIZE`."""
    import backend.auth.tokens

    monkeypatch.setattr(backend.auth.tokens, "_VERIFIED_CACHE_SIZE", 3)
    user = await make_user(session)
    kid, key = await _signing_key(app, session)
    tokens = [
        jwt.encode(_claims(user, jti=str(n)), key, algorithm="ES256", headers={"kid": kid}) for n in range(5)
    ]
    for token in tokens:
        assert (await client.get("/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    assert list(app.state.token_verifier._verified) == tokens[2:]
