"""Reading request bodies by hand with hard size caps, before and after `Content-Encoding: gzip`.

For routes that read their body themselves (the worker's ingest, POS CSV uploads). The body is streamed and
abandoned as soon as it passes the cap, and gzip is inflated with an output bound, so neither a huge upload
nor a small zip bomb can make the server buffer more than the limit. Oversize is `PayloadTooLarge` (413,
the project's JSON error shape).
"""

from __future__ import annotations

import zlib

from fastapi import Request

from backend.errors import AppError, PayloadTooLarge, ValidationFailed

_GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib's "gzip header and trailer" mode


class UnsupportedMediaType(AppError):
    """415: a `Content-Encoding` or `Content-Type` this route does not take."""

    status_code = 415
    code = "unsupported_media_type"


async def read_body(request: Request, limit: int, *, allow_gzip: bool = False) -> bytes:
    """The request body, at most `limit` bytes on the wire and (for gzip) at most `limit` once inflated.

    Raises:
        PayloadTooLarge: the body, compressed or inflated, is longer than `limit` bytes.
        UnsupportedMediaType: a `Content-Encoding` other than identity (or gzip when `allow_gzip`).
        ValidationFailed: a gzip body that is corrupt or truncated.
    """
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "") and not (allow_gzip and encoding == "gzip"):
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported.")
    raw = await read_capped(request, limit, f"The body is larger than {limit} bytes.")
    return gunzip_limited(raw, limit) if encoding == "gzip" else raw


async def read_capped(request: Request, limit: int, too_large: str) -> bytes:
    """The request body as sent (no decoding of any `Content-Encoding`), at most `limit` bytes.

    A declared `Content-Length` over the limit is refused before reading; otherwise the stream is read
    until it passes the limit.

    Raises:
        PayloadTooLarge: the body is longer than `limit` bytes (`too_large` is the message).
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(too_large)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """Inflate a gzip stream (one or more members) to at most `limit` bytes.

    Raises:
        PayloadTooLarge: the inflated data would be longer than `limit` bytes.
        ValidationFailed: `data` is not a complete gzip stream.
    """
    out: list[bytes] = []
    size = 0
    remaining = data
    try:
        while True:
            inflater = zlib.decompressobj(_GZIP_WBITS)
            # Ask for one byte more than the room left: getting it proves the body is over the limit.
            piece = inflater.decompress(remaining, limit - size + 1)
            size += len(piece)
            if size > limit:
                raise PayloadTooLarge(f"The inflated body is larger than {limit} bytes.")
            out.append(piece)
            if not inflater.eof:
                raise ValidationFailed.for_field("body", "the gzip stream is truncated")
            remaining = inflater.unused_data
            if not remaining:
                return b"".join(out)
    except zlib.error as exc:
        raise ValidationFailed.for_field("body", f"the body is not valid gzip ({exc})") from exc
