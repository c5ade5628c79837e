"""A token bucket per caller (API key, user or guest), in memory: enough for one server process."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class RateLimiter:
    """``per_minute`` requests a minute, in bursts of up to ``per_minute``; idle callers are forgotten."""

    def __init__(self, per_minute: int, max_callers: int = 100_000) -> None:
        if per_minute < 1:
            raise ValueError(f"rate_limit_per_minute must be at least 1, got {per_minute}")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self.max_callers = max_callers
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # caller -> (tokens, last time)
        self._lock = threading.Lock()

    def take(self, caller: str, now: float | None = None) -> float:
        """0 when the request may go ahead; otherwise the seconds to wait before the next one will."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(caller, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[caller] = (tokens, now)
            while len(self._buckets) > self.max_callers:
                self._buckets.popitem(last=False)
            return wait
