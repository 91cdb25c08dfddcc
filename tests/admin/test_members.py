"""Members and invites: invite an owner, accept, change role, remove, revoke."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.crypto import keyed_hash
from backend.config import Settings
from backend.models import Invite, Role
from tests.factories import PASSWORD, add_member, login, make_org, make_store, make_user


async def _invite(
    client: httpx.AsyncClient, headers: dict[str, str], org_id: object, email: str, role: str = "owner"
) -> httpx.Response:
    return await client.post(
        f"/admin/organizations/{org_id}/invites", json={"email": email, "role": role}, headers=headers
    )


async def test_invite_accept_and_list_members(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session, "Invited org")
    await make_store(session, org, name="Invited store")
    issued = await _invite(client, admin_headers, org.id, "New.Owner@Example.com")
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["invite"]["email"] == "new.owner@example.com"
    assert body["invite"]["role"] == "owner"
    assert body["emailed"] is False  # no SMTP configured: the admin hands the link over
    assert body["link"].endswith(f"#token={body['token']}")
    stored = await session.scalar(select(Invite).where(Invite.id == uuid.UUID(body["invite"]["id"])))
    assert stored is not None
    assert stored.token_hash == keyed_hash(settings.server_secret, body["token"])

    pending = await client.get(f"/admin/organizations/{org.id}/invites", headers=admin_headers)
    assert [i["email"] for i in pending.json()["items"]] == ["new.owner@example.com"]

    accepted = await client.post("/auth/invites/accept", json={"token": body["token"], "password": PASSWORD})
    assert accepted.status_code == 200
    owner_headers = {"Authorization": f"Bearer {accepted.json()['access_token']}"}
    assert [s["name"] for s in (await client.get("/stores", headers=owner_headers)).json()] == [
        "Invited store"
    ]

    members = await client.get(f"/admin/organizations/{org.id}/members", headers=admin_headers)
    assert [(m["email"], m["role"]) for m in members.json()["items"]] == [("new.owner@example.com", "owner")]
    assert (await client.get(f"/admin/organizations/{org.id}/invites", headers=admin_headers)).json()[
        "total"
    ] == 0
    everything = await client.get(
        f"/admin/organizations/{org.id}/invites", params={"state": "all"}, headers=admin_headers
    )
    assert everything.json()["items"][0]["accepted_at"] is not None


async def test_reinvite_revokes_the_earlier_link_and_members_cannot_be_invited(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session)
    first = (await _invite(client, admin_headers, org.id, "twice@example.com")).json()
    second = (await _invite(client, admin_headers, org.id, "twice@example.com", "viewer")).json()
    old = await client.post("/auth/invites/accept", json={"token": first["token"], "password": PASSWORD})
    assert old.status_code == 404
    new = await client.post("/auth/invites/accept", json={"token": second["token"], "password": PASSWORD})
    assert new.status_code == 200
    again = await _invite(client, admin_headers, org.id, "twice@example.com")
    assert again.status_code == 409
    closed = await make_org(session, active=False)
    assert (await _invite(client, admin_headers, closed.id, "x@example.com")).status_code == 409


async def test_revoked_invite_cannot_be_accepted(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session)
    issued = (await _invite(client, admin_headers, org.id, "gone@example.com")).json()
    revoked = await client.delete(
        f"/admin/organizations/{org.id}/invites/{issued['invite']['id']}", headers=admin_headers
    )
    assert revoked.status_code == 204
    refused = await client.post("/auth/invites/accept", json={"token": issued["token"], "password": PASSWORD})
    assert refused.status_code == 404


async def test_change_role_and_remove_take_effect_on_the_next_request(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    org = await make_org(session, "Role org")
    await make_store(session, org, name="Role store")
    user = await make_user(session)
    await add_member(session, org, user, Role.OWNER)
    headers = await login(client, user.email)

    changed = await client.patch(
        f"/admin/organizations/{org.id}/members/{user.id}", json={"role": "viewer"}, headers=admin_headers
    )
    assert changed.status_code == 200
    assert changed.json()["role"] == "viewer"
    me = (await client.get("/me", headers=headers)).json()
    assert [(o["org_name"], o["role"]) for o in me["organizations"]] == [("Role org", "viewer")]

    removed = await client.delete(f"/admin/organizations/{org.id}/members/{user.id}", headers=admin_headers)
    assert removed.status_code == 204
    assert (await client.get("/stores", headers=headers)).json() == []
    again = await client.delete(f"/admin/organizations/{org.id}/members/{user.id}", headers=admin_headers)
    assert again.status_code == 404
