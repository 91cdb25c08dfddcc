"""Request dependencies: one `Annotated` alias per thing a route needs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.db import session_scope

_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: committed when the route returns, rolled back when it raises.

    Requests with a method that may write start as writers on SQLite (`backend.db.session_scope`).
    """
    writes = request.method not in _READ_ONLY_METHODS
    async with session_scope(request.app.state.sessionmaker, writes=writes) as session:
        yield session


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


# scope="function": the commit runs when the handler returns and *before* the response is sent, so a client
# never sees success for a write that then fails to commit (a worker would drop acknowledged events), and
# a read right after a write always sees it.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
