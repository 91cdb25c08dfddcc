"""Data coverage from heartbeat history: was each camera reporting in each 15-minute slot?

A camera is online while it has a heartbeat within `camera_offline_after_s`. Per slot this is checked on
an aggregate SQL can compute cheaply: the camera covers the slot when it sent at least
`ceil(900 / camera_offline_after_s)` heartbeats in it (15 with the default 60 s threshold and 30 s
interval, where a healthy worker sends 30), i.e. on average one per offline threshold. An outage shorter
than about half a slot can go unnoticed; one of a slot or longer never does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from enum import StrEnum

from backend.analytics.timegrid import SLOT_S


class SlotState(StrEnum):
    """A camera in one slot: reporting with a working stream, without video, silent, or not yet set up."""

    OK = "ok"
    STALE = "stale"
    OFFLINE = "offline"
    ABSENT = "absent"


def min_heartbeats(offline_after_s: float) -> int:
    """Heartbeats a camera must send in a slot to cover it."""
    return max(1, math.ceil(SLOT_S / offline_after_s))


def camera_states(
    counts: Mapping[int, tuple[int, int]],
    first_slot: int,
    n_slots: int,
    required_from_slot: int | None,
    needed: int,
) -> list[SlotState]:
    """Per slot from `first_slot`: the camera's state from `counts` (slot → (heartbeats, of them stream ok)).

    Slots before `required_from_slot` (the slot of the camera's first heartbeat, or of its creation when it
    never sent one) are ABSENT: a camera added later does not make older data look incomplete. STALE: the
    worker is alive but its stream is not ok (it sees no video).
    """
    states: list[SlotState] = []
    for slot in range(first_slot, first_slot + n_slots):
        if required_from_slot is None or slot < required_from_slot:
            states.append(SlotState.ABSENT)
            continue
        total, ok = counts.get(slot, (0, 0))
        if total < needed:
            states.append(SlotState.OFFLINE)
        elif ok < needed:
            states.append(SlotState.STALE)
        else:
            states.append(SlotState.OK)
    return states


def store_covered(per_camera: Sequence[Sequence[SlotState]], n_slots: int) -> list[bool]:
    """Per slot: at least one counting camera is set up and every one that is, is OK."""
    covered: list[bool] = []
    for i in range(n_slots):
        states = [cam[i] for cam in per_camera if cam[i] is not SlotState.ABSENT]
        covered.append(bool(states) and all(s is SlotState.OK for s in states))
    return covered
