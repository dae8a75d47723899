"""An EVENTS (or TIMERS) consumer read in batches where one process reads it all (`up`),
else one message in flight as before (`serve`, replicas): the same BatchReader as
INBOUND's partitions (switchboard/inbound_batches.py), one transaction and one tracking
record per batch (an application's commands: `decide_tracked`; a projection's rows),
handed back whole when it cannot be decided whole."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from switchboard.inbound_batches import BatchReader, DecideAll
from switchboard.inbox import Handler, Inbox, subscribe
from switchboard.serial import SerialExecutor

Loop = Callable[[], Coroutine[Any, Any, None]]


def read_events(
    broker: NatsBroker,
    js: JetStreamContext,
    *,
    stream: str,
    durable: str,
    subject: str,
    batch: int,
    run: SerialExecutor,
    decide_all: DecideAll | None,
    handler: Handler,
    description: str,
) -> EventReader:
    """`decide_all` None: fetched in batches, handled one by one (BatchReader)."""
    if batch <= 1:
        inbox = subscribe(
            broker,
            stream=stream,
            durable=durable,
            subject=subject,
            handler=handler,
            description=description,
        )
        return EventReader(inbox, [])  # faststream runs it
    reader = BatchReader(
        js, Inbox(broker, durable), subject, run, decide_all, handler, batch, stream=stream
    )
    return EventReader(reader.inbox, [reader.run])


@dataclass(frozen=True)
class EventReader:
    inbox: Inbox  # its dead letters count in the service's health
    loops: list[Loop]
