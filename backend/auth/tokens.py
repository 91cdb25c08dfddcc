"""Owner access tokens: the built-in ES256 issuer and one verification path for every trusted issuer.

Verification never trusts the token's header for the algorithm: each issuer has a fixed algorithm list
from configuration, and the key is chosen by `kid` from that issuer's JWKS. `exp`, `nbf`, `iss` and `aud`
are always checked (PyJWT does the cryptography and claim checks; we choose the key and the issuer).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import httpx
import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.errors import NotAuthenticated
from backend.models import SigningKey
from backend.models.base import utcnow

log = structlog.get_logger(__name__)

BUILTIN_ALGORITHM = "ES256"
_RELOAD_INTERVAL_S = 60.0
IssuerKind = Literal["builtin", "external"]


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """Claims of a token whose signature and registered claims have been verified."""

    issuer: IssuerKind
    claims: dict[str, Any]

    @property
    def subject(self) -> str:
        """The `sub` claim."""
        return str(self.claims["sub"])


@dataclass(slots=True)
class _LoadedKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey | None
    public_jwk: dict[str, Any]
    retired: bool
    verifier: jwt.PyJWK  # built once per key: parsing the JWK into a key object costs ~0.1 ms


class BuiltinIssuer:
    """Signs short-lived ES256 access tokens with keys kept in the `signing_keys` table.

    Private keys are stored PEM-encrypted with the server secret. A retired key stays published and
    verifying for one token lifetime after retirement, so rotation never logs anybody out early.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._keys: dict[str, _LoadedKey] = {}
        self._active_kid: str | None = None
        self._last_load = float("-inf")
        self._lock = asyncio.Lock()

    async def _load(self, session: AsyncSession) -> None:
        grace_start = utcnow() - timedelta(seconds=self.settings.access_token_ttl_s)
        rows = (
            await session.scalars(
                select(SigningKey)
                .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > grace_start))
                .order_by(SigningKey.created_at)
            )
        ).all()
        keys: dict[str, _LoadedKey] = {}
        active: str | None = None
        for row in rows:
            cached = self._keys.get(row.kid)
            private = cached.private_key if cached else None
            if row.retired_at is None and private is None:
                loaded = serialization.load_pem_private_key(
                    row.private_pem.encode(), password=self.settings.server_secret
                )
                assert isinstance(loaded, ec.EllipticCurvePrivateKey)
                private = loaded
            verifier = cached.verifier if cached else jwt.PyJWK(row.public_jwk, algorithm=BUILTIN_ALGORITHM)
            keys[row.kid] = _LoadedKey(row.kid, private, row.public_jwk, row.retired_at is not None, verifier)
            if row.retired_at is None:
                active = row.kid  # newest active key signs
        self._keys, self._active_kid = keys, active
        self._last_load = time.monotonic()

    async def _create_key(self, session: AsyncSession) -> None:
        private = ec.generate_private_key(ec.SECP256R1())
        kid = secrets.token_hex(8)
        public_jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(private.public_key()))
        public_jwk.update({"kid": kid, "alg": BUILTIN_ALGORITHM, "use": "sig"})
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self.settings.server_secret),
        ).decode()
        session.add(SigningKey(kid=kid, private_pem=pem, public_jwk=public_jwk))
        await session.flush()
        log.info("signing_key_created", kid=kid)

    async def _active(self, session: AsyncSession) -> _LoadedKey:
        async with self._lock:
            # Reload now and then so a rotation made by another process (the CLI) is picked up.
            if self._active_kid is None or time.monotonic() - self._last_load >= _RELOAD_INTERVAL_S:
                await self._load(session)
            if self._active_kid is None:
                await self._create_key(session)
                await self._load(session)
            assert self._active_kid is not None
            return self._keys[self._active_kid]

    async def issue(self, session: AsyncSession, user_id: uuid.UUID, email: str) -> tuple[str, int]:
        """Sign an access token for a user. Returns `(token, expires_in_s)`."""
        key = await self._active(session)
        now = int(time.time())
        ttl = self.settings.access_token_ttl_s
        claims = {
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "sub": str(user_id),
            "email": email,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        assert key.private_key is not None
        token = jwt.encode(claims, key.private_key, algorithm=BUILTIN_ALGORITHM, headers={"kid": key.kid})
        return token, ttl

    async def jwks(self, session: AsyncSession) -> dict[str, Any]:
        """The public JWKS document: active keys and retired keys still in their grace period."""
        await self._active(session)
        async with self._lock:
            await self._load(session)
            return {"keys": [k.public_jwk for k in self._keys.values()]}

    async def public_key(self, session: AsyncSession, kid: str) -> jwt.PyJWK | None:
        """The verification key for `kid`, reloading from the database (at most once per second)."""
        key = self._keys.get(kid)
        if key is None and time.monotonic() - self._last_load >= 1.0:
            async with self._lock:
                await self._load(session)
            key = self._keys.get(kid)
        return key.verifier if key else None

    async def rotate(self, session: AsyncSession) -> str:
        """Retire every active key and create a new one; returns the new `kid`."""
        async with self._lock:
            await session.execute(
                update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=utcnow())
            )
            await self._create_key(session)
            await self._load(session)
            assert self._active_kid is not None
            return self._active_kid


