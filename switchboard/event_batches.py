"""An EVENTS (or TIMERS) consumer read in batches by one process (`up`, or under `serve` the
replica holding its lease: switchboard/consumer_leases.py), else one message in flight
(`batch` 1, shared by any number of readers): the same BatchReader as
INBOUND's partitions (switchboard/inbound_batches.py), one transaction and one tracking
record per batch (an application's commands: `decide_tracked`; a projection's rows),
handed back whole when it cannot be decided whole.

A consumer may take only the events its handler acts on (`only`): JetStream then never
delivers the rest, where each would cost a delivery, a decode and an ack for nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from events import Event
from switchboard.batching import Batching
from switchboard.consumer_leases import Leases
from switchboard.inbound_batches import BatchReader, DecideAll
from switchboard.inbox import Handler, Inbox, subscribe
from switchboard.jetstream import filters_of, with_filters
from switchboard.precedence import Lane
from switchboard.serial import SerialExecutor

log = logging.getLogger(__name__)

Loop = Callable[[], Coroutine[Any, Any, None]]


def read_events(
    broker: NatsBroker,
    js: JetStreamContext,
    *,
    stream: str,
    durable: str,
    subject: str,
    batching: Batching,
    run: SerialExecutor,
    decide_all: DecideAll | None,
    handler: Handler,
    description: str,
    only: tuple[type[Event], ...] = (),
    lane: Lane = Lane.NORMAL,
    leases: Leases | None = None,
) -> EventReader:
    """`decide_all` None: fetched in batches, handled one by one (BatchReader). `only`:
    the event types under `subject` the consumer takes (all when empty). `lane`: whether
    its batches go first or wait while the process is behind (switchboard/precedence.py;
    batches only: one message in flight has no backlog to weigh). `leases`: batches read
    by whichever replica holds the consumer's lease (switchboard/consumer_leases.py).
    `batching`: how many at most, and how long one waits for the next ones (BatchReader)."""
    filters = tuple(e.subject for e in only) or (subject,)
    if batching.size <= 1:
        inbox = subscribe(
            broker,
            stream=stream,
            durable=durable,
            subject=subject,
            filters=filters,
            handler=handler,
            description=description,
        )
        # faststream runs it; a durable it binds keeps the filters it was made with.
        narrow = [lambda: keep_filters(js, stream, durable, filters)] if only else []
        return EventReader(inbox, narrow)
    reader = BatchReader(
        js,
        Inbox(broker, durable),
        filters,
        run,
        decide_all,
        handler,
        batching,
        stream=stream,
        lane=lane,
        lease=leases.of(durable) if leases else None,
    )
    return EventReader(reader.inbox, [reader.run])


async def keep_filters(
    js: JetStreamContext, stream: str, durable: str, filters: tuple[str, ...]
) -> None:
    """Gives a durable made by an earlier version (all of `subject`) today's filters, in
    place: its position stays, and from there it takes only what its handler acts on.
    Bound or not, the server applies a consumer's filters to its next fetch."""
    while True:
        try:
            try:
                info = await js.consumer_info(stream, durable)
            except NotFoundError:
                return  # not made yet: the subscriber makes it with these filters
            config = info.config
            if filters_of(config) == sorted(filters):
                return
            await js.add_consumer(stream, with_filters(config, filters))  # updates it in place
            log.info("%s now takes %s", durable, ", ".join(filters))
            return
        except Exception as exc:  # NATS restarting: try again, never die
            log.warning("filters of %s: %r", durable, exc)
            await asyncio.sleep(1.0)


@dataclass(frozen=True)
class EventReader:
    inbox: Inbox  # its dead letters count in the service's health
    loops: list[Loop]
