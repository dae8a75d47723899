"""Reading an INBOUND partition in batches on a real nats-server: every message decided
once, in stream order, a message that must wait holding back the ones after it, and a
batch delivered again after its commit changing nothing."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
from eventsourcing.persistence import Tracking
from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from events import Event, InboundEvent, InteractionReceived, Sender
from switchboard.batching import Batching
from switchboard.inbound_batches import BACKLOG_SECONDS, BatchReader, decide_tracked
from switchboard.inbound_consumers import read_inbound
from switchboard.inbox import Handler, Inbox, NotYet
from switchboard.jetstream import (
    ACK_WAIT,
    INBOUND,
    consumer_config,
    ensure_streams,
    envelope,
    inbound_partition_subject,
)
from switchboard.nats_server import NatsServerProcess
from switchboard.serial import SerialExecutor
from switchboard.settings import Settings
from switchboard.store import TrackedApplication
from tests.support.stores import tracked_store
from tests.support.waiting import eventually
from tests.unit.test_batch_commits import Tally

MESSAGES = 150
BATCHES_OF_32 = Batching(32)
WAITS = 40  # this message is not ready the first time it comes


def interaction(n: int) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("webform", "batch", str(n)),
        channel="webform",
        source="batch",
        external_id=str(n),
        sender=Sender(email=f"b{n}@example.com"),
        text=f"message {n}",
    )


async def publish(js: JetStreamContext, *numbers: int) -> None:
    """Each numbered interaction into INBOUND, as ingest publishes it."""
    for n in numbers:
        event = interaction(n)
        env = envelope(event, subject=event.publish_subject(), **{"Nats-Msg-Id": event.msg_id()})
        await js.publish(env.subject, env.body, headers=env.headers, stream=INBOUND)


class Recorder:
    """Stores a Tally per message."""

    def __init__(self, app: TrackedApplication) -> None:
        self.app = app
        self.tries = 0

    def decide(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, InteractionReceived)
        if event.external_id == str(WAITS) and self.tries < 2:
            # Once in its batch, once on its own: handed back with the rest of its batch.
            self.tries += 1
            raise NotYet("its prerequisite has not come yet", delay=0.3)
        self.app.commit(Tally(event.external_id), tracking=tracking)


def once_each(app: TrackedApplication, recorder: Recorder, run: SerialExecutor) -> Handler:
    """The Inbox's handler: decides a message not done yet, on the store's thread."""

    async def handler(event: Event, tracking: Tracking) -> None:
        if not await run(app.is_processed, tracking):
            await run(recorder.decide, event, tracking)

    return handler


@dataclass
class Partition:
    """routing-p0 of INBOUND (one partition), a store deciding it, and what reads it."""

    js: JetStreamContext
    app: TrackedApplication
    recorder: Recorder
    run: SerialExecutor
    broker: NatsBroker
    handler: Handler


@contextlib.asynccontextmanager
async def one_partition(
    nats_server: NatsServerProcess, tmp_path: Path, name: str
) -> AsyncIterator[Partition]:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600, inbound_partitions=1)
    app = tracked_store(Settings(data_dir=tmp_path), "routing")
    recorder = Recorder(app)
    run = SerialExecutor(name)
    broker = NatsBroker(nats_server.url)
    try:
        yield Partition(js, app, recorder, run, broker, once_each(app, recorder, run))
    finally:
        run.shutdown()
        app.close()
        await nc.close()


async def drained(js: JetStreamContext, app: TrackedApplication, count: int) -> bool:
    """routing-p0 has nothing out or waiting, and `count` messages are stored."""
    try:
        info = await js.consumer_info(INBOUND, "routing-p0")
    except NotFoundError:
        return False  # the reader has not made it yet
    return info.num_pending + info.num_ack_pending == 0 and app.ping() >= count


def partition_reader(
    js: JetStreamContext,
    broker: NatsBroker,
    app: TrackedApplication,
    recorder: Recorder,
    run: SerialExecutor,
    handler: Handler,
    batching: Batching = BATCHES_OF_32,
) -> BatchReader:
    """routing-p0's reader, deciding whole batches with `recorder`."""
    return BatchReader(
        js,
        Inbox(broker, "routing-p0"),
        inbound_partition_subject(0),
        run,
        decide_tracked(app, recorder.decide),
        handler,
        batching,
    )


