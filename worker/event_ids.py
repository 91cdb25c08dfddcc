"""Event ids: random for live streams, deterministic for recordings, so re-processing a file stores nothing
twice.

The backend stores an event once per ``(org, camera, event_id)``. A live stream is never seen twice, so its
events take a random ``uuid4``. A recording can be processed again (a worker restarted on it, a backfill run
twice); its events take a ``uuid5`` computed by :func:`file_event_id` from what identifies the crossing in
that recording, so the second run sends the same ids and the backend answers "duplicate".
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid

FILE_EVENT_NAMESPACE = uuid.UUID("0b6f3a52-6c1e-5d0e-9b7e-4f1c2a8d7e90")
"""The uuid5 namespace of file event ids (fixed forever: changing it changes every id)."""

FINGERPRINT_CHUNK = 1 << 20  # bytes hashed at each end of the file


def source_fingerprint(path: str) -> str:
    """What identifies a recording: ``"file:<size>:<sha256 of its first and last MiB>"``.

    Content, not path or mtime: a recording that was moved, renamed or copied (``cp`` resets the mtime) is
    still the same recording, and hashing 2 MiB is instant even for a file of many GB. Two different
    recordings with the same size and the same first and last MiB of encoded video do not happen in
    practice. A source that is no local file (OpenCV also opens image sequences such as ``img_%04d.jpg``)
    falls back to ``"path:<path>"``.
    """
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            digest = hashlib.sha256(f.read(FINGERPRINT_CHUNK))
            if size > FINGERPRINT_CHUNK:
                f.seek(max(FINGERPRINT_CHUNK, size - FINGERPRINT_CHUNK))
                digest.update(f.read(FINGERPRINT_CHUNK))
    except OSError:
        return f"path:{path}"
    return f"file:{size}:{digest.hexdigest()}"


def file_event_id(
    source: str,
    frame_index: int,
    tracker_id: int,
    event_type: str,
    zone_id: str | None = None,
    occurrence: int = 0,
) -> uuid.UUID:
    """The id of an event found in a recording: ``uuid5`` over these inputs, the same on every run.

    ``source``: the recording's :func:`source_fingerprint`. ``frame_index``: the 0-based position in the file
    of the frame whose processing emitted the event (``Frame.index``, counting every decoded frame, so it
    does not depend on the start time; events emitted when the session closes take the last processed
    frame's). ``tracker_id``: the (stitched) track. ``event_type``: ``IN``/``OUT``/``ZONE_ENTER``/
    ``ZONE_EXIT``. ``zone_id``: for zone events (one track can enter two zones in one frame).
    ``occurrence``: 0, or the count of earlier events with the same other inputs (a crossing held back for
    confirmation can be released together with a second one of the same direction).

    Together they are unique per event: one track emits an event of one type in one zone at most once per
    frame, apart from what ``occurrence`` numbers. The camera is not an input: the backend already keys
    events by camera, and a worker that could not fetch its config yet does not know its camera id.
    Timestamps are not inputs either: without ``--replay-start`` a file's frames are stamped from the time
    it was opened. Determinism needs the same frames tracked the same way: the same settings
    (``target_fps``, counting and zone tuning) and layout; a run with other settings gets other ids.
    """
    name = json.dumps([source, frame_index, tracker_id, event_type, zone_id, occurrence])
    return uuid.uuid5(FILE_EVENT_NAMESPACE, name)
