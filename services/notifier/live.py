"""Live push to open desks and consoles.

Each process follows the EVENTS stream with its own ephemeral, ordered consumer starting at
new messages, and hands each person what `audience.pushes` says is theirs. Nothing here is
the truth: a page re-reads its state over REST whenever it (re)connects, so a push lost to
a restart or a slow connection costs nothing but a moment."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from events import AgentOffered, CustomerIdentified, Event
from services.notifier.audience import BOARD, Push, pushes
from switchboard.auth import SUPERVISORS, Principal
from switchboard.jetstream import decode_event

log = logging.getLogger(__name__)

T = TypeVar("T")

QUEUE_LIMIT = 256  # pushes waiting for one slow page before it is told to reconnect
KEEPALIVE_SECONDS = 15.0  # proxies close connections that stay silent


@dataclass(eq=False)
class Listener:
    principal: Principal
    queue: asyncio.Queue[Push | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))

    @property
    def sees_board(self) -> bool:
        return self.principal.role in SUPERVISORS


class CustomerLinks:
    """Which customer each recent contact belongs to, and who was offered it, from the
    events this process saw: lets the desk show the customer card before routing's views
    say whose the contact is. Bounded; a miss only means no card until the next read."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.customer: OrderedDict[uuid.UUID, uuid.UUID] = OrderedDict()
        self.people: OrderedDict[uuid.UUID, set[str]] = OrderedDict()

    def see(self, event: Event) -> list[tuple[str, Push]]:
        """Remembers what the event tells; returns `customer` pushes now due."""
        if isinstance(event, CustomerIdentified):
            _remember(self.customer, event.contact_id, event.customer_id, self.limit)
            who = self.people.get(event.contact_id, set())
            return [(p, self._push(event.contact_id)) for p in sorted(who)]
        if isinstance(event, AgentOffered):
            who = self.people.get(event.contact_id, set()) | {event.agent_id}
            _remember(self.people, event.contact_id, who, self.limit)
            if event.contact_id in self.customer:
                return [(event.agent_id, self._push(event.contact_id))]
        return []

    def _push(self, contact_id: uuid.UUID) -> Push:
        data = {"contact_id": str(contact_id), "customer_id": str(self.customer[contact_id])}
        return Push("customer", data)


def _remember(cache: OrderedDict[uuid.UUID, T], key: uuid.UUID, value: T, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


class DeskHub:
    def __init__(self) -> None:
        self.listeners: set[Listener] = set()
        self.links = CustomerLinks()
        self.published = 0

    def publish(self, event: Event) -> None:
        for audience, push in [*pushes(event), *self.links.see(event)]:
            for listener in list(self.listeners):
                wanted = (
                    listener.sees_board if audience is BOARD else listener.principal.id == audience
                )
                if wanted:
                    self._offer(listener, push)
        self.published += 1

    def _offer(self, listener: Listener, push: Push) -> None:
        try:
            listener.queue.put_nowait(push)
        except asyncio.QueueFull:
            # Too slow to keep up: end its stream; the page reconnects and re-reads.
            self.listeners.discard(listener)
            listener.queue = asyncio.Queue(1)
            listener.queue.put_nowait(None)

    def close(self) -> None:
        """Ends every open stream (the server is stopping)."""
        for listener in list(self.listeners):
            self._end(listener)
        self.listeners.clear()

    def _end(self, listener: Listener) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            listener.queue.put_nowait(None)

    async def stream(self, principal: Principal) -> AsyncIterator[str]:
        """Server-sent events for one page: `hello` first (re-read your state), then pushes,
        with a comment line now and then to keep the connection open."""
        listener = Listener(principal)
        self.listeners.add(listener)
        try:
            yield _sse("hello", {"user": principal.id, "role": principal.role})
            while True:
                try:
                    push = await asyncio.wait_for(listener.queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if push is None:
                    return
                yield _sse(push.kind, push.data)
        finally:
            self.listeners.discard(listener)


def _sse(kind: str, data: object) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def live_feed(js: JetStreamContext, hub: DeskHub) -> Callable[[], Coroutine[Any, Any, None]]:
    """The loop that feeds the hub from EVENTS (a Service loop)."""

    async def run() -> None:
        while True:
            try:
                sub = await js.subscribe(
                    "sb.events.>",
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.NEW,
                    idle_heartbeat=5.0,
                )
            except asyncio.CancelledError:
                hub.close()
                raise
            except Exception as exc:
                log.warning("live feed: cannot subscribe (%s); retrying", exc)
                await asyncio.sleep(1.0)
                continue
            try:
                async for msg in sub.messages:
                    try:
                        hub.publish(decode_event(msg.headers, msg.data))
                    except ValueError as exc:
                        log.info("live feed: skipping %s: %s", msg.subject, exc)
            finally:
                hub.close()
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    return run
