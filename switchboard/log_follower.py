"""Following an application's notification log: the outbox relay and the read-model
projections both do this, so one loop serves them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from eventsourcing.persistence import Notification

from switchboard.serial import SerialExecutor

log = logging.getLogger(__name__)

BATCH = 200


class LogFollower:
    """Reads notifications after a position, hands each to `process`, and polls when idle.

    `position` says where the follower stands (read from wherever the consumer keeps it),
    so after a crash it resumes there; `process` must be idempotent for the last batch.
    `ceiling`, when given, says how far the follower may go: one that must not run ahead
    of another (see `OutboxRelay`) is woken by it rather than polling past it.
    `kept`, when given, answers from memory what this process just stored (None when it
    does not hold the next notification), without waiting for the executor: that thread
    also runs the store's commands, and in a burst a follower's read queued behind them
    for 0.1-1.1 s a batch, so history's relay fell thousands of events behind.
    """

    def __init__(
        self,
        name: str,
        select: Callable[[int, int], Sequence[Notification]],
        position: Callable[[], Awaitable[int]],
        process: Callable[[Sequence[Notification]], Awaitable[None]],
        executor: SerialExecutor,
        idle_poll: float = 0.05,
        ceiling: Callable[[], Awaitable[int]] | None = None,
        kept: Callable[[int, int], Sequence[Notification] | None] | None = None,
    ) -> None:
        self.name = name
        self._select = select
        self._kept = kept
        self._position = position
        self._process = process
        self._executor = executor
        self._idle_poll = idle_poll
        self._ceiling = ceiling
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.processed = 0
        self.last_error: str | None = None

    def wake(self) -> None:
        """Something was stored: look now rather than at the next poll. Safe to call from
        any thread (stores commit on their executor's)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        backoff = 0.2
        polled = True  # the first look, and each after a poll, asks the store
        while True:
            # Cleared before looking, not after: a commit woken during the step must not
            # be forgotten until the next poll (up to a second under `up`).
            self._wake.clear()
            try:
                caught_up = await self.step(polled)
                self.last_error = None
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s: %s; retrying in %.1fs", self.name, self.last_error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                polled = True
                continue
            if caught_up:
                # asyncio.wait, not wait_for: before Python 3.12 wait_for swallows a
                # cancellation that lands as the wake-up comes, and the follower then
                # outlives the runtime's stop (10 s each, seen after bench.burst).
                waiter = asyncio.ensure_future(self._wake.wait())
                try:
                    done, _ = await asyncio.wait({waiter}, timeout=self._idle_poll)
                finally:
                    waiter.cancel()
                polled = not done
            else:
                polled = False

    async def step(self, polled: bool = True) -> bool:
        """Processes one batch; True when there was nothing left to do. Woken by a commit
        (not `polled`), memory's word that nothing follows is taken; a poll asks the store
        all the same, in case a writer it does not know of wrote."""
        start = await self._position()
        batch = self._kept(start, BATCH) if self._kept is not None else None
        if batch is None or (polled and not batch):
            batch = await self._executor(self._select, start, BATCH)
        if batch and self._ceiling is not None:
            ceiling = await self._ceiling()
            batch = [n for n in batch if n.id <= ceiling]
        if not batch:
            return True
        await self._process(batch)
        self.processed += len(batch)
        if len(batch) < BATCH:
            return True
        # Read and processed without leaving the loop (memory, an in-memory view): let the
        # rest of the process run before the next batch.
        await asyncio.sleep(0)
        return False


def select_after(recorder: object) -> Callable[[int, int], Sequence[Notification]]:
    """Notifications with ids greater than `start` from an eventsourcing recorder."""

    def select(start: int, limit: int) -> Sequence[Notification]:
        return recorder.select_notifications(  # type: ignore[attr-defined, no-any-return]
            start=start, limit=limit, inclusive_of_start=False
        )

    return select


def reads(mapper: object, wants: Callable[[str], bool] | None) -> Callable[[Notification], bool]:
    """Which notifications of a log a follower decodes: those whose stored event class (its
    qualified name, the topic's end) it `wants` (all when None), and always the mapper's
    trace topic, for decoding that is what drops an erased owner's cached key
    (switchboard/shredding.py). Decoding, and decrypting, what a follower would only pass
    over was most of what relays and in-memory views did with routing's events."""
    if wants is None:
        return lambda notification: True
    trace = getattr(mapper, "trace_topic", None)

    def read(notification: Notification) -> bool:
        topic = notification.topic
        return topic == trace or wants(topic.rpartition(":")[2])

    return read


class Followed(Protocol):
    """An application whose log is followed (switchboard.store.TrackedApplication)."""

    recorder: Any
    mapper: Any
    committed: list[Callable[[], None]]

    def notifications_after(self, start: int, limit: int) -> Sequence[Notification]: ...

    def kept_after(self, start: int, limit: int) -> Sequence[Notification] | None: ...

    def decoded(self, notification: Notification) -> Any: ...


def follow(
    app: Followed,
    name: str,
    position: Callable[[], Awaitable[int]],
    process: Callable[[Sequence[Notification]], Awaitable[None]],
    executor: SerialExecutor,
    idle_poll: float,
    ceiling: Callable[[], Awaitable[int]] | None = None,
) -> LogFollower:
    """A follower of `app`'s log, woken by each of its commits: it polls only for what
    another process stored (rarely, under `up`), so one not woken would lag a poll."""
    follower = LogFollower(
        name,
        app.notifications_after,
        position,
        process,
        executor,
        idle_poll,
        ceiling,
        kept=app.kept_after,
    )
    app.committed.append(follower.wake)
    return follower


class InMemoryView(Protocol):
    """A read model kept in memory and rebuilt from the log at start."""

    position: int

    def apply(self, position: int, domain_event: Any) -> None: ...


def follow_in_memory(
    app: Followed,
    name: str,
    view: InMemoryView,
    executor: SerialExecutor,
    idle_poll: float,
    wants: Callable[[str], bool] | None = None,
) -> LogFollower:
    """`view` folds `app`'s stored events, each as its application reads it; with `wants`
    (see `reads`), only those, the rest only moving its position."""
    read = reads(app.mapper, wants)

    async def position() -> int:
        return view.position

    async def apply(batch: Sequence[Notification]) -> None:
        for n in batch:
            if read(n):
                view.apply(n.id, app.decoded(n))
            else:
                view.position = n.id

    return follow(app, name, position, apply, executor, idle_poll)
