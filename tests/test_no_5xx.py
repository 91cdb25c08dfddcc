"""No 5xx from any input: a schemathesis run over the whole OpenAPI document of the real app (issue 25).

Every operation gets generated requests, valid ones (positive mode) and ones the schema forbids (negative
mode), sent as each audience: anonymous, an owner (a JWT from the real login route), a superadmin and a
camera's worker (`X-Worker-Key`). About half of the generated cases have their ids replaced by the ids of
real rows of that audience's world (the owner's store and camera, the admin's organization, zone, member,
invite ...), so the code behind the 404 runs too. Every answer must be no 5xx (`not_a_server_error`) and a
status the operation documents (`status_code_conformance`).

The CI slice is small (`STOREINTEL_FUZZ_EXAMPLES`, default 5 examples per operation and mode, derandomized);
the long run of docs/security.md ("Property-based run over the OpenAPI document") raises it.

How: the cases come from `schemathesis.openapi.from_dict(app.openapi())`; each operation's Hypothesis test
runs in a worker thread and sends its requests to the app on the test's own event loop (an in-process
`httpx.ASGITransport` that turns unhandled errors into 500 answers), so the async fixtures, the test
transaction and Hypothesis' shrinking all work as usual. Failures of all operations are collected and
reported together, each with its curl command.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.crypto import generate_token, keyed_hash
from backend.config import Settings
from backend.models import Invite, Role
from tests.factories import (
    add_member,
    login,
    make_camera,
    make_counting_line,
    make_event,
    make_heartbeat,
    make_org,
    make_snapshot,
    make_store,
    make_user,
    make_zone,
)

# Cases per operation and generation mode (positive and negative) for the operation's own audience. The
# other audiences are answered by authentication before any input is read (tests/backend/test_app.py
# checks it), so they get positive cases only, a fifth as many, at least one.
EXAMPLES = int(os.environ.get("STOREINTEL_FUZZ_EXAMPLES", "5"))
OTHER_EXAMPLES = max(1, EXAMPLES // 5)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
AUDIENCES = ("anonymous", "owner", "admin", "worker")
REQUEST_TIMEOUT_S = 60.0


@dataclass
class World:
    """The rows of a test: one organization with a store, a camera, a zone, a member and an invite."""

    ids: dict[str, str]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
async def fuzz_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Like `client`, but an unhandled error in the app is a 500 answer, not an exception in the test."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def world(session: AsyncSession, settings: Settings, fuzz_client: httpx.AsyncClient) -> World:
    """An owner's organization with data behind every id, and the headers of each audience."""
    org = await make_org(session)
    owner = await make_user(session)
    await add_member(session, org, owner, Role.OWNER)
    admin = await make_user(session, superadmin=True)
    store = await make_store(session, org)
    cam = await make_camera(session, settings, store)
    await make_counting_line(session, cam.camera)
    zone = await make_zone(session, cam.camera)
    await make_snapshot(session, cam.camera)
    await make_heartbeat(session, cam.camera)
    await make_event(session, cam.camera, datetime.now(UTC) - timedelta(minutes=5))
    invite = Invite(
        org_id=org.id,
        email=f"invitee-{uuid.uuid4().hex[:6]}@example.com",
        role=Role.VIEWER,
        token_hash=keyed_hash(settings.server_secret, generate_token()),
        expires_at=datetime.now(UTC) + timedelta(days=7),
    )
    session.add(invite)
    await session.flush()
    await session.commit()
    ids = {
        "org_id": str(org.id),
        "store_id": str(store.id),
        "camera_id": str(cam.camera.id),
        "zone_id": str(zone.id),
        "user_id": str(owner.id),
        "invite_id": str(invite.id),
        "entity_id": str(store.id),
        "actor_user_id": str(admin.id),
    }
    return World(
        ids=ids,
        headers={
            "anonymous": {},
            "owner": await login(fuzz_client, owner.email),
            "admin": await login(fuzz_client, admin.email),
            "worker": cam.headers,
        },
    )


