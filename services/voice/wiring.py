"""How the ingest service runs the voice bridge (see services/voice/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.voice.bridge import CallbackUrls, VoiceBridge
from services.voice.control import control_router
from services.voice.recordings import recordings_router
from services.voice.twilio_calls import TwilioCalls
from switchboard.auth import Authenticator
from switchboard.inbox import Inbox, subscribe
from switchboard.jetstream import EVENTS


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
    inbox = subscribe(
        broker,
        stream=EVENTS,
        durable="voice-bridge",
        subject="sb.events.routing.>",
        handler=bridge.routing_event,
        description="Connects accepted calls through Twilio: agent's leg, then the caller",
    )
    routers = [recordings_router(bridge, config, auth), control_router(bridge, settings, auth)]
    return VoiceChannel(bridge, inbox, routers)
