"""A token bucket per key (a client address, an e-mail sender, a person): `burst` at once,
then `per_hour` spread over the hour. Plain data and a clock passed in, so it is tested with
plain calls; each process keeps its own buckets (replicas each limit what reaches them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

MAX_KEYS = 100_000  # made-up keys cost nothing to send: the table stays bounded


@dataclass
class RateLimit:
    burst: int
    per_hour: float
    clock: Callable[[], float]
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # tokens, at

    def take(self, key: str) -> float | None:
        """Takes one token for `key`: None when allowed, else seconds until one is free."""
        now = self.clock()
        rate = self.per_hour / 3600.0
        tokens, at = self.buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * rate)
        if tokens >= 1.0:
            if len(self.buckets) >= MAX_KEYS and key not in self.buckets:
                self._prune(now, rate)
            self.buckets[key] = (tokens - 1.0, now)
            return None
        self.buckets[key] = (tokens, now)
        return (1.0 - tokens) / rate if rate > 0 else float("inf")

    def _prune(self, now: float, rate: float) -> None:
        """Forgets keys whose bucket has filled up again (they would start full anyway)."""
        for key, (tokens, at) in list(self.buckets.items()):
            if tokens + (now - at) * rate >= self.burst:
                del self.buckets[key]
        if len(self.buckets) >= MAX_KEYS:  # still full: drop the least recently seen half
            for key in sorted(self.buckets, key=lambda k: self.buckets[k][1])[: MAX_KEYS // 2]:
                del self.buckets[key]
