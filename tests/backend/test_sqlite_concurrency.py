"""The embedded default under concurrent writers: requests queue for SQLite's write lock, none fail."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx

from backend.auth import service
from backend.config import Settings
from backend.db import session_scope
from storeintel_app import create_app


async def test_concurrent_admin_writes_all_succeed(tmp_path: Path) -> None:
    # A real SQLite file (not the rolled-back test transaction): every request has its own connection.
    app = create_app(Settings(data_dir=tmp_path, secret_key="s" * 40, log_level="WARNING"))
    async with app.router.lifespan_context(app):
        async with session_scope(app.state.sessionmaker) as session:
            await service.create_superadmin(session, "admin@example.com", "a long password")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            login = await client.post(
                "/auth/token", json={"email": "admin@example.com", "password": "a long password"}
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

            async def create(i: int) -> int:
                # Each request reads (authentication) and then writes: the pattern SQLite refuses when it
                # is started as a reader and another connection commits in between.
                response = await client.post(
                    "/admin/organizations", json={"name": f"org {i}"}, headers=headers
                )
                return response.status_code

            statuses = Counter(await asyncio.gather(*(create(i) for i in range(100))))
            listed = await client.get("/admin/organizations", params={"limit": 200}, headers=headers)
    assert statuses == {201: 100}
    assert listed.json()["total"] == 100
