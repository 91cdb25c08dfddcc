"""Authentication dependencies, one `Annotated` alias per audience: owners, admins, cameras.

Routers get their audience's dependency where they are included (`backend.routers`, and
`storeintel_app` for the admin API), so an endpoint added later is protected by default.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, join, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.crypto import hashes_match, keyed_hash, worker_key_prefix
from backend.auth.principals import CameraPrincipal, UserPrincipal
from backend.auth.tokens import TokenVerifier, VerifiedToken
from backend.deps import SessionDep, SettingsDep
from backend.errors import Forbidden, NotAuthenticated
from backend.models import Camera, Membership, Organization, Role, Store, User

Roles = dict[uuid.UUID, Role]

_bearer = HTTPBearer(
    auto_error=False, description="An access token from POST /auth/token or the external IdP."
)
_worker_key = APIKeyHeader(name="X-Worker-Key", auto_error=False, description="The camera's worker key.")


# Memberships in organizations that are still active: a deactivated organization grants nothing.
_active_memberships = join(
    Membership, Organization, (Organization.id == Membership.org_id) & Organization.is_active.is_(True)
)
# Built once: constructing the statement cost as much as running it (it runs on every request).
_USER_WITH_ROLES = (
    select(User, Membership.org_id, Membership.role)
    .outerjoin(_active_memberships, Membership.user_id == User.id)
    .where(User.id == bindparam("user_id"))
)


async def _builtin_user(session: AsyncSession, token: VerifiedToken) -> tuple[User, Roles] | None:
    """The user of a built-in token with their roles in active organizations (one statement), or None when
    unknown or the token predates their cutoff.

    `User.tokens_valid_after` is set by a password change or the loss of the last membership.
    """
    try:
        user_id = uuid.UUID(token.subject)
    except ValueError:
        return None
    rows = (await session.execute(_USER_WITH_ROLES, {"user_id": user_id})).all()
    if not rows:
        return None
    user = rows[0][0]
    valid_after = user.tokens_valid_after
    if valid_after is not None:
        issued_at = token.claims.get("iat")
        # Both in whole seconds (see backend.auth.sessions.end_all_sessions).
        if not isinstance(issued_at, int | float) or issued_at < valid_after.timestamp():
            return None
    return user, {org_id: role for _, org_id, role in rows if org_id is not None}


async def _external_user(session: AsyncSession, token: VerifiedToken) -> User | None:
    user = await session.scalar(select(User).where(User.external_subject == token.subject))
    email = token.claims.get("email")
    if user is None and isinstance(email, str) and token.claims.get("email_verified", True) is not False:
        # First sign-in through the external IdP: bind its subject to the invited user with that email.
        user = await session.scalar(select(User).where(User.email == email.lower()))
        if user is not None and user.external_subject is None:
            user.external_subject = token.subject
        elif user is not None:
            return None
    return user


async def load_principal(session: AsyncSession, user: User) -> UserPrincipal:
    """The principal for `user`, with roles only in organizations that are still active."""
    rows = await session.execute(
        select(Membership.org_id, Membership.role)
        .select_from(_active_memberships)
        .where(Membership.user_id == user.id)
    )
    return _principal(user, {org_id: role for org_id, role in rows})


def _principal(user: User, roles: Roles) -> UserPrincipal:
    return UserPrincipal(user.id, user.email, user.is_superadmin, roles)


async def authenticate(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> tuple[User, Roles]:
    """The signed-in user's account row and their roles in active organizations, once per request (FastAPI
    caches a dependency within a request): `get_current_account` and `get_current_user` read it.

    A built-in token costs one statement (user and memberships joined); an external one looks the user up
    by subject (binding it on first sign-in) and then their memberships.

    Raises:
        NotAuthenticated: no bearer token, a token that does not verify, an unknown/disabled user, or a
            built-in token issued before the user's cutoff (password changed, signed out everywhere).
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("Missing bearer token.", headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.token_verifier
    token = await verifier.verify(session, credentials.credentials)
    if token.issuer == "builtin":
        found = await _builtin_user(session, token)
    else:
        user = await _external_user(session, token)
        found = (user, (await load_principal(session, user)).roles) if user is not None else None
    if found is None or not found[0].is_active:
        raise NotAuthenticated("Invalid token.", headers={"WWW-Authenticate": "Bearer"})
    return found


Authenticated = Annotated[tuple[User, Roles], Depends(authenticate)]


async def get_current_account(authenticated: Authenticated) -> User:
    """The signed-in user's own account row, for routes about the account itself (`POST /auth/password`)
    rather than any organization.

    Raises:
        NotAuthenticated: see `authenticate`.
    """
    return authenticated[0]


CurrentAccount = Annotated[User, Depends(get_current_account)]


async def get_current_user(authenticated: Authenticated) -> UserPrincipal:
    """The signed-in user as an owner principal, with their roles in active organizations.

    Raises:
        NotAuthenticated: see `authenticate`.
    """
    return _principal(*authenticated)


CurrentUser = Annotated[UserPrincipal, Depends(get_current_user)]


async def get_current_admin(user: CurrentUser) -> UserPrincipal:
    """The signed-in user, who must be a superadmin.

    Raises:
        NotAuthenticated: see `get_current_user`.
        Forbidden: a valid user who is not a superadmin.
    """
    if not user.is_superadmin:
        raise Forbidden("This route is for administrators.")
    return user


CurrentAdmin = Annotated[UserPrincipal, Depends(get_current_admin)]


async def get_current_camera(
    session: SessionDep, settings: SettingsDep, key: Annotated[str | None, Depends(_worker_key)]
) -> CameraPrincipal:
    """The camera whose worker key is in `X-Worker-Key`.

    The key is looked up by its public prefix and its keyed hash compared in constant time.

    Raises:
        NotAuthenticated: missing, malformed, unknown, rotated or revoked key.
        Forbidden: the camera is disabled, or its store or organization is deactivated.
    """
    prefix = worker_key_prefix(key) if key else None
    if key is None or prefix is None:
        raise NotAuthenticated("Missing or malformed X-Worker-Key.")
    presented = keyed_hash(settings.server_secret, key)
    rows = await session.execute(
        select(
            Camera.org_id,
            Camera.store_id,
            Camera.id,
            Camera.key_hash,
            Camera.enabled & Store.is_active & Organization.is_active,
        )
        .join(Organization, Organization.id == Camera.org_id)
        .join(Store, (Store.org_id == Camera.org_id) & (Store.id == Camera.store_id))
        .where(Camera.key_prefix == prefix)
    )
    for org_id, store_id, camera_id, key_hash, active in rows:
        if hashes_match(key_hash, presented):
            if not active:
                raise Forbidden("This camera is disabled or its organization is deactivated.")
            return CameraPrincipal(org_id=org_id, store_id=store_id, camera_id=camera_id, key_prefix=prefix)
    raise NotAuthenticated("Unknown worker key.")


CurrentCamera = Annotated[CameraPrincipal, Depends(get_current_camera)]
