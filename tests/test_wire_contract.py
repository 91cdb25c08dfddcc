"""The worker ↔ backend contract (worker.protocol): every message the worker builds, sent by the worker's own
client, uploader and runner through the backend's real routes and validation, and every answer parsed back
by the worker's own code. Either side drifting from the other fails here, without a video or a model.

The worker's client is synchronous; `AppBridge` runs each of its requests through the app on the test's
event loop while the worker's call waits in a thread.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import CameraHeartbeat, Event, Zone
from tests.factories import CameraWithKey, make_camera, make_counting_line, make_org, make_store, make_zone
from tests.worker.test_source import FakeCapture
from worker.client import BackendClient, make_http_client
from worker.line_counter import Direction, LineCrossing
from worker.outbox import Outbox
from worker.pipeline import crossing_event, zone_event
from worker.protocol import Event as WireEvent
from worker.protocol import SnapshotOut
from worker.runner import Worker
from worker.settings import WorkerSettings
from worker.snapshot import encode_jpeg
from worker.source import FrameSource, SourceConfig
from worker.uploader import Uploader
from worker.zones import ZoneEvent, ZoneEventType

T = TypeVar("T")
_HOP_BY_HOP = {"content-encoding", "content-length", "transfer-encoding"}


class AppBridge(httpx.BaseTransport):
    """A synchronous transport that answers from the real app (through `client`) on `loop`; keeps the
    answers it relayed in `answers`."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop
        self.answers: list[httpx.Response] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call = self.client.request(
            request.method, request.url.raw_path.decode(), headers=request.headers, content=request.read()
        )
        answer = asyncio.run_coroutine_threadsafe(call, self.loop).result(timeout=60)
        self.answers.append(answer)
        headers = [(k, v) for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP]
        return httpx.Response(answer.status_code, headers=headers, content=answer.content)


class Setup:
    """A provisioned camera (counting line, one zone) and the worker's client pointed at the real app."""

    def __init__(self, cam: CameraWithKey, zone: Zone, bridge: AppBridge, tmp_path: Path) -> None:
        self.cam, self.zone, self.bridge, self.tmp_path = cam, zone, bridge, tmp_path
        self.http = make_http_client("http://testserver", cam.key, transport=bridge)
        self.backend = BackendClient(self.http)

    async def call(self, fn: Callable[[], T]) -> T:
        """Run a blocking worker call while the app answers on this loop."""
        return await asyncio.to_thread(fn)


@pytest.fixture
async def setup(client: httpx.AsyncClient, session: AsyncSession, settings: Settings, tmp_path: Path) -> Any:
    store = await make_store(session, await make_org(session))
    cam = await make_camera(session, settings, store)
    await make_counting_line(session, cam.camera)
    zone = await make_zone(session, cam.camera)
    await session.commit()
    s = Setup(cam, zone, AppBridge(client, asyncio.get_running_loop()), tmp_path)
    yield s
    s.http.close()


def every_event(zone_id: str, now: datetime) -> list[WireEvent]:
    """One of each event the worker builds (through the pipeline's builders), with and without the optional
    fields, plus the largest tracker id and dwell time the wire takes."""
    ts = now - timedelta(minutes=1)
    return [
        crossing_event(LineCrossing(7, Direction.IN, ts, 0.8123456)),
        crossing_event(LineCrossing(8, Direction.OUT, ts, None)),
        crossing_event(LineCrossing(2**31 - 1, Direction.IN, ts.astimezone(), 1.0)),
        zone_event(ZoneEvent(ZoneEventType.ENTER, zone_id, 7, ts, confidence=0.5)),
        zone_event(ZoneEvent(ZoneEventType.ENTER, zone_id, 9, ts)),
        zone_event(ZoneEvent(ZoneEventType.EXIT, zone_id, 7, ts, dwell_ms=4250, confidence=0.9)),
        zone_event(ZoneEvent(ZoneEventType.EXIT, zone_id, 9, ts, dwell_ms=2**31 - 1)),
        WireEvent(type="ZONE_EXIT", ts=ts, tracker_id=0, zone_id=zone_id, dwell_ms=0, confidence=0.0),
        WireEvent(type="ZONE_EXIT", ts=ts, tracker_id=3, zone_id=zone_id),  # dwell unknown
    ]


