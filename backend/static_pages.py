"""Serving the web pages (the owner app, the admin console) as static files with strict security headers.

The pages are public on purpose: they must load to show their sign-in form. They hold no data; every piece
of data comes from the API, which requires a bearer token on each request.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# What both web pages share (DOM helpers, the notice, base styles), served at /static/.
SHARED_DIR = Path(__file__).resolve().parent / "web_common"
SHARED_PATH = "/static"

# Scripts and styles only from our own files (no inline code, no eval), images from us or from blob: URLs
# (a snapshot is fetched with the bearer token and shown through URL.createObjectURL), API calls to our
# own origin only, and the page cannot be framed (clickjacking) or submit forms elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Revalidate on every load (ETag / Last-Modified make that cheap) so an upgrade is picked up at once.
    "Cache-Control": "no-cache",
}


class PageFiles(StaticFiles):
    """`StaticFiles` that adds `SECURITY_HEADERS` to every answer (files, `index.html`, 304s)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file at `path` (relative to the folder) with the security headers added.

        Raises:
            starlette.exceptions.HTTPException: 404 for a missing file (answered in the one JSON error shape).
        """
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


class SinglePageFiles(PageFiles):
    """`PageFiles` for a single-page app whose routes are paths: a path that is not a file and has no
    extension (`/app/stores/<id>`, `/app/invite`) answers `index.html`, so the page's router shows it
    (its own not-found view included). A missing asset (`/app/js/nope.js`) stays a 404."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file at `path`, or `index.html` for an extensionless path that is not a file.

        Raises:
            starlette.exceptions.HTTPException: 404 for a missing file with an extension.
        """
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            last = path.rsplit("/", 1)[-1]
            if exc.status_code != 404 or "." in last:
                raise
            return await super().get_response("index.html", scope)


def mount_shared(app: FastAPI) -> None:
    """Serve the files both web pages import (`backend/web_common/`) at `/static/`, without authentication."""
    app.mount(SHARED_PATH, PageFiles(directory=SHARED_DIR), name="web-common")
