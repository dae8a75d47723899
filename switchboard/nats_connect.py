"""How a process connects to NATS (TLS with our own CA, its own reply inbox), and declaring
the streams and buckets once, as the admin user, for services that may not."""

from __future__ import annotations

import ssl
from typing import Any

import nats
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from switchboard.credentials import KvCredentials
from switchboard.jetstream import ensure_streams, nats_servers
from switchboard.nats_permissions import inbox_prefix
from switchboard.sessions import KvSessions
from switchboard.settings import Settings


def connect_options(settings: Settings, services: list[str]) -> dict[str, Any]:
    """Keyword arguments for nats.connect and NatsBroker. A process running one service
    takes its replies on that service's inbox prefix: the only subjects its NATS user may
    subscribe to (switchboard/nats_permissions.py)."""
    options: dict[str, Any] = {}
    if settings.nats_ca_file is not None:
        options["tls"] = ssl.create_default_context(cafile=str(settings.nats_ca_file))
    if len(services) == 1:
        options["inbox_prefix"] = inbox_prefix(services[0])
    return options


async def declare_streams(
    js: JetStreamContext, settings: Settings, config: SwitchboardConfig
) -> None:
    """Every stream and bucket the services use, sessions' and credentials' included."""
    await ensure_streams(
        js,
        settings.inbound_dedupe_window_seconds,
        settings.stream_replicas,
        settings.stream_max_age_hours,
        settings.inbound_partitions,
    )
    await KvSessions(js, config.auth.session_hours * 3600, settings.stream_replicas).ensure()
    await KvCredentials(js, settings.stream_replicas).ensure()


async def declare(settings: Settings, config: SwitchboardConfig, url: str) -> None:
    """`switchboard streams`: connects (as the admin user the URL names), declares, leaves."""
    nc = await nats.connect(nats_servers(url), **connect_options(settings, []))
    try:
        await declare_streams(nc.jetstream(), settings, config)
    finally:
        await nc.close()
