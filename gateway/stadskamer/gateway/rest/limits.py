"""The rate limit: one token bucket per caller, in memory.

A bucket holds up to ``burst`` requests and refills at ``rate`` per second. A caller is its
bearer token (the token id when it has one); public routes without a token are limited per
client address. Buckets that are full again are forgotten, so memory stays bounded.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_BUCKETS = 100_000


class TokenBuckets:
    """Token buckets keyed by caller."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("the rate must be positive and the burst at least 1")
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> int:
        """0 when the request may go ahead, else the whole seconds to wait before retrying."""
        with self._lock:
            now = self._clock()
            level, seen = self._buckets.get(key, (self._burst, now))
            level = min(self._burst, level + (now - seen) * self._rate)
            if level < 1.0:
                self._buckets[key] = (level, now)
                return max(1, math.ceil((1.0 - level) / self._rate))
            self._buckets[key] = (level - 1.0, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_full(now)
            return 0

    def _forget_full(self, now: float) -> None:
        full = [
            key
            for key, (level, seen) in self._buckets.items()
            if level + (now - seen) * self._rate >= self._burst
        ]
        for key in full:
            del self._buckets[key]
