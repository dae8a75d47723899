"""An EVENTS (or TIMERS) consumer read in batches where one process reads it all (`up`),
else one message in flight as before (`serve`, replicas): the same BatchReader as
INBOUND's partitions (switchboard/inbound_batches.py), one transaction and one tracking
record per batch (an application's commands: `decide_tracked`; a projection's rows),
handed back whole when it cannot be decided whole."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
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
    decide_all: DecideAll,
    handler: Handler,
    description: str,
) -> list[Loop]:
    """The loops to run: none where faststream consumes one message at a time."""
    if batch <= 1:
        subscribe(
            broker,
            stream=stream,
            durable=durable,
            subject=subject,
            handler=handler,
            description=description,
        )
        return []
    reader = BatchReader(
        js, Inbox(broker, durable), subject, run, decide_all, handler, batch, stream=stream
    )
    return [reader.run]
