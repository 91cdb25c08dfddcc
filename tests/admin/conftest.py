"""Fixtures of the admin API tests: a signed-in superadmin and a signed-in owner (who is no admin)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Role, User
from tests.factories import add_member, login, make_org, make_user


@pytest.fixture
async def admin_user(session: AsyncSession) -> User:
    """A superadmin."""
    return await make_user(session, superadmin=True)


@pytest.fixture
async def admin_headers(client: httpx.AsyncClient, admin_user: User) -> dict[str, str]:
    """The superadmin's Authorization header."""
    return await login(client, admin_user.email)


@pytest.fixture
async def owner_headers(client: httpx.AsyncClient, session: AsyncSession) -> dict[str, str]:
    """The Authorization header of an owner of some organization: a valid token, but not an admin."""
    user = await make_user(session)
    await add_member(session, await make_org(session), user, Role.OWNER)
    return await login(client, user.email)
