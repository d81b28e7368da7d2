"""Rate limits of the share front: a token bucket per key (a client address, a link)."""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """`burst` requests at once per key, refilled at `per_second`; at most
    `max_keys` keys remembered (the least recently seen is forgotten first)."""

    def __init__(self, burst: float, per_second: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000):
        self.burst = burst
        self.per_second = per_second
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def retry_after(self, key: str, cost: float = 1.0) -> int:
        """Take `cost` from the key's bucket: 0 if allowed, else seconds to wait."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.per_second)
            allowed = tokens >= cost
            if allowed:
                tokens -= cost
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return 0 if allowed else max(1, math.ceil((cost - tokens) / self.per_second))
