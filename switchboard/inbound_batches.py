"""Reading an INBOUND partition in batches, exactly once in effect.

A reader fetches up to BATCH messages of its partition's durable consumer and decides them
in one store transaction with one tracking record, the batch's last position
(`TrackedApplication.batch`), then acks them: a burst costs one commit, one board catch-up
and one round of acks per batch instead of per message. A crash before the commit records
nothing and JetStream redelivers the whole batch; after it, every redelivered message is
at or below the tracked position and skipped.

Tracking keeps "everything up to the highest position is done", so a partition must be
decided in stream order, never a later message before an earlier one. With one message in
flight JetStream guaranteed that; with up to BATCH in flight, a batch is decided only when
it is every message the consumer has handed out and not yet had acked (consumer info), so
no earlier message is held by another replica, or waits for its redelivery. Otherwise the
reader keeps what it fetched and gathers the rest (a message delivered to a process that
was killed comes back when its ack wait ends), up to GATHER_SECONDS; then the batch goes
back (nak) and comes again after the earlier ones, sorted. Each consumer has one reader:
`up` is one process, and under `serve` the replica holding the consumer's lease reads it
(switchboard/consumer_leases.py). So the gathering ends as the ack wait does, and a
hand-back happens only while a lease passes from one replica to another.

At a steady rate a batch is what has come since the last one: one message, mostly, so
each pays a transaction, a round of acks and two hand-overs to the store's thread of its
own. Near saturation that is what tips a process over: a reader whose consumer had a
backlog (messages behind the one fetched) in the last BACKLOG_SECONDS waits up to `linger`
(Settings.batch_linger_ms) with a message that came alone, for the next ones to share its
batch. A consumer whose messages come one at a time and who keeps up never waits; one
that gets a contact's events in a bunch counts that as a backlog and does, which at 50
forms/s on `up` cost latency for nothing in some runs. At 100/s (bench.sustained, two
processes, nine alternated pairs) a 10 ms linger cut the CPU per contact by up to 17 % and
lowered the offer p99 in eight pairs of nine (docs/capacity.md, "Batches that wait a
moment near saturation").

A consumer that follows contacts rather than leads them to an agent (reports, the
timeline, SLA clocks, identification deadlines; `Batching.window`) waits out a window
(Settings.batch_window_ms, 100 ms) with its first message, backlog or not: whatever came
meanwhile shares its batch. At a steady rate its batches are then a moment's messages, not
one each, and nobody waits on it for an offer.

A batch that cannot be decided whole (a message of another kind, one that must wait, a
conflict with another writer) is handled message by message through the Inbox, as before
batches; a message handed back there takes the rest of its batch back with it, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence

from eventsourcing.persistence import Tracking
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext

from events import Event
from switchboard import tracing
from switchboard.batching import Batching
from switchboard.consumer_leases import Lease
from switchboard.inbox import Handler, Inbox, tracking_of
from switchboard.jetstream import ACK_WAIT, INBOUND, consumer_config, decode_event
from switchboard.precedence import Lane, Precedence
from switchboard.precedence import of_running_loop as precedence_of_running_loop
from switchboard.serial import SerialExecutor
from switchboard.store import TrackedApplication

log = logging.getLogger(__name__)

BATCH = 64
BATCHES = Batching(BATCH)
# How long a reader keeps messages while an earlier one of its consumer is still out: a
# dead process's comes back after the ack wait (6 s); a replica's may not.
GATHER_SECONDS = 3 * ACK_WAIT
# How long after its consumer last had a backlog a reader still lingers: the backlog of a
# process at the edge of its capacity comes and goes within a second or two.
BACKLOG_SECONDS = 2.0
# Decides one message inside a batch (on the store's thread); raises Unbatchable for a
# message that must go through the Inbox on its own.
Decide = Callable[[Event, Tracking], None]
# The ids of aggregates deciding one message reads that may not exist yet (a new contact's):
# asked for in one query per batch (TrackedApplication.batch).
Expect = Callable[[Event], Iterable[uuid.UUID]]
# Decides a whole batch in one transaction with one tracking record (on the store's thread),
# skipping what is already done; raises to have it handled message by message.
DecideAll = Callable[[list[tuple[Event, Tracking]]], None]


class Unbatchable(Exception):
    """This message is handled on its own (another kind than the batch's)."""


def decide_tracked(
    app: TrackedApplication,
    decide: Decide,
    expect: Expect | None = None,
    own_writes: bool = False,
) -> DecideAll:
    """A batch of an application's commands: one `TrackedApplication.batch`."""

    def decide_all(items: list[tuple[Event, Tracking]]) -> None:
        expected = {i for event, _ in items for i in expect(event)} if expect else ()
        done = Done(app.recorder.max_tracking_id)
        with app.batch(expected, own_writes):
            for event, tracking in items:
                if not done(tracking):
                    with tracing.deciding(tracking):
                        decide(event, tracking)
                    done.record(tracking)

    return decide_all


class Done:
    """Whether a batch's message is done: one query per tracking name per batch (a batch's
    positions only grow, and nothing else records them meanwhile), not one per message;
    and an event relayed twice into one batch is decided once."""

    def __init__(self, highest: Callable[[str], int | None]) -> None:
        self._highest = highest
        self._known: dict[str, int] = {}

    def __call__(self, tracking: Tracking) -> bool:
        return tracking.notification_id <= self._at(tracking.application_name)

    def record(self, tracking: Tracking) -> None:
        name = tracking.application_name
        self._known[name] = max(self._at(name), tracking.notification_id)

    def _at(self, name: str) -> int:
        if name not in self._known:
            self._known[name] = self._highest(name) or 0
        return self._known[name]


class BatchReader:
    def __init__(
        self,
        js: JetStreamContext,
        inbox: Inbox,
        subject: str | tuple[str, ...],
        run: SerialExecutor,
        decide_all: DecideAll | None,
        handler: Handler,
        batching: Batching = BATCHES,
        stream: str = INBOUND,
        lane: Lane = Lane.NORMAL,
        lease: Lease | None = None,
    ) -> None:
        """`decide_all` None: each message through the Inbox in order, as one in flight
        would be, only fetched and claimed together (a consumer whose handler sends out
        or records one message at a time; it saves a fetch round trip per message).
        `lane`: whether it goes first, waits, or neither while its process is behind
        (switchboard/precedence.py). `lease`: where replicas could read the consumer too,
        this one fetches only while it holds the consumer's lease
        (switchboard/consumer_leases.py); None where it is the only reader (`up`).
        `batching`: up to how many messages, and how long one waits for the next ones."""
        self._js = js
        self.inbox = inbox
        self._filters = (subject,) if isinstance(subject, str) else subject
        self._run = run
        self._decide_all = decide_all
        self._handler = handler
        self._batch = batching.size
        self._stream = stream
        self._lane = lane
        self._lease = lease
        self.fetches = 0  # non-empty fetches
        self.batches = 0  # decided whole
        self.one_by_one = 0  # batches handled message by message
        self.handed_back = 0  # batches that were not all in flight
        self.unasked = 0  # batches known to be all in flight without asking the server
        self.lingered = 0  # lone messages that waited for more
        self.windowed = 0  # first messages that waited out a window for the next ones
        self._linger = batching.linger
        self._window = batching.window
        self._backlog_at = -math.inf  # monotonic time of the last fetch with more behind it

    async def run(self) -> None:
        lease = self._lease
        renewing = asyncio.create_task(lease.renew()) if lease else None
        try:
            while True:
                try:
                    await self._read()
                except (asyncio.CancelledError, ConnectionClosedError):
                    # Closed, not reconnecting (the runtime connects with endless retries):
                    # its owner stopped, and a reader left behind would only spin and warn.
                    raise
                except Exception as exc:  # NATS restarting: bind again, never die
                    log.warning("%s: %r; binding again", self.inbox.consumer, exc)
                    await asyncio.sleep(1.0)
        finally:
            if renewing is not None and lease is not None:
                renewing.cancel()
                # A replica takes over at once, not when the lease would have lapsed.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(lease.release(), 2.0)

    async def _read(self) -> None:
        precedence = precedence_of_running_loop()
        try:
            await self._read_in_turn(precedence)
        finally:
            if self._lane is Lane.URGENT:
                precedence.report(self.inbox.consumer, 0)  # nothing to wait for from here

    async def _read_in_turn(self, precedence: Precedence) -> None:
        config = consumer_config(self.inbox.consumer, *self._filters)
        config.max_ack_pending = self._batch
        # Creates it, or lets one made before batches (one in flight) take a batch.
        await self._js.add_consumer(self._stream, config)
        sub = await self._js.pull_subscribe_bind(self.inbox.consumer, self._stream)
        held: dict[int, Msg] = {}  # by stream sequence: fetched, waiting for the rest
        since = 0.0
        # The consumer's next delivery sequence while every delivery before it was to this
        # reader and is settled (acked or dead-lettered); None when that is not known.
        settled_to: int | None = None
        waiting = 0  # what the consumer still has behind its last batch; 0 after none
        try:
            while True:
                if self._lease is not None and not self._lease.held:
                    # Another replica reads it from here (or will, once it takes the lease).
                    await _hand_back([held[n] for n in sorted(held)], 0)
                    held.clear()
                    settled_to = None
                    if self._lane is Lane.URGENT:
                        precedence.report(self.inbox.consumer, 0)
                    await self._lease.hold()
                if self._lane is Lane.DEFERRED:
                    await precedence.turn(waiting)
                fetched = await self._fetch(sub)
                waiting = fetched[-1].metadata.num_pending if fetched else 0
                if self._lane is Lane.URGENT:
                    precedence.report(self.inbox.consumer, waiting)
                if not fetched and not held:
                    continue
                if fetched:
                    self.fetches += 1
                alone = not held and follows(fetched, settled_to)
                if not held:
                    since = time.monotonic()
                held.update((m.metadata.sequence.stream, m) for m in fetched)
                msgs = [held[n] for n in sorted(held)]
                settled_to = None
                if alone:
                    # Nothing else can be out: a JetStream API round trip saved per batch.
                    in_flight = len(msgs)
                    self.unasked += 1
                else:
                    in_flight = (await sub.consumer_info()).num_ack_pending or 0
                if in_flight != len(msgs):
                    # An earlier message is still out: delivered to a process that died
                    # (back when its ack wait ends), handed back (after its delay), or held
                    # by a replica. Keep these and gather the rest: handing them back with
                    # their own delays could keep the two apart for ever.
                    if in_flight > len(msgs) and time.monotonic() - since < GATHER_SECONDS:
                        for raw in msgs:
                            with contextlib.suppress(Exception):
                                await raw.in_progress()
                        continue
                    self.handed_back += 1
                    held.clear()
                    await _hand_back(msgs, random.uniform(0.05, 0.3))
                    continue
                held.clear()
                with tracing.consuming(msgs, self.inbox.consumer, self._tracking):
                    if await self.handle(msgs):
                        settled_to = max(m.metadata.sequence.consumer for m in msgs) + 1
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _fetch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        """What is there now, up to a batch, once one message is (a request for a whole
        batch waits out its timeout for the batch to fill, about a second a hop when
        messages come one at a time); after a recent backlog, what comes within the linger."""
        try:
            first = await sub.fetch(1, timeout=1.0)
        except TimeoutError:
            return []
        if self._batch == 1:
            return first
        now = time.monotonic()
        if first[0].metadata.num_pending:
            self._backlog_at = now
            wait = 0.01  # what is behind it now comes with the next request
        elif self._window:
            # Nobody waits on this consumer for an offer: what comes meanwhile shares the
            # batch, fetched by one request once the moment is over.
            await asyncio.sleep(self._window)
            self.windowed += 1
            wait = 0.01
        elif self._linger and now - self._backlog_at < BACKLOG_SECONDS:
            wait = self._linger
            self.lingered += 1
        else:
            # Nothing behind it and keeping up: asking again only brings "no messages"
            # back (two NATS messages of a steady rate's seven per delivery).
            return first
        try:
            return first + await sub.fetch(self._batch - 1, timeout=wait)
        except TimeoutError:
            return first

    def _tracking(self, raw: Msg) -> Tracking | None:
        try:
            return tracking_of(raw, self.inbox.consumer)
        except (KeyError, ValueError):
            return None  # the Inbox dead-letters it

    async def handle(self, msgs: Sequence[Msg]) -> bool:
        """Decides `msgs`; False when some went back to the stream (nak)."""
        # The whole batch stays ours until its last message is handled, one by one too.
        async with _claimed(msgs):
            if self._decide_all is not None:
                if await self._decide_whole(msgs):
                    self.batches += 1
                    self.inbox.handled += len(msgs)
                    for raw in msgs:
                        await raw.ack()
                    return True
                self.one_by_one += 1
            for n, raw in enumerate(msgs):
                delay = await self.inbox.handle(raw, self._handler)
                if delay is not None:
                    await _hand_back(msgs[n + 1 :], delay)
                    return False
            return True

    async def _decide_whole(self, msgs: Sequence[Msg]) -> bool:
        assert self._decide_all is not None
        try:
            items = [
                (decode_event(raw.headers, raw.data), tracking_of(raw, self.inbox.consumer))
                for raw in msgs
            ]
        except ValueError:
            return False  # the Inbox dead-letters what it cannot decode
        try:
            await self._run(self._decide_all, items)
        except Unbatchable:
            return False
        except Exception as exc:  # decided again one by one, where each failure is handled
            log.info("%s: batch of %d not decided whole: %r", self.inbox.consumer, len(msgs), exc)
            return False
        return True


def follows(fetched: Sequence[Msg], settled_to: int | None) -> bool:
    """Whether `fetched` are the consumer's next deliveries after `settled_to`, each its
    first: then no delivery went to another reader meanwhile and none is a redelivery of
    one still out (a lost ack, a killed process's), so nothing earlier can be pending."""
    if settled_to is None or not fetched:
        return False
    return all(
        m.metadata.sequence.consumer == settled_to + n and m.metadata.num_delivered == 1
        for n, m in enumerate(sorted(fetched, key=lambda m: m.metadata.sequence.consumer))
    )


async def _hand_back(msgs: Sequence[Msg], delay: float) -> None:
    for raw in msgs:
        with contextlib.suppress(Exception):
            await raw.nak(delay=delay)


@contextlib.asynccontextmanager
async def _claimed(msgs: Sequence[Msg], every: float = ACK_WAIT / 3) -> AsyncIterator[None]:
    """Keeps the batch ours while it is decided (see switchboard.inbox.claimed)."""

    async def keep() -> None:
        while True:
            await asyncio.sleep(every)
            for raw in msgs:
                with contextlib.suppress(Exception):
                    await raw.in_progress()

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()