def stored_names(app: TrackedApplication) -> list[str]:
    """The Tallies as the store holds them, in the order they were stored."""
    notifications = app.recorder.select_notifications(start=1, limit=10 * MESSAGES)
    created: list[Any] = [app.mapper.to_domain_event(n) for n in notifications]
    return [event.name for event in created]


@pytest.mark.parametrize("whole", [True, False], ids=["decided-whole", "fetched-only"])
async def test_batches_decide_every_message_once_in_order(
    nats_server: NatsServerProcess, tmp_path: Path, whole: bool
) -> None:
    """`whole`: a batch in one transaction; else (a consumer that sends out or records one
    message at a time) fetched together and handled one by one, in the same order."""
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600, inbound_partitions=1)
    await publish(js, *range(MESSAGES))
    app = tracked_store(Settings(data_dir=tmp_path), "routing")
    recorder = Recorder(app)
    run = SerialExecutor("batches")
    handler = once_each(app, recorder, run)
    broker = NatsBroker(nats_server.url)
    reader = BatchReader(
        js,
        Inbox(broker, "routing-p0"),
        inbound_partition_subject(0),
        run,
        decide_tracked(app, recorder.decide) if whole else None,
        handler,
        Batching(32),
    )
    task = asyncio.create_task(reader.run())
    try:
        await eventually(lambda: drained(js, app, MESSAGES), timeout=60, interval=0.1)
    finally:
        task.cancel()
    assert stored_names(app) == [str(n) for n in range(MESSAGES)], "each once, in order"
    assert app.ping() == MESSAGES
    assert reader.fetches < MESSAGES / 4, "most came in batches"
    assert reader.unasked >= 1, "a batch following the reader's own went on without asking"
    if whole:
        assert reader.batches >= 2 and reader.one_by_one >= 1, vars(reader)
    else:
        assert reader.batches == reader.one_by_one == 0, vars(reader)

    # The first batch delivered again after its commit (the acks lost in a crash).
    sub = await js.pull_subscribe(inbound_partition_subject(0), durable="replay", stream=INBOUND)
    again = await sub.fetch(32, timeout=5)
    decide_all = decide_tracked(app, recorder.decide) if whole else None
    await BatchReader(js, Inbox(broker, "routing-p0"), "", run, decide_all, handler).handle(again)
    assert app.ping() == MESSAGES, "nothing decided twice"
    run.shutdown()
    app.close()
    await nc.close()


async def test_a_message_out_with_a_killed_process_is_gathered_not_raced(
    nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    """After a crash the first message is still out with the dead process until its ack
    wait ends. The reader keeps the later ones and decides all, in order, when it comes
    back, instead of handing them back to meet it by chance."""
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600, inbound_partitions=1)
    await publish(js, *range(5))
    broker = NatsBroker(nats_server.url)
    config = consumer_config("routing-p0", inbound_partition_subject(0))
    config.max_ack_pending = 32
    await js.add_consumer(INBOUND, config)
    dead = await js.pull_subscribe_bind("routing-p0", INBOUND)
    [lost] = await dead.fetch(1, timeout=5)  # never acked: its process was killed
    assert lost.metadata.sequence.stream == 1
    app = tracked_store(Settings(data_dir=tmp_path), "routing")
    recorder = Recorder(app)
    run = SerialExecutor("gather")

    async def handler(event: Event, tracking: Tracking) -> None:
        await run(recorder.decide, event, tracking)

    reader = partition_reader(js, broker, app, recorder, run, handler)
    task = asyncio.create_task(reader.run())

    async def all_stored() -> bool:
        return app.ping() >= 5

    try:
        await eventually(all_stored, timeout=4 * ACK_WAIT, interval=0.1)
    finally:
        task.cancel()
    assert stored_names(app) == [str(n) for n in range(5)]
    assert reader.handed_back == 0 and reader.batches == 1, vars(reader)
    run.shutdown()
    app.close()
    await nc.close()


