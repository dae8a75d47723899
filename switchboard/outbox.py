"""The outbox relay: publishes what an application stored, never a dual write.

It follows the application's notification log and publishes each contract event with
`Nats-Msg-Id = <app>:<notification id>`, so the EVENTS stream drops a re-publish inside
its window, and consumers (which track the origin position) drop it after that. The
deadlines an event sets (`DeadlinesOf`) are scheduled on TIMERS in the same batch, before
the relay's position moves past it: a consumer per kind of deadline did that before, one
more delivery, decode and acknowledgement per event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from eventsourcing.persistence import Notification
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from events import Event
from switchboard import tracing
from switchboard.jetstream import (
    EVENTS,
    ORIGIN_APP_HEADER,
    ORIGIN_POSITION_HEADER,
    RELAY_BUCKET,
    TIMERS,
    envelope,
)
from switchboard.log_follower import follow, reads
from switchboard.serial import SerialExecutor
from switchboard.settings import SERVE_LOG_POLL, Settings
from switchboard.store import TrackedApplication
from switchboard.timers import Scheduled, schedule_envelope

# Seconds for the acks of one batch (up to log_follower.BATCH publishes) to come back.
ACK_TIMEOUT = 10.0
# A sole writer (`up`) stores its position at most this often rather than after every
# batch (a JetStream round trip each, about one per contact at a steady rate). After a
# crash it publishes again from the position stored: the streams' duplicate windows and the
# consumers' tracked positions drop what it had published, as for a batch whose position
# was lost, only up to this much more of it.
POSITION_SECONDS = 0.5

log = logging.getLogger(__name__)

# One stored event maps to at most one contract, so the origin position stays unique.
ToContract = Callable[[Any], Event | None]
# The deadlines a published contract sets (services/routing/deadlines.py).
DeadlinesOf = Callable[[Event], Sequence[Scheduled]]


class OutboxRelay:
    def __init__(
        self,
        app_name: str,
        app: TrackedApplication,
        js: JetStreamContext,
        to_contract: ToContract,
        executor: SerialExecutor,
        behind: Callable[[], Awaitable[int]] | None = None,
        idle_poll: float = SERVE_LOG_POLL,
        sole_writer: bool = False,
        deadlines: DeadlinesOf | None = None,
        publishes: Callable[[str], bool] | None = None,
    ) -> None:
        """`behind`: a position in the same log the relay must not pass (a projection that
        has to show an event before the rest of the system hears of it). `sole_writer`:
        no other process relays this log (`up`), so the position it last stored is still
        the bucket's and need not be read back. `deadlines`: what each event schedules.
        `publishes(qualified name of a stored event class)`: False for those `to_contract`
        never publishes, which are then not decrypted and decoded at all (most of what
        routing and history store)."""
        self.app_name = app_name
        self._app = app
        self._js = js
        self._to_contract = to_contract
        self._deadlines = deadlines
        self._reads = reads(app.mapper, publishes)
        self.follower = follow(
            app,
            f"relay:{app_name}",
            self._position,
            self._publish,
            executor,
            idle_poll,
            ceiling=behind,
        )
        self.published = 0
        self._sole_writer = sole_writer
        self._kv: KeyValue | None = None
        self._stored: int | None = None  # how far it relayed, known without asking (sole writer)
        self._saved: int | None = None  # of that, what the bucket holds
        self._saving: asyncio.Task[None] | None = None

    @classmethod
    def configured(
        cls,
        app_name: str,
        app: TrackedApplication,
        js: JetStreamContext,
        to_contract: ToContract,
        executor: SerialExecutor,
        settings: Settings,
        behind: Callable[[], Awaitable[int]] | None = None,
        deadlines: DeadlinesOf | None = None,
        publishes: Callable[[str], bool] | None = None,
    ) -> OutboxRelay:
        """A service's relay: how often it polls and whether it is its log's only relay
        (`up`) both follow from the process's settings."""
        return cls(
            app_name,
            app,
            js,
            to_contract,
            executor,
            behind=behind,
            idle_poll=settings.log_poll(),
            sole_writer=settings.sole_writer,
            deadlines=deadlines,
            publishes=publishes,
        )

    async def _bucket(self) -> KeyValue:
        # Looked up once: each lookup is a stream-info round trip, and the follower asks
        # for the position twice per wake-up (a dozen NATS messages per contact).
        if self._kv is None:
            self._kv = await self._js.key_value(RELAY_BUCKET)
        return self._kv

    async def _position(self) -> int:
        if self._stored is not None:
            return self._stored
        try:
            entry = await (await self._bucket()).get(self.app_name)
        except KeyNotFoundError:
            at = 0
        else:
            at = int(entry.value or b"0")
        if self._sole_writer:
            self._stored = at
        return at

    async def _publish(self, notifications: Sequence[Notification]) -> None:
        """The batch's publishes go out back to back and their acks are awaited together:
        one round trip per batch rather than per event. One connection keeps them in order,
        which consumers rely on (they track the origin position: an earlier position
        arriving later would pass as done). A failed ack fails the batch before the
        position moves; retrying publishes the batch again, and the stream's duplicate
        window drops what it already stored."""
        acks: list[asyncio.Future[PubAck]] = []
        published = 0
        spans = []
        for notification in notifications:
            if not self._reads(notification):
                continue
            domain_event = self._app.decoded(notification)
            contract = self._to_contract(domain_event)
            if contract is None:
                continue
            env = envelope(
                contract,
                **{
                    "Nats-Msg-Id": f"{self.app_name}:{notification.id}",
                    ORIGIN_APP_HEADER: self.app_name,
                    ORIGIN_POSITION_HEADER: str(notification.id),
                },
            )
            if tracing.enabled():
                cause = self._app.causes.cause_of(notification.id)
                span = tracing.relay_span(self.app_name, cause, env.subject, notification.id)
                tracing.headers_for(span, env.headers)
                spans.append(span)
            acks.append(
                await self._js.publish_async(
                    env.subject, env.body, headers=env.headers, stream=EVENTS
                )
            )
            published += 1
            for due in self._deadlines(contract) if self._deadlines else ():
                # Its own id: a batch retried inside TIMERS' duplicate window schedules
                # nothing twice, so a deadline that fired meanwhile does not fire again.
                timer = schedule_envelope(
                    due.deadline,
                    due.at,
                    **{"Nats-Msg-Id": f"{self.app_name}:{notification.id}:{due.deadline.kind}"},
                )
                acks.append(
                    await self._js.publish_async(
                        timer.subject, timer.body, headers=timer.headers, stream=TIMERS
                    )
                )
        # asyncio.wait, not wait_for: before Python 3.12, wait_for swallows a cancellation
        # that lands as the acks complete, and the relay then outlives its stop by 10 s.
        try:
            if acks:
                _, pending = await asyncio.wait(acks, timeout=ACK_TIMEOUT)
                if pending:
                    raise TimeoutError(f"{len(pending)} of {len(acks)} publishes not acked")
                for ack in acks:
                    ack.result()  # raises a failed publish's error
        finally:
            for ack in acks:
                ack.cancel()  # those still pending when one failed: never awaited again
            for span in spans:
                span.end()
        self.published += published
        if self._sole_writer:
            self._stored = notifications[-1].id
            if self._saving is None or self._saving.done():
                self._saving = asyncio.create_task(self._save_soon())
        else:
            await (await self._bucket()).put(self.app_name, str(notifications[-1].id).encode())

    async def _save_soon(self) -> None:
        """Stores the sole writer's position a moment after a batch, with any that came
        meanwhile; again after a failure (NATS restarting) until it is stored. Batches
        that came while it was storing wait their own moment: under a burst the bucket is
        written every POSITION_SECONDS, not once per round trip."""
        wait = POSITION_SECONDS
        while True:
            await asyncio.sleep(wait)
            at = self._stored
            if at is None or at == self._saved:
                return
            try:
                await (await self._bucket()).put(self.app_name, str(at).encode())
            except ConnectionClosedError:
                return  # stopping: the next start publishes again from the stored position
            except Exception as exc:
                log.info("relay %s: position %d not stored yet: %r", self.app_name, at, exc)
                wait = 1.0
                continue
            self._saved = at
            wait = POSITION_SECONDS
