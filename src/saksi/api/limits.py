"""Flood protection: a token bucket per client address.

Each worker process keeps its own buckets, so a client may get up to
``workers × rate`` through; that bounds a flood without shared state. Buckets
idle for long are forgotten so the table stays small.
"""

from __future__ import annotations

import math
import time


class TokenBuckets:
    def __init__(self, rate: float, burst: float, max_clients: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self._max = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, at)

    def take(self, client: str, now: float | None = None) -> float:
        """0 if the request may pass, else the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        t = time.monotonic() if now is None else now
        tokens, at = self._buckets.get(client, (self.burst, t))
        tokens = min(self.burst, tokens + (t - at) * self.rate)
        if tokens >= 1.0:
            self._store(client, tokens - 1.0, t)
            return 0.0
        self._store(client, tokens, t)
        return (1.0 - tokens) / self.rate

    def _store(self, client: str, tokens: float, at: float) -> None:
        if len(self._buckets) >= self._max and client not in self._buckets:
            cutoff = at - self.burst / self.rate
            self._buckets = {c: v for c, v in self._buckets.items() if v[1] > cutoff}
            if len(self._buckets) >= self._max:
                self._buckets.clear()
        self._buckets[client] = (tokens, at)


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
