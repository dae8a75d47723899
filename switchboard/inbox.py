"""Consuming JetStream exactly once in effect.

Each message gets a tracking position, kept per consumer. Messages relayed from another
service's event store carry that store's notification id (so a relay that publishes twice
is harmless); others use the stream sequence. A handler records its new events together with the
tracking record, so a redelivered message is skipped and a concurrent duplicate fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from eventsourcing.persistence import IntegrityError, Tracking
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.aio.msg import Msg

from events import Event
from switchboard import tracing
from switchboard.jetstream import (
    ACK_WAIT,
    ORIGIN_APP_HEADER,
    ORIGIN_POSITION_HEADER,
    consumer_config,
    decode_event,
)
from switchboard.shredding import PersonalDataErased

log = logging.getLogger(__name__)

MAX_DELIVERIES = 8
# A message still waiting for its prerequisite after this many tries (~1 min at the default
# delay) refers to something that will never come; it must not hold the consumer forever.
MAX_NOT_YET = 120


class NotYet(Exception):
    """The message cannot be handled yet (e.g. it refers to something another stream
    has not delivered); it is redelivered after `delay` seconds, holding back the rest."""

    def __init__(self, reason: str, delay: float = 0.5) -> None:
        super().__init__(reason)
        self.delay = delay


def tracking_of(raw: Msg, consumer: str) -> Tracking:
    """Where this message stands, for `consumer`.

    Positions are kept per consumer: eventsourcing reads a tracking name's highest position
    as "everything up to here is done". Consumers of one stream (say an offer's and a
    contact's deadlines on TIMERS), or of one origin's events, advance at their own pace:
    under a shared name one consumer's progress would mark another's pending messages as
    done, and they would be skipped. Per consumer, positions only grow (one in flight)."""
    headers = raw.headers or {}
    origin = headers.get(ORIGIN_APP_HEADER)
    if origin is not None:
        return Tracking(f"{origin}>{consumer}", int(headers[ORIGIN_POSITION_HEADER]))
    meta = raw.metadata
    return Tracking(f"stream:{meta.stream}>{consumer}", meta.sequence.stream)


Handler = Callable[[Event, Tracking], Awaitable[None]]


@contextlib.asynccontextmanager
async def claimed(raw: Msg, every: float = ACK_WAIT / 3) -> AsyncIterator[None]:
    """Keeps the message ours while the block runs (e.g. a handler waiting out a database
    restart), so the short ack wait only ever frees messages of consumers that died."""

    async def keep() -> None:
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):  # NATS away: the redelivery is harmless
                await raw.in_progress()

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()  # not awaited: that could swallow a cancellation of our own task


def conflict_delay(deliveries: int) -> float:
    """0.05 s after a first conflict, doubling up to ~1.6 s, each spread by +-50%."""
    base: float = 0.05 * 2 ** min(deliveries - 1, 5)
    return base * random.uniform(0.5, 1.5)


class Inbox:
    """Runs handlers for decoded events with acks only after the handler committed."""

    def __init__(self, broker: NatsBroker, consumer: str) -> None:
        self._broker = broker
        self.consumer = consumer
        self.handled = 0
        self.dead_lettered = 0

    async def deliver(self, raw: Msg, handler: Handler) -> None:
        await self.handle(raw, handler)

    async def handle(self, raw: Msg, handler: Handler) -> float | None:
        """Acks (or dead-letters) the message once handled and returns None; returns the
        delay of its redelivery when it was handed back (nak)."""
        deliveries = raw.metadata.num_delivered
        try:
            event = decode_event(raw.headers, raw.data)
        except ValueError as exc:
            await self._dead_letter(raw, f"undecodable: {exc}")
            return None
        tracing.mark_consumer(self.consumer)
        try:
            async with claimed(raw):
                with tracing.handling(raw):
                    await handler(event, tracking_of(raw, self.consumer))
        except PersonalDataErased as gone:
            # Its person was erased (their keys destroyed): no retry can ever read it, and
            # there is nothing left to do for them.
            log.info("%s: %s; nothing to do", self.consumer, gone)
            self.handled += 1
            await raw.ack()
            return None
        except NotYet as wait:
            if deliveries >= MAX_NOT_YET:
                await self._dead_letter(raw, f"gave up waiting: {wait}")
                return None
            log.info("%s: %s; retry in %.1fs", self.consumer, wait, wait.delay)
            await raw.nak(delay=wait.delay)
            return float(wait.delay)
        except IntegrityError:
            # A concurrent writer got there first (another replica, or a command on the
            # same aggregate). Redelivery re-reads the store and decides again; each time
            # one of the writers wins, so this ends, but replicas deciding over the same
            # agents could meet again at once: back off, with jitter, the longer it lasts.
            if deliveries >= MAX_NOT_YET:
                await self._dead_letter(raw, "kept conflicting with concurrent writers")
                return None
            log.info("%s: conflict on delivery %d; deciding again", self.consumer, deliveries)
            delay: float = conflict_delay(deliveries)
            await raw.nak(delay=delay)
            return delay
        except Exception as exc:
            if deliveries >= MAX_DELIVERIES:
                await self._dead_letter(raw, f"{type(exc).__name__}: {exc}")
                return None
            log.exception("%s: handler failed (delivery %d)", self.consumer, deliveries)
            delay = min(0.2 * 2.0**deliveries, 10.0)
            await raw.nak(delay=delay)
            return delay
        self.handled += 1
        await raw.ack()
        return None

    async def _dead_letter(self, raw: Msg, reason: str) -> None:
        log.error("%s: dead-lettering %s: %s", self.consumer, raw.subject, reason)
        headers = dict(raw.headers or {})
        headers.update({"Sb-Dead-Reason": reason[:500], "Sb-Dead-Subject": raw.subject})
        await self._broker.publish(
            raw.data, f"sb.deadletter.{self.consumer}", headers=headers, stream="DEADLETTERS"
        )
        self.dead_lettered += 1
        await raw.term()


async def _raw_body(msg: NatsMessage) -> bytes:
    # Decoding is the Inbox's job: a body that is not a valid contract must be
    # dead-lettered, not crash the subscriber before our code runs.
    body: bytes = msg.body
    return body


def pull_inbox_prefix(broker: NatsBroker) -> bytes:
    """Where a pull consumer's messages come back: under the connection's inbox prefix (a
    service's own, switchboard/nats_connect.py), not faststream's shared `_INBOX.` default,
    which a service limited to its own inbox may not subscribe to."""
    kwargs: dict[str, object] = getattr(broker, "_connection_kwargs", {})
    prefix = kwargs.get("inbox_prefix") or "_INBOX"
    text = prefix.decode() if isinstance(prefix, bytes) else str(prefix)
    return f"{text}.".encode()


def subscribe(
    broker: NatsBroker,
    *,
    stream: str,
    durable: str,
    subject: str,
    handler: Handler,
    description: str,
    filters: Sequence[str] = (),
) -> Inbox:
    """A durable, ordered JetStream consumer feeding `handler` through an Inbox; `filters`
    narrow `subject` to what the handler acts on."""
    inbox = Inbox(broker, durable)

    @broker.subscriber(
        subject,
        stream=JStream(name=stream, declare=False),
        durable=durable,
        config=consumer_config(durable, *(filters or (subject,))),
        pull_sub=PullSub(batch_size=1, timeout=1.0),
        inbox_prefix=pull_inbox_prefix(broker),
        ack_policy=AckPolicy.MANUAL,
        decoder=_raw_body,
        title=durable,
        description=description,
    )
    async def consume(body: bytes, msg: NatsMessage) -> None:
        await inbox.deliver(msg.raw_message, handler)

    return inbox