async def test_the_config_answer_parses_with_the_worker_model(setup: Setup) -> None:
    config, etag = await setup.call(lambda: setup.backend.fetch_config(None))
    assert config is not None
    assert etag
    assert config.camera_id == setup.cam.camera.id
    assert config.store_id == setup.cam.camera.store_id
    assert config.counting_line is not None
    assert config.counting_line.in_side == "left"
    assert [(z.id, z.kind) for z in config.zones] == [(setup.zone.id, "billing")]
    assert [tuple(p) for p in config.zones[0].polygon] == [(0.1, 0.6), (0.4, 0.6), (0.4, 0.9), (0.1, 0.9)]
    # The worker re-serializes what it read (its disk cache) to exactly the bytes the backend sent.
    assert config.model_dump_json().encode() == setup.bridge.answers[-1].content
    unchanged, same = await setup.call(lambda: setup.backend.fetch_config(etag))
    assert (unchanged, same, setup.bridge.answers[-1].status_code) == (None, etag, 304)


async def test_every_event_the_worker_builds_is_stored_as_built(setup: Setup, session: AsyncSession) -> None:
    events = every_event(str(setup.zone.id), datetime.now(UTC))
    outbox = Outbox(setup.tmp_path / "outbox.db")
    outbox.put(events)
    uploader = Uploader(setup.backend, outbox)
    attempt = await setup.call(uploader.send_once)
    assert setup.bridge.answers[-1].status_code == 200
    assert (attempt.failed, attempt.accepted, attempt.duplicates, attempt.rejected) == (
        False,
        len(events),
        0,
        0,
    )
    assert outbox.depth == 0

    rows = {
        str(r.event_id): r
        for r in await session.scalars(
            select(Event)
            .where(Event.camera_id == setup.cam.camera.id)
            .execution_options(populate_existing=True)
        )
    }
    assert set(rows) == {e.event_id for e in events}
    for sent in events:
        row = rows[sent.event_id]
        stored = (row.type.value, row.ts, row.tracker_id, row.zone_id, row.dwell_ms, row.confidence)
        zone_id = uuid.UUID(sent.zone_id) if sent.zone_id else None
        assert stored == (sent.type, sent.ts, sent.tracker_id, zone_id, sent.dwell_ms, sent.confidence)

    # Sent again (a retry after a lost answer): every one is a duplicate, read from the real answer.
    outbox.put(events)
    again = await setup.call(uploader.send_once)
    assert (again.accepted, again.duplicates, again.rejected, outbox.depth) == (0, len(events), 0, 0)
    outbox.close()


async def test_a_large_batch_goes_gzipped_and_rejections_parse(setup: Setup) -> None:
    now = datetime.now(UTC)
    fresh = [
        crossing_event(LineCrossing(i, Direction.IN, now - timedelta(seconds=i), 0.5)) for i in range(200)
    ]
    stale = WireEvent(type="OUT", ts=now - timedelta(days=30), tracker_id=1)  # well-formed, too old
    outbox = Outbox(setup.tmp_path / "outbox.db")
    outbox.put([*fresh[:100], stale, *fresh[100:]])
    attempt = await setup.call(Uploader(setup.backend, outbox).send_once)
    sent = setup.bridge.answers[-1].request
    assert sent.headers["content-encoding"] == "gzip"
    assert (attempt.accepted, attempt.rejected, outbox.depth) == (200, 1, 0)
    assert setup.bridge.answers[-1].json()["rejected"] == [
        {"index": 100, "reason": "ts is more than 7 days old"}
    ]
    outbox.close()


