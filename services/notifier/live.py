"""Live push to open desks and consoles.

Each process follows the EVENTS stream with its own ephemeral, ordered consumer starting at
new messages, and hands each person what `audience.pushes` says is theirs. The consumer asks
only for the subjects of events `pushes` has something for (`audience.pushed`): about half
of a contact's events on EVENTS are none of a desk's business (opened, identified, ...), and
each cost a delivery and a decode in every process. Nothing here is the truth: a page
re-reads its state over REST whenever it (re)connects, so a push lost to a restart or a slow
connection costs nothing but a moment."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from events import EVENTS_BY_NAME, Event
from services.notifier.audience import BOARD, Push, pushed, pushes
from switchboard.auth import SUPERVISORS, Principal
from switchboard.jetstream import EVENTS_SUBJECTS, decode_event, with_filters

log = logging.getLogger(__name__)

QUEUE_LIMIT = 256  # pushes waiting for one slow page before it is told to reconnect
KEEPALIVE_SECONDS = 15.0  # proxies close connections that stay silent
REVALIDATE_SECONDS = 5.0  # how soon a stream notices its session was ended


@dataclass(eq=False)
class Listener:
    principal: Principal
    queue: asyncio.Queue[Push | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))

    @property
    def sees_board(self) -> bool:
        return self.principal.role in SUPERVISORS


class DeskHub:
    def __init__(self) -> None:
        self.listeners: set[Listener] = set()
        self.published = 0

    def publish(self, event: Event) -> None:
        for audience, push in pushes(event):
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

    async def stream(
        self, principal: Principal, still_valid: Callable[[], Awaitable[bool]] | None = None
    ) -> AsyncIterator[str]:
        """Server-sent events for one page: `hello` first (re-read your state), then pushes,
        with a comment line now and then to keep the connection open. `still_valid` is
        asked every few seconds: a stream whose session was ended (signed out, timed out,
        password changed) closes."""
        listener = Listener(principal)
        self.listeners.add(listener)
        quiet = 0.0
        try:
            yield _sse("hello", {"user": principal.id, "role": principal.role})
            while True:
                try:
                    push = await asyncio.wait_for(listener.queue.get(), REVALIDATE_SECONDS)
                except TimeoutError:
                    if still_valid is not None and not await still_valid():
                        return
                    quiet += REVALIDATE_SECONDS
                    if quiet >= KEEPALIVE_SECONDS:
                        quiet = 0.0
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

    on_events = [c for c in EVENTS_BY_NAME.values() if c.subject.startswith(EVENTS_SUBJECTS[:-1])]
    subjects = pushed(on_events)

    async def run() -> None:
        while True:
            try:
                sub = await js.subscribe(
                    EVENTS_SUBJECTS,
                    config=with_filters(ConsumerConfig(), subjects),
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
            except asyncio.CancelledError:
                # Stopping: the connection closes next and takes the subscription with it;
                # awaiting anything more here could hold up the shutdown.
                hub.close()
                raise
            # The subscription ended (the connection was lost): open streams end too, and
            # their pages reconnect and re-read once we follow EVENTS again.
            hub.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sub.unsubscribe(), 2.0)

    return run
