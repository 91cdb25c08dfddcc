"""Reading request bodies with caps (`backend.bodies`): the bounded gunzip."""

from __future__ import annotations

import gzip
import zlib

import pytest

from backend.bodies import gunzip_limited
from backend.errors import PayloadTooLarge, ValidationFailed


class TestGunzip:
    def test_inflates_up_to_the_limit_exactly(self) -> None:
        data = b"a" * 1000
        assert gunzip_limited(gzip.compress(data), 1000) == data
        with pytest.raises(PayloadTooLarge):
            gunzip_limited(gzip.compress(data), 999)

    def test_several_members_are_one_stream(self) -> None:
        assert gunzip_limited(gzip.compress(b"ab") + gzip.compress(b"cd"), 10) == b"abcd"
        with pytest.raises(PayloadTooLarge):
            gunzip_limited(gzip.compress(b"ab") + gzip.compress(b"cd"), 3)

    def test_a_bomb_stops_at_the_limit(self) -> None:
        bomb = gzip.compress(b"\0" * 50_000_000)
        with pytest.raises(PayloadTooLarge):
            gunzip_limited(bomb, 5_000_000)

    @pytest.mark.parametrize(
        "data",
        [b"", b"plain", gzip.compress(b"x" * 100)[:-4], zlib.compress(b"zlib, not gzip")],
        ids=["empty", "plain", "truncated", "zlib"],
    )
    def test_broken_streams(self, data: bytes) -> None:
        with pytest.raises(ValidationFailed):
            gunzip_limited(data, 1000)
