"""Publishing interactions to JetStream: the channel is answered only after the ack."""

from __future__ import annotations

from nats.errors import Error as NatsError
from nats.js import JetStreamContext

from events.interactions import InboundMessage
from services.ingest.language import LanguageTagger
from switchboard import tracing
from switchboard.errors import ChannelUnavailable
from switchboard.jetstream import INBOUND, envelope


class InboundPublisher:
    def __init__(
        self, js: JetStreamContext, timeout: float = 5.0, language: LanguageTagger | None = None
    ) -> None:
        self._js = js
        self._timeout = timeout
        self._language = language
        self.published = 0
        self.duplicates = 0

    async def publish(self, event: InboundMessage) -> bool:
        """Returns whether JetStream already had it (a retry); raises ChannelUnavailable."""
        if self._language is not None:
            # Here, not in each adapter: every channel (and SMTP) passes through publish.
            event = await self._language.tag(event)
        env = envelope(event, subject=event.publish_subject(), **{"Nats-Msg-Id": event.msg_id()})
        try:
            with tracing.producing("ingest.publish", env.headers, subject=env.subject):
                ack = await self._js.publish(
                    env.subject,
                    env.body,
                    headers=env.headers,
                    stream=INBOUND,
                    timeout=self._timeout,
                )
        except (TimeoutError, NatsError, OSError) as exc:
            raise ChannelUnavailable(f"event stream unavailable: {type(exc).__name__}") from exc
        duplicate = bool(ack.duplicate)
        if duplicate:
            self.duplicates += 1
        else:
            self.published += 1
        return duplicate
