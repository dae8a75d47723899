"""Consumer leases on a real nats-server: one holder at a time; a holder that stops renewing
loses it to a replica after the bucket's TTL, one that releases it hands over at once; and
two replicas' batch readers on one partition read it through the lease, every message
decided once, in order, without handing each other's batches back."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from pathlib import Path

import nats
import pytest
from nats.js.api import KeyValueConfig
from nats.js.errors import NotFoundError

from switchboard.batching import Batching
from switchboard.consumer_leases import Lease, Leases
from switchboard.inbound_batches import BatchReader, decide_tracked
from switchboard.inbox import Inbox
from switchboard.jetstream import (
    LEASE_BUCKET,
    inbound_partition_subject,
)
from switchboard.nats_server import NatsServerProcess
from tests.integration.test_inbound_batches import (
    Partition,
    drained,
    one_partition,
    publish,
    stored_names,
)
from tests.support.waiting import eventually

TTL = 3.0  # a short lease, so lapsing is quick to watch (a renewal may run 2 s late)
DURABLE = "routing-p0"


async def test_one_holder_at_a_time(nats_server: NatsServerProcess) -> None:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    kv = await js.create_key_value(KeyValueConfig(bucket="leases", history=1, ttl=TTL))

    def lease(holder: str) -> Leases:
        return Leases(js, holder, bucket="leases", seconds=TTL)

    a, b = lease("a").of(DURABLE), lease("b").of(DURABLE)
    await a.hold()
    renewing = asyncio.create_task(a.renew())
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(b.hold(), 2.5 * TTL)
    assert a.held and not b.held, "renewed past its TTL, the lease stayed a's"

    renewing.cancel()  # a stops, as a killed process does, without releasing
    started = time.monotonic()
    await asyncio.wait_for(b.hold(), 3 * TTL)
    took = time.monotonic() - started
    assert TTL / 2 < took < 2 * TTL, f"b took it {took:.1f}s after a's last renewal"
    assert not a.held, "a's own clock says its lease ran out"

    # Another holder's lease taken from under a renewing holder (a lapse the holder's
    # clock did not see): its next renewal finds out.
    renewing = asyncio.create_task(b.renew())
    await kv.purge(DURABLE)
    await asyncio.wait_for(a.hold(), TTL)

    async def b_lost() -> bool:
        return not b.held

    await eventually(b_lost, timeout=TTL, interval=0.05)
    renewing.cancel()

    # Released: the next holder need not wait for the TTL.
    await a.release()
    started = time.monotonic()
    await asyncio.wait_for(b.hold(), TTL)
    assert time.monotonic() - started < TTL / 2 + 0.5

    # A holder's own lease (its renewal's answer lost to a reconnect) is taken back at once.
    again = lease("b").of(DURABLE)
    await asyncio.wait_for(again.hold(), 0.5)
    assert again.held
    await nc.close()


async def test_replicas_share_the_leases_and_stay_balanced(nats_server: NatsServerProcess) -> None:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await js.create_key_value(KeyValueConfig(bucket="leases", history=1, ttl=TTL))
    durables = [f"consumer-{n}" for n in range(6)]
    first, second = (Leases(js, name, bucket="leases", seconds=TTL) for name in ("a", "b"))

    async def read(lease: Lease) -> None:
        """What a BatchReader does with its lease: renew beside, hold before each fetch."""
        renewing = asyncio.create_task(lease.renew())
        try:
            while True:
                await lease.hold()
                await asyncio.sleep(0.1)
        finally:
            renewing.cancel()

    tasks = [asyncio.create_task(read(first.of(d))) for d in durables]
    await eventually(lambda: _counted(first, 6), timeout=2 * TTL)
    tasks += [asyncio.create_task(read(second.of(d))) for d in durables]
    await eventually(lambda: _counted(second, 3), timeout=8 * TTL)
    # Three yields, or more where the machine was too slow for the waiter to take one
    # before the holder's back-off ended; never more than one a TTL.
    assert first.count() == 3 and first.yields >= 3, "one lease yielded per TTL"
    yields = (first.yields, second.yields)
    await asyncio.sleep(3 * TTL)
    assert (first.count(), second.count()) == (3, 3), "it stays balanced"
    assert (first.yields, second.yields) == yields, "nothing swings back"

    # One replica stops without releasing (killed): the other takes all after the TTL.
    for task in tasks[6:]:
        task.cancel()
    await asyncio.gather(*tasks[6:], return_exceptions=True)
    await eventually(lambda: _counted(first, 6), timeout=3 * TTL)
    for task in tasks[:6]:
        task.cancel()
    await asyncio.gather(*tasks[:6], return_exceptions=True)
    await nc.close()


async def _counted(leases: Leases, count: int) -> bool:
    return leases.count() == count


async def test_replicas_read_a_partition_in_batches_through_its_lease(
    nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    async with one_partition(nats_server, tmp_path, "leased") as partition:
        await replicas_read_in_turn(partition)


async def replicas_read_in_turn(partition: Partition) -> None:
    js, app, recorder, run = partition.js, partition.app, partition.recorder, partition.run
    broker, handler = partition.broker, partition.handler

    def replica(name: str) -> BatchReader:
        return BatchReader(
            js,
            Inbox(broker, DURABLE),
            inbound_partition_subject(0),
            run,
            decide_tracked(app, recorder.decide),
            handler,
            Batching(32),
            lease=Leases(js, name).of(DURABLE),
        )

    holders = [uuid.uuid4().hex for _ in range(2)]
    readers = [replica(name) for name in holders]
    tasks = [asyncio.create_task(r.run()) for r in readers]
    await publish(js, *range(150))
    await eventually(lambda: drained(js, app, 150), timeout=60, interval=0.1)
    reading = [r for r in readers if r.fetches]
    assert len(reading) == 1, "only the lease's holder fetched"
    assert reading[0].batches >= 2, vars(reading[0])
    assert sum(r.handed_back for r in readers) == 0, "no batch went back and forth"

    # The holder stops (its lease released): the other replica reads on from there.
    holder = readers.index(reading[0])
    tasks[holder].cancel()
    await asyncio.gather(tasks[holder], return_exceptions=True)
    kv = await js.key_value(LEASE_BUCKET)
    with contextlib.suppress(NotFoundError):  # deleted, unless the other took it already
        entry = await kv.get(DURABLE)
        assert entry.value != holders[holder].encode(), "a clean stop gives its lease up"
    await publish(js, *range(150, 300))
    await eventually(lambda: drained(js, app, 300), timeout=30, interval=0.1)
    assert readers[1 - holder].fetches > 0
    assert stored_names(app) == [str(n) for n in range(300)], "each once, in order"
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
