"""Who is calling: an owner/viewer/admin user, or a camera's worker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from backend.models import Role


@dataclass(frozen=True, slots=True)
class UserPrincipal:
    """A signed-in person. `roles` holds their role in each *active* organization they belong to."""

    user_id: uuid.UUID
    email: str
    is_superadmin: bool
    roles: dict[uuid.UUID, Role] = field(default_factory=dict)

    def role_in(self, org_id: uuid.UUID) -> Role | None:
        """The user's role in `org_id`, or None when they are not a member of it (or it is deactivated)."""
        return self.roles.get(org_id)


@dataclass(frozen=True, slots=True)
class CameraPrincipal:
    """An edge worker, identified by its camera's key. Every write it makes is attributed from here."""

    org_id: uuid.UUID
    store_id: uuid.UUID
    camera_id: uuid.UUID
    key_prefix: str
