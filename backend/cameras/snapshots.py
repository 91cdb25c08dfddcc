"""Reading a camera's latest snapshot (a person-blurred JPEG), for the admin console and the owner app."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Camera, Snapshot


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """A snapshot's bytes, content type and capture time (UTC), and its size in pixels."""

    data: bytes
    content_type: str
    captured_at: datetime
    width: int
    height: int

    def headers(self) -> dict[str, str]:
        """`X-Captured-At` (UTC ISO 8601), `X-Snapshot-Width` and `X-Snapshot-Height` (pixels), and
        `Cache-Control: no-store` (a snapshot is replaced in place)."""
        return {
            "X-Captured-At": self.captured_at.isoformat(),
            "X-Snapshot-Width": str(self.width),
            "X-Snapshot-Height": str(self.height),
            "Cache-Control": "no-store",
        }


def snapshot_folder(data_dir: Path, org_id: uuid.UUID) -> Path:
    """`<data_dir>/snapshots/<org_id>`: where folder storage (`STOREINTEL_SNAPSHOT_STORAGE=folder`) writes an
    organization's snapshot files, one folder per camera id below it."""
    return data_dir.resolve() / "snapshots" / str(org_id)


def snapshot_file(data_dir: Path, stored_path: str) -> Path:
    """The file of a snapshot row's `path`: absolute as stored, or relative to `data_dir`."""
    path = Path(stored_path)
    return path if path.is_absolute() else data_dir / path


async def latest_snapshot(session: AsyncSession, camera: Camera, data_dir: Path) -> StoredSnapshot | None:
    """The camera's latest snapshot, inline or read from its file (a relative path is under `data_dir`);
    None when there is none or its file has gone."""
    snapshot = await session.scalar(
        select(Snapshot)
        .where(Snapshot.org_id == camera.org_id, Snapshot.camera_id == camera.id)
        .order_by(Snapshot.captured_at.desc())
        .limit(1)
    )
    if snapshot is None:
        return None
    data = snapshot.data
    if data is None and snapshot.path:
        try:
            data = await asyncio.to_thread(snapshot_file(data_dir, snapshot.path).read_bytes)
        except OSError:
            return None
    if data is None:
        return None
    return StoredSnapshot(data, snapshot.content_type, snapshot.captured_at, snapshot.width, snapshot.height)
