"""Pieces every admin feature shares: pagination (`limit`/`offset`), allow-listed sorting, name types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, StringConstraints
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from backend.validation import MAX_SQL_INT, Text

T = TypeVar("T")
Column = ColumnElement[Any] | InstrumentedAttribute[Any]
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

# A display name: surrounding whitespace trimmed, never empty, no control characters.
Name = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Page(BaseModel, Generic[T]):
    """One page of a sorted list: `total` counts every match, `items` holds at most `limit` of them."""

    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class PageParams:
    """Which slice of a list to return: `limit` in 1..200, `offset` in 0..2**63-1 (rows to skip)."""

    limit: int
    offset: int

    def slice(self, rows: Sequence[T]) -> list[T]:
        """This page of an already-sorted in-memory list."""
        return list(rows[self.offset : self.offset + self.limit])


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_SQL_INT, description="Rows to skip.")] = 0,
) -> PageParams:
    """The `limit` and `offset` query parameters (422 naming `query.limit` / `query.offset`).

    Every paged list takes its bounds from here; `offset` stops at 2**63 - 1, the largest `OFFSET` either
    database takes (a larger one was a driver overflow, a 500).
    """
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


def order_by(sort: str, columns: Mapping[str, Column], tiebreak: Column) -> list[Any]:
    """ORDER BY clauses for `sort` (`name` ascending, `-name` descending), then `tiebreak` so pages are
    stable. `sort` is already restricted to the allow-list by the endpoint's `Literal` type."""
    column = columns[sort.removeprefix("-")]
    return [column.desc() if sort.startswith("-") else column.asc(), tiebreak.asc()]


async def fetch_page(
    session: AsyncSession, statement: Select[Any], page: PageParams, ordering: list[Any]
) -> tuple[list[Any], int]:
    """Run `statement` for one page in `ordering`; returns `(rows as scalars, total matches)`."""
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = await session.scalars(statement.order_by(*ordering).limit(page.limit).offset(page.offset))
    return list(rows), int(total or 0)


async def fetch_row_page(
    session: AsyncSession, statement: Select[*tuple[Any, ...]], page: PageParams, ordering: list[Any]
) -> tuple[list[tuple[Any, ...]], int]:
    """As `fetch_page`, for statements selecting several entities: rows as tuples."""
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = await session.execute(statement.order_by(*ordering).limit(page.limit).offset(page.offset))
    return [tuple(row) for row in rows], int(total or 0)
