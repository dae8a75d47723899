"""Draining retired durable consumers before deleting them: INBOUND's from before
partitions (switchboard/inbound_consumers.py), routing's schedulers on EVENTS (whose work
its relay now does)."""

from __future__ import annotations

import asyncio
import logging

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from switchboard.inbox import Handler, Inbox
from switchboard.jetstream import INBOUND, is_partitioned

log = logging.getLogger(__name__)


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
