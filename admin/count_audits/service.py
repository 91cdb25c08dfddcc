"""Count-audit logic: check the window, count the camera's stored IN/OUT events in it, compare, audit.
Never commits.

The system counts come from `backend.analytics.repository.line_crossings`, the query footfall and occupancy
read the events through, so an audit measures exactly what the KPIs count.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from admin.audit import service as audit_log
from admin.cameras import service as cameras
from admin.count_audits import repository
from admin.count_audits.accuracy import Comparison, below_target
from admin.count_audits.schemas import CountAuditIn, CountAuditOut
from admin.stores import service as stores
from backend.analytics.repository import line_crossings
from backend.auth.principals import UserPrincipal
from backend.config import Settings
from backend.errors import ValidationFailed
from backend.models import Camera, CountAudit

MAX_WINDOW = timedelta(hours=24)


def check_window(start: datetime, end: datetime, now: datetime) -> None:
    """Refuse a window that is empty, reaches past `now` (its events cannot all be there yet) or is longer
    than `MAX_WINDOW` (24 h). All times timezone-aware.

    Raises:
        ValidationFailed: naming `body.window_end`.
    """
    if end <= start:
        raise ValidationFailed.for_field("body.window_end", "must be after window_start")
    if end > now:
        raise ValidationFailed.for_field(
            "body.window_end", "is in the future: record the audit once the window has passed"
        )
    if end - start > MAX_WINDOW:
        raise ValidationFailed.for_field("body.window_end", "the window must not be longer than 24 h")


async def system_counts(
    session: AsyncSession, camera: Camera, start: datetime, end: datetime
) -> tuple[int, int]:
    """(IN, OUT) events of `camera` with `ts` in `[start, end)` (UTC), as stored now."""
    store = await stores.get(session, camera.store_id)
    crossings = await line_crossings(session, store, [camera.id], start, end)
    ins = sum(1 for _, step in crossings if step > 0)
    return ins, len(crossings) - ins


async def record(
    session: AsyncSession,
    settings: Settings,
    actor: UserPrincipal,
    camera_id: uuid.UUID,
    body: CountAuditIn,
    now: datetime,
) -> CountAudit:
    """Compare a hand count with the camera's stored events of its window and keep the audit (audited as
    `count_audit.create`). `now` (UTC) bounds the window.

    Raises:
        ValidationFailed: a window that is empty, in the future or longer than 24 h (`body.window_end`).
        NotFound: no such camera.
    """
    check_window(body.window_start, body.window_end, now)
    camera = await cameras.get(session, camera_id)
    system_in, system_out = await system_counts(session, camera, body.window_start, body.window_end)
    audit = await repository.add(
        session,
        CountAudit(
            org_id=camera.org_id,
            store_id=camera.store_id,
            camera_id=camera.id,
            window_start=body.window_start.astimezone(UTC),
            window_end=body.window_end.astimezone(UTC),
            hand_in=body.hand_in,
            hand_out=body.hand_out,
            system_in=system_in,
            system_out=system_out,
            note=body.note,
            recorded_by=actor.user_id,
            created_at=now,
        ),
    )
    await audit_log.record(
        session,
        actor,
        "count_audit.create",
        entity_type="count_audit",
        entity_id=audit.id,
        org_id=audit.org_id,
        before=None,
        after=view(audit, settings.count_audit_target),
    )
    return audit


def view(audit: CountAudit, target: float) -> CountAuditOut:
    """The admin view of an audit: its accuracies from its four counts, `below_target` judged against
    `target` (0..1)."""
    comparison = Comparison(audit.hand_in, audit.hand_out, audit.system_in, audit.system_out)
    derived = {
        "accuracy_in": comparison.accuracy_in,
        "accuracy_out": comparison.accuracy_out,
        "accuracy": comparison.accuracy,
        "below_target": below_target(comparison.accuracy, target),
    }
    fields = {name: getattr(audit, name) for name in CountAuditOut.model_fields if name not in derived}
    return CountAuditOut(**fields, **derived)


async def last_per_camera(
    session: AsyncSession, cameras_page: Sequence[Camera]
) -> dict[uuid.UUID, CountAudit]:
    """Camera id → its last count audit (the latest window, then the latest recorded)."""
    return await repository.last_per_camera(session, cameras_page)
