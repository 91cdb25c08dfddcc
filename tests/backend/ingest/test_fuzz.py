"""Property-based fuzzing of the worker routes: whatever the body, the answer is never a 5xx.

Hypothesis throws arbitrary JSON documents, event-shaped objects with hostile field values, and raw bytes
(plain and labelled gzip) at the routes; every answer must be a 2xx or 4xx in the one error shape.
"""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from tests.factories import CameraWithKey, make_camera, make_org, make_store, make_zone

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.none() | st.timezones()
).map(lambda d: d.isoformat())
recent = st.integers(min_value=-8 * 86400, max_value=3600).map(
    lambda s: (datetime.now(UTC) + timedelta(seconds=s)).isoformat()
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "event_id": st.uuids().map(str) | json_values,
        "type": st.sampled_from(["IN", "OUT", "ZONE_ENTER", "ZONE_EXIT"]) | json_values,
        "ts": recent | moments | json_values,
        "tracker_id": st.integers(min_value=-(2**40), max_value=2**40) | json_values,
        "zone_id": st.none() | st.uuids().map(str) | json_values,
        "dwell_ms": st.none() | st.integers(min_value=-(2**40), max_value=2**40) | json_values,
        "confidence": st.none() | st.floats() | json_values,
    },
)
events_bodies = json_values | st.fixed_dictionaries(
    {"events": st.lists(event_like | json_values, max_size=8)}
)
heartbeat_like = st.fixed_dictionaries(
    {},
    optional={
        "worker_version": st.text(max_size=60) | json_values,
        "uptime_s": st.floats() | json_values,
        "fps": st.floats() | json_values,
        "frames_read": st.integers(min_value=-(2**40), max_value=2**40) | json_values,
        "frames_dropped": st.integers(min_value=-(2**40), max_value=2**40) | json_values,
        "outbox_depth": st.integers(min_value=-(2**40), max_value=2**40) | json_values,
        "events_dropped": st.integers(min_value=-(2**40), max_value=2**40) | json_values,
        "stream_status": st.sampled_from(["ok", "reconnecting", "failed"]) | json_values,
        "last_error": st.none() | st.text(max_size=50) | json_values,
        "zone_counts": st.none()
        | st.dictionaries(st.uuids().map(str) | st.text(max_size=5), st.integers() | json_values, max_size=3)
        | json_values,
    },
)


@pytest.fixture
async def cam(session: AsyncSession, settings: Settings) -> CameraWithKey:
    camera = await make_camera(session, settings, await make_store(session, await make_org(session)))
    await make_zone(session, camera.camera)
    return camera


def assert_handled(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}


@FUZZ
@given(body=events_bodies)
@example(
    body={
        "events": [
            {"ts": "9999-12-31T23:59:59-23:59", "event_id": str(uuid.uuid4()), "type": "IN", "tracker_id": 1}
        ]
    }
)
async def test_events_json_bodies_never_500(client: httpx.AsyncClient, cam: CameraWithKey, body: Any) -> None:
    content = json.dumps(body).encode()
    assert_handled(await client.post("/worker/events", content=content, headers=cam.headers))


@FUZZ
@given(body=st.binary(max_size=300), gzipped=st.booleans(), compress=st.booleans())
async def test_events_raw_bytes_never_500(
    client: httpx.AsyncClient, cam: CameraWithKey, body: bytes, gzipped: bool, compress: bool
) -> None:
    headers = {**cam.headers, "Content-Encoding": "gzip"} if gzipped else cam.headers
    content = gzip.compress(body) if gzipped and compress else body
    assert_handled(await client.post("/worker/events", content=content, headers=headers))


@FUZZ
@given(body=heartbeat_like | json_values)
async def test_heartbeat_bodies_never_500(client: httpx.AsyncClient, cam: CameraWithKey, body: Any) -> None:
    content = json.dumps(body).encode()
    assert_handled(await client.post("/worker/heartbeat", content=content, headers=cam.headers))


@FUZZ
@given(body=st.binary(max_size=300), captured_at=st.none() | moments | st.text(max_size=30))
async def test_snapshot_bodies_never_500(
    client: httpx.AsyncClient, cam: CameraWithKey, body: bytes, captured_at: str | None
) -> None:
    headers = {**cam.headers, "Content-Type": "image/jpeg"}
    if captured_at is not None:
        headers["X-Captured-At"] = captured_at.encode("ascii", "ignore").decode().strip() or "x"
    assert_handled(await client.post("/worker/snapshot", content=body, headers=headers))


@pytest.mark.parametrize(
    "content",
    [
        # Longer than Python's int-to-string limit (4,300 digits): pydantic-core reads it, the stdlib refuses.
        b'{"events": [{"event_id": "%s", "type": "IN", "ts": "2026-01-01T00:00:00Z", "tracker_id": 1%s}]}'
        % (str(uuid.uuid4()).encode(), b"0" * 5000),
        b'{"events": [' + b"[" * 3000 + b"]" * 3000 + b"]}",
        b'{"events": [{"event_id": "\\ud800", "type": "\\u0000"}]}',
    ],
    ids=["huge-int", "deep-nesting", "surrogates"],
)
async def test_hostile_json_is_a_4xx(client: httpx.AsyncClient, cam: CameraWithKey, content: bytes) -> None:
    assert_handled(await client.post("/worker/events", content=content, headers=cam.headers))


@pytest.mark.parametrize(
    ("text", "status"),
    [
        (b"bad \\u0000 thing", 204),  # NUL: JSON allows it, PostgreSQL text refuses it; it is dropped
        (b"bad \\udfff thing", 422),  # a lone surrogate is not valid JSON text for pydantic-core
    ],
    ids=["nul", "lone-surrogate"],
)
async def test_hostile_heartbeat_text(
    client: httpx.AsyncClient, cam: CameraWithKey, text: bytes, status: int
) -> None:
    content = (
        b'{"worker_version": "0.1.0", "uptime_s": 1, "fps": 1, "frames_read": 1, "frames_dropped": 0,'
        b' "outbox_depth": 0, "events_dropped": 0, "stream_status": "ok", "last_error": "' + text + b'"}'
    )
    response = await client.post("/worker/heartbeat", content=content, headers=cam.headers)
    assert response.status_code == status
