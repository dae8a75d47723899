"""Reading INBOUND by partition, and draining retired durable consumers (INBOUND's from
before partitions, routing's schedulers on EVENTS) before deleting them.

Each service (routing, history) has one durable consumer per partition, `<service>-p<n>`,
with one message in flight and its own tracking name, so a partition's positions only grow
and a message that waits (NotYet) holds back its own partition only. Every replica binds
every partition: JetStream hands each partition's next message to whichever replica asks,
so P partitions keep up to P messages in flight across the replicas (one process still
runs its store commands one at a time: switchboard/serial.py), and the partitions of a
replica that dies keep flowing through the others, with no assignment to agree on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from switchboard.inbound_batches import BatchReader, Decide, Expect, decide_tracked
from switchboard.inbox import Handler, Inbox, subscribe
from switchboard.jetstream import INBOUND, inbound_partition_subject, is_partitioned
from switchboard.serial import SerialExecutor
from switchboard.store import TrackedApplication

log = logging.getLogger(__name__)


def inbound_consumer_names(service: str, partitions: int) -> list[str]:
    return [f"{service}-p{n}" for n in range(partitions)]


def subscribe_inbound(
    broker: NatsBroker,
    js: JetStreamContext,
    *,
    service: str,
    partitions: int,
    handler: Handler,
    description: str,
) -> tuple[list[Inbox], LegacyDrain]:
    """The service's partition consumers, and the drain of its consumer from before
    partitions (a loop to run; it ends at once where there is none)."""
    inboxes = [
        subscribe(
            broker,
            stream=INBOUND,
            durable=name,
            subject=inbound_partition_subject(n),
            handler=handler,
            description=f"{description} (partition {n} of {partitions})",
        )
        for n, name in enumerate(inbound_consumer_names(service, partitions))
    ]
    return inboxes, LegacyDrain(js, Inbox(broker, service), handler)


@dataclass
class InboundReaders:
    inboxes: list[Inbox]
    legacy: LegacyDrain
    loops: list[Callable[[], Coroutine[Any, Any, None]]]


def read_inbound(
    broker: NatsBroker,
    js: JetStreamContext,
    *,
    service: str,
    partitions: int,
    batch: int,
    app: TrackedApplication,
    run: SerialExecutor,
    decide: Decide,
    handler: Handler,
    description: str,
    expect: Expect | None = None,
) -> InboundReaders:
    """The service's partition consumers: with `batch` > 1 each a BatchReader
    (inbound_batches.py), else one message in flight (`subscribe_inbound`)."""
    if batch <= 1:
        inboxes, legacy = subscribe_inbound(
            broker,
            js,
            service=service,
            partitions=partitions,
            handler=handler,
            description=description,
        )
        return InboundReaders(inboxes, legacy, [legacy.run])
    names = inbound_consumer_names(service, partitions)
    readers = [
        BatchReader(
            js,
            Inbox(broker, name),
            inbound_partition_subject(n),
            run,
            decide_tracked(app, decide, expect),
            handler,
            batch,
        )
        for n, name in enumerate(names)
    ]
    legacy = LegacyDrain(js, Inbox(broker, service), handler)
    loops = [legacy.run, *(r.run for r in readers)]
    return InboundReaders([r.inbox for r in readers], legacy, loops)


class LegacyDrain:
    """Feeds what a retired durable consumer still holds through `handler`, then deletes
    it. On INBOUND: the service's single consumer from before partitions, under the same
    tracking name (so what it had done stays done); ensure_streams has already kept it to
    the subjects stored the old way before INBOUND stored anything by partition, so no
    message reaches both it and a partition. Elsewhere (routing's scheduler consumers on
    EVENTS, whose work the relay now does): what reaches it while it drains was handled
    the new way too, so `handler` must be idempotent."""

    def __init__(
        self, js: JetStreamContext, inbox: Inbox, handler: Handler, stream: str = INBOUND
    ) -> None:
        self._js = js
        self.inbox = inbox
        self._handler = handler
        self._stream = stream

    async def run(self) -> None:
        while True:
            try:
                await self._drain()
                return
            except Exception as exc:  # NATS restarting: bind again, never die
                log.warning("draining %s: %r", self.inbox.consumer, exc)
                await asyncio.sleep(1.0)

    async def _drain(self) -> None:
        try:
            await self._js.consumer_info(self._stream, self.inbox.consumer)
        except NotFoundError:
            return  # a deployment that started without it, or already drained
        log.info("draining retired %s consumer %s", self._stream, self.inbox.consumer)
        sub = await self._js.pull_subscribe_bind(self.inbox.consumer, self._stream)
        try:
            while not await self._drained():
                try:
                    for raw in await sub.fetch(1, timeout=1.0):
                        await self._deliver(raw)
                except TimeoutError:
                    continue
        finally:
            await sub.unsubscribe()
        log.info("%s consumer %s drained and deleted", self._stream, self.inbox.consumer)

    async def _deliver(self, raw: Msg) -> None:
        if self._stream == INBOUND and is_partitioned(raw.subject):
            # Stored by partition, yet in this consumer's filter (an update published by a
            # not yet upgraded ingest): a partition's consumer handles it.
            await raw.ack()
            return
        await self.inbox.deliver(raw, self._handler)

    async def _drained(self) -> bool:
        try:
            info = await self._js.consumer_info(self._stream, self.inbox.consumer)
        except NotFoundError:
            return True  # another replica finished it
        if info.num_pending or info.num_ack_pending:
            return False
        try:
            await self._js.delete_consumer(self._stream, self.inbox.consumer)
        except NotFoundError:
            pass
        return True
