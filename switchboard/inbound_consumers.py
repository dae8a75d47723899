"""Reading INBOUND by partition; the consumer from before partitions is drained by
switchboard/legacy_drain.py.

Each service (routing, history) has one durable consumer per partition, `<service>-p<n>`,
with its own tracking name, so a partition's positions only grow and a message that waits
(NotYet) holds back its own partition only. Read in batches (`up`, `serve`), a partition
is read by one process: `up`, or the replica holding its lease
(switchboard/consumer_leases.py), and a dead replica's partitions pass to another when its
leases lapse. With one message in flight (`batch` 1), every replica binds every partition
and JetStream hands each partition's next message to whichever replica asks, with no
assignment to agree on.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from switchboard.batching import Batching
from switchboard.consumer_leases import Leases
from switchboard.inbound_batches import BatchReader, Decide, Expect, decide_tracked
from switchboard.inbox import Handler, Inbox, subscribe
from switchboard.jetstream import INBOUND, inbound_partition_subject
from switchboard.legacy_drain import LegacyDrain
from switchboard.precedence import Lane
from switchboard.serial import SerialExecutor
from switchboard.store import TrackedApplication


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
    batching: Batching,
    app: TrackedApplication,
    run: SerialExecutor,
    decide: Decide,
    handler: Handler,
    description: str,
    expect: Expect | None = None,
    leases: Leases | None = None,
) -> InboundReaders:
    """The service's partition consumers: with batches of more than one each a BatchReader
    (inbound_batches.py), read by whichever replica holds its lease when `leases` are
    given; else one message in flight (`subscribe_inbound`)."""
    if batching.size <= 1:
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
            # A customer's quick messages share a partition, often a batch: each command
            # reads what the ones before it changed (the claims history made, the chat
            # routing opened, the agent it offered the last contact). Otherwise both wrote
            # an aggregate's next version and the whole batch went again one by one.
            decide_tracked(app, decide, expect, own_writes=True),
            handler,
            batching,
            # A contact's first steps: opened by routing, its customer named by history.
            lane=Lane.URGENT,
            lease=leases.of(name) if leases else None,
        )
        for n, name in enumerate(names)
    ]
    legacy = LegacyDrain(js, Inbox(broker, service), handler)
    loops = [legacy.run, *(r.run for r in readers)]
    return InboundReaders([r.inbox for r in readers], legacy, loops)