async def test_a_delivery_to_another_reader_between_batches_is_asked_about(
    nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    """A reader goes on without asking the server only while every delivery since its last
    batch was its own. Here another subscriber (a process then killed) takes a message
    between two batches: the reader notices the gap in delivery numbers, asks, and waits
    for that message to come back, so all are decided in order and none is skipped."""
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600, inbound_partitions=1)

    await publish(js, 0, 1, 2)
    broker = NatsBroker(nats_server.url)
    app = tracked_store(Settings(data_dir=tmp_path), "routing")
    recorder = Recorder(app)
    deciding, go_on = threading.Event(), threading.Event()

    def decide(event: Event, tracking: Tracking) -> None:
        assert isinstance(event, InteractionReceived)
        if event.external_id == "2":
            deciding.set()
            go_on.wait(30)  # the reader is busy: it fetches nothing meanwhile
        recorder.decide(event, tracking)

    run = SerialExecutor("between")

    async def handler(event: Event, tracking: Tracking) -> None:
        await run(decide, event, tracking)

    reader = BatchReader(
        js,
        Inbox(broker, "routing-p0"),
        inbound_partition_subject(0),
        run,
        decide_tracked(app, decide),
        handler,
        Batching(32),
    )
    task = asyncio.create_task(reader.run())
    try:
        await eventually(lambda: asyncio.sleep(0, deciding.is_set()), timeout=10)
        await publish(js, 3)
        dead = await js.pull_subscribe_bind("routing-p0", INBOUND)
        [lost] = await dead.fetch(1, timeout=5)  # never acked: its process was killed
        assert lost.metadata.sequence.stream == 4
        await publish(js, 4, 5)
        go_on.set()

        async def all_stored() -> bool:
            return app.ping() >= 6

        await eventually(all_stored, timeout=4 * ACK_WAIT, interval=0.1)
    finally:
        go_on.set()
        task.cancel()
    assert stored_names(app) == [str(n) for n in range(6)]
    assert reader.handed_back == 0, vars(reader)
    run.shutdown()
    app.close()
    await nc.close()


async def test_a_reader_ends_when_its_connection_is_closed(
    nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    """Closed is for good (the runtime reconnects endlessly until it stops): a reader its
    runtime left behind ends, rather than binding again every second for ever (CI's logs
    showed one doing so in later tests)."""
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600, inbound_partitions=1)
    run = SerialExecutor("closed")

    async def handler(event: Event, tracking: Tracking) -> None:
        raise AssertionError("nothing was published")

    broker = NatsBroker(nats_server.url)
    reader = BatchReader(
        js, Inbox(broker, "routing-p0"), inbound_partition_subject(0), run, None, handler
    )
    task = asyncio.create_task(reader.run())

    await eventually(lambda: consumer_made(js), timeout=10, interval=0.1)
    await nc.close()
    with pytest.raises(nats.errors.ConnectionClosedError):
        await asyncio.wait_for(task, 10)
    run.shutdown()


