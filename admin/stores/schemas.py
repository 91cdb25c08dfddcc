"""Store bodies and representations of the admin API."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from admin.common import Name
from backend.validation import Text

# Names the tz database ships that describe no place: the host's own zone and tzdata's placeholder.
_NOT_PLACES = frozenset({"localtime", "Factory"})


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_PLACES


def _iana_timezone(value: str) -> str:
    if value not in _iana_names():
        raise ValueError(f"{value!r} is not an IANA timezone name (for example Europe/London)")
    return value


IanaTimezone = Annotated[str, AfterValidator(_iana_timezone)]
_HOURS_DESCRIPTION = (
    'Store-local hours per weekday: {"mon": [["09:00", "18:00"], ["19:00", "02:00"]], ...}; '
    "keys mon..sun, a missing day is closed, close <= open runs past midnight."
)
_HOURS_EXAMPLE = {"mon": [["09:00", "18:00"]], "fri": [["09:00", "13:00"], ["19:00", "02:00"]]}


class StoreCreate(BaseModel):
    """A new store of an organization."""

    org_id: uuid.UUID
    name: Name
    timezone: IanaTimezone
    opening_hours: dict[str, Any] = Field(description=_HOURS_DESCRIPTION, examples=[_HOURS_EXAMPLE])
    address: Text | None = Field(default=None, max_length=500)


class StoreUpdate(BaseModel):
    """Fields to change; omitted fields keep their value."""

    name: Name | None = None
    timezone: IanaTimezone | None = None
    opening_hours: dict[str, Any] | None = Field(
        default=None, description=_HOURS_DESCRIPTION, examples=[_HOURS_EXAMPLE]
    )
    address: Text | None = Field(default=None, max_length=500)


class StoreOut(BaseModel):
    """A store as admins see it (also its audit-log state)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    timezone: str
    opening_hours: dict[str, Any]
    address: str | None
    is_active: bool
    created_at: datetime
