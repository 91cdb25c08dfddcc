"""Random secrets, keyed hashes and constant-time comparison for worker keys and invite tokens.

Secrets are shown once and stored only as HMAC-SHA256(server secret, secret) in hex, so a database leak
does not reveal usable keys and a leaked hash cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

WORKER_KEY_SCHEME = "sik"
_PREFIX_BYTES = 6  # 12 hex characters, public: identifies the key in logs and lookups
_SECRET_BYTES = 24  # 192 bits of entropy, well above the 128-bit floor


def keyed_hash(server_secret: bytes, value: str) -> str:
    """HMAC-SHA256 of `value` under `server_secret`, as 64 hex characters."""
    return hmac.new(server_secret, value.encode(), hashlib.sha256).hexdigest()


def hashes_match(expected_hex: str, candidate_hex: str) -> bool:
    """Constant-time equality of two hex digests."""
    return hmac.compare_digest(expected_hex.encode(), candidate_hex.encode())


@dataclass(frozen=True, slots=True)
class WorkerKey:
    """A freshly generated worker key: `value` is shown once; `prefix` and `hash` are stored."""

    value: str
    prefix: str
    hash: str


def generate_worker_key(server_secret: bytes) -> WorkerKey:
    """A new key of the form `sik_<12 hex prefix>_<32 urlsafe chars>` and its stored parts."""
    prefix = secrets.token_hex(_PREFIX_BYTES)
    value = f"{WORKER_KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
    return WorkerKey(value=value, prefix=prefix, hash=keyed_hash(server_secret, value))


def worker_key_prefix(value: str) -> str | None:
    """The public prefix of a presented key, or None when it is not shaped like one of ours."""
    parts = value.split("_", 2)
    if len(parts) != 3 or parts[0] != WORKER_KEY_SCHEME or len(parts[1]) != 2 * _PREFIX_BYTES:
        return None
    return parts[1]


def generate_token() -> str:
    """A random URL-safe one-time token (invites): 256 bits."""
    return secrets.token_urlsafe(32)