async def test_a_lone_message_waits_for_the_next_ones_only_after_a_backlog(
    nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    """Near saturation messages come alone but often; a reader whose consumer just had a
    backlog waits its linger with a lone message, and the next one shares its batch. A
    consumer that keeps up does not wait."""
    linger = 0.5  # long beside the publishes' gap below, so the test does not race them
    async with one_partition(nats_server, tmp_path, "linger") as p:
        js, app = p.js, p.app
        await publish(js, 0, 1, 2)  # a backlog: the first fetch finds two behind it
        batching = Batching(32, linger)
        reader = partition_reader(js, p.broker, app, p.recorder, p.run, p.handler, batching)
        task = asyncio.create_task(reader.run())
        try:
            await eventually(lambda: drained(js, app, 3), timeout=30, interval=0.02)
            assert (reader.batches, reader.lingered) == (1, 0), vars(reader)

            await publish(js, 3)  # alone, just after the backlog: waits for more ...
            await asyncio.sleep(linger / 5)
            await publish(js, 4)  # ... and this one comes while it waits
            await eventually(lambda: drained(js, app, 5), timeout=30, interval=0.02)
            assert (reader.batches, reader.lingered) == (2, 1), vars(reader)

            await asyncio.sleep(BACKLOG_SECONDS + 0.5)  # keeping up since: no waiting
            await publish(js, 5)
            await eventually(lambda: drained(js, app, 6), timeout=30, interval=0.02)
            assert (reader.batches, reader.lingered) == (3, 1), vars(reader)
        finally:
            task.cancel()
        assert stored_names(app) == [str(n) for n in range(6)]


async def test_a_following_consumer_waits_out_its_window_with_every_first_message(
    nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    """A consumer that follows contacts (reports, the timeline) takes what comes within its
    window after a first message into the same batch, with no backlog before; the next
    message after the window starts a batch of its own."""
    window = 0.5  # long beside the publishes' gap below, so the test does not race them
    async with one_partition(nats_server, tmp_path, "window") as p:
        js, app = p.js, p.app
        batching = Batching(32, window=window)
        reader = partition_reader(js, p.broker, app, p.recorder, p.run, p.handler, batching)
        task = asyncio.create_task(reader.run())
        try:
            await eventually(lambda: consumer_made(js), timeout=30, interval=0.02)
            await publish(js, 0)  # nothing before it: it waits out the window ...
            await asyncio.sleep(window / 5)
            await publish(js, 1, 2)  # ... and these come while it waits
            await eventually(lambda: drained(js, app, 3), timeout=30, interval=0.02)
            assert (reader.batches, reader.windowed, reader.lingered) == (1, 1, 0), vars(reader)

            await publish(js, 3)  # alone after the window: a batch of its own, after one
            await eventually(lambda: drained(js, app, 4), timeout=30, interval=0.02)
            assert (reader.batches, reader.windowed) == (2, 2), vars(reader)
        finally:
            task.cancel()
        assert stored_names(app) == [str(n) for n in range(4)]


async def consumer_made(js: JetStreamContext) -> bool:
    try:
        await js.consumer_info(INBOUND, "routing-p0")
    except NotFoundError:
        return False
    return True


async def test_a_partitions_batch_reads_its_own_writes_and_is_stored_whole(
    nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    """A customer's quick messages share a batch, and each changes what the one before
    changed (history's claims, routing's chat, the agent offered the last contact).
    read_inbound's commands read their batch's own writes: the batch is one transaction,
    not refused (both writing the aggregate's next version) and decided again one by one."""
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600, inbound_partitions=1)
    await publish(js, 0, 1, 2)  # there before the reader: one batch
    app = tracked_store(Settings(data_dir=tmp_path), "routing")
    customer = Tally("customer")
    app.commit(customer)
    commits: list[int] = []
    app.committed.append(lambda: commits.append(app.ping()))
    run = SerialExecutor("own-writes")

    def decide(event: Event, tracking: Tracking) -> None:
        tally: Tally = app.repository.get(customer.id)
        tally.count_one()
        app.commit(tally, tracking=tracking)

    async def handler(event: Event, tracking: Tracking) -> None:
        if not await run(app.is_processed, tracking):
            await run(decide, event, tracking)

    broker = NatsBroker(nats_server.url)
    readers = read_inbound(
        broker,
        js,
        service="routing",
        partitions=1,
        batching=Batching(32),
        app=app,
        run=run,
        decide=decide,
        handler=handler,
        description="own writes",
    )
    tasks = [asyncio.create_task(loop()) for loop in readers.loops]
    try:
        await eventually(lambda: drained(js, app, 4), timeout=30, interval=0.02)
    finally:
        for task in tasks:
            task.cancel()
    assert commits == [4]  # one transaction for all three
    assert app.repository.get(customer.id).count == 3
    run.shutdown()
    app.close()
    await nc.close()
