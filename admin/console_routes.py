"""Serves the admin console's static files (admin/console/) at /admin/console/ with strict security headers.

The files are public on purpose: the page must load to show its login form. They hold no data; every
piece of data comes from the admin API, which requires a superadmin token on each request. The console is
mounted as a Starlette `Mount` (not an API route), so it is outside the `/admin` router and its
`get_current_admin` dependency, and the admin route-table tests (which walk API routes) do not see it.
The headers (`backend.static_pages.SECURITY_HEADERS`) are the owner app's.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from backend.static_pages import PageFiles

CONSOLE_DIR = Path(__file__).resolve().parent / "console"
CONSOLE_PATH = "/admin/console"


def mount_console(app: FastAPI) -> None:
    """Serve the console at `/admin/console/` (`/admin/console` redirects there), without authentication."""
    app.mount(CONSOLE_PATH, PageFiles(directory=CONSOLE_DIR, html=True), name="admin-console")
