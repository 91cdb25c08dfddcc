"""How the backend serves the owner app: every page path answers the app's index.html with the strict
security headers, a missing asset stays a 404 in the one error shape, and the short links redirect into
the app without taking a target from the request (no open redirect)."""

from __future__ import annotations

import httpx
import pytest

from admin.console_routes import CONSOLE_DIR
from backend.owner_app import STATIC_DIR
from backend.static_pages import CONTENT_SECURITY_POLICY, SHARED_DIR

INDEX = (STATIC_DIR / "index.html").read_bytes()


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Serving files does not depend on the database: SQLite only."""
    return sqlite_url


@pytest.mark.parametrize(
    "path", ["/app/", "/app/signin", "/app/stores/5f2b6a9e-0000-4000-8000-000000000000", "/app/no/such/page"]
)
async def test_every_page_path_answers_the_app_with_strict_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.content == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_assets_are_served_and_a_missing_one_is_404(client: httpx.AsyncClient) -> None:
    scripts = sorted(p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*.js"))
    assert scripts, "the app ships JavaScript modules"
    asset = await client.get(f"/app/{scripts[0]}")
    assert asset.status_code == 200
    assert asset.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert asset.headers["content-security-policy"] == CONTENT_SECURITY_POLICY

    missing = await client.get("/app/js/no-such-module.js")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "target"),
    [("/", "/app/"), ("/invite", "/app/invite"), ("/reset", "/app/reset"), ("/signin", "/app/signin")],
)
async def test_short_links_redirect_into_the_app(client: httpx.AsyncClient, path: str, target: str) -> None:
    response = await client.get(path, params={"target": "https://evil.example/"})
    assert response.status_code == 307
    assert response.headers["location"] == target


async def test_the_app_is_not_in_the_api_schema(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith(("/app", "/invite", "/reset", "/signin"))]


@pytest.mark.parametrize("name", ["dom.js", "notice.js", "base.css"])
async def test_the_files_both_web_pages_share_are_served_with_the_same_headers(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.content == (SHARED_DIR / name).read_bytes()
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # Both pages link them by absolute path.
    pages = (STATIC_DIR / "index.html").read_text(), (CONSOLE_DIR / "index.html").read_text()
    if name == "base.css":
        assert all('href="/static/base.css"' in page for page in pages)
