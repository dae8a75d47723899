"""A log follower asks memory (what its process just stored) first, inline, and reads the
store on its executor only when memory does not hold the next notification: caught up,
further behind, or another writer's ids in between (switchboard/log_follower.py)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence

from eventsourcing.persistence import Notification

from switchboard.log_follower import LogFollower
from switchboard.serial import SerialExecutor

STORED = [
    Notification(id=n, originator_id=uuid.uuid4(), originator_version=1, topic="t", state=b"")
    for n in range(1, 8)
]
KEPT_FROM = 4  # memory holds ids 4-7, the store 1-7


class Log:
    def __init__(self) -> None:
        self.position = 0
        self.store_reads: list[int] = []
        self.memory_reads: list[int] = []
        self.processed: list[int] = []

    def select(self, start: int, limit: int) -> Sequence[Notification]:
        self.store_reads.append(start)
        return [n for n in STORED if n.id > start][:limit]

    def kept(self, start: int, limit: int) -> Sequence[Notification] | None:
        self.memory_reads.append(start)
        if not KEPT_FROM <= start + 1 <= STORED[-1].id:
            return None
        return [n for n in STORED if n.id > start][:limit]

    def kept_sole(self, start: int, limit: int) -> Sequence[Notification] | None:
        """As a store's only writer's memory answers: nothing after its last."""
        found = self.kept(start, limit)
        return [] if found is None and start == STORED[-1].id else found

    async def at(self) -> int:
        return self.position

    async def process(self, batch: Sequence[Notification]) -> None:
        self.processed += [n.id for n in batch]
        self.position = batch[-1].id


async def test_memory_first_and_the_store_for_what_memory_lacks() -> None:
    log = Log()
    executor = SerialExecutor("follower-memory")
    follower = LogFollower("t", log.select, log.at, log.process, executor, kept=log.kept)

    log.position = 3  # the next, 4, is in memory
    assert await follower.step() is True  # fewer than a batch: caught up
    assert log.processed == [4, 5, 6, 7] and log.store_reads == []

    assert await follower.step() is True  # caught up with memory: the store says if more
    assert log.store_reads == [7] and log.processed == [4, 5, 6, 7]

    log.position, log.processed = 0, []  # further behind than memory goes
    await follower.step()
    assert log.store_reads == [7, 0] and log.processed == [1, 2, 3, 4, 5, 6, 7]
    assert log.memory_reads == [3, 7, 0]
    executor.shutdown()


async def test_without_memory_every_read_is_the_stores() -> None:
    log = Log()
    executor = SerialExecutor("follower-store")
    follower = LogFollower("t", log.select, log.at, log.process, executor)
    log.position = 3
    await follower.step()
    assert log.store_reads == [3] and log.memory_reads == []
    assert log.processed == [4, 5, 6, 7]
    executor.shutdown()


async def test_a_sole_writers_memory_is_believed_when_a_commit_wakes_and_not_on_a_poll() -> None:
    log = Log()
    executor = SerialExecutor("follower-sole")
    follower = LogFollower("t", log.select, log.at, log.process, executor, kept=log.kept_sole)
    log.position = 3
    assert await follower.step(polled=False) is True
    assert log.processed == [4, 5, 6, 7] and log.store_reads == []

    assert await follower.step(polled=False) is True  # woken again: memory says nothing new
    assert log.store_reads == []

    assert await follower.step(polled=True) is True  # a poll asks the store all the same
    assert log.store_reads == [7] and log.processed == [4, 5, 6, 7]
    executor.shutdown()


async def test_a_follower_woken_by_a_commit_skips_the_empty_read_and_a_poll_does_not() -> None:
    log = Log()
    executor = SerialExecutor("follower-run")
    follower = LogFollower(
        "t", log.select, log.at, log.process, executor, idle_poll=0.2, kept=log.kept_sole
    )
    log.position = 7
    running = asyncio.create_task(follower.run())
    await asyncio.sleep(0.05)
    assert log.store_reads == [7], "the first look asks the store"
    for _ in range(3):
        follower.wake()
        await asyncio.sleep(0.02)
    assert log.store_reads == [7] and len(log.memory_reads) == 4
    await asyncio.sleep(0.3)  # a poll, nobody woke it
    assert log.store_reads == [7, 7]
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    executor.shutdown()
