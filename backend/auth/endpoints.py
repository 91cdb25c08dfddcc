"""Authentication routes: password login, browser sessions, password change and reset, the public JWKS,
invite redemption, and `/me`.

Browser sessions (docs/security.md): `POST /auth/session` answers an access token like `/auth/token` and
also sets the `storeintel_session` cookie, a refresh token that `POST /auth/session/refresh` rotates and
`DELETE /auth/session` revokes.
"""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, BackgroundTasks, Cookie, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth import service, sessions
from backend.auth.cookies import (
    SESSION_COOKIE,
    clear_session_cookie,
    require_same_origin,
    set_session_cookie,
)
from backend.auth.deps import CurrentAccount, CurrentUser
from backend.auth.mail import deliver_password_reset
from backend.auth.ratelimit import FailureLimiter
from backend.auth.schemas import (
    Accepted,
    InviteAcceptRequest,
    MembershipOut,
    MeResponse,
    PasswordChangeRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    TokenRequest,
    TokenResponse,
)
from backend.auth.tokens import BuiltinIssuer
from backend.config import Settings
from backend.deps import SessionDep, SettingsDep
from backend.errors import NotAuthenticated, NotFound, ValidationFailed, error_body
from backend.models import Organization, User
from backend.routing import AuthFirstRoute

log = structlog.get_logger(__name__)

public_router = APIRouter(route_class=AuthFirstRoute, tags=["auth"])
owner_router = APIRouter(route_class=AuthFirstRoute, tags=["auth"])

SessionCookie = Annotated[
    str | None, Cookie(alias=SESSION_COOKIE, description="The refresh token set by POST /auth/session.")
]
RESET_ACCEPTED = "If an account exists for this address, we have sent a link to reset its password."
_THROTTLED: dict[int | str, dict[str, Any]] = {429: {"description": "Too many attempts; see Retry-After"}}
_SESSION_SET = "Signed in: the access token, and the `storeintel_session` cookie (Set-Cookie)"
_CSRF_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Missing `X-Requested-With: storeintel`, or another Origin"}
}


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _access_token(request: Request, session: AsyncSession, user: User) -> TokenResponse:
    issuer: BuiltinIssuer = request.app.state.token_issuer
    token, expires_in = await issuer.issue(session, user.id, user.email)
    return TokenResponse(access_token=token, expires_in=expires_in)


async def _sign_in(
    request: Request, response: Response, session: AsyncSession, settings: Settings, user: User
) -> TokenResponse:
    """An access token, and a new session whose refresh token is set as the cookie on `response`."""
    issued = await sessions.start_session(session, settings, user.id, request.headers.get("user-agent"))
    set_session_cookie(response, settings, issued)
    return await _access_token(request, session, user)


async def _password_login(request: Request, session: AsyncSession, body: TokenRequest) -> User:
    """Check email and password under the per-account and per-address failure limits."""
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
    return user


@public_router.post("/auth/token", responses={401: {}, **_THROTTLED})
async def issue_token(body: TokenRequest, request: Request, session: SessionDep) -> TokenResponse:
    """Exchange email and password for a short-lived ES256 access token.

    Failed attempts are limited per account and per client address (429 with `Retry-After`).
    """
    user = await _password_login(request, session, body)
    return await _access_token(request, session, user)


