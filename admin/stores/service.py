"""Store logic: opening hours validated strictly, every write audited. Never commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from admin.audit import service as audit
from admin.organizations import service as organizations
from admin.stores import repository
from admin.stores.schemas import StoreCreate, StoreOut, StoreUpdate
from backend.auth.principals import UserPrincipal
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.models import Store
from backend.stores.hours import OpeningHoursError, parse_opening_hours


def _checked_hours(raw: dict[str, Any]) -> dict[str, Any]:
    """The hours as given, after strict validation.

    Raises:
        ValidationFailed: naming the part, for example `body.opening_hours.mon.0`.
    """
    try:
        parse_opening_hours(raw)
    except OpeningHoursError as exc:
        field = f"body.opening_hours.{exc.path}" if exc.path else "body.opening_hours"
        raise ValidationFailed.for_field(field, exc.message) from exc
    return raw


async def get(session: AsyncSession, store_id: uuid.UUID, *, for_update: bool = False) -> Store:
    """The store.

    Raises:
        NotFound: no such store.
    """
    store = await repository.get(session, store_id, for_update=for_update)
    if store is None:
        raise NotFound("Store not found.")
    return store


async def create(session: AsyncSession, actor: UserPrincipal, body: StoreCreate) -> Store:
    """Create an active store.

    Raises:
        ValidationFailed: bad opening hours.
        NotFound: no such organization (named in the message).
        Conflict: the organization is deactivated.
    """
    hours = _checked_hours(body.opening_hours)
    org = await organizations.get(session, body.org_id)
    if not org.is_active:
        raise Conflict("The organization is deactivated; reactivate it before adding stores.")
    store = await repository.add(
        session,
        Store(
            org_id=org.id,
            name=body.name,
            timezone=body.timezone,
            opening_hours=hours,
            address=body.address,
            is_active=True,
        ),
    )
    await audit.record(
        session,
        actor,
        "store.create",
        entity_type="store",
        entity_id=store.id,
        org_id=store.org_id,
        before=None,
        after=StoreOut.model_validate(store),
    )
    return store


async def update(
    session: AsyncSession, actor: UserPrincipal, store_id: uuid.UUID, body: StoreUpdate
) -> Store:
    """Change the fields present in `body` (explicit nulls for name, timezone and hours are refused).

    Raises:
        ValidationFailed: bad opening hours, or null for a required field.
        NotFound: no such store.
    """
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "timezone", "opening_hours"):
        if required in changes and changes[required] is None:
            raise ValidationFailed.for_field(f"body.{required}", "cannot be null")
    if "opening_hours" in changes:
        changes["opening_hours"] = _checked_hours(changes["opening_hours"])
    store = await get(session, store_id, for_update=True)
    before = StoreOut.model_validate(store)
    for field, value in changes.items():
        setattr(store, field, value)
    await session.flush()
    await audit.record(
        session,
        actor,
        "store.update",
        entity_type="store",
        entity_id=store.id,
        org_id=store.org_id,
        before=before,
        after=StoreOut.model_validate(store),
    )
    return store


async def set_active(session: AsyncSession, actor: UserPrincipal, store_id: uuid.UUID, active: bool) -> Store:
    """Deactivate or reactivate a store: while inactive, owners do not see it and its cameras' workers are
    refused. Nothing is deleted.

    Raises:
        NotFound: no such store.
    """
    store = await get(session, store_id, for_update=True)
    before = StoreOut.model_validate(store)
    store.is_active = active
    await session.flush()
    await audit.record(
        session,
        actor,
        "store.activate" if active else "store.deactivate",
        entity_type="store",
        entity_id=store.id,
        org_id=store.org_id,
        before=before,
        after=StoreOut.model_validate(store),
    )
    return store