def _with_real_ids(case: Any, ids: dict[str, str]) -> None:
    """Point the case's path (and same-named query) ids at real rows, so the code behind the 404 runs."""
    for container in (case.path_parameters, case.query):
        if container:
            for name in container:
                if name in ids:
                    container[name] = ids[name]


def _to_httpx(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    """The case as `httpx.AsyncClient.request` arguments, encoded byte for byte as schemathesis would."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    kwargs.pop("auth", None)
    sent = {**kwargs.pop("headers", {}), **headers}
    prepared = requests.Request(headers=sent, **kwargs).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    return {
        "method": prepared.method,
        "url": prepared.url,
        "headers": dict(prepared.headers),
        "content": body,
    }


def audience_of(document: dict[str, Any], operation: Any) -> str:
    """Who an operation is for: the worker (worker key), an admin (`/admin`), an owner, or anyone."""
    security = document["paths"][operation.path][operation.method.lower()].get("security") or []
    schemes = {name for requirement in security for name in requirement}
    if "APIKeyHeader" in schemes:
        return "worker"
    if schemes:
        return "admin" if operation.path.startswith("/admin/") else "owner"
    return "anonymous"


# (operation, mode) pairs with nothing to generate, such as negative cases of an operation without
# parameters: Hypothesis needs seconds to prove it, once per session is enough.
_UNSATISFIABLE: set[tuple[str, str]] = set()


@dataclass
class Run:
    """What one audience's run did: the number of requests, the statuses seen and the failures."""

    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    unsatisfiable: int = 0


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    examples: int,
    run: Run,
    ids: dict[str, str],
    headers: dict[str, str],
    http: httpx.AsyncClient,
    loop: asyncio.AbstractEventLoop,
) -> None:
    """Hypothesis over one operation; runs in a worker thread, its requests go to the app on `loop`."""

    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
    def check(case: Any, real: bool) -> None:
        if real:
            _with_real_ids(case, ids)
        request = _to_httpx(case, headers)
        future = asyncio.run_coroutine_threadsafe(http.request(**request), loop)
        response = future.result(timeout=REQUEST_TIMEOUT_S)
        run.requests += 1
        run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

    if (operation.label, mode.value) in _UNSATISFIABLE:
        run.unsatisfiable += 1
        return
    try:
        check()
    except Unsatisfiable:
        _UNSATISFIABLE.add((operation.label, mode.value))
        run.unsatisfiable += 1
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
        # Every failure of every operation is reported at the end.
        run.failures.append(f"{operation.label} [{mode.value}]: {exc}")


@pytest.mark.parametrize("audience", AUDIENCES)
async def test_no_5xx_and_only_documented_statuses(
    app: FastAPI, fuzz_client: httpx.AsyncClient, world: World, audience: str
) -> None:
    document = app.openapi()
    schema = schemathesis.openapi.from_dict(document)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the app's own document must load
        operations.append(result.ok())
    assert len(operations) >= 60
    loop = asyncio.get_running_loop()
    run = Run()
    started = time.monotonic()
    for operation in operations:
        own = audience_of(document, operation) == audience
        for mode in MODES if own else (GenerationMode.POSITIVE,):
            await asyncio.to_thread(
                _fuzz_operation,
                operation,
                mode,
                EXAMPLES if own else OTHER_EXAMPLES,
                run,
                world.ids,
                world.headers[audience],
                fuzz_client,
                loop,
            )
    elapsed = time.monotonic() - started
    print(
        f"\n{audience}: {run.requests} requests over {len(operations)} operations in {elapsed:.1f} s,"
        f" statuses {dict(sorted(run.statuses.items()))}, {run.unsatisfiable} operation/mode pairs with"
        " nothing to generate"
    )
    assert run.requests >= len(operations)
    assert run.failures == [], "\n\n".join(run.failures)
