"""POS transaction bodies: one transaction, a batch, and the ingestion result."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from backend.validation import Text, UtcTimestamp

MAX_BATCH = 10_000


class TransactionIn(BaseModel):
    """One sale. `external_id` is the POS system's own id (idempotency key per store); `ts` is an aware
    timestamp (stored as UTC); `amount` has at most 2 decimals and is not negative (refunds are not sales);
    `currency` is an ISO 4217 code."""

    external_id: Text = Field(min_length=1, max_length=100)
    ts: UtcTimestamp
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class TransactionBatch(BaseModel):
    """`POST /stores/{store_id}/transactions` body."""

    transactions: list[TransactionIn] = Field(max_length=MAX_BATCH)


class Rejected(BaseModel):
    """A transaction that was not stored: its position (0-based index, or CSV line number) and why."""

    index: int
    reason: str


class IngestResult(BaseModel):
    """New rows stored, rows already stored (same external id, also within one batch), rows refused."""

    accepted: int
    duplicates: int
    rejected: list[Rejected]


class StoredTransaction(BaseModel):
    """Internal: a validated row ready to insert."""

    external_id: str
    ts: datetime
    amount: Decimal
    currency: str
