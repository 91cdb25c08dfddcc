"""Enumerations stored as short strings (with CHECK constraints) on both databases."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Enum


class Role(StrEnum):
    """A member's role in an organization: owners manage, viewers only read."""

    OWNER = "owner"
    VIEWER = "viewer"


class EventType(StrEnum):
    """Worker event types: line crossings (IN/OUT) and zone transitions."""

    IN = "IN"
    OUT = "OUT"
    ZONE_ENTER = "ZONE_ENTER"
    ZONE_EXIT = "ZONE_EXIT"


class ZoneKind(StrEnum):
    """What a zone covers; billing zones feed queue depth and the funnel's billing stage."""

    PRODUCT = "product"
    BILLING = "billing"
    ENTRANCE = "entrance"
    OTHER = "other"


class InSide(StrEnum):
    """Side of the directed counting line (x1,y1)→(x2,y2) that is inside the store, as seen in the image."""

    LEFT = "left"
    RIGHT = "right"


class StreamStatus(StrEnum):
    """The worker's view of its video stream, reported in heartbeats (`worker.protocol.StreamStatus`)."""

    OK = "ok"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    FROZEN = "frozen"  # frames arrive, the image stopped changing
    STOPPED = "stopped"  # the worker's final heartbeat before a clean stop


def str_enum(enum_cls: type[StrEnum], name: str) -> Any:
    """A non-native (VARCHAR + CHECK) enum column type storing the members' values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )
