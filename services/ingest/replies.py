"""Agents' replies go out through the customer's channel, each at most once.

A reply is claimed in a JetStream KV bucket before it is sent. Redelivery of the same
ReplyRequested then finds the claim: already sent -> its status is re-published (the same
Nats-Msg-Id, so nothing doubles); interrupted mid-send by a crash -> we cannot know whether
the customer got it, so it is recorded as "uncertain" for the agent to check rather than sent
twice. A send that failed before anything left us is retried with backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from eventsourcing.persistence import Tracking
from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from events import Event, ReplyRequested, ReplyStatusChanged
from services.ingest.adapters.inbound_publisher import InboundPublisher
from switchboard.inbox import MAX_DELIVERIES
from switchboard.jetstream import REPLIES_BUCKET

log = logging.getLogger(__name__)
# A channel still unreachable after this many tries (the consumer's redeliveries back off
# to about half a minute in all): the reply is recorded as failed, so the agent sees it,
# instead of its message going unseen to the dead letters.
SEND_TRIES = MAX_DELIVERIES - 1


class SendFailed(Exception):
    """The channel refused the reply. `retry`: nothing left us and trying again may work."""

    def __init__(self, detail: str, retry: bool = False) -> None:
        super().__init__(detail)
        self.retry = retry


@runtime_checkable
class ReplySender(Protocol):
    reply_channels: frozenset[str]

    async def send(self, reply: ReplyRequested) -> str | None:
        """Sends; returns the channel's id for the message. Raises SendFailed."""
        ...


class ReplyDispatcher:
    def __init__(
        self, senders: Sequence[ReplySender], publisher: InboundPublisher, js: JetStreamContext
    ) -> None:
        self.by_channel = {c: s for s in senders for c in s.reply_channels}
        self.publisher = publisher
        self.js = js

    async def reply_requested(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, ReplyRequested)
        kv = await self.js.key_value(REPLIES_BUCKET)
        key = str(event.reply_id)
        tries = 0
        try:
            await kv.create(key, b"sending")
        except KeyWrongLastSequenceError:
            entry = await kv.get(key)
            state = (entry.value or b"").decode()
            if state.startswith("retry"):
                tries = int(state.partition(":")[2] or 1)
                await kv.update(key, b"sending", last=entry.revision)
            else:
                await self._republish(event, state)
                return
        await self._send(event, kv, tries)

    async def _send(self, event: ReplyRequested, kv: KeyValue, tries: int) -> None:
        key = str(event.reply_id)
        sender = self.by_channel.get(event.channel)
        if sender is None:
            await kv.put(key, b"failed:no sender for this channel")
            await self._status(event, "failed", None, f"no sender for channel {event.channel}")
            return
        try:
            provider_id = await sender.send(event)
        except SendFailed as exc:
            if exc.retry and tries + 1 < SEND_TRIES:
                await kv.put(key, f"retry:{tries + 1}".encode())
                raise
            detail = f"gave up after {tries + 1} tries: {exc}" if exc.retry else str(exc)
            await kv.put(key, f"failed:{detail}".encode())
            await self._status(event, "failed", None, detail)
            return
        await kv.put(key, f"sent:{provider_id or ''}".encode())
        await self._status(event, "sent", provider_id, None)

    async def _republish(self, event: ReplyRequested, state: str) -> None:
        if state.startswith("sent:"):
            await self._status(event, "sent", state[5:] or None, None)
        elif state.startswith("failed:"):
            await self._status(event, "failed", None, state[7:])
        else:
            log.warning("reply %s was interrupted while sending", event.reply_id)
            await self._status(event, "uncertain", None, "interrupted while sending; check")

    async def _status(
        self, event: ReplyRequested, status: str, provider_id: str | None, detail: str | None
    ) -> None:
        await self.publisher.publish(
            ReplyStatusChanged(
                contact_id=event.contact_id,
                reply_id=event.reply_id,
                channel=event.channel,
                status=status,  # type: ignore[arg-type]
                provider_id=provider_id,
                detail=detail,
            )
        )
