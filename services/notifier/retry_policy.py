"""When to try a notification again, as plain arithmetic (no clock, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas.config import NotifierConfig

# A crash between recording a notification and sending it must not lose it: every pending
# notification has a deadline, this long after it was requested, that tries it again.
SAFETY_NET_SECONDS = 30.0


def next_attempt(attempts_made: int, now: datetime, policy: NotifierConfig) -> datetime | None:
    """When to try again after `attempts_made` failed tries; None: give up."""
    if attempts_made >= policy.max_attempts:
        return None
    delay = policy.retry_base_seconds * 2 ** (attempts_made - 1)
    return now + timedelta(seconds=min(delay, policy.retry_max_seconds))
