"""Serves the admin console's static files (admin/console/) at /admin/console/ with strict security headers.

The files are public on purpose: the page must load to show its login form. They hold no data; every
piece of data comes from the admin API, which requires a superadmin token on each request. The console is
mounted as a Starlette `Mount` (not an API route), so it is outside the `/admin` router and its
`get_current_admin` dependency, and the admin route-table tests (which walk API routes) do not see it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CONSOLE_DIR = Path(__file__).resolve().parent / "console"
CONSOLE_PATH = "/admin/console"

# Scripts and styles only from our own files (no inline code, no eval), images from us or from blob: URLs
# (the snapshot is fetched with the bearer token and shown through URL.createObjectURL), API calls to our
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


class ConsoleFiles(StaticFiles):
    """`StaticFiles` that adds `SECURITY_HEADERS` to every answer (files, `index.html`, 304s)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file at `path` (relative to the console folder) with the security headers added.

        Raises:
            starlette.exceptions.HTTPException: 404 for a missing file (answered in the one JSON error shape).
        """
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def mount_console(app: FastAPI) -> None:
    """Serve the console at `/admin/console/` (`/admin/console` redirects there), without authentication."""
    app.mount(CONSOLE_PATH, ConsoleFiles(directory=CONSOLE_DIR, html=True), name="admin-console")
