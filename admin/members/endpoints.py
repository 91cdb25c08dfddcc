"""`/admin/organizations/{org_id}/members` and `/invites`: who may sign in to an organization."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Response

from admin.common import Page, PageDep
from admin.members import service
from admin.members.schemas import InviteCreate, InviteIssued, InviteOut, MemberOut, MemberUpdate
from backend.auth.deps import CurrentAdmin
from backend.deps import SessionDep, SettingsDep
from backend.routing import AuthFirstRoute

router = APIRouter(route_class=AuthFirstRoute, prefix="/organizations/{org_id}", tags=["admin: members"])


@router.post("/invites", status_code=201, responses={404: {"description": "No such organization"}, 409: {}})
async def invite_member(
    org_id: uuid.UUID, body: InviteCreate, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep
) -> InviteIssued:
    """Invite an email with a role. The response holds the one-time token and link (shown once); the link
    is emailed when SMTP is configured. The invitee redeems it at POST /auth/invites/accept."""
    issued, emailed = await service.invite(session, settings, admin, org_id, body)
    return InviteIssued(
        invite=InviteOut.model_validate(issued.invite), token=issued.token, link=issued.link, emailed=emailed
    )


@router.get("/invites", responses={404: {"description": "No such organization"}})
async def list_invites(
    org_id: uuid.UUID,
    session: SessionDep,
    page: PageDep,
    state: Literal["pending", "all"] = "pending",
    sort: Literal["email", "-email", "created_at", "-created_at"] = "-created_at",
) -> Page[InviteOut]:
    """The organization's invites: `state=pending` (default) lists only redeemable ones."""
    rows, total = await service.list_invites(session, org_id, page, sort, pending_only=state == "pending")
    return Page(
        items=[InviteOut.model_validate(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.delete("/invites/{invite_id}", status_code=204, responses={404: {}, 409: {}})
async def revoke_invite(
    org_id: uuid.UUID, invite_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep
) -> Response:
    """Revoke a pending invite; its link stops working."""
    await service.revoke_invite(session, admin, org_id, invite_id)
    return Response(status_code=204)


@router.get("/members", responses={404: {"description": "No such organization"}})
async def list_members(
    org_id: uuid.UUID,
    session: SessionDep,
    page: PageDep,
    sort: Literal["email", "-email", "created_at", "-created_at", "role", "-role"] = "email",
) -> Page[MemberOut]:
    """The organization's members with their roles."""
    items, total = await service.list_members(session, org_id, page, sort)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.patch("/members/{user_id}", responses={404: {"description": "Not a member"}})
async def change_member_role(
    org_id: uuid.UUID, user_id: uuid.UUID, body: MemberUpdate, admin: CurrentAdmin, session: SessionDep
) -> MemberOut:
    """Change a member's role."""
    return await service.change_role(session, admin, org_id, user_id, body)


@router.delete("/members/{user_id}", status_code=204, responses={404: {"description": "Not a member"}})
async def remove_member(
    org_id: uuid.UUID, user_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep
) -> Response:
    """Remove a member from the organization (the account stays)."""
    await service.remove(session, admin, org_id, user_id)
    return Response(status_code=204)
