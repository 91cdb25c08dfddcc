"""The `storeintel_session` cookie: setting and clearing it, and the CSRF guard of the routes that read it.

The cookie is HttpOnly (page scripts, and so XSS, cannot read it), SameSite=Strict, Secure (unless
`session_cookie_secure` is off) and scoped to `/auth/session`, so the browser sends it to the refresh and
sign-out routes only; every data route stays bearer-only. See docs/security.md.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Header, Request, Response

from backend.auth.sessions import IssuedSession
from backend.config import Settings
from backend.deps import SettingsDep
from backend.errors import Forbidden
from backend.models.base import utcnow

SESSION_COOKIE = "storeintel_session"
SESSION_COOKIE_PATH = "/auth/session"
CSRF_HEADER = "X-Requested-With"
CSRF_HEADER_VALUE = "storeintel"

_DEFAULT_PORTS = {"http": 80, "https": 443}


def set_session_cookie(response: Response, settings: Settings, issued: IssuedSession) -> None:
    """Set the refresh token as the session cookie, kept by the browser until the token's idle deadline."""
    max_age_s = max(0, round((issued.expires_at - utcnow()).total_seconds()))
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=max_age_s,
        path=SESSION_COOKIE_PATH,
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Tell the browser to drop the session cookie (same name, path and flags, expired)."""
    response.delete_cookie(
        SESSION_COOKIE,
        path=SESSION_COOKIE_PATH,
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased, the port only when not the scheme's default."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    try:
        port = parts.port
    except ValueError:
        return ""
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


async def require_same_origin(
    request: Request,
    settings: SettingsDep,
    x_requested_with: Annotated[
        str | None,
        Header(
            alias=CSRF_HEADER,
            description=f"Must be `{CSRF_HEADER_VALUE}`: a header a cross-site form cannot send.",
        ),
    ] = None,
) -> None:
    """CSRF guard of the cookie routes: `X-Requested-With: storeintel`, and a same-origin `Origin`.

    A cross-site page can make the browser send a cookie, but not a custom header without a CORS preflight
    (which this API never grants), and browsers set `Origin` themselves. An `Origin` header, when present,
    must be the request's own origin or that of `public_base_url` (behind a proxy the two differ).

    Raises:
        Forbidden: the header is missing or wrong, or the request comes from another origin.
    """
    if x_requested_with != CSRF_HEADER_VALUE:
        raise Forbidden(f"This route requires the header `{CSRF_HEADER}: {CSRF_HEADER_VALUE}`.")
    origin = request.headers.get("origin")
    if origin is None:
        return
    allowed = {origin_of(str(request.url)), origin_of(settings.public_base_url)}
    if origin_of(origin) not in allowed or origin.strip().lower() == "null":
        raise Forbidden("Cross-origin requests may not use the session cookie.")
