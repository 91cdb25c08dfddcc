"""`POST /stores/{store_id}/transactions` (JSON batch) and `/transactions/csv` (CSV upload), owners only."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from backend.auth.deps import CurrentUser
from backend.bodies import read_capped
from backend.deps import SessionDep
from backend.errors import PayloadTooLarge, ValidationFailed
from backend.pos import service
from backend.pos.schemas import IngestResult, TransactionBatch
from backend.routing import AuthFirstRoute

router = APIRouter(route_class=AuthFirstRoute, tags=["pos"])

MAX_CSV_BYTES = 5 * 1024 * 1024  # as a body or a file; a bigger body is refused while it is read, not after
_CSV_TOO_LARGE = "The CSV must be at most 5 MB."
_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "Viewers cannot write"},
    404: {"description": "No such store for this user"},
}


@router.post("/stores/{store_id}/transactions", responses=_RESPONSES)
async def post_transactions(
    store_id: uuid.UUID, body: TransactionBatch, principal: CurrentUser, session: SessionDep
) -> IngestResult:
    """Store a batch of POS transactions, idempotent by `external_id`; `rejected[].index` is 0-based."""
    return await service.ingest(session, principal, store_id, enumerate(body.transactions))


@router.post(
    "/stores/{store_id}/transactions/csv",
    responses=_RESPONSES,
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            }
        }
    },
)
async def post_transactions_csv(
    store_id: uuid.UUID, request: Request, principal: CurrentUser, session: SessionDep
) -> IngestResult:
    """Upload a CSV (`external_id,ts,amount,currency`) as a `text/csv` body or a multipart `file` field.

    Valid rows are stored; each invalid one is listed in `rejected` with its line number and reason.
    """
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            form = await request.form(max_files=1)
        except HTTPException as exc:  # Starlette's 400 for a body that is not multipart (or two files)
            raise ValidationFailed.for_field("body", f"not valid multipart/form-data: {exc.detail}") from None
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed.for_field("body.file", "a CSV file is required")
        raw = await upload.read(MAX_CSV_BYTES + 1)  # the form spooled the file to disk, not to memory
        if len(raw) > MAX_CSV_BYTES:
            raise PayloadTooLarge(_CSV_TOO_LARGE)
    else:
        raw = await read_capped(request, MAX_CSV_BYTES, _CSV_TOO_LARGE)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.for_field("body.csv", "must be UTF-8 text") from exc
    return await service.ingest_csv(session, principal, store_id, text)
