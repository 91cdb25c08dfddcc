"""Track stitching: a person whose track the tracker broke keeps one identity, and the counting line sees the
crossing that straddled the break. Synthetic boxes in pixels at 10 fps, no model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from worker.line_counter import Direction, LineCounterConfig
from worker.pipeline import CountingSession
from worker.protocol import CountingLineOut
from worker.source import Frame
from worker.stitching import FRESH_ID_BASE, StitchConfig, TrackStitcher
from worker.tracks import TrackedPerson

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
STEP = timedelta(milliseconds=100)  # 10 fps
Frames = Sequence[list[TrackedPerson]]


def walker(track_id: int, x: float, y_top: float = 100.0, height: float = 100.0) -> TrackedPerson:
    """A person 20 px wide and ``height`` px tall whose box centre is at ``x``."""
    return TrackedPerson(track_id, (x - 10.0, y_top, x + 10.0, y_top + height), 0.8)


def identities(frames: Frames, config: StitchConfig | None = None) -> list[list[int]]:
    stitcher = TrackStitcher(config)
    return [[p.track_id for p in stitcher.relabel(T0 + i * STEP, people)] for i, people in enumerate(frames)]


def walk_with_break(*, gap_frames: int, new_id: int = 2, speed: float = 8.0) -> list[list[TrackedPerson]]:
    """Track 1 walks right at ``speed`` px per frame, is unseen for ``gap_frames``, then comes back where it
    was heading as tracker id ``new_id``."""
    frames: list[list[TrackedPerson]] = [[walker(1, 100.0 + speed * i)] for i in range(10)]
    frames += [[] for _ in range(gap_frames)]
    resume = 10 + gap_frames
    frames += [[walker(new_id, 100.0 + speed * i)] for i in range(resume, resume + 10)]
    return frames


def test_a_new_track_where_a_lost_one_was_heading_takes_its_identity() -> None:
    out = identities(walk_with_break(gap_frames=5))
    assert {i for frame in out for i in frame} == {1}


def test_a_long_gap_is_not_bridged() -> None:
    # 3 s unseen: beyond max_gap (2 s), the new track is a new person.
    out = identities(walk_with_break(gap_frames=30))
    assert out[-1] == [2]


def test_a_track_appearing_elsewhere_is_not_joined() -> None:
    frames: list[list[TrackedPerson]] = [[walker(1, 100.0)] for _ in range(5)] + [[] for _ in range(3)]
    frames += [[walker(2, 400.0)] for _ in range(5)]  # 3 body heights away from where track 1 was standing
    assert identities(frames)[-1] == [2]


def test_a_box_of_a_different_height_is_not_joined() -> None:
    frames: list[list[TrackedPerson]] = [[walker(1, 100.0)] for _ in range(5)] + [[] for _ in range(2)]
    frames += [[walker(2, 100.0, y_top=140.0, height=60.0)] for _ in range(5)]  # ratio 1.67 > 1.5
    assert identities(frames)[-1] == [2]
    assert identities(frames, StitchConfig(max_height_ratio=2.0))[-1] == [1]


def test_a_box_cut_off_at_the_bottom_joins_on_its_top_edge() -> None:
    # Hidden behind an obstacle from the knees down when it comes back: the top edge still lines up.
    frames: list[list[TrackedPerson]] = [[walker(1, 100.0)] for _ in range(5)] + [[] for _ in range(2)]
    frames += [[walker(2, 100.0, y_top=100.0, height=70.0)] for _ in range(5)]
    assert identities(frames)[-1] == [1]


def test_a_person_who_stopped_while_hidden_is_joined_where_they_were_last_seen() -> None:
    # Walking right at 8 px a frame, hidden for 1 s, back at the spot where they disappeared: the walking
    # prediction is 80 px (0.8 body heights) on, the "stopped" hypothesis is exact.
    frames: list[list[TrackedPerson]] = [[walker(1, 100.0 + 8.0 * i)] for i in range(10)]
    frames += [[] for _ in range(10)] + [[walker(2, 172.0)] for _ in range(5)]
    assert identities(frames)[-1] == [1]


@pytest.mark.parametrize(("gap_frames", "joined"), [(2, False), (15, True)])
def test_the_gate_widens_with_the_time_unseen(gap_frames: int, joined: bool) -> None:
    # A person standing at x=100 comes back 70 px (0.7 body heights) off: beyond the gate after 0.3 s
    # (0.5 x 1.3 = 0.65), within it after 1.6 s (0.5 x 2.6 = 1.3), as someone who turned while hidden.
    frames: list[list[TrackedPerson]] = [[walker(1, 100.0)] for _ in range(5)]
    frames += [[] for _ in range(gap_frames)] + [[walker(2, 170.0)] for _ in range(3)]
    assert identities(frames)[-1] == ([1] if joined else [2])
    assert identities(frames, StitchConfig(gate_growth=0.0))[-1] == [2]


def test_people_seen_in_the_same_frame_are_never_joined() -> None:
    # Two people side by side; a third box turns up right next to them while both are still visible.
    frames = [[walker(1, 100.0), walker(2, 130.0)] for _ in range(5)]
    frames += [[walker(1, 100.0), walker(2, 130.0), walker(3, 115.0)] for _ in range(5)]
    assert identities(frames)[-1] == [1, 2, 3]


def test_a_track_renumbered_from_one_frame_to_the_next_keeps_its_identity() -> None:
    frames = [[walker(1, 100.0), walker(2, 130.0)] for _ in range(5)]
    frames += [[walker(1, 100.0), walker(3, 131.0)] for _ in range(5)]
    assert identities(frames)[-1] == [1, 2]


def test_closest_pairs_are_joined_first_one_to_one() -> None:
    frames = [[walker(1, 100.0), walker(2, 300.0)] for _ in range(5)] + [[] for _ in range(2)]
    frames += [[walker(11, 305.0), walker(12, 95.0), walker(13, 320.0)] for _ in range(3)]
    assert identities(frames)[-1] == [2, 1, 13]


def test_a_revived_tracker_id_next_to_its_successor_gets_a_fresh_identity() -> None:
    frames = walk_with_break(gap_frames=3)  # tracker id 2 took over identity 1
    frames[-1] = [*frames[-1], walker(1, 600.0)]  # the tracker revives id 1 elsewhere in the same frame
    out = identities(frames)
    assert out[-2] == [1]
    assert out[-1] == [1, FRESH_ID_BASE]


def test_a_revived_tracker_id_whose_identity_was_handed_on_joins_a_person_lost_there() -> None:
    # Person A (tracker id 1, x=100) is lost and found again as id 2, which takes identity 1. Person B (id 5)
    # walks right from x=400 and disappears behind somebody; ByteTrack then revives its lost id 1 on B's box
    # where B was heading. Id 1 is B now, not a stranger: it takes B's identity.
    frames: list[list[TrackedPerson]] = [[walker(1, 100.0), walker(5, 400.0 + 8.0 * i)] for i in range(8)]
    frames += [[walker(5, 400.0 + 8.0 * i)] for i in range(8, 10)]  # A unseen
    frames += [[walker(2, 100.0), walker(5, 400.0 + 8.0 * i)] for i in range(10, 12)]  # A back as id 2
    frames += [[walker(2, 100.0)] for _ in range(12, 15)]  # B hidden
    frames += [[walker(2, 100.0), walker(1, 400.0 + 8.0 * i)] for i in range(15, 18)]  # id 1 revived on B
    out = identities(frames)
    assert out[11] == [1, 5]
    assert out[-1] == [1, 5]


def test_a_revived_tracker_id_whose_identity_was_handed_on_and_joins_nobody_is_a_new_person() -> None:
    frames = walk_with_break(gap_frames=3)  # tracker id 2 took over identity 1 and walks on
    frames += [[walker(1, 600.0)] for _ in range(3)]  # id 2 gone, id 1 revived far from where it was heading
    out = identities(frames)
    assert out[-4] == [1]
    assert out[-3:] == [[FRESH_ID_BASE]] * 3


def test_a_duplicate_box_of_a_tracked_person_is_not_joined() -> None:
    # Person A (id 1) stands at x=100; person B (id 2) walks left towards them and is hidden after x=160. A
    # new id 3 shows up on A's box (IoU 0.6 with it), within B's gate: a second detection of A, not B.
    frames: list[list[TrackedPerson]] = [[walker(1, 100.0), walker(2, 200.0 - 8.0 * i)] for i in range(6)]
    frames += [[walker(1, 100.0)] for _ in range(2)]
    frames += [[walker(1, 100.0), walker(3, 105.0)] for _ in range(3)]
    assert identities(frames)[-1] == [1, 3]
    assert identities(frames, StitchConfig(duplicate_iou=1.0))[-1] == [1, 2]


def test_identities_of_forgotten_tracks_are_released() -> None:
    stitcher = TrackStitcher()
    for i, people in enumerate(walk_with_break(gap_frames=3)):
        stitcher.relabel(T0 + i * STEP, people)
    stitcher.relabel(T0 + timedelta(seconds=60), [])
    assert stitcher._identity == {}
    assert stitcher._history == {}
    assert stitcher._seen == {}


@pytest.mark.parametrize(
    "field",
    [
        {"max_gap": timedelta(0)},
        {"gate": 0.0},
        {"gate_growth": -0.1},
        {"max_height_ratio": 0.9},
        {"velocity_window": timedelta(0)},
        {"duplicate_iou": 0.0},
        {"duplicate_iou": 1.5},
    ],
)
def test_config_is_validated(field: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        StitchConfig(**field)


class Scripted:
    """Replays fixed tracker output, one list per frame."""

    def __init__(self, frames: Frames) -> None:
        self._frames = iter(frames)

    def track(self, image: Any) -> list[TrackedPerson]:
        return next(self._frames)

    def detect(self, image: Any, conf: float) -> list[tuple[float, float, float, float]]:
        return []


@pytest.mark.parametrize(("stitch", "expected"), [(StitchConfig(), [Direction.IN]), (None, [])])
def test_a_crossing_that_straddles_a_track_break_is_counted(
    stitch: StitchConfig | None, expected: list[Direction]
) -> None:
    # A vertical line at x = 200 drawn downwards (its left side is +x): track 1 ends at x = 172, tracker id 2
    # starts at x = 220, so the person entered the "in" side during the break.
    frames = walk_with_break(gap_frames=5)
    session = CountingSession(
        Scripted(frames),
        CountingLineOut(x1=200 / 640, y1=0.0, x2=200 / 640, y2=1.0, in_side="left"),
        counter_config=lambda _h: LineCounterConfig(min_hits=3),
        stitch=stitch,
    )
    image = np.zeros((480, 640, 3), dtype=np.uint8)
    crossings = [
        c.direction
        for i in range(len(frames))
        for c in session.process(Frame(image=image, ts=T0 + i * STEP, index=i)).crossings
    ]
    assert crossings == expected
