"""`POST /worker/snapshot`: JPEG validation, size limit, storage in the database or a folder, read back by
the admin's reader of the latest snapshot (`backend.cameras.snapshots.latest_snapshot`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principals import CameraPrincipal
from backend.cameras.snapshots import StoredSnapshot, latest_snapshot
from backend.config import Settings
from backend.ingest import service
from backend.models import Snapshot
from tests.backend.ingest.helpers import jpeg_bytes, wire_ts
from tests.factories import CameraWithKey, make_camera, make_org, make_store


@pytest.fixture
async def cam(session: AsyncSession, settings: Settings) -> CameraWithKey:
    store = await make_store(session, await make_org(session))
    return await make_camera(session, settings, store, snapshot_requested=True)


def snapshot_headers(cam: CameraWithKey, captured_at: datetime | str | None = None) -> dict[str, str]:
    headers = {**cam.headers, "Content-Type": "image/jpeg"}
    if captured_at is not None:
        headers["X-Captured-At"] = captured_at if isinstance(captured_at, str) else wire_ts(captured_at)
    return headers


async def read_latest(session: AsyncSession, settings: Settings, cam: CameraWithKey) -> StoredSnapshot | None:
    """The camera's latest snapshot as the admin console reads it."""
    return await latest_snapshot(session, cam.camera, settings.data_dir)


async def rows_of(session: AsyncSession, cam: CameraWithKey) -> list[Snapshot]:
    result = await session.scalars(
        select(Snapshot).where(Snapshot.camera_id == cam.camera.id).execution_options(populate_existing=True)
    )
    return list(result)


