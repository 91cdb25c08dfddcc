"""Invites (one-time, hashed, expiring) and per-camera worker keys (hashed, constant-time, revocable)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth import service
from backend.auth.crypto import generate_worker_key, keyed_hash, worker_key_prefix
from backend.auth.deps import get_current_camera
from backend.config import Settings
from backend.errors import Conflict, Forbidden, NotAuthenticated
from backend.models import Invite, Role
from backend.models.base import utcnow
from tests.factories import add_member, make_camera, make_org, make_store, make_user

NEW_PASSWORD = "a brand new passphrase"


async def test_invite_is_redeemed_once_and_signs_the_owner_in(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    org = await make_org(session, "Corner Shop")
    issued = await service.create_invite(session, settings, org.id, "New.Owner@Example.com", Role.OWNER, None)
    stored = await session.scalar(select(Invite).where(Invite.id == issued.invite.id))
    assert stored is not None
    assert stored.token_hash == keyed_hash(settings.server_secret, issued.token)
    assert issued.token not in stored.token_hash
    assert issued.link.endswith(issued.token)

    accepted = await client.post(
        "/auth/invites/accept", json={"token": issued.token, "password": NEW_PASSWORD}
    )
    assert accepted.status_code == 200
    me = await client.get("/me", headers={"Authorization": f"Bearer {accepted.json()['access_token']}"})
    assert me.json()["email"] == "new.owner@example.com"
    assert me.json()["organizations"] == [{"org_id": str(org.id), "org_name": "Corner Shop", "role": "owner"}]

    again = await client.post("/auth/invites/accept", json={"token": issued.token, "password": NEW_PASSWORD})
    assert again.status_code == 404
    login = await client.post(
        "/auth/token", json={"email": "new.owner@example.com", "password": NEW_PASSWORD}
    )
    assert login.status_code == 200


async def test_expired_and_superseded_invites_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    org = await make_org(session)
    expired = await service.create_invite(session, settings, org.id, "late@example.com", Role.VIEWER, None)
    expired.invite.expires_at = utcnow() - timedelta(seconds=1)
    first = await service.create_invite(session, settings, org.id, "twice@example.com", Role.VIEWER, None)
    await service.create_invite(session, settings, org.id, "twice@example.com", Role.OWNER, None)
    await session.flush()
    for token in (expired.token, first.token, "x" * 43):
        response = await client.post("/auth/invites/accept", json={"token": token, "password": NEW_PASSWORD})
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "This invite is invalid or has expired."


async def test_invite_password_is_validated(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/invites/accept", json={"token": "t" * 43, "password": "short"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body.password"


async def test_inviting_an_existing_member_conflicts(session: AsyncSession, settings: Settings) -> None:
    org, user = await make_org(session), await make_user(session)
    await add_member(session, org, user)
    with pytest.raises(Conflict):
        await service.create_invite(session, settings, org.id, user.email.upper(), Role.VIEWER, None)


def test_worker_keys_are_long_random_and_prefixed() -> None:
    secret = b"s" * 48
    keys = [generate_worker_key(secret) for _ in range(50)]
    assert len({k.value for k in keys}) == 50
    for key in keys:
        assert key.value.startswith(f"sik_{key.prefix}_")
        assert worker_key_prefix(key.value) == key.prefix
        assert len(key.value.split("_", 2)[2]) >= 32  # 24 random bytes, urlsafe: 192 bits
        assert key.hash == keyed_hash(secret, key.value)
        assert key.value not in key.hash


@pytest.mark.parametrize("presented", [None, "", "sik_short_x", "Bearer abc", "sik_000000000000_nope"])
async def test_missing_malformed_or_unknown_worker_key_is_401(
    presented: str | None, session: AsyncSession, settings: Settings
) -> None:
    with pytest.raises(NotAuthenticated):
        await get_current_camera(session, settings, presented)


async def test_worker_key_identifies_its_camera(session: AsyncSession, settings: Settings) -> None:
    store = await make_store(session, await make_org(session))
    cam = await make_camera(session, settings, store)
    principal = await get_current_camera(session, settings, cam.key)
    assert (principal.org_id, principal.store_id, principal.camera_id) == (
        store.org_id,
        store.id,
        cam.camera.id,
    )


async def test_key_with_the_right_prefix_but_wrong_secret_is_401(
    session: AsyncSession, settings: Settings
) -> None:
    cam = await make_camera(session, settings, await make_store(session, await make_org(session)))
    forged = cam.key[:-4] + ("AAAA" if not cam.key.endswith("AAAA") else "BBBB")
    with pytest.raises(NotAuthenticated):
        await get_current_camera(session, settings, forged)


async def test_rotated_key_stops_working_at_once(session: AsyncSession, settings: Settings) -> None:
    cam = await make_camera(session, settings, await make_store(session, await make_org(session)))
    new = generate_worker_key(settings.server_secret)
    cam.camera.key_prefix, cam.camera.key_hash = new.prefix, new.hash
    await session.flush()
    with pytest.raises(NotAuthenticated):
        await get_current_camera(session, settings, cam.key)
    assert (await get_current_camera(session, settings, new.value)).camera_id == cam.camera.id


@pytest.mark.parametrize("what", ["camera disabled", "store deactivated", "organization deactivated"])
async def test_disabled_camera_store_or_org_is_403(
    what: str, session: AsyncSession, settings: Settings
) -> None:
    org = await make_org(session)
    store = await make_store(session, org)
    cam = await make_camera(session, settings, store)
    if what == "camera disabled":
        cam.camera.enabled = False
    elif what == "store deactivated":
        store.is_active = False
    else:
        org.is_active = False
    await session.flush()
    with pytest.raises(Forbidden):
        await get_current_camera(session, settings, cam.key)
