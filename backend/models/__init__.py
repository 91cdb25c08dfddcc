"""SQLAlchemy 2 typed models. Importing this package registers every table on `Base.metadata`."""

from backend.models.base import Base
from backend.models.count_audits import CountAudit
from backend.models.enums import EventType, InSide, Role, StreamStatus, ZoneKind
from backend.models.events import (
    CameraCoverageSlot,
    CameraHeartbeat,
    Event,
    LineCrossingSlot,
    PosTransaction,
    Snapshot,
)
from backend.models.identity import (
    AdminAuditEntry,
    Invite,
    PasswordReset,
    RefreshToken,
    SigningKey,
)
from backend.models.stores import Camera, CountingLine, Store, Zone
from backend.models.tenancy import Membership, Organization, User

__all__ = [
    "AdminAuditEntry",
    "Base",
    "Camera",
    "CameraCoverageSlot",
    "CameraHeartbeat",
    "CountAudit",
    "CountingLine",
    "Event",
    "EventType",
    "InSide",
    "Invite",
    "LineCrossingSlot",
    "Membership",
    "Organization",
    "PasswordReset",
    "PosTransaction",
    "RefreshToken",
    "Role",
    "SigningKey",
    "Snapshot",
    "Store",
    "StreamStatus",
    "User",
    "Zone",
    "ZoneKind",
]