class RemoteJwks:
    """An external issuer's JWKS, fetched over HTTP, cached, refreshed on an unknown `kid`.

    Refreshes are rate-limited (`jwks_refresh_min_interval_s`) so a flood of tokens with made-up `kid`s
    costs the identity provider at most one request per interval.
    """

    def __init__(
        self, url: str, http: httpx.AsyncClient, cache_ttl_s: float, min_refresh_interval_s: float
    ) -> None:
        self.url = url
        self.http = http
        self.cache_ttl_s = cache_ttl_s
        self.min_refresh_interval_s = min_refresh_interval_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._last_attempt = float("-inf")
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    async def _refresh(self) -> None:
        self._last_attempt = time.monotonic()
        self.fetch_count += 1
        try:
            response = await self.http.get(self.url, timeout=5.0)
            response.raise_for_status()
            key_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWKSetError) as exc:
            log.warning("jwks_fetch_failed", url=self.url, error=repr(exc))
            return
        self._keys = {k.key_id: k for k in key_set.keys if k.key_id}
        self._fetched_at = time.monotonic()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key for `kid`, or None when the issuer does not publish it."""
        now = time.monotonic()
        stale = now - self._fetched_at >= self.cache_ttl_s
        if kid not in self._keys or stale:
            async with self._lock:
                if (kid not in self._keys or stale) and (
                    time.monotonic() - self._last_attempt >= self.min_refresh_interval_s
                ):
                    await self._refresh()
        return self._keys.get(kid)


_VERIFIED_CACHE_SIZE = 4096


class TokenVerifier:
    """Verifies bearer tokens from the built-in issuer and, when configured, one external issuer.

    A token that verified is remembered (up to `_VERIFIED_CACHE_SIZE`, least recently used dropped) until
    its `exp`: the same bytes verify the same way, so a signed-in owner's next requests skip the parse and
    the ECDSA check (a third of the authentication cost). Whatever changes between requests is still read
    per request: the user's cutoff and memberships (`backend.auth.deps`), `nbf` and `exp` against the clock.
    """

    def __init__(self, settings: Settings, builtin: BuiltinIssuer, external: RemoteJwks | None) -> None:
        self.settings = settings
        self.builtin = builtin
        self.external = external
        self._verified: OrderedDict[str, VerifiedToken] = OrderedDict()

    def _remembered(self, token: str) -> VerifiedToken | None:
        found = self._verified.get(token)
        if found is None:
            return None
        now = time.time()
        claims = found.claims
        if not now < claims["exp"] or now < claims.get("nbf", now):
            del self._verified[token]
            return None
        self._verified.move_to_end(token)
        return found

    def _remember(self, token: str, verified: VerifiedToken) -> None:
        if not isinstance(verified.claims.get("exp"), int | float):
            return  # PyJWT accepts a numeric string ("exp": "1900000000"); such a token is verified each time
        self._verified[token] = verified
        if len(self._verified) > _VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)

    async def verify(self, session: AsyncSession, token: str) -> VerifiedToken:
        """Verify signature, algorithm, `exp`, `nbf`, `iss` and `aud`.

        Raises:
            NotAuthenticated: for any token that does not verify, with a generic message.
        """
        remembered = self._remembered(token)
        if remembered is not None:
            return remembered
        try:
            # One unverified parse for the header and the issuer, which choose the key.
            unverified = jwt.decode_complete(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise NotAuthenticated("Invalid token.") from exc
        kid, issuer = unverified["header"].get("kid"), unverified["payload"].get("iss")
        if not isinstance(kid, str) or not isinstance(issuer, str):
            raise NotAuthenticated("Invalid token.")

        kind: IssuerKind
        if issuer == self.settings.jwt_issuer:
            kind, algorithms, audience = "builtin", [BUILTIN_ALGORITHM], self.settings.jwt_audience
            key = await self.builtin.public_key(session, kid)
        elif self.external is not None and issuer == self.settings.external_issuer:
            kind, algorithms, audience = (
                "external",
                self.settings.external_algorithms,
                self.settings.external_audience,
            )
            key = await self.external.key(kid)
        else:
            raise NotAuthenticated("Invalid token.")
        if key is None:
            raise NotAuthenticated("Invalid token.")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=algorithms,
                audience=audience,
                issuer=issuer,
                options={"require": ["exp", "iss", "aud", "sub"], "verify_nbf": True},
            )
        except jwt.PyJWTError as exc:
            raise NotAuthenticated("Invalid token.") from exc
        verified = VerifiedToken(issuer=kind, claims=claims)
        self._remember(token, verified)
        return verified
