"""Data coverage from heartbeat history: was each camera reporting in each 15-minute slot?

A camera is online while it has a heartbeat within `camera_offline_after_s`. Per slot this is checked on
an aggregate SQL can compute cheaply: the camera covers the slot when it sent at least
`ceil(900 / camera_offline_after_s)` heartbeats in it (15 with the default 60 s threshold and 30 s
interval, where a healthy worker sends 30), i.e. on average one per offline threshold. An outage shorter
than about half a slot can go unnoticed; one of a slot or longer never does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    runs: Sequence[tuple[int, int, bool]],
    first_slot: int,
    n_slots: int,
    required_from_slot: int | None,
) -> list[SlotState]:
    """Per slot from `first_slot`: the camera's state from its covering `runs`.

    `runs` are `(first_slot, end_slot, stream_ok)`: slots `[first_slot, end_slot)` in which the camera sent
    at least `min_heartbeats` heartbeats, and whether at least as many of them had the stream ok (see
    `repository.coverage_runs`); every other slot is OFFLINE. Slots before `required_from_slot` (the slot of
    the camera's first heartbeat, or of its creation when it never sent one) are ABSENT: a camera added
    later does not make older data look incomplete. STALE: the worker is alive but its stream is not ok (it
    sees no video).
    """
    # Slice assignment per run rather than a test per slot: 90 days are 8,640 slots per camera.
    states = [SlotState.OFFLINE] * n_slots
    for lo, hi, stream_ok in runs:
        a, b = max(lo, first_slot) - first_slot, min(hi, first_slot + n_slots) - first_slot
        if a < b:
            states[a:b] = [SlotState.OK if stream_ok else SlotState.STALE] * (b - a)
    absent = n_slots if required_from_slot is None else min(n_slots, max(0, required_from_slot - first_slot))
    states[:absent] = [SlotState.ABSENT] * absent
    return states


def store_covered(per_camera: Sequence[Sequence[SlotState]], n_slots: int) -> list[bool]:
    """Per slot: at least one counting camera is set up and every one that is, is OK."""
    ok, absent = SlotState.OK, SlotState.ABSENT
    # Column-wise list comprehensions: one pass per camera instead of a list per slot.
    all_fine = [True] * n_slots
    any_present = [False] * n_slots
    for cam in per_camera:
        all_fine = [f and (s is ok or s is absent) for f, s in zip(all_fine, cam, strict=True)]
        any_present = [p or s is not absent for p, s in zip(any_present, cam, strict=True)]
    return [f and p for f, p in zip(all_fine, any_present, strict=True)]


def store_present(per_camera: Sequence[Sequence[SlotState]], n_slots: int) -> list[bool]:
    """Per slot: at least one counting camera is set up (not ABSENT): before that nothing is measured."""
    present = [False] * n_slots
    for cam in per_camera:
        present = [p or s is not SlotState.ABSENT for p, s in zip(present, cam, strict=True)]
    return present
