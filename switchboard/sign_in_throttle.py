"""Throttling password guesses, per account and per client address.

A few mistakes are free (people mistype); after that each further failure doubles the wait
before the next try, up to a cap, for the account and for the address alike: guessing one
account's password from many addresses, or many accounts' from one address, both slow down.
While a wait runs every try is refused unheard, the right password included, so a guess
cannot be confirmed early. A success clears the account's count (not the address's: one
address may be shared by many people, so it only cools down with time).

Plain data and a clock passed in: no I/O, tested with plain calls. Each process keeps its own
counts; replicas behind the gateway each throttle what reaches them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

FREE_FAILURES = 5
FIRST_WAIT_SECONDS = 1.0
MAX_WAIT_SECONDS = 15 * 60.0
# Counts older than this are forgotten: the throttle cools down by itself.
FORGET_AFTER_SECONDS = 3600.0
# Made-up user names cost an attacker nothing: the table stays bounded.
MAX_RECORDS = 100_000


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    blocked_until: float = 0.0


@dataclass
class SignInThrottle:
    clock: Callable[[], float]
    records: dict[str, _Record] = field(default_factory=dict)

    def retry_after(self, keys: Iterable[str]) -> float | None:
        """Seconds to wait before any of `keys` may try again, or None."""
        now = self.clock()
        waits = [r.blocked_until - now for k in keys if (r := self._current(k, now)) is not None]
        longest = max(waits, default=0.0)
        return longest if longest > 0 else None

    def failed(self, keys: Iterable[str]) -> None:
        now = self.clock()
        if len(self.records) >= MAX_RECORDS:
            self._prune(now)
        for key in keys:
            record = self._current(key, now) or self.records.setdefault(key, _Record())
            record.failures += 1
            record.last_failure = now
            extra = record.failures - FREE_FAILURES
            if extra > 0:
                wait = min(FIRST_WAIT_SECONDS * 2 ** (extra - 1), MAX_WAIT_SECONDS)
                record.blocked_until = now + wait

    def succeeded(self, account_key: str) -> None:
        self.records.pop(account_key, None)

    def _prune(self, now: float) -> None:
        """Forgets what has cooled down, then the oldest half if that was not enough."""
        for key in [
            k for k, r in self.records.items() if now - r.last_failure > FORGET_AFTER_SECONDS
        ]:
            del self.records[key]
        if len(self.records) >= MAX_RECORDS:
            by_age = sorted(self.records, key=lambda k: self.records[k].last_failure)
            for key in by_age[: len(by_age) // 2]:
                del self.records[key]

    def _current(self, key: str, now: float) -> _Record | None:
        record = self.records.get(key)
        if record is not None and now - record.last_failure > FORGET_AFTER_SECONDS:
            del self.records[key]
            return None
        return record


def keys_for(user: str, address: str | None) -> list[str]:
    return [f"account:{user.lower()}", *([f"address:{address}"] if address else [])]