@public_router.post(
    "/auth/session",
    responses={
        200: {"description": _SESSION_SET},
        401: {"description": "Wrong email or password"},
        **_THROTTLED,
    },
)
async def start_session(
    body: TokenRequest, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """Sign in a browser: an access token (keep it in memory) and the `storeintel_session` cookie.

    The cookie (HttpOnly, Secure, SameSite=Strict, Path=/auth/session) holds a refresh token that
    `POST /auth/session/refresh` exchanges for a new access token. Throttled like `POST /auth/token`.
    """
    user = await _password_login(request, session, body)
    return await _sign_in(request, response, session, settings, user)


def _session_refused(request: Request, settings: Settings, message: str) -> JSONResponse:
    """The 401 of a refused refresh, returned rather than raised so that revocations made on the way commit;
    it also clears the cookie."""
    refused = JSONResponse(
        error_body(request, NotAuthenticated.code, message), status_code=NotAuthenticated.status_code
    )
    clear_session_cookie(refused, settings)
    return refused


@public_router.post(
    "/auth/session/refresh",
    response_model=TokenResponse,
    dependencies=[Depends(require_same_origin)],
    responses={
        200: {"description": "A new access token, and the rotated cookie (Set-Cookie)"},
        401: {"description": "No session, or it expired, was revoked or reused (the cookie is cleared)"},
        **_CSRF_REFUSED,
    },
)
async def refresh_session(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    cookie: SessionCookie = None,
) -> TokenResponse | Response:
    """Exchange the session cookie for a new access token; the cookie is rotated on every use.

    A refresh token works once: presenting one that was already exchanged revokes the whole session
    (someone copied it) and answers 401. Requires `X-Requested-With: storeintel` (CSRF guard).
    """
    if not cookie:
        return _session_refused(request, settings, "No session.")
    outcome = await sessions.rotate_session(session, settings, cookie, request.headers.get("user-agent"))
    if isinstance(outcome, sessions.Refused):
        if outcome.reason == "reused":
            log.warning("refresh_token_reused", family_id=str(outcome.family_id))
        return _session_refused(request, settings, "The session has ended; sign in again.")
    set_session_cookie(response, settings, outcome.issued)
    return await _access_token(request, session, outcome.user)


@public_router.delete(
    "/auth/session",
    status_code=204,
    dependencies=[Depends(require_same_origin)],
    responses={204: {"description": "Signed out; the cookie is cleared"}, **_CSRF_REFUSED},
)
async def end_session(session: SessionDep, settings: SettingsDep, cookie: SessionCookie = None) -> Response:
    """Sign the browser out: revoke its session and clear the cookie (204 even without a session)."""
    if cookie:
        await sessions.end_session(session, settings, cookie)
    response = Response(status_code=204)
    clear_session_cookie(response, settings)
    return response


# On the public router with its own `CurrentAccount`, not on `owner_router`: owner routes act inside an
# organization (and tests/backend/test_tenancy.py holds them to that); this one acts on the account itself.
@public_router.post(
    "/auth/password",
    responses={
        200: {"description": "Changed: a new access token and session cookie for this browser"},
        401: {"description": "Missing, invalid or expired bearer token"},
        422: {"description": "`body.current_password` is wrong, or the new password is too short"},
        **_THROTTLED,
    },
)
async def change_password(
    body: PasswordChangeRequest,
    user: CurrentAccount,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Change the signed-in user's password. Every other session ends and every access token issued
    before now stops working; this browser gets a new access token and session cookie.

    Wrong current passwords count against the account's login limit (429 with `Retry-After`).
    """
    per_account: FailureLimiter = request.app.state.login_limit_account
    per_account.check(user.email)
    try:
        await service.change_password(session, user, body.current_password, body.new_password)
    except ValidationFailed:
        per_account.record_failure(user.email)
        raise
    per_account.reset(user.email)
    return await _sign_in(request, response, session, settings, user)


@public_router.post(
    "/auth/password-reset",
    status_code=202,
    responses={
        202: {"description": "Taken (the same answer whether or not the account exists)"},
        **_THROTTLED,
    },
)
async def request_password_reset(
    body: PasswordResetRequest,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
) -> Accepted:
    """Email a one-time link to reset the password (`{public_base_url}/app/reset#token=...`).

    The answer is the same whether or not an account exists, and the email goes out after the response,
    so neither the answer nor its timing tells who has an account. Requests are limited per address and
    per client (429 with `Retry-After`).
    """
    email = service.normalize_email(body.email)
    per_address: FailureLimiter = request.app.state.password_reset_limit_address
    per_account: FailureLimiter = request.app.state.password_reset_limit_account
    per_address.attempt(_client_address(request))
    per_account.attempt(email)
    link = await service.request_password_reset(session, settings, email)
    if link is not None:
        background.add_task(deliver_password_reset, settings, email, link)
    return Accepted(detail=RESET_ACCEPTED)


@public_router.post(
    "/auth/password-reset/confirm",
    responses={
        200: {"description": _SESSION_SET},
        404: {"description": "This link is invalid or has expired"},
    },
)
async def confirm_password_reset(
    body: PasswordResetConfirm,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Set a new password with the token from the reset link, and sign in (access token and cookie).

    The link works once; every earlier session and access token of the user ends.
    """
    user = await service.confirm_password_reset(session, settings, body.token, body.password)
    request.app.state.login_limit_account.reset(user.email)
    return await _sign_in(request, response, session, settings, user)


@public_router.get("/.well-known/jwks.json")
async def jwks(request: Request, session: SessionDep) -> dict[str, Any]:
    """Public keys of the built-in issuer (RFC 7517), with retired keys whose tokens may still be live."""
    issuer: BuiltinIssuer = request.app.state.token_issuer
    return await issuer.jwks(session)


@public_router.post("/auth/invites/accept", responses={200: {"description": _SESSION_SET}, 404: {}})
async def accept_invite(
    body: InviteAcceptRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Redeem an invite token: sets the password, joins the organization, and signs the user in (access
    token and session cookie)."""
    user = await service.accept_invite(session, settings, body.token, body.password, body.full_name)
    return await _sign_in(request, response, session, settings, user)


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