class TestSnapshot:
    async def test_no_key_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/worker/snapshot", content=jpeg_bytes(), headers={"Content-Type": "image/jpeg"}
        )
        assert response.status_code == 401

    async def test_round_trip_in_the_database(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        image = jpeg_bytes(320, 240)
        captured = datetime.now(UTC).replace(microsecond=250000) - timedelta(seconds=2)
        response = await client.post(
            "/worker/snapshot", content=image, headers=snapshot_headers(cam, captured)
        )
        assert response.status_code == 201
        assert response.json() == {
            "captured_at": captured.isoformat().replace("+00:00", "Z"),
            "width": 320,
            "height": 240,
        }
        latest = await read_latest(session, settings, cam)
        assert latest is not None
        assert latest.data == image
        assert (latest.width, latest.height, latest.content_type) == (320, 240, "image/jpeg")
        assert latest.captured_at == captured
        await session.refresh(cam.camera)
        assert cam.camera.snapshot_requested is False
        assert cam.camera.snapshot_at == captured
        config = (await client.get("/worker/config", headers=cam.headers)).json()
        assert config["snapshot_requested"] is False

    async def test_a_new_snapshot_replaces_the_old_one(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        now = datetime.now(UTC)
        first, second = jpeg_bytes(color=(0, 0, 0)), jpeg_bytes(color=(255, 255, 255))
        await client.post(
            "/worker/snapshot", content=first, headers=snapshot_headers(cam, now - timedelta(minutes=5))
        )
        await client.post("/worker/snapshot", content=second, headers=snapshot_headers(cam, now))
        assert len(await rows_of(session, cam)) == 1
        latest = await read_latest(session, settings, cam)
        assert latest is not None
        assert latest.data == second

    async def test_round_trip_in_a_folder(
        self, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        settings.snapshot_storage = "folder"
        first, second = jpeg_bytes(color=(0, 0, 0)), jpeg_bytes(100, 50)
        now = datetime.now(UTC)
        assert (
            await client.post("/worker/snapshot", content=first, headers=snapshot_headers(cam, now))
        ).status_code == 201
        [row] = await rows_of(session, cam)
        assert row.data is None
        assert row.path is not None
        first_path = Path(row.path)
        assert await asyncio.to_thread(first_path.read_bytes) == first
        assert first_path.is_relative_to(settings.data_dir.resolve() / "snapshots")
        await client.post("/worker/snapshot", content=second, headers=snapshot_headers(cam, now))
        latest = await read_latest(session, settings, cam)
        assert latest is not None
        assert (latest.data, latest.width, latest.height) == (second, 100, 50)
        assert not await asyncio.to_thread(first_path.exists)

    async def test_no_snapshot_yet(
        self, session: AsyncSession, settings: Settings, cam: CameraWithKey
    ) -> None:
        assert await read_latest(session, settings, cam) is None

    @pytest.mark.parametrize(
        "body",
        [
            b"",
            b"definitely not an image",
            jpeg_bytes()[:200],  # truncated
            jpeg_bytes()[:2] + b"\x00" * 500,  # JPEG magic, then rubbish
        ],
        ids=["empty", "text", "truncated", "corrupt"],
    )
    async def test_invalid_images_are_422(
        self, client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey, body: bytes
    ) -> None:
        response = await client.post(
            "/worker/snapshot", content=body, headers=snapshot_headers(cam, datetime.now(UTC))
        )
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["field"] == "body"
        assert await rows_of(session, cam) == []

    async def test_a_png_is_not_a_jpeg(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        import io

        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, format="PNG")
        response = await client.post(
            "/worker/snapshot", content=out.getvalue(), headers=snapshot_headers(cam, datetime.now(UTC))
        )
        assert response.status_code == 422

    async def test_too_large_is_413(
        self, client: httpx.AsyncClient, settings: Settings, cam: CameraWithKey
    ) -> None:
        image = jpeg_bytes(640, 480)
        settings.snapshot_max_bytes = len(image) - 1
        response = await client.post(
            "/worker/snapshot", content=image, headers=snapshot_headers(cam, datetime.now(UTC))
        )
        assert response.status_code == 413
        settings.snapshot_max_bytes = len(image)
        response = await client.post(
            "/worker/snapshot", content=image, headers=snapshot_headers(cam, datetime.now(UTC))
        )
        assert response.status_code == 201

    async def test_default_limit_is_2_mb(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        padded = jpeg_bytes() + b"\x00" * 2_000_000
        response = await client.post(
            "/worker/snapshot", content=padded, headers=snapshot_headers(cam, datetime.now(UTC))
        )
        assert response.status_code == 413

    async def test_wrong_content_type_is_415(self, client: httpx.AsyncClient, cam: CameraWithKey) -> None:
        headers = {**snapshot_headers(cam, datetime.now(UTC)), "Content-Type": "image/png"}
        response = await client.post("/worker/snapshot", content=jpeg_bytes(), headers=headers)
        assert response.status_code == 415

    @pytest.mark.parametrize(
        ("captured_at", "message"),
        [
            (None, "required: the capture time, ISO 8601 with a UTC offset"),
            ("yesterday", "not an ISO 8601 time"),
            ("2026-11-21T08:15:03", "has no UTC offset"),
            ("2999-01-01T00:00:00Z", "is more than 300 s in the future"),
        ],
    )
    async def test_bad_capture_time_is_422(
        self, client: httpx.AsyncClient, cam: CameraWithKey, captured_at: str | None, message: str
    ) -> None:
        response = await client.post(
            "/worker/snapshot", content=jpeg_bytes(), headers=snapshot_headers(cam, captured_at)
        )
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == [{"field": "header.X-Captured-At", "message": message}]


async def test_a_rolled_back_snapshot_leaves_no_file(
    session: AsyncSession, settings: Settings, cam: CameraWithKey
) -> None:
    settings.snapshot_storage = "folder"
    principal = CameraPrincipal(cam.camera.org_id, cam.camera.store_id, cam.camera.id, cam.camera.key_prefix)
    now = datetime.now(UTC)
    await service.store_snapshot(session, settings, principal, jpeg_bytes(), wire_ts(now), now)
    [row] = await rows_of(session, cam)
    assert row.path is not None
    written = Path(row.path)
    assert await asyncio.to_thread(written.exists)
    await session.rollback()
    assert not await asyncio.to_thread(written.exists)


def _claiming(image: bytes, width: int, height: int) -> bytes:
    """`image` (a baseline JPEG) with its SOF0 header rewritten to claim `width`x`height`."""
    sof = image.index(b"\xff\xc0")
    return image[: sof + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + image[sof + 9 :]


async def test_a_jpeg_whose_header_claims_more_pixels_than_it_holds_is_422(
    client: httpx.AsyncClient, session: AsyncSession, cam: CameraWithKey
) -> None:
    # libjpeg pads the missing data with grey and only warns: this decoded as an 8000x8000 image.
    forged = _claiming(jpeg_bytes(16, 16), 8000, 8000)
    response = await client.post(
        "/worker/snapshot", content=forged, headers=snapshot_headers(cam, datetime.now(UTC))
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == "body"
    assert await rows_of(session, cam) == []


@pytest.mark.parametrize(
    ("width", "height", "options"),
    [
        (1, 1, {}),
        (4000, 3000, {}),
        (640, 480, {"progressive": True}),
        (333, 77, {"optimize": True, "subsampling": 0}),
    ],
)
def test_real_jpegs_of_any_size_and_coding_pass_the_size_check(
    width: int, height: int, options: dict
) -> None:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(out, format="JPEG", quality=5, **options)
    assert service.jpeg_size(out.getvalue()) == (width, height)
