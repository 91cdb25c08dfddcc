"""Fixtures for analytics tests: an organization with a signed-in owner."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Organization, Role
from tests.factories import add_member, login, make_org, make_user


@dataclass
class Owner:
    """An organization and the Authorization header of its owner."""

    org: Organization
    headers: dict[str, str]


@pytest.fixture
async def owner(client: httpx.AsyncClient, session: AsyncSession) -> Owner:
    org = await make_org(session)
    user = await make_user(session)
    await add_member(session, org, user, Role.OWNER)
    return Owner(org, await login(client, user.email))
