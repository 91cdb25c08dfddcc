"""POS ingestion: validate rows (JSON batch or CSV), drop duplicates, store the rest idempotently.

Only owners of the store may write (`get_writable_store`); viewers get 403, other tenants 404.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principals import UserPrincipal
from backend.errors import PayloadTooLarge, ValidationFailed
from backend.models import Store
from backend.pos import repository
from backend.pos.schemas import MAX_BATCH, IngestResult, Rejected, StoredTransaction, TransactionIn
from backend.tenancy import get_writable_store
from backend.validation import validation_message

# POS clocks drift; a sale stamped more than this in the future is a clock or data error.
MAX_FUTURE_SKEW = timedelta(minutes=5)
CSV_COLUMNS = ("external_id", "ts", "amount", "currency")


async def ingest(
    session: AsyncSession,
    principal: UserPrincipal,
    store_id: uuid.UUID,
    rows: Iterable[tuple[int, TransactionIn]],
    rejected: list[Rejected] | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Store `(position, transaction)` rows for the store; the first row of an external id wins.

    A row whose external id is already stored, or appeared earlier in the same batch, is a duplicate (its
    content is not compared: retries are harmless). A row stamped more than 5 minutes in the future is
    rejected. Raises NotFound (not the user's store) or Forbidden (a viewer).
    """
    store = await get_writable_store(session, principal, store_id)
    return await _store_rows(session, store, rows, rejected or [], now)


async def ingest_csv(
    session: AsyncSession,
    principal: UserPrincipal,
    store_id: uuid.UUID,
    text: str,
    now: datetime | None = None,
) -> IngestResult:
    """Store the valid rows of a CSV upload (see `parse_csv`); invalid rows are listed in `rejected`.

    Raises NotFound, Forbidden (as `ingest`), then ValidationFailed or PayloadTooLarge (as `parse_csv`).
    """
    store = await get_writable_store(session, principal, store_id)
    rows, rejected = parse_csv(text)
    return await _store_rows(session, store, rows, rejected, now)


async def _store_rows(
    session: AsyncSession,
    store: Store,
    rows: Iterable[tuple[int, TransactionIn]],
    rejected: list[Rejected],
    now: datetime | None,
) -> IngestResult:
    rejected = list(rejected)
    limit = (now or datetime.now(UTC)) + MAX_FUTURE_SKEW
    fresh: dict[str, StoredTransaction] = {}
    duplicates = 0
    for position, tx in rows:
        if tx.ts > limit:
            rejected.append(Rejected(index=position, reason="ts is more than 300 s in the future"))
            continue
        if tx.external_id in fresh:
            duplicates += 1
            continue
        fresh[tx.external_id] = StoredTransaction(
            external_id=tx.external_id, ts=tx.ts.astimezone(UTC), amount=tx.amount, currency=tx.currency
        )
    known = await repository.existing_ids(session, store, list(fresh))
    duplicates += len(known)
    new = [row for key, row in fresh.items() if key not in known]
    stored = await repository.insert_new(session, store, new)
    # Rows stored by a concurrent request between the check and the insert are duplicates too.
    duplicates += len(new) - stored
    rejected.sort(key=lambda r: r.index)
    return IngestResult(accepted=stored, duplicates=duplicates, rejected=rejected)


def parse_csv(text: str) -> tuple[list[tuple[int, TransactionIn]], list[Rejected]]:
    """Rows of a CSV with header `external_id,ts,amount,currency` (any order, extra columns ignored).

    `index` in rejections is the 1-based line number in the file (the header is line 1).

    Raises:
        ValidationFailed: the header lacks a required column, or the file is not readable CSV (field
            `body.csv`). A NUL or other control character in a value rejects that row (`Text`).
        PayloadTooLarge: more than 10,000 data rows.
    """
    # newline=None: universal newlines, so a bare CR (old Mac files) ends a line like LF and CRLF do;
    # with the csv module's usual newline="" it raises "new-line character seen in unquoted field".
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=None))
    rows: list[tuple[int, TransactionIn]] = []
    rejected: list[Rejected] = []
    try:
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationFailed.for_field("body.csv", f"missing column(s): {', '.join(missing)}")
        for number, record in enumerate(reader, start=2):
            if number - 1 > MAX_BATCH:
                raise PayloadTooLarge(f"At most {MAX_BATCH} transactions per upload.")
            values = {c: (record.get(c) or "").strip() for c in CSV_COLUMNS}
            try:
                rows.append((number, TransactionIn.model_validate(values)))
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "row"
                message = validation_message(
                    first["type"], (first.get("ctx") or {}).get("pattern"), first["msg"]
                )
                rejected.append(Rejected(index=number, reason=f"{field}: {message}"))
    except csv.Error as exc:  # a malformed file (an oversized field, say): refused whole, nothing stored
        raise ValidationFailed.for_field(
            "body.csv", f"not a readable CSV file (line {reader.line_num}: {exc})"
        ) from None
    return rows, rejected
