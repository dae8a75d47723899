"""Composition root of the ingest service."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.ingest.api import ingest_router
from switchboard.service import Service
from switchboard.settings import Settings


def build_ingest(
    settings: Settings, config: SwitchboardConfig, broker: NatsBroker, js: JetStreamContext
) -> Service:
    publisher = InboundPublisher(js)
    return Service(name="ingest", routers=[ingest_router(config, publisher)])
