"""POST /stores/{id}/transactions and /transactions/csv: idempotent, per-row errors, owners only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import PosTransaction, Role
from backend.pos.endpoints import MAX_CSV_BYTES
from tests.factories import add_member, login, make_org, make_store, make_user


async def _owner_and_store(
    client: httpx.AsyncClient, session: AsyncSession, role: Role = Role.OWNER
) -> tuple:
    org = await make_org(session)
    user = await make_user(session)
    await add_member(session, org, user, role)
    return await login(client, user.email), await make_store(session, org)


def _tx(ext: str, ts: str = "2026-11-20T10:00:00+01:00", amount: str = "12.50") -> dict[str, str]:
    return {"external_id": ext, "ts": ts, "amount": amount, "currency": "EUR"}


async def test_batch_is_idempotent_by_external_id(client: httpx.AsyncClient, session: AsyncSession) -> None:
    headers, store = await _owner_and_store(client, session)
    url = f"/stores/{store.id}/transactions"
    batch = {"transactions": [_tx("A"), _tx("B"), _tx("A"), _tx("F", ts="2099-01-01T00:00:00Z")]}
    first = await client.post(url, json=batch, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "accepted": 2,
        "duplicates": 1,
        "rejected": [{"index": 3, "reason": "ts is more than 300 s in the future"}],
    }
    again = await client.post(url, json={"transactions": [_tx("A"), _tx("B"), _tx("C")]}, headers=headers)
    assert again.json() == {"accepted": 1, "duplicates": 2, "rejected": []}
    stored = await session.scalar(
        select(PosTransaction).where(PosTransaction.store_id == store.id, PosTransaction.external_id == "A")
    )
    assert stored is not None
    assert stored.ts.isoformat() == "2026-11-20T09:00:00+00:00"
    count = await session.scalar(select(func.count()).where(PosTransaction.store_id == store.id))
    assert count == 3


async def test_bad_body_names_the_field(client: httpx.AsyncClient, session: AsyncSession) -> None:
    headers, store = await _owner_and_store(client, session)
    bad = {"transactions": [{**_tx("A"), "currency": "eur"}]}
    response = await client.post(f"/stores/{store.id}/transactions", json=bad, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body.transactions.0.currency"
    naive = {"transactions": [_tx("A", ts="2026-11-20T10:00:00")]}
    response = await client.post(f"/stores/{store.id}/transactions", json=naive, headers=headers)
    assert response.status_code == 422


async def test_csv_upload_as_body_and_as_file(client: httpx.AsyncClient, session: AsyncSession) -> None:
    headers, store = await _owner_and_store(client, session)
    url = f"/stores/{store.id}/transactions/csv"
    text = (
        "external_id,ts,amount,currency,till\n"
        "R1,2026-11-20T10:00:00Z,3.10,EUR,1\n"
        "R2,yesterday,3.10,EUR,1\n"
        "R3,2026-11-20T10:05:00Z,-1,EUR,2\n"
        "R1,2026-11-20T10:00:00Z,3.10,EUR,1\n"
    )
    response = await client.post(url, content=text, headers={**headers, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (1, 1)
    assert [r["index"] for r in body["rejected"]] == [3, 4]
    assert body["rejected"][0]["reason"].startswith("ts:")
    upload = await client.post(
        url,
        files={"file": ("pos.csv", "external_id,ts,amount,currency\nR9,2026-11-20T11:00:00Z,1,EUR\n")},
        headers=headers,
    )
    assert upload.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    missing = await client.post(url, content="id,ts\n", headers={**headers, "Content-Type": "text/csv"})
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"][0]["field"] == "body.csv"


async def test_an_oversize_csv_body_is_413_while_it_is_read(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers, store = await _owner_and_store(client, session)
    url = f"/stores/{store.id}/transactions/csv"
    row = b"R1,2026-11-20T10:00:00Z,3.10,EUR\n"
    oversize = b"external_id,ts,amount,currency\n" + row * (2 * MAX_CSV_BYTES // len(row))  # 10 MB
    sent_chunks = 0

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: only reading can find the size
        nonlocal sent_chunks
        for start in range(0, len(oversize), 65_536):
            sent_chunks += 1
            yield oversize[start : start + 65_536]

    csv_headers = {**headers, "Content-Type": "text/csv"}
    for content in (oversize, chunks()):
        response = await client.post(url, content=content, headers=csv_headers)
        assert response.status_code == 413
        assert response.json()["error"] == {
            "code": "payload_too_large",
            "message": "The CSV must be at most 5 MB.",
            "fields": [],
        }
    assert sent_chunks <= MAX_CSV_BYTES // 65_536 + 2  # abandoned just past the cap
    count = await session.scalar(select(func.count()).where(PosTransaction.store_id == store.id))
    assert count == 0


async def test_viewers_cannot_write_and_other_tenants_get_404(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    viewer_headers, store = await _owner_and_store(client, session, Role.VIEWER)
    body = {"transactions": [_tx("A")]}
    assert (
        await client.post(f"/stores/{store.id}/transactions", json=body, headers=viewer_headers)
    ).status_code == 403
    other_headers, _ = await _owner_and_store(client, session)
    response = await client.post(f"/stores/{store.id}/transactions", json=body, headers=other_headers)
    assert response.status_code == 404
    assert (await client.post(f"/stores/{store.id}/transactions", json=body)).status_code == 401


async def _stored(session: AsyncSession, store: object) -> int:
    return int(await session.scalar(select(func.count()).where(PosTransaction.store_id == store.id)) or 0)  # type: ignore[attr-defined]


async def test_ts_without_a_utc_equivalent_is_422_naming_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers, store = await _owner_and_store(client, session)
    for ts in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        batch = {"transactions": [_tx("A"), _tx("B", ts=ts)]}
        response = await client.post(f"/stores/{store.id}/transactions", json=batch, headers=headers)
        assert response.status_code == 422, response.text
        assert [f["field"] for f in response.json()["error"]["fields"]] == ["body.transactions.1.ts"]
    assert await _stored(session, store) == 0


async def test_control_characters_are_refused_on_both_databases(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # PostgreSQL's text cannot hold NUL (a 500 there, stored on SQLite): refused on both, naming the field.
    headers, store = await _owner_and_store(client, session)
    batch = {"transactions": [_tx("A\u0000B")]}
    response = await client.post(f"/stores/{store.id}/transactions", json=batch, headers=headers)
    assert response.status_code == 422, response.text
    field = response.json()["error"]["fields"][0]
    assert field == {
        "field": "body.transactions.0.external_id",
        "message": "must not contain control characters (such as U+0000)",
    }
    csv_text = (
        "external_id,ts,amount,currency\n"
        "A\x00,2026-11-20T10:00:00Z,1.00,EUR\n"
        "B,2026-11-20T10:00:00Z,1.00,EUR\n"
    )
    response = await client.post(
        f"/stores/{store.id}/transactions/csv",
        content=csv_text,
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": [
            {"index": 2, "reason": "external_id: must not contain control characters (such as U+0000)"}
        ],
    }
    assert await _stored(session, store) == 1


async def test_bare_carriage_returns_end_csv_lines(client: httpx.AsyncClient, session: AsyncSession) -> None:
    headers, store = await _owner_and_store(client, session)
    url = f"/stores/{store.id}/transactions/csv"
    csv_headers = {**headers, "Content-Type": "text/csv"}
    response = await client.post(url, content=b"a\rb", headers=csv_headers)  # was a 500 (csv.Error)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == "body.csv"
    old_mac = (
        "external_id,ts,amount,currency\rA,2026-11-20T10:00:00Z,1.00,EUR\rB,2026-11-20T10:00:00Z,2.00,EUR\r"
    )
    response = await client.post(url, content=old_mac, headers=csv_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}


async def test_an_unreadable_csv_is_422_on_body_csv(client: httpx.AsyncClient, session: AsyncSession) -> None:
    headers, store = await _owner_and_store(client, session)
    oversized_field = "external_id,ts,amount,currency\n" + "x" * 200_000 + ",2026-11-20T10:00:00Z,1.00,EUR\n"
    response = await client.post(
        f"/stores/{store.id}/transactions/csv",
        content=oversized_field,
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == "body.csv"
    assert await _stored(session, store) == 0


async def test_malformed_multipart_is_422_on_body(client: httpx.AsyncClient, session: AsyncSession) -> None:
    # Found by tests/test_no_5xx.py: Starlette's form parser answered a bare 400 "Invalid multipart data.",
    # which the operation does not document; two files were the same 400.
    headers, store = await _owner_and_store(client, session)
    url = f"/stores/{store.id}/transactions/csv"
    boundary = "9cc651cd2c8d168349f50fede4c361ac"
    response = await client.post(
        url,
        content=f"--{boundary}\r\nFalse--{boundary}--\r\n".encode(),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 422, response.text
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["body"]
    two_files = {"file": ("a.csv", b"x"), "other": ("b.csv", b"y")}
    response = await client.post(url, files=two_files, headers=headers)
    assert response.status_code == 422, response.text
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["body"]
    assert await _stored(session, store) == 0
