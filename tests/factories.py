"""Builders for rows the tests need, written straight to the database through a session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.crypto import generate_worker_key
from backend.auth.passwords import hash_password
from backend.config import Settings
from backend.models import (
    Camera,
    CountingLine,
    InSide,
    Membership,
    Organization,
    Role,
    Store,
    User,
    Zone,
    ZoneKind,
)

PASSWORD = "correct horse battery staple"
# Hashing with argon2 is deliberately slow; tests reuse one hash of the shared password.
_PASSWORD_HASH = hash_password(PASSWORD)

WEEK_9_TO_21 = {day: [["09:00", "21:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def make_org(session: AsyncSession, name: str | None = None, *, active: bool = True) -> Organization:
    """An organization (tenant)."""
    org = Organization(name=name or f"org-{uuid.uuid4().hex[:6]}", is_active=active)
    session.add(org)
    await session.flush()
    return org


async def make_user(
    session: AsyncSession, email: str | None = None, *, superadmin: bool = False, active: bool = True
) -> User:
    """A user whose password is `PASSWORD`."""
    user = User(
        email=email or f"user-{uuid.uuid4().hex[:8]}@example.com",
        password_hash=_PASSWORD_HASH,
        is_superadmin=superadmin,
        is_active=active,
    )
    session.add(user)
    await session.flush()
    return user


async def add_member(session: AsyncSession, org: Organization, user: User, role: Role = Role.OWNER) -> None:
    """Give `user` a role in `org`."""
    session.add(Membership(org_id=org.id, user_id=user.id, role=role))
    await session.flush()


async def make_store(
    session: AsyncSession, org: Organization, *, timezone: str = "Europe/London", **fields: Any
) -> Store:
    """A store open 09:00-21:00 every day unless `opening_hours` is given."""
    fields.setdefault("name", f"store-{uuid.uuid4().hex[:6]}")
    fields.setdefault("opening_hours", WEEK_9_TO_21)
    store = Store(org_id=org.id, timezone=timezone, **fields)
    session.add(store)
    await session.flush()
    return store


@dataclass
class CameraWithKey:
    """A camera and its worker key (the only time the key is known in clear)."""

    camera: Camera
    key: str

    @property
    def headers(self) -> dict[str, str]:
        """Headers that authenticate as this camera's worker."""
        return {"X-Worker-Key": self.key}


async def make_camera(
    session: AsyncSession, settings: Settings, store: Store, *, counting: bool = True, **fields: Any
) -> CameraWithKey:
    """A camera of `store` with a fresh worker key."""
    key = generate_worker_key(settings.server_secret)
    camera = Camera(
        org_id=store.org_id,
        store_id=store.id,
        name=fields.pop("name", f"cam-{uuid.uuid4().hex[:6]}"),
        is_counting_line=counting,
        key_prefix=key.prefix,
        key_hash=key.hash,
        **fields,
    )
    session.add(camera)
    await session.flush()
    return CameraWithKey(camera, key.value)


async def make_counting_line(
    session: AsyncSession,
    camera: Camera,
    x1: float = 0.5,
    y1: float = 0.2,
    x2: float = 0.5,
    y2: float = 0.9,
    in_side: InSide = InSide.LEFT,
) -> CountingLine:
    """A counting line on `camera` (normalized coordinates)."""
    line = CountingLine(
        org_id=camera.org_id, camera_id=camera.id, x1=x1, y1=y1, x2=x2, y2=y2, in_side=in_side
    )
    session.add(line)
    await session.flush()
    return line


