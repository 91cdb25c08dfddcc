"""Authentication routes: password login, the public JWKS, invite redemption, and `/me`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select

from backend.auth import service
from backend.auth.deps import CurrentUser
from backend.auth.ratelimit import FailureLimiter
from backend.auth.schemas import InviteAcceptRequest, MembershipOut, MeResponse, TokenRequest, TokenResponse
from backend.auth.tokens import BuiltinIssuer
from backend.deps import SessionDep, SettingsDep
from backend.errors import NotAuthenticated, NotFound
from backend.models import Organization, User
from backend.routing import AuthFirstRoute

public_router = APIRouter(route_class=AuthFirstRoute, tags=["auth"])
owner_router = APIRouter(route_class=AuthFirstRoute, tags=["auth"])


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@public_router.post("/auth/token", responses={401: {}, 429: {}})
async def issue_token(body: TokenRequest, request: Request, session: SessionDep) -> TokenResponse:
    """Exchange email and password for a short-lived ES256 access token.

    Failed attempts are limited per account and per client address (429 with `Retry-After`).
    """
    per_account: FailureLimiter = request.app.state.login_limit_account
    per_address: FailureLimiter = request.app.state.login_limit_address
    account, address = service.normalize_email(body.email), _client_address(request)
    per_account.check(account)
    per_address.check(address)
    try:
        user = await service.authenticate(session, body.email, body.password)
    except NotAuthenticated:
        per_account.record_failure(account)
        per_address.record_failure(address)
        raise
    per_account.reset(account)
    issuer: BuiltinIssuer = request.app.state.token_issuer
    token, expires_in = await issuer.issue(session, user.id, user.email)
    return TokenResponse(access_token=token, expires_in=expires_in)


@public_router.get("/.well-known/jwks.json")
async def jwks(request: Request, session: SessionDep) -> dict[str, Any]:
    """Public keys of the built-in issuer (RFC 7517), with retired keys whose tokens may still be live."""
    issuer: BuiltinIssuer = request.app.state.token_issuer
    return await issuer.jwks(session)


@public_router.post("/auth/invites/accept", responses={404: {}})
async def accept_invite(
    body: InviteAcceptRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """Redeem an invite token: sets the password, joins the organization, and signs the user in."""
    user = await service.accept_invite(session, settings, body.token, body.password, body.full_name)
    issuer: BuiltinIssuer = request.app.state.token_issuer
    token, expires_in = await issuer.issue(session, user.id, user.email)
    return TokenResponse(access_token=token, expires_in=expires_in)


@owner_router.get("/me")
async def me(principal: CurrentUser, session: SessionDep) -> MeResponse:
    """The signed-in user, their active organizations and their role in each."""
    user = await session.get(User, principal.user_id)
    if user is None:
        raise NotFound("User not found.")
    orgs = await session.execute(
        select(Organization.id, Organization.name)
        .where(Organization.id.in_(list(principal.roles)))
        .order_by(Organization.name)
    )
    return MeResponse(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_superadmin=user.is_superadmin,
        organizations=[
            MembershipOut(org_id=oid, org_name=name, role=principal.roles[oid]) for oid, name in orgs
        ],
    )
