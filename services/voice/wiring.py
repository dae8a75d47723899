"""How the ingest service runs the voice bridge (see services/voice/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.voice.bridge import CallbackUrls, VoiceBridge
from services.voice.control import control_router
from services.voice.ordering import PerContact
from services.voice.recordings import recordings_router
from services.voice.twilio_calls import TwilioCalls
from switchboard.auth import Authenticator
from switchboard.inbox import Inbox, pull_inbox_prefix
from switchboard.jetstream import EVENTS, consumer_config

DURABLE = "voice-bridge"
IN_FLIGHT = 32  # calls the bridge works on at once
# What the bridge acts on (VoiceBridge.routing_event).
FOLLOWED = (
    "CallBridgeRequested",
    "CallConnected",
    "CallBridgeFailed",
    "CallbackAttemptFailed",
    "ContactAbandoned",
    "ContactCompleted",
    "ContactCancelled",
    "ContactTransferred",
    "CallRecorded",
    "CallLegChanged",
)


@dataclass
class VoiceChannel:
    bridge: VoiceBridge
    inbox: Inbox
    routers: list[APIRouter]

    def health(self) -> str | None:
        """Twilio failing shows on /healthz, without failing ingest's health check:
        webhooks still come in, and each call the bridge could not connect is offered again
        (CallBridgeFailed, with Twilio's answer, on the contact)."""
        calls = self.bridge.calls
        if calls.failing:
            return f"voice bridge: Twilio failing ({calls.failures} failures): {calls.failing}"
        return None

    async def close(self) -> None:
        await self.bridge.calls.close()


async def raw_body(msg: NatsMessage) -> bytes:
    # Decoding is the Inbox's job (it dead-letters what is not a contract).
    body: bytes = msg.body
    return body


def build_voice(
    settings: SwitchboardConfig,
    broker: NatsBroker,
    js: JetStreamContext,
    publisher: InboundPublisher,
    callback_base: str,
    auth: Authenticator,
) -> VoiceChannel:
    config = settings.channels.twilio
    assert config is not None
    bridge = VoiceBridge(TwilioCalls(config), config, publisher, js, CallbackUrls(callback_base))
    inbox = Inbox(broker, DURABLE)
    ordered = PerContact(IN_FLIGHT)
    config_ = consumer_config(DURABLE, *(f"sb.events.routing.{e}" for e in FOLLOWED))
    config_.max_ack_pending = IN_FLIGHT

    # One consumer over the events the bridge acts on, so each contact's arrive in the order
    # routing stored them; filtered, so the rest of routing's events do not queue before them.
    @broker.subscriber(
        "sb.events.routing.>",
        stream=JStream(name=EVENTS, declare=False),
        durable=DURABLE,
        config=config_,
        pull_sub=PullSub(batch_size=IN_FLIGHT, timeout=1.0),
        inbox_prefix=pull_inbox_prefix(broker),
        ack_policy=AckPolicy.MANUAL,
        decoder=raw_body,
        title=DURABLE,
        description="Connects accepted calls through Twilio: agent's leg, then the caller",
    )
    async def consume(body: bytes, msg: NatsMessage) -> None:
        await ordered.submit(msg.raw_message, lambda raw: inbox.deliver(raw, bridge.routing_event))

    routers = [recordings_router(bridge, config, auth), control_router(bridge, settings, auth)]
    return VoiceChannel(bridge, inbox, routers)
