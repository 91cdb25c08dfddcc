"""Builders shared by the ingestion tests: wire events, JPEG bytes and row counts."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Camera, Event


def wire_ts(moment: datetime) -> str:
    """A UTC time as the worker writes it (`2026-11-21T08:15:03.120000Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event(**fields: Any) -> dict[str, Any]:
    """A valid IN event one minute old; `fields` override or add keys (None values are kept)."""
    body: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": "IN",
        "ts": wire_ts(datetime.now(UTC) - timedelta(minutes=1)),
        "tracker_id": 17,
        "zone_id": None,
        "dwell_ms": None,
        "confidence": 0.82,
    }
    body.update(fields)
    return body


def jpeg_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real JPEG of one colour."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG", quality=80)
    return out.getvalue()


async def stored_events(session: AsyncSession, camera: Camera) -> int:
    """How many events are stored for `camera`."""
    count = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.org_id == camera.org_id, Event.camera_id == camera.id)
    )
    return int(count or 0)
