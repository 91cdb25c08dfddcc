"""Writers of analytics answers that are not written by FastAPI from a response model: the footfall series
as `FootfallOut` JSON (from columns) and as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from pydantic import TypeAdapter

from backend.analytics.schemas import FootfallOut
from backend.analytics.views.footfall import FootfallSeries

_TIMES_JSON = TypeAdapter(list[datetime])


def footfall_json(result: FootfallSeries) -> bytes:
    """The footfall series as the JSON of `FootfallOut`, byte for byte, without a model per bucket.

    The envelope and every time are written by pydantic (so datetimes read exactly as in the other
    routes: `Z` for UTC, `+05:45`); counts, nulls and booleans are plain JSON literals.
    """
    envelope = FootfallOut(
        store_id=result.store_id,
        timezone=result.timezone,
        bucket=result.bucket,
        start=result.start,
        end=result.end,
        buckets=[],
    ).model_dump_json()
    head, tail = envelope[: -len("[]}")], "]}"
    if not envelope.endswith('"buckets":[]}'):  # `buckets` must stay FootfallOut's last field
        raise RuntimeError("FootfallOut's fields moved; footfall_json must follow them")
    times: list[str] = json.loads(_TIMES_JSON.dump_json(result.times))

    def number(value: int | None) -> str:
        return "null" if value is None else str(value)

    def share(value: float | None) -> str:
        return "null" if value is None else repr(round(value, 4))

    items = [
        f'{{"start":"{times[k]}","end":"{times[k + 1]}","in_count":{number(result.in_counts[k])},'
        f'"out_count":{number(result.out_counts[k])},"covered":{"true" if result.covered[k] else "false"},'
        f'"complete":{"true" if result.complete[k] else "false"},"coverage":{share(result.coverage[k])},'
        f'"open_s":{result.open_s[k]}}}'
        for k in range(len(result.covered))
    ]
    return (head + "[" + ",".join(items) + tail).encode()


def footfall_csv(result: FootfallSeries) -> str:
    """The footfall series as CSV: `start,end,in,out,covered,complete,coverage`; empty cells for nulls."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["start", "end", "in", "out", "covered", "complete", "coverage"])
    for k in range(len(result.covered)):
        writer.writerow(
            [
                result.times[k].isoformat(),
                result.times[k + 1].isoformat(),
                "" if result.in_counts[k] is None else result.in_counts[k],
                "" if result.out_counts[k] is None else result.out_counts[k],
                str(result.covered[k]).lower(),
                str(result.complete[k]).lower(),
                _share_cell(result.coverage[k]),
            ]
        )
    return buffer.getvalue()


def _share_cell(value: float | None) -> str:
    return "" if value is None else repr(round(value, 4))