async def make_zone(
    session: AsyncSession,
    camera: Camera,
    *,
    name: str = "Billing",
    kind: ZoneKind = ZoneKind.BILLING,
    polygon: list[list[float]] | None = None,
) -> Zone:
    """A zone on `camera` (normalized polygon; default a square in the lower left)."""
    zone = Zone(
        org_id=camera.org_id,
        camera_id=camera.id,
        store_id=camera.store_id,
        name=name,
        kind=kind,
        polygon=polygon or [[0.1, 0.6], [0.4, 0.6], [0.4, 0.9], [0.1, 0.9]],
    )
    session.add(zone)
    await session.flush()
    return zone


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in through `POST /auth/token` and return the Authorization header."""
    response = await client.post("/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# --- worker reports (admin health and calibration tests) ----------------------------------------------
# Imported inside the builders so this appended block leaves the shared import list above alone.


async def make_heartbeat(session: AsyncSession, camera: Camera, **fields: Any) -> Any:
    """A CameraHeartbeat row of `camera`, healthy by default (fps 9.5, stream ok, empty outbox).

    `received_at` defaults to now; `Camera.last_heartbeat_at` is moved to it when later and its figures
    become the camera's `reported_*` (as ingestion does for a live heartbeat).
    """
    from backend.models import CameraHeartbeat, StreamStatus
    from backend.models.base import utcnow

    values: dict[str, Any] = {
        "received_at": utcnow(),
        "worker_version": "0.1.0",
        "uptime_s": 600.0,
        "fps": 9.5,
        "frames_read": 5700,
        "frames_dropped": 3,
        "outbox_depth": 0,
        "events_dropped": 0,
        "stream_status": StreamStatus.OK,
        "last_error": None,
    }
    values.update(fields)
    heartbeat = CameraHeartbeat(org_id=camera.org_id, camera_id=camera.id, **values)
    session.add(heartbeat)
    from backend.cameras.coverage import record_coverage

    ok = heartbeat.stream_status is StreamStatus.OK
    await record_coverage(
        session, camera.org_id, camera.id, [(heartbeat.observed_at or heartbeat.received_at, ok)]
    )
    if camera.last_heartbeat_at is None or camera.last_heartbeat_at < heartbeat.received_at:
        camera.last_heartbeat_at = heartbeat.received_at
        camera.reported_stream_status = heartbeat.stream_status
        camera.reported_fps = heartbeat.fps
        camera.reported_outbox_depth = heartbeat.outbox_depth
    await session.flush()
    return heartbeat


# The smallest well-formed JPEG header bytes are enough: the API stores and returns bytes, it never decodes.
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"


async def make_snapshot(
    session: AsyncSession, camera: Camera, *, width: int = 1280, height: int = 720, **fields: Any
) -> Any:
    """A Snapshot row of `camera` stored inline (`FAKE_JPEG`), captured now unless `captured_at` is given;
    sets `Camera.snapshot_at` as ingestion does."""
    from backend.models import Snapshot
    from backend.models.base import utcnow

    fields.setdefault("captured_at", utcnow())
    if "path" not in fields:
        fields.setdefault("data", FAKE_JPEG)
    snapshot = Snapshot(org_id=camera.org_id, camera_id=camera.id, width=width, height=height, **fields)
    session.add(snapshot)
    camera.snapshot_at = snapshot.captured_at
    await session.flush()
    return snapshot


async def make_event(session: AsyncSession, camera: Camera, ts: Any, type: str = "IN", **fields: Any) -> Any:
    """An Event row of `camera` stamped `ts` (UTC) and received at `received_at` (default `ts`: delivered
    live), counted in the line-crossing roll-up as ingestion does; moves `Camera.last_event_at` and
    `Camera.last_event_received_at` forward."""
    from backend.ingest.rollup import record_line_crossings
    from backend.models import Event, EventType

    received_at = fields.pop("received_at", ts)
    event = Event(
        received_at=received_at,
        org_id=camera.org_id,
        camera_id=camera.id,
        store_id=camera.store_id,
        event_id=fields.pop("event_id", uuid.uuid4()),
        type=EventType(type),
        ts=ts,
        tracker_id=fields.pop("tracker_id", 1),
        **fields,
    )
    session.add(event)
    await record_line_crossings(session, camera.org_id, camera.store_id, camera.id, [(event.type, ts)])
    if camera.last_event_at is None or camera.last_event_at < ts:
        camera.last_event_at = ts
    if camera.last_event_received_at is None or camera.last_event_received_at < received_at:
        camera.last_event_received_at = received_at
    await session.flush()
    return event
