"""Which of a process's consumers go first while it is behind.

Under `up` one process does everything, on about one core of Python: in a burst the
contacts waiting for an agent wait for the same CPU as the bookkeeping about them (the
reports), and each part advanced a batch at a time in turn. An urgent consumer, on a
contact's way to an agent, says after each fetch how much it still has waiting; a
deferred one asks before each fetch, and while the urgent backlog is at least a batch it
waits, up to `hold` seconds, then takes one batch anyway. Bookkeeping lags in a burst,
never stops, and catches up afterwards in full batches. Normal consumers (everyone else)
neither wait nor report. Defer only what nobody acts on at once: history's record of
routing's events looks like bookkeeping, but an offer on the timeline is what opens the
customer's card to the agent.

One per event loop: consumers that share a loop share its CPU; another process, or
another loop, has its own.
"""

from __future__ import annotations

import asyncio
import enum
import weakref

# One batch of an urgent consumer (switchboard/inbound_batches.BATCH) waiting behind it.
THRESHOLD = 64
# The longest a deferred consumer waits for each batch: in a long burst it still takes one
# batch (64 messages) every 2 s.
HOLD = 2.0
# A deferred consumer this far behind takes its turns at once: in an overload that lasts,
# the reports (about 5 messages a contact) lag by a minute or so, not by the overload.
MOST_BEHIND = 10_000


class Lane(enum.Enum):
    URGENT = "urgent"
    NORMAL = "normal"
    DEFERRED = "deferred"


class Precedence:
    def __init__(
        self, threshold: int = THRESHOLD, hold: float = HOLD, most_behind: int = MOST_BEHIND
    ) -> None:
        self._threshold = threshold
        self._hold = hold
        self._most_behind = most_behind
        self._waiting: dict[str, int] = {}
        self._clear = asyncio.Event()
        self._clear.set()
        self.deferred = 0  # deferred consumers' turns that waited
        self.held_out = 0  # of those, turns that waited the whole hold

    def report(self, consumer: str, waiting: int) -> None:
        """An urgent consumer's backlog after a fetch (0 when it stops)."""
        self._waiting[consumer] = waiting
        if self.backlog() >= self._threshold:
            self._clear.clear()
        else:
            self._clear.set()

    def backlog(self) -> int:
        return sum(self._waiting.values())

    async def turn(self, behind: int = 0) -> None:
        """A deferred consumer's next batch: now (also when it is `behind` by `most_behind`
        messages or more), or once the urgent backlog is under a batch, or after `hold`
        seconds."""
        if self._clear.is_set() or behind >= self._most_behind:
            return
        self.deferred += 1
        waiter = asyncio.ensure_future(self._clear.wait())
        try:
            # asyncio.wait, not wait_for: see switchboard/log_follower.py.
            done, _ = await asyncio.wait({waiter}, timeout=self._hold)
        finally:
            waiter.cancel()
        if not done:
            self.held_out += 1


_PER_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Precedence] = (
    weakref.WeakKeyDictionary()
)


def of_running_loop() -> Precedence:
    loop = asyncio.get_running_loop()
    precedence = _PER_LOOP.get(loop)
    if precedence is None:
        precedence = _PER_LOOP[loop] = Precedence()
    return precedence