@pytest.mark.parametrize("replayed", [False, True], ids=["live", "replayed"])
async def test_the_runner_heartbeat_is_accepted(setup: Setup, session: AsyncSession, replayed: bool) -> None:
    settings = WorkerSettings(api_url="http://testserver", key=setup.cam.key, data_dir=setup.tmp_path)
    source = FrameSource("clip.mp4", SourceConfig(), opener=lambda _: FakeCapture(1))
    worker = Worker(settings, source=source, transport=setup.bridge)
    try:
        if replayed:  # every optional field set, as a worker replaying footage with a zone reports them
            worker._zone_counts = {str(setup.zone.id): 2}
            worker._observed_at = datetime(2026, 11, 21, 9, 0, tzinfo=UTC).astimezone()
            worker.last_error = "ConnectError: " + "x" * 3000
        heartbeat = worker.heartbeat()
        await setup.call(lambda: worker.backend.send_heartbeat(heartbeat))
        assert setup.bridge.answers[-1].status_code == 204
    finally:
        worker.outbox.close()
        worker.http.close()
    [row] = await session.scalars(
        select(CameraHeartbeat).where(CameraHeartbeat.camera_id == setup.cam.camera.id)
    )
    assert (row.worker_version, row.stream_status.value) == (
        heartbeat.worker_version,
        heartbeat.stream_status,
    )
    assert (row.frames_read, row.outbox_depth) == (heartbeat.frames_read, heartbeat.outbox_depth)
    if replayed:
        assert row.zone_counts == {str(setup.zone.id): 2}
        assert row.observed_at == heartbeat.observed_at
        assert row.last_error is not None
        assert len(row.last_error) == 2000


class DownThenUp(httpx.BaseTransport):
    """The bridge to the app, with the network down while `down` is set."""

    def __init__(self, bridge: AppBridge) -> None:
        self.bridge, self.down = bridge, True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("backend down", request=request)
        return self.bridge.handle_request(request)


async def test_a_heartbeat_buffered_through_an_outage_counts_in_its_slot(
    setup: Setup, session: AsyncSession
) -> None:
    from backend.cameras.coverage import slot_start
    from backend.models import CameraCoverageSlot

    transport = DownThenUp(setup.bridge)
    settings = WorkerSettings(api_url="http://testserver", key=setup.cam.key, data_dir=setup.tmp_path)
    source = FrameSource("clip.mp4", SourceConfig(), opener=lambda _: FakeCapture(1))
    worker = Worker(settings, source=source, transport=transport)
    made_at = datetime.now(UTC) - timedelta(minutes=10)
    try:
        worker._observed_at = made_at
        await setup.call(worker._send_heartbeat)  # the backend is unreachable: kept in the outbox
        assert worker.outbox.heartbeat_depth == 1
        transport.down = False
        live_at = worker._observed_at = datetime.now(UTC)
        await setup.call(worker._send_heartbeat)  # the live one, then the buffered one
        assert worker.outbox.heartbeat_depth == 0
        assert [a.status_code for a in setup.bridge.answers] == [204, 204]
    finally:
        worker.outbox.close()
        worker.http.close()
    rows = await session.scalars(
        select(CameraHeartbeat).where(CameraHeartbeat.camera_id == setup.cam.camera.id)
    )
    # Only the live heartbeat is history (admin health reads its newest rows); the late one is coverage.
    assert [row.observed_at for row in rows] == [live_at]
    slots = await session.execute(
        select(CameraCoverageSlot.slot_start, CameraCoverageSlot.heartbeats).where(
            CameraCoverageSlot.camera_id == setup.cam.camera.id
        )
    )
    # Each counted in the slot it was made in (the same slot twice when ten minutes did not cross one).
    assert {start: n for start, n in slots} == Counter([slot_start(made_at), slot_start(live_at)])


async def test_the_worker_snapshot_is_accepted_and_its_answer_parses(setup: Setup) -> None:
    image = np.full((48, 64, 3), 128, dtype=np.uint8)
    captured_at = datetime.now(UTC).replace(microsecond=123456) - timedelta(seconds=1)
    await setup.call(lambda: setup.backend.upload_snapshot(encode_jpeg(image), captured_at))
    answer = setup.bridge.answers[-1]
    assert answer.status_code == 201
    assert SnapshotOut.model_validate_json(answer.content) == SnapshotOut(
        captured_at=captured_at, width=64, height=48
    )
