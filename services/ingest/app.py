"""Composition root of the ingest service."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.ingest.api import ingest_router
from services.ingest.registry import load_adapters
from switchboard.service import Service
from switchboard.settings import Settings


def build_ingest(
    settings: Settings, config: SwitchboardConfig, broker: NatsBroker, js: JetStreamContext
) -> Service:
    publisher = InboundPublisher(js)
    adapters = load_adapters(config)
    router = ingest_router(config, publisher, adapters, settings.public_url)
    return Service(name="ingest", routers=[router])
