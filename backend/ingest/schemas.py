"""OpenAPI names of the worker config answer; the wire shapes themselves are `worker.protocol`'s.

OpenAPI names a schema after its class, and after its module too when two classes share a name: admin's
calibration has its own `CountingLineOut` and `ZoneOut`, so the published document has always called these
`backend__ingest__schemas__CountingLineOut`/`…ZoneOut`. These subclasses add no field; they only keep those
names (and the descriptions) for `GET /worker/config`'s documented `response_model`.
"""

from __future__ import annotations

from worker import protocol


class CountingLineOut(protocol.CountingLineOut):
    __doc__ = protocol.CountingLineOut.__doc__


class ZoneOut(protocol.ZoneOut):
    __doc__ = protocol.ZoneOut.__doc__


class WorkerConfig(protocol.WorkerConfig):
    __doc__ = protocol.WorkerConfig.__doc__

    counting_line: CountingLineOut | None
    # The same shape under its documented name; list is invariant, hence the ignore.
    zones: list[ZoneOut]  # type: ignore[assignment]
