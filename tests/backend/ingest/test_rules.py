"""Pure pieces of ingestion, without a database: the event screening rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from backend.ingest.service import parse_events, screen_events
from worker.protocol import EventIn

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ZONE = uuid.UUID(int=7)
OTHER_ZONE = uuid.UUID(int=8)  # another camera's


def ev(index: int, **fields: object) -> tuple[int, EventIn]:
    event: dict[str, object] = {
        "event_id": uuid.UUID(int=index + 1000),
        "type": "IN",
        "ts": NOW - timedelta(minutes=1),
        "tracker_id": 1,
    }
    event.update(fields)
    return index, event  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (ev(0), None),
        (ev(0, ts=NOW + timedelta(seconds=300)), None),
        (ev(0, ts=NOW + timedelta(seconds=300, microseconds=1)), "ts is more than 300 s in the future"),
        (ev(0, ts=NOW - timedelta(days=7)), None),
        (ev(0, ts=NOW - timedelta(days=7, microseconds=1)), "ts is more than 7 days old"),
        (ev(0, type="ZONE_ENTER", zone_id=ZONE), None),
        (ev(0, type="ZONE_EXIT", zone_id=ZONE, dwell_ms=0), None),
        (ev(0, type="ZONE_EXIT", zone_id=ZONE, dwell_ms=None), None),
        (ev(0, type="ZONE_EXIT"), "zone_id is required for ZONE_EXIT events"),
        (ev(0, type="ZONE_EXIT", zone_id=None), "zone_id is required for ZONE_EXIT events"),
        (ev(0, type="ZONE_ENTER", zone_id=uuid.UUID(int=8)), "zone_id does not belong to this camera"),
        (ev(0, type="OUT", zone_id=ZONE), "zone_id must be null for OUT events"),
        (ev(0, type="ZONE_ENTER", zone_id=ZONE, dwell_ms=5), "dwell_ms is only sent with ZONE_EXIT events"),
        (ev(0, type="IN", dwell_ms=5), "dwell_ms is only sent with ZONE_EXIT events"),
        # The camera's zones are checked before the fields' fit: one reason per event, the first that applies.
        (
            ev(0, type="ZONE_ENTER", zone_id=uuid.UUID(int=8), dwell_ms=5),
            "zone_id does not belong to this camera",
        ),
        (ev(0, type="OUT", zone_id=ZONE, dwell_ms=5), "zone_id must be null for OUT events"),
    ],
)
def test_screening_rules(event: tuple[int, EventIn], reason: str | None) -> None:
    batch = screen_events([event], [], zone_ids=frozenset({ZONE}), now=NOW, max_future_s=300, max_age_days=7)
    if reason is None:
        assert (len(batch.rows), batch.rejected) == (1, [])
    else:
        assert len(batch.rows) == 0
        assert [(r.index, r.reason) for r in batch.rejected] == [(0, reason)]


def test_screening_counts_repeats_and_sorts_rejections() -> None:
    first = ev(0)
    repeat = (3, first[1])
    batch = screen_events(
        [first, ev(1, ts=NOW + timedelta(days=1)), ev(2), repeat],
        [],
        zone_ids=frozenset(),
        now=NOW,
        max_future_s=300,
        max_age_days=7,
    )
    assert batch.rows.event_id == [uuid.UUID(int=1000), uuid.UUID(int=1002)]
    assert batch.repeated_in_batch == 1
    assert [r.index for r in batch.rejected] == [1]


def test_parse_events_fast_path_keeps_every_index() -> None:
    raw = (
        b'{"events": [{"event_id": "00000000-0000-0000-0000-000000000001", "type": "IN",'
        b' "ts": "2026-11-21T08:15:03.120Z", "tracker_id": 17, "zone_id": null, "dwell_ms": null,'
        b' "confidence": 0.82}]}'
    )
    events, rejected = parse_events(raw, 10)
    assert rejected == []
    [(index, event)] = events
    assert index == 0
    assert event["event_id"] == uuid.UUID(int=1)
    assert event["ts"] == datetime(2026, 11, 21, 8, 15, 3, 120000, tzinfo=UTC)
    assert (event["tracker_id"], event.get("zone_id"), event.get("confidence")) == (17, None, 0.82)
