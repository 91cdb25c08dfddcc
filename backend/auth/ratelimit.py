"""Sliding-window counters for failed logins and reset emails, per account and per client address (in memory).

Each API instance counts on its own; behind N instances the effective limit is at most N times the setting,
which still stops online guessing. See docs/security.md.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from backend.errors import TooManyRequests


class FailureLimiter:
    """Refuses a key after `max_failures` failures within `window_s` seconds."""

    def __init__(
        self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and now - failures[0] >= self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def check(self, key: str) -> None:
        """Raise `TooManyRequests` (with Retry-After) when `key` is currently locked out."""
        failures = self._recent(key)
        if len(failures) >= self.max_failures:
            retry_after = self.window_s - (self.clock() - failures[0])
            raise TooManyRequests(
                "Too many failed attempts; try again later.", retry_after_s=int(retry_after) + 1
            )

    def record_failure(self, key: str) -> None:
        """Count one failure for `key`."""
        self._recent(key)
        self._failures.setdefault(key, deque()).append(self.clock())

    def attempt(self, key: str) -> None:
        """`check`, then count this attempt: for routes where every request counts, failed or not
        (password reset emails).

        Raises:
            TooManyRequests: `key` is locked out; the refused attempt is not counted.
        """
        self.check(key)
        self.record_failure(key)

    def reset(self, key: str) -> None:
        """Forget `key`'s failures (after a successful login)."""
        self._failures.pop(key, None)
