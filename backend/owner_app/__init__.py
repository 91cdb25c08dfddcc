"""The owner web app: the pages where store owners and viewers sign in and read their stores.

Plain ES modules and CSS in `static/` (no build step), served at `/app/` by the backend itself with the
strict security headers of `backend.static_pages`; every path under `/app/` without a file extension is a
page of the app and answers its `index.html`. `/` and the invite and reset links' short forms redirect
into it (a redirect keeps the URL fragment, which carries the one-time token).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import RedirectResponse

from backend.static_pages import SinglePageFiles, mount_shared

STATIC_DIR = Path(__file__).resolve().parent / "static"
APP_PATH = "/app"
# Short paths that open a page of the app (the invite e-mails of earlier versions link to /invite).
REDIRECTS = {"/": "/app/", "/invite": "/app/invite", "/reset": "/app/reset", "/signin": "/app/signin"}


def _redirect_to(target: str) -> Callable[[], Awaitable[RedirectResponse]]:
    async def redirect() -> RedirectResponse:
        return RedirectResponse(target, status_code=307)

    return redirect


def mount_owner_app(app: FastAPI) -> None:
    """Serve the owner app at `/app/` and the files it shares with the admin console at `/static/` (public
    files; the data comes from the bearer-protected API)."""
    mount_shared(app)
    for source, target in REDIRECTS.items():
        app.add_api_route(source, _redirect_to(target), methods=["GET"], include_in_schema=False)
    app.mount(APP_PATH, SinglePageFiles(directory=STATIC_DIR, html=True, check_dir=False), name="owner-app")
